"""Metadata follow-ups answered from the previous answer's cited chunks (rag.answer.provenance)."""

import pytest

from rag.answer.provenance import asked_fields, provenance_answer
from rag.records import Answer, Chunk, Citation, Hit


def chunk(speech: int, speaker: str | None, post: str | None, meeting: str | None, date: str | None) -> Chunk:
    return Chunk(f"q.txt:{speech}:0:0", "正文。", "", speaker, post, "青溪区交通局", meeting, date, "q.txt",
                 speech, 0, 0, 0, 3)


PREVIOUS = Answer("青溪区交通局一季度完成了多少投资?", "……8.36亿元。[1]", True, citations=(
    Citation(1, Hit(chunk(0, "周海涛", "青溪区交通局局长", "青溪区2025年第一季度例会", "2025-03-21"), 1.0), "句"),
))


@pytest.mark.parametrize("question, fields", [
    ("他是在哪次会议上说的?", ["meeting"]), ("什么时候说的?", ["date"]), ("这是谁说的？", ["speaker"]),
    ("哪次会议提到了夜间经济?", []), ("谁提出了滨河夜市的办法?", []), ("青溪区交通局投资多少?", []),
])
def test_asked_fields(question, fields):
    assert asked_fields(question) == fields


def test_meeting_follow_up_cites_the_chunk_it_names():
    a = provenance_answer("他是在哪次会议上说的?", [PREVIOUS])
    assert a.answerable and "青溪区2025年第一季度例会（2025-03-21）" in a.answer and "周海涛" in a.answer
    assert a.answer.endswith("[1]。") and a.citations[0].hit.chunk.speaker == "周海涛"


def test_unknown_metadata_is_said_so_and_no_sources_is_a_refusal():
    unknown = Answer("问", "答[1]", True, citations=(Citation(1, Hit(chunk(1, None, None, None, None), 1.0), "句"),))
    a = provenance_answer("什么时候说的?", [unknown])
    assert "日期未知" in a.answer and "讲话人未知" in a.answer and "会议未知" in a.answer
    refused = provenance_answer("谁说的?", [Answer("问", "资料中未找到", False)])
    assert not refused.answerable and refused.answer.startswith("资料中未找到")
    assert provenance_answer("青溪区交通局投资多少?", [PREVIOUS]) is None
