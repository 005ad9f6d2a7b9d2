"""Follow-ups about where the previous answer came from ("他们是在哪次会议上说的?", "什么时候说的?",
"谁说的?"): answered from the cited chunks' own metadata, each line citing its chunk again.

Nothing is retrieved: the meeting, date, speaker and post are those recorded with the cited
paragraphs, so the answer cannot name a meeting the paragraph does not belong to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.labels import UNKNOWN_DATE, UNKNOWN_MEETING, UNKNOWN_SPEAKER
from rag.records import Answer, Chunk, Citation

MEETING, DATE, SPEAKER = "meeting", "date", "speaker"
_ASKS = {
    MEETING: re.compile(r"(?:哪次|哪个|什么|哪场|哪一次)会议?|会议名称|在哪.{0,3}会议?"),
    DATE: re.compile(r"什么时候|何时|哪天|哪一天|什么时间|几月几[日号]|哪年|日期"),
    SPEAKER: re.compile(r"谁说|谁讲|谁提|是谁|哪位|讲话人|发言人|什么职务|哪个单位"),
}
# A question pointing back at the previous answer ("他们", "这些", "上述"), or one that is only the ask.
_BACK = re.compile(r"他们|她们|他|她|这些|这是|这个|这段|这句|那些|上述|以上|刚才|上面|前面")
_FILLER = re.compile(r"[\W_]|是|在|上|说|讲|提|的|了|呢|吗|出来|开|召开|会议|这|那|些|话")
UNKNOWN = {MEETING: UNKNOWN_MEETING, DATE: UNKNOWN_DATE, SPEAKER: UNKNOWN_SPEAKER}


def asked_fields(question: str) -> list[str]:
    """Which metadata a follow-up asks about, or [] when it asks about content.

    >>> asked_fields("他们是在哪次会议上说的?"), asked_fields("谁说的?"), asked_fields("哪次会议提到了垃圾分类?")
    (['meeting'], ['speaker'], [])
    """
    asks = [name for name, pattern in _ASKS.items() if pattern.search(question)]
    if not asks:
        return []
    rest = question
    for name in asks:
        rest = _ASKS[name].sub("", rest)
    if _BACK.search(question) or not _FILLER.sub("", rest):
        return asks
    return []


def _line(chunk: Chunk, marker: int, asks: Sequence[str]) -> str:
    who = chunk.speaker or UNKNOWN[SPEAKER]
    post = chunk.speaker_title or chunk.unit
    person = f"{who}（{post}）" if post else who
    meeting = chunk.meeting or UNKNOWN[MEETING]
    date = chunk.meeting_date or UNKNOWN[DATE]
    if asks == [DATE]:
        return f"{date}，{meeting}，{person}[{marker}]"
    if asks == [SPEAKER]:
        return f"{person}，在{meeting}（{date}）[{marker}]"
    return f"{meeting}（{date}），{person}[{marker}]"


def provenance_answer(question: str, history: Sequence[Answer]) -> Answer | None:
    """The answer to a question about the previous answer's sources, or None when it is not one."""
    asks = asked_fields(question)
    if not history or not asks:
        return None
    previous = history[-1]
    if not previous.citations:
        return Answer(question=question.strip(), answer="资料中未找到：上一个回答没有引用资料，无法说明出处。",
                      answerable=False, mode="provenance")
    citations: list[Citation] = []
    lines: list[str] = []
    speeches: set[str] = set()
    for citation in previous.citations:
        chunk = citation.hit.chunk
        if chunk.speech_id in speeches:
            continue
        speeches.add(chunk.speech_id)
        marker = len(citations) + 1
        citations.append(replace(citation, marker=marker))
        lines.append(_line(chunk, marker, asks))
    head = "上一个回答引用的讲话出自："
    text = head + lines[0] + "。" if len(lines) == 1 else head + "\n" + "\n".join(f"- {ln}" for ln in lines)
    return Answer(question=question.strip(), answer=text, answerable=True, citations=tuple(citations),
                  mode="provenance")
