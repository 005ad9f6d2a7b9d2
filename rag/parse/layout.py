"""Physical layout → logical blocks: clean lines, speaker lines with their titles, and paragraphs.

Extraction from PDFs and newspaper columns breaks sentences across lines (and blank lines), so a
paragraph is rebuilt by joining lines until one ends a sentence. Speaker lines are recognised by
their shape; the one or two short unpunctuated lines right above a speaker line are its title.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.parse import noise
from rag.parse.meeting import parse_publication
from rag.parse.normalize import collapse_spaces
from rag.parse.lines import PhysicalLine
from rag.parse.speaker import (
    SpeakerLine, is_name_only, is_post_only, parse_speaker_line, speaker_head, split_speaker_line,
)
from rag.zh import CLOSING_QUOTES, SENTENCE_ENDS

# A line ends a paragraph on a sentence end or a colon ("各位代表：" stands alone).
_SENTENCE_END = re.compile(f"[{SENTENCE_ENDS}：][{CLOSING_QUOTES}】]*$")
_MID_PUNCT = re.compile(r"[，、；：,;“”]")
_ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、]|第[一二三四五六七八九十]+[，、章节部分])")
_HEADER_WORDS = re.compile(r"例会|会议|大会|座谈会|汇编|摘登|摘要|发言|召开|举行")
# Line-shape limits, in characters. In the seeds and genre documents the longest title or subtitle
# line above a speaker line has 35 characters and a body line in a hard-wrapped column about 20.
_MAX_TITLE_LINE = 50  # a headline or subtitle; a longer unpunctuated line is wrapped prose
_MIN_TITLE = 4  # two words: the shortest title a speech is given
_MAX_TITLE_LINES = 2  # a title and its subtitle, or one title wrapped once
_WRAPPED_TAIL = 4  # a second title line this short is the end of a wrapped word, not a subtitle
_FULL_TITLE_LINE = 28  # a first title line this long filled its column, so the next line continues it
_MIN_MEASURED_LINE = 8  # shorter lines (headings, stubs) say nothing about the column width
_MAX_HEADING = 30  # "一、2024年工作回顾": a numbered section heading is short
# A line between 0.75 and 1.3 times the typical width was cut by the column, not by its writer.
_COLUMN_BAND = (0.75, 1.3)


@dataclass(frozen=True)
class Line:
    text: str
    start: int
    end: int
    label: str = "body"  # the line model's label (rag/parse/line_model.py)


@dataclass(frozen=True)
class Anchor:
    """A speaker line and the title lines above it."""

    speaker: SpeakerLine
    title: str | None
    line: Line
    position: int  # index of the speaker line in the cleaned line list
    consumed: tuple[int, ...] = ()  # indices of its title and subtitle lines
    closes: bool = False  # a sign-off under the speech it ends ("——name（post）" right after a sentence)


@dataclass(frozen=True)
class Block:
    """A paragraph rebuilt from one or more lines; `position` orders it among anchors."""

    text: str
    start: int
    end: int
    position: int


@dataclass(frozen=True)
class Layout:
    lines: list[Line]
    anchors: list[Anchor]
    blocks: list[Block]
    publication: str | None


def read_layout(physical: Sequence[PhysicalLine], labels: Sequence[str]) -> Layout:
    """Lines, speaker anchors and paragraphs from the physical lines and the line model's labels."""
    lines, publication = clean_lines(physical, labels)
    anchors = find_anchors(lines)
    blocks = build_paragraphs(lines, anchors)
    return Layout(lines=lines, anchors=anchors, blocks=blocks, publication=publication)


def clean_lines(physical: Sequence[PhysicalLine], labels: Sequence[str]) -> tuple[list[Line], str | None]:
    """Non-noise lines with their offsets and labels; plus the publication line if any.

    Noise is what the noise rules say (they are general); a line the model alone calls noise stays,
    as body text: dropping text needs a rule, not a guess.
    """
    texts = [line.text for line in physical]
    front = noise.front_matter_span(texts)
    skipped = set(noise.toc_span(texts)) | set(front)
    page_date = next(filter(None, (parse_publication(texts[i]) for i in front)), None)  # its "date:" field
    publication = None
    lines = []
    for i, (line, label) in enumerate(zip(physical, labels)):
        cleaned = line.text
        found = line.publication
        if found and i not in skipped:
            publication = found if publication is None else publication if found in publication else f"{publication}，{found}"
        if i in skipped or noise.is_noise_line(cleaned) or noise.is_toc_line(cleaned):
            continue
        found = parse_publication(cleaned)
        if found:
            publication = found if publication is None else publication if found in publication else f"{publication}，{found}"
            continue
        lines += _read_line(Line(cleaned, line.start, line.end, "body" if label == "noise" else label))
    return join_broken_posts(lines), publication or page_date


def _read_line(line: Line) -> list[Line]:
    """A line the model calls a speaker line: a speaker line, or a speaker head and the speech it
    opens ("post name：…" split at the colon; "post name表示，…" kept whole as speech), or, when no
    name can be read off it, body text."""
    if line.label != "speaker" or split_speaker_line(line.text):
        return [line]
    head = speaker_head(line.text)
    if head is None:
        return [replace(line, label="body")]
    anchor = Line(line.text[head.start:head.stop].rstrip(" "), line.start + head.start, line.start + head.stop, "speaker")
    if head.colon is None:
        return [anchor, replace(line, label="body")]
    rest = len(line.text) - len(line.text[head.colon + 1:].lstrip(" "))
    return [anchor, Line(line.text[rest:], line.start + rest, line.end, "body")]


def join_broken_posts(lines: list[Line]) -> list[Line]:
    """One speaker line from a post broken after 、/，, or from a post line and a name line (either
    order), where the model took either part for a speaker line."""
    joined: list[Line] = []
    for line in lines:
        previous = joined[-1] if joined else None
        if previous and "speaker" in (previous.label, line.label) and not parse_speaker_line(previous.text):
            broken = previous.text.endswith(("、", "，")) and len(previous.text) <= _MAX_TITLE_LINE
            glue = "" if broken else " "
            name_first = is_name_only(previous.text) and is_post_only(line.text)
            if (broken or name_first or (is_post_only(previous.text) and is_name_only(line.text))) \
                    and parse_speaker_line(previous.text + glue + line.text):
                joined[-1] = Line(previous.text + glue + line.text, previous.start, line.end, "speaker")
                continue
        joined.append(line)
    return joined


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def is_header_line(text: str) -> bool:
    """A headline naming the meeting or the collection rather than a speech."""
    return bool(_HEADER_WORDS.search(text)) and not ends_sentence(text)


def is_title_shaped(text: str) -> bool:
    """A short line with no sentence punctuation that is not a numbered heading: a speech's title.

    >>> is_title_shaped("【为基层减负】"), is_title_shaped("一、2024年工作回顾"), is_title_shaped("各位代表：")
    (True, False, False)
    """
    return (_MIN_TITLE <= len(text) <= _MAX_TITLE_LINE and not ends_sentence(text)
            and not _MID_PUNCT.search(text) and not _ENUMERATOR.match(text))


def is_numbered_heading(text: str) -> bool:
    """A short numbered section heading ("一、2024年工作回顾", "（二）坚持创新驱动").

    >>> is_numbered_heading("一、2024年工作回顾"), is_numbered_heading("（一）坚持创新驱动。新增企业1800家。")
    (True, False)
    """
    return bool(_ENUMERATOR.match(text)) and len(text) <= _MAX_HEADING and not ends_sentence(text) \
        and not _MID_PUNCT.search(_ENUMERATOR.sub("", text))


def find_anchors(lines: list[Line]) -> list[Anchor]:
    """Speaker lines (as the line model labelled them, when a post and a name can be read off) and
    the title lines above each."""
    speaker_at = {i: parsed for i, line in enumerate(lines)
                  if line.label == "speaker" and (parsed := split_speaker_line(line.text))}
    anchors = []
    taken: set[int] = set()
    for i, speaker in speaker_at.items():
        title_lines: list[str] = []
        consumed: list[int] = []
        j = i - 1
        while j >= 0 and len(title_lines) < _MAX_TITLE_LINES and j not in speaker_at and j not in taken:
            text = lines[j].text
            if ends_sentence(text) or len(text) > _MAX_TITLE_LINE:
                break
            if not (text.startswith("——") and is_header_line(text)):  # keep a report's "——在…会议上" subtitle out
                if is_header_line(text):
                    break
                title_lines.insert(0, text)
            taken.add(j)
            consumed.append(j)
            j -= 1
        closes = lines[i].text.startswith("—") and not consumed and i > 0 and ends_sentence(lines[i - 1].text)
        anchors.append(Anchor(speaker, _join_title(title_lines), lines[i], i, tuple(consumed), closes))
    return anchors


def _join_title(parts: list[str]) -> str | None:
    """Join a title wrapped over two lines; a title and its subtitle keep a space between them."""
    if not parts:
        return None
    title = parts[0]
    for part in parts[1:]:
        wrapped = len(part) <= _WRAPPED_TAIL or len(title) >= _FULL_TITLE_LINE
        title = f"{title}{part}" if wrapped else f"{title} {part}"
    return title


def build_paragraphs(lines: list[Line], anchors: list[Anchor]) -> list[Block]:
    """Join body lines into paragraphs; paragraphs never cross a speaker line or a title."""
    boundary = {a.position for a in anchors} | {i for a in anchors for i in a.consumed}
    width = _typical_width([line.text for i, line in enumerate(lines) if i not in boundary])
    blocks: list[Block] = []
    current: list[Line] = []
    first = 0

    def close() -> None:
        if current:
            text = collapse_spaces("".join(line.text for line in current))
            blocks.append(Block(text, current[0].start, current[-1].end, first))
            current.clear()

    for i, line in enumerate(lines):
        if i in boundary:
            close()
            continue
        if current and not _continues(current, width):
            close()
        if not current:
            first = i
        current.append(line)
    close()
    return blocks


def _typical_width(texts: list[str]) -> float:
    """The column width: the upper quartile of line lengths (most body lines are full ones)."""
    lengths = [len(t) for t in texts if len(t) >= _MIN_MEASURED_LINE]
    if not lengths:
        return 0.0
    return statistics.quantiles(lengths, n=4)[2] if len(lengths) >= 4 else max(lengths)


def _continues(current: list[Line], width: float) -> bool:
    """Whether the paragraph so far runs on into the next line."""
    last = current[-1].text
    if ends_sentence(last):
        return False
    if len(current) > 1:  # already inside a broken sentence: keep going until it ends
        return True
    body = _ENUMERATOR.sub("", last)
    if _ENUMERATOR.match(last) and len(last) <= _MAX_HEADING and not _MID_PUNCT.search(body):
        return False  # a section heading such as "一、2024年工作回顾"
    if _MID_PUNCT.search(body):
        return True
    return width > 0 and _COLUMN_BAND[0] * width <= len(last) <= _COLUMN_BAND[1] * width
