"""Physical lines: the non-blank lines of the front-door text, as the line model and its gold see them.

A line keeps its number in the front-door text (`number`, the gold's `i`), its offsets, whether a
blank line stands above or below it, and its text width-normalised with inline noise removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.parse import noise
from rag.parse.meeting import split_edition
from rag.parse.normalize import normalize_chars, strip_markdown


@dataclass(frozen=True)
class PhysicalLine:
    text: str  # normalised, stripped, Markdown marks and inline noise (paywall markers, watermarks) removed
    start: int  # offsets of the stripped line in the front-door text
    end: int
    number: int  # line number in the front-door text, blank lines counted
    blank_before: bool
    blank_after: bool
    publication: str | None = None  # a page line glued to the end of this one ("…《人民日报》（…版）")


def line_text(raw: str) -> str:
    """A raw line as the parser reads it: Markdown marks off, width-normalised, inline noise removed.

    >>> line_text("**江城大学校长 林远** 说:")
    '江城大学校长 林远说：'
    """
    return split_edition(noise.strip_inline_noise(normalize_chars(strip_markdown(raw.strip()))).strip())[0]


def physical_lines(text: str) -> list[PhysicalLine]:
    """The non-blank lines of a front-door text.

    >>> [(p.text, p.number, p.blank_before, p.blank_after) for p in physical_lines("标题\\n\\n 主任 刘一 \\n正文,好")]
    [('标题', 0, False, True), ('主任 刘一', 2, True, False), ('正文，好', 3, False, False)]
    """
    pieces = text.split("\n")
    blank = [not piece.strip(" ") for piece in pieces]
    out: list[PhysicalLine] = []
    offset = 0
    for number, piece in enumerate(pieces):
        stripped = piece.strip(" ")  # the front door made every space " "
        if stripped:
            lead = len(piece) - len(piece.lstrip(" "))
            out.append(PhysicalLine(
                text=line_text(stripped),
                start=offset + lead, end=offset + lead + len(stripped), number=number,
                blank_before=number > 0 and blank[number - 1],
                blank_after=number + 1 < len(pieces) and blank[number + 1],
                publication=split_edition(normalize_chars(strip_markdown(stripped)))[1]))
        offset += len(piece) + 1
    return out
