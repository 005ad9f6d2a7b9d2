"""Snippets (related passages in a refusal, 找相似 labels) are cut at a clause end or after a whole
figure, never inside one (issue 21: 「增长6.8」 without its %). Invented text, no evaluation question."""

from __future__ import annotations

import re

import pytest

from rag.answer.compose import RELATED_CHARS, not_found
from rag.records import Answer, Chunk, Hit
from rag.zh import clip

FIGURES = ["6.8%", "8.36亿元", "1.14万人", "3721盏", "12.5％", "2.3万亩"]


@pytest.mark.parametrize("figure", FIGURES)
@pytest.mark.parametrize("limit", range(6, 30))
def test_a_cut_never_splits_a_figure(figure, limit):
    text = "甲区今年规上工业增加值同比增长" + figure + "居全市前列并持续扩大有效投资"  # no clause mark to cut at
    out = clip(text, limit)
    kept = out.removesuffix("……")
    assert text.startswith(kept)
    number = re.search(r"\d", figure)
    start = text.index(figure)
    if len(kept) > start + number.start():  # the cut reached the figure: all of it is kept
        assert figure.rstrip("盏") in kept


def test_a_cut_prefers_a_clause_end():
    text = "甲区新建农村公路46公里，开通城乡公交线路5条，群众出行更加便捷。"
    assert clip(text, 20) == "甲区新建农村公路46公里……" and clip(text, 24) == "甲区新建农村公路46公里，开通城乡公交线路5条……"


def test_refusal_quotes_a_related_passage_with_its_whole_figure():
    text = ("乙区经济信息委聚焦制造业高质量发展推动技术改造和数字化转型并围绕主导产业延链补链强链并大力全年规上工业增加值同比增长"
            "6.8%并持续扩大有效投资，新开工项目16个。")
    assert text.index("6.8%") < RELATED_CHARS < text.index("6.8%") + 4  # a plain cut would split 6.8%
    chunk = Chunk(chunk_id="b.txt:0:0:0", text=text, header="", speaker=None, speaker_title=None, unit="乙区经济信息委",
                  meeting=None, meeting_date=None, source="b.txt", speech_index=0, paragraph=0, part=0,
                  start=0, end=len(text))
    base = Answer(question="乙区的港口吞吐量是多少?", answer="", answerable=False)
    answer = not_found(base, [Hit(chunk, 1.0)], [], "", 1)
    quoted = answer.answer.splitlines()[-1]
    assert "增长6.8%" in quoted and "增长6.8……" not in quoted
