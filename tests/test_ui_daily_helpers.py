"""Helpers behind issue 21's screens, without a browser: the reader and 对比 rendering (escaped), the
past-conversation list, suggested next questions, and the export's placing. Invented speeches only."""

from __future__ import annotations

from dataclasses import replace

from rag.library import Catalogue
from rag.records import Answer, Chunk, Citation, Hit, Meeting, Paragraph, Speech
from ui import history
from ui.followups import follow_ups
from ui.render.browse import render_compare, render_reader
from ui.render.cards import answer_markdown

EVIL = "<script>alert(1)</script>"
MEETING = Meeting("甲区镇街书记和部门一把手2024年第一季度例会", "区", "2024-03-20")
LATER = Meeting("甲区镇街书记和部门一把手2025年第一季度例会", "区", "2025-03-21")


def speech(unit: str, speaker: str, index: int, meeting: Meeting = MEETING, source: str = "a.txt",
           texts: tuple[str, ...] = ("甲区交通局一季度完成交通投资5.2亿元。",)) -> Speech:
    paras = tuple(Paragraph(t, 0, len(t)) for t in texts)
    return Speech(meeting, speaker, f"{unit}局长", unit, f"{unit}的发言", paras, source, index)


SPEECHES = [speech("甲区交通局", "赵一", 0, texts=("开场。", "甲区交通局一季度完成交通投资5.2亿元。")),
            speech("甲区水利局", "钱二", 1), speech("甲区公安局", "孙三", 2),
            speech("甲区交通局", "赵一", 0, LATER, "b.txt")]


def chunk_of(s: Speech, paragraph: int) -> Chunk:
    text = s.paragraphs[paragraph].text
    return Chunk(chunk_id=f"{s.source}:{s.index}:{paragraph}:0", text=text, header="", speaker=s.speaker,
                 speaker_title=s.speaker_title, unit=s.unit, meeting=s.meeting.name, meeting_date=s.meeting.date,
                 source=s.source, speech_index=s.index, paragraph=paragraph, part=0, start=0, end=len(text),
                 title=s.title)


def answer_citing(chunk: Chunk, question: str) -> Answer:
    return Answer(question=question, answer="5.2亿元[1]", answerable=True,
                  citations=(Citation(1, Hit(chunk, 1.0), chunk.text),))


def test_reader_highlights_the_cited_paragraph_and_escapes_the_speech():
    s = replace(SPEECHES[0], title=EVIL)
    html = render_reader("a.txt:0:1:0", s, first_paragraph=4, cited=5)
    assert EVIL not in html and "&lt;script&gt;" in html
    assert 'class="zy-para zy-cited" aria-current="true" id="zy-para-5"' in html and "全文第5段" in html
    assert "zy-reader-close" in html
    assert "不在索引中" in render_reader("gone.txt:0:0:0", None)


def test_compare_columns_are_escaped_and_an_empty_side_says_so():
    c = chunk_of(SPEECHES[0], 1)
    html = render_compare(EVIL, [("甲区交通局", [Hit(c, 1.0)]), (EVIL, [])], terms=["交通投资"])
    assert EVIL not in html and html.count('class="zy-cmp-side"') == 2
    assert '<mark class="zy-term">交通投资</mark>' in html and "没有找到&lt;script&gt;" in html


def test_past_conversations_are_kept_newest_first_and_taken_back():
    first = answer_citing(chunk_of(SPEECHES[0], 1), "甲区交通局一季度完成了多少投资?")
    second = replace(first, question="甲区水利局呢?")
    archive = history.put_aside(history.put_aside([], [first], "03-01 09:00"), [second], "03-01 10:00")
    assert [p.title for p in history.past_list(archive)] == ["甲区水利局呢?", "甲区交通局一季度完成了多少投资?"]
    found, rest = history.take(archive, history.past_list(archive)[1].key)
    assert found.turns == 1 and [p.title for p in history.past_list(rest)] == ["甲区水利局呢?"]
    chunks = {chunk_of(SPEECHES[0], 1).chunk_id: chunk_of(SPEECHES[0], 1)}
    assert history.load(found.conversation, chunks.get)[0].citations[0].hit.chunk.unit == "甲区交通局"
    assert history.take(archive, "nope")[0] is None
    assert history.past_list([{"key": 1}, "x", None]) == []  # unreadable entries are left out
    many = []
    for _ in range(history.ARCHIVE_MAX + 5):
        many = history.put_aside(many, [first], "03-01 09:00")
    assert len(many) == history.ARCHIVE_MAX


def test_next_questions_come_from_the_cited_meeting_and_library():
    catalogue = Catalogue(SPEECHES)
    cited = chunk_of(SPEECHES[0], 1)
    offered = follow_ups(answer_citing(cited, "甲区交通局2024年一季度完成了多少投资?"), catalogue)
    assert offered == ["甲区水利局2024年一季度完成了多少投资?",  # who spoke next at that meeting
                       "甲区交通局2025年一季度完成了多少投资?",  # the nearest other year held
                       "哪些地方也谈到了投资?"]  # the topic across places
    refused = Answer(question="甲区交通局有几座桥?", answer="没有找到", answerable=False)
    assert follow_ups(refused, catalogue) == []


def test_export_places_a_source_by_title_and_document_paragraph():
    catalogue = Catalogue(SPEECHES)
    cited = chunk_of(SPEECHES[0], 1)
    md = answer_markdown(answer_citing(cited, "甲区交通局一季度完成了多少投资?"), catalogue.paragraph_number)
    assert "（《甲区交通局的发言》 · 全文第2段）" in md and "a.txt" not in md
