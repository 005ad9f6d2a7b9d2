"""Chunking invariants: offsets rebuild the text, windows are sentence-aligned and overlap by one sentence."""

from __future__ import annotations

import re

import pytest

from _index_support import speech
from rag.ingest.chunk import (MAX_CHARS, MAX_SENTENCE_CHARS, MIN_TAIL, chunk_speech, chunk_speeches, header, sentence_spans,
                       windows)
from rag.config import DEFAULT_SEEDS
from rag.parse import load_corpus
from rag.records import Meeting, Paragraph, Speech

SENTENCE_END = "。！？；!?;…”’」』）)"


def long_paragraph(n: int = 24) -> str:
    return "".join(f"第{i}项工作推进有力，完成投资{i}.5亿元，同比增长{i % 9}.1%。" for i in range(n))


def test_sentence_spans_cover_text_except_newlines():
    text = "一是甲；二是乙！“三是丙。”\n四是丁"
    spans = sentence_spans(text)
    assert "".join(text[a:b] for a, b in spans) == text.replace("\n", "")
    assert [text[a:b] for a, b in spans] == ["一是甲；", "二是乙！", "“三是丙。”", "四是丁"]


def test_short_paragraph_is_one_chunk_with_exact_offsets():
    s, source = speech(["新增市场主体320户。", "我们新建高标准农田8000亩，村集体经济收入平均增长18%。"])
    chunks = chunk_speech(s)
    assert [c.text for c in chunks] == [p.text for p in s.paragraphs]
    for c in chunks:
        assert source[c.start:c.end] == c.text
        assert c.part == 0


@pytest.mark.parametrize("n", [12, 24, 60])
def test_long_paragraph_windows(n):
    para = long_paragraph(n)
    assert len(para) > MAX_CHARS
    s, source = speech(["开头一段话，足够长以免被合并到下一段里面去。", para])
    chunks = [c for c in chunk_speech(s) if c.paragraph == 1]
    assert len(chunks) >= 2
    assert [c.part for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert source[c.start:c.end] == c.text  # offsets rebuild the text
        assert c.text[-1] in SENTENCE_END  # never ends mid-sentence
        assert c.start == s.paragraphs[1].start or source[c.start - 1] in SENTENCE_END  # never starts mid-sentence
        assert len(c.text) <= MAX_CHARS + MIN_TAIL
    for prev, nxt in zip(chunks, chunks[1:]):
        last_sentence = re.findall(r"[^。]+。", prev.text)[-1]
        assert nxt.text.startswith(last_sentence)  # one sentence of overlap
        assert nxt.start == prev.end - len(last_sentence)
    assert chunks[0].start == s.paragraphs[1].start and chunks[-1].end == s.paragraphs[1].end


def test_windows_keep_a_long_sentence_whole_up_to_the_hard_limit():
    text = "甲" * (MAX_SENTENCE_CHARS - 1) + "。" + "乙" * 100 + "。"
    spans = windows(text)
    assert all(text[a:b].endswith("。") for a, b in spans)
    assert (0, MAX_SENTENCE_CHARS) in spans


def test_a_sentence_without_end_is_cut_at_the_hard_limit_preferring_a_comma():
    text = ("数据" * 200 + "，") * 100  # 40,100 characters, no sentence end
    spans = windows(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(b - a <= MAX_SENTENCE_CHARS for a, b in spans)
    assert all(a2 <= b1 for (_, b1), (a2, _) in zip(spans, spans[1:]))  # contiguous: nothing dropped
    assert all(text[b - 1] == "，" for _, b in spans[:-1])  # cut after a comma, not mid-clause
    endless = "数" * 50_000
    assert sum(b - a for a, b in windows(endless)) == 50_000


def test_tiny_tail_merges_into_previous_window():
    text = "".join("这是一个十五个字左右的句子。" for _ in range(22)) + "短。"
    spans = windows(text)
    assert spans[-1][1] == len(text)
    assert all(b - a >= MIN_TAIL for a, b in spans)


def test_tiny_paragraph_joins_the_next_one():
    s, _ = speech(["各位代表：", "现在，我代表区人民政府，向大会报告工作，请予审议。"])
    chunks = chunk_speech(s)
    assert len(chunks) == 1
    assert chunks[0].text == "各位代表：\n现在，我代表区人民政府，向大会报告工作，请予审议。"
    assert chunks[0].paragraph == 1 and chunks[0].start == 0 and chunks[0].end == s.paragraphs[1].end


def test_ids_are_deterministic_and_unique():
    s1, _ = speech(["第一段内容足够长，讲的是招商引资工作。", long_paragraph()], source="x.txt", index=0)
    s2, _ = speech(["第二篇讲话的内容，讲的是乡村振兴工作。"], source="x.txt", index=1, speaker="何峰")
    chunks = chunk_speeches([s1, s2])
    ids = [c.chunk_id for c in chunks]
    assert len(set(ids)) == len(ids)
    assert ids == [c.chunk_id for c in chunk_speeches([s1, s2])]
    assert ids[0] == "x.txt:0:0:0" and ids[-1] == "x.txt:1:0:0"


def test_header_names_unit_post_speaker_and_meeting_but_text_does_not():
    s, _ = speech(["上半年，新增市场主体320户，盘活闲置厂房。"])
    c = chunk_speech(s)[0]
    assert header(s) == "江岸区柳塘镇党委书记 林晓｜江岸区2023年第二季度例会"
    assert c.indexed_text.startswith(c.header) and c.indexed_text.endswith(c.text)
    assert "林晓" not in c.text
    assert (c.speaker, c.unit, c.meeting_date) == ("林晓", "江岸区柳塘镇", "2023-07-28")


@pytest.mark.parametrize("paragraphs", [
    [],
    ["。"],
    ["。！？；……"],
    ["没有任何句末标点的一行文字没有任何句末标点的一行文字" * 20],
    ["推进AI大模型和5G应用，GDP增长6.3%，新建data center 2个。"],
    ["全角　空格　的　段落，内容　照常　处理。"],
])
def test_edge_cases_keep_every_character(paragraphs):
    s, source = speech(paragraphs)
    chunks = chunk_speech(s)
    rebuilt = "".join(c.text for c in chunks if c.part == 0)
    assert rebuilt == "".join(p for p in paragraphs)
    for c in chunks:
        assert c.text and source[c.start:c.end] == c.text


def test_normalised_paragraph_offsets_stay_inside_its_span():
    text = long_paragraph()
    para = Paragraph(text, 100, 100 + len(text) + 40)  # the parser joined broken lines: span is longer
    s = Speech(Meeting("会"), "林晓", None, None, None, (para,), "s.txt")
    chunks = chunk_speech(s)
    assert chunks[0].start == 100 and chunks[-1].end == para.end
    assert all(para.start <= c.start < c.end <= para.end for c in chunks)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_real_seed_chunks():
    speeches = load_corpus([DEFAULT_SEEDS]).speeches
    chunks = chunk_speeches(speeches)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(c.text.strip() for c in chunks)
    assert {c.speech_id for c in chunks} == {s.speech_id for s in speeches if s.paragraphs}
    longest = max(chunks, key=lambda c: len(c.text))
    assert len(longest.text) <= MAX_CHARS + MIN_TAIL or len(sentence_spans(longest.text)) == 1
