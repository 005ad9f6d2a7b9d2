"""Questions about the corpus itself, answered from metadata with each line citing its speech:
- follow-ups about where the previous answer came from ("他们是在哪次会议上说的?", "什么时候说的?",
  "谁说的?", "分别是在哪次会议上说的?"): the cited chunks' own metadata (`provenance_answer`);
- questions about a speaker, first turn or follow-up ("柳明是在哪次会议上讲话的?", "柳明担任过哪些职务?"):
  the catalogue of speeches, i.e. the first chunk of every speech (`catalogue_answer`).

Nothing is retrieved: the meeting, date, speaker and post are those recorded with the paragraphs,
so the answer cannot name a meeting a speech does not belong to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.labels import UNKNOWN_DATE, UNKNOWN_MEETING, UNKNOWN_SPEAKER
from rag.records import Answer, Chunk, Citation, Hit
from rag.zh import clip

MEETING, DATE, SPEAKER = "meeting", "date", "speaker"
_ASKS = {
    MEETING: re.compile(r"(?:哪次|哪个|什么|哪场|哪一次)会议?|会议名称|在哪.{0,3}会议?"),
    DATE: re.compile(r"什么时候|何时|哪天|哪一天|什么时间|几月几[日号]|哪年|日期"),
    SPEAKER: re.compile(r"谁说|谁讲|谁提|是谁|哪位|讲话人|发言人|什么职务|哪个单位"),
}
# A question pointing back at the previous answer ("他们", "这些", "上述"), or one that is only the ask.
_BACK = re.compile(r"他们|她们|他|她|这些|这是|这个|这段|这句|那些|上述|以上|刚才|上面|前面|分别|各自")
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


# A question about the posts a person held ("担任过哪些职务", "是什么职务", "什么身份")
_POSTS = re.compile(r"担任|任过|职务|职位|身份|什么职|哪些职|什么岗位")
# … about where or when a person spoke ("在哪次会议上讲话", "什么时候发言", "参加了哪些会议")
_SPOKE = re.compile(r"讲话|发言|说的|讲的|致辞|作报告|汇报|参加|出席|会议")
# Where or when, asked of a person (stricter than _ASKS: "说了什么" asks for content, not a meeting)
_WHERE_WHEN = {MEETING: re.compile(r"哪次|哪个会|哪场|哪一次|什么会|哪些会|在哪.{0,3}会"),
               DATE: re.compile(r"什么时候|何时|哪天|哪一天|什么时间|哪年|哪一年")}


def catalogue_answer(question: str, heads: Sequence[Chunk]) -> Answer | None:
    """A question about a speaker of the corpus — at which meetings (and when) they spoke, what posts
    they held — answered from the speeches' own metadata, one line per speech, each cited to its
    first paragraph; None when the question is not one.

    >>> from rag.records import Chunk
    >>> head = Chunk("a.txt:0:0:0", "…", "", "柳明", "青溪区副区长", "青溪区", "全区工作会", "2024-02-01", "a.txt", 0, 0, 0, 0, 1)
    >>> catalogue_answer("柳明担任过哪些职务?", [head]).answer
    '柳明在资料中的职务：青溪区副区长（全区工作会，2024-02-01）[1]。'
    """
    speakers = sorted({h.speaker for h in heads if h.speaker and len(h.speaker) >= 2}, key=len, reverse=True)
    person = next((p for p in speakers if p in question), None)
    if person is None:
        return None
    posts = bool(_POSTS.search(question))
    asks = [a for a in (MEETING, DATE) if _WHERE_WHEN[a].search(question)]
    if not posts and not (asks and _SPOKE.search(question.replace(person, ""))):
        return None
    own = [h for h in heads if h.speaker == person]
    citations = [Citation(i, Hit(h, 1.0), clip(h.text, 60).removesuffix("……"))  # never cut inside a figure
                 for i, h in enumerate(own, start=1)]
    if posts:
        lines = [f"{h.speaker_title or h.unit or UNKNOWN_SPEAKER}（{h.meeting or UNKNOWN_MEETING}，"
                 f"{h.meeting_date or UNKNOWN_DATE}）[{i}]" for i, h in enumerate(own, start=1)]
        head = f"{person}在资料中的职务："
    else:
        lines = [_line(h, i, asks or [MEETING]) for i, h in enumerate(own, start=1)]
        head = f"{person}在资料中的讲话："
    text = head + lines[0] + "。" if len(lines) == 1 else head + "\n" + "\n".join(f"- {ln}" for ln in lines)
    return Answer(question=question.strip(), answer=text, answerable=True, citations=tuple(citations),
                  mode="provenance")
