"""Words the user sees for missing facts, defined once for the CLI, the UI and the answers.

A citation never guesses: a chunk without a known speaker says `UNKNOWN_SPEAKER`, and so on.
`cell(label)` is how a table or list shows one where a value would stand: "（讲话人未知）".
`attribution(chunk)` is the one 「speaker · post · meeting · date」 label of a passage.
"""

from __future__ import annotations

from rag.records import Chunk

NOT_FOUND = "资料中未找到"  # opens every refusal; the LLM is asked to say it too
UNKNOWN_SPEAKER = "讲话人未知"
UNKNOWN_POST = "职务未知"
UNKNOWN_UNIT = "单位未知"
UNKNOWN_MEETING = "会议未知"
UNKNOWN_DATE = "日期未知"


def cell(label: str) -> str:
    """A missing value in a table cell or list item, set apart from real values by brackets: "（讲话人未知）"."""
    return f"（{label}）"


def attribution(chunk: Chunk, placeholders: bool = False) -> list[str]:
    """Who said a passage, where: speaker · post · unit (when the post does not already name it) ·
    meeting · date, the label of every search result and card. A missing speaker is shown as `cell`;
    the other missing fields are left out. With `placeholders` (the answers' numbered sources) the
    label is speaker · post (else unit) · meeting · date, every missing field named.

    >>> c = Chunk("a.txt:0:0:0", "正文", "", "林晓", None, "柳塘镇", "例会", None, "a.txt", 0, 0, 0, 0, 2)
    >>> " · ".join(attribution(c))
    '林晓 · 柳塘镇 · 例会'
    >>> from dataclasses import replace
    >>> " · ".join(attribution(replace(c, speaker_title="区公安局党委书记", unit="青溪区公安局")))
    '林晓 · 区公安局党委书记 · 青溪区公安局 · 例会'
    >>> " · ".join(attribution(c, placeholders=True))
    '林晓 · 柳塘镇 · 例会 · 日期未知'
    """
    if placeholders:
        return [chunk.speaker or UNKNOWN_SPEAKER, chunk.speaker_title or chunk.unit or UNKNOWN_POST,
                chunk.meeting or UNKNOWN_MEETING, chunk.meeting_date or UNKNOWN_DATE]
    unit = chunk.unit if chunk.unit and chunk.unit not in (chunk.speaker_title or "") else None
    fields = (chunk.speaker or cell(UNKNOWN_SPEAKER), chunk.speaker_title, unit, chunk.meeting, chunk.meeting_date)
    return [f for f in fields if f]
