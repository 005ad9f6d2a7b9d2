"""One raw speech text → Speech records (meeting header, speakers, attributed paragraphs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.errors import InputError
from rag.parse import line_model
from rag.parse.attribute import Segment, Speaker, attribute, attribute_report, read_speakers
from rag.parse.layout import Block, Layout, read_layout
from rag.parse.line_features import feature_matrix
from rag.parse.lines import physical_lines
from rag.parse.meeting import find_meeting, override
from rag.parse.normalize import FrontDoor, front_door
from rag.parse.report import is_report_header, reporter_in_lead
from rag.parse.speaker import unit_of_post
from rag.records import Meeting, Paragraph, Speech

PARSER_VERSION = 6  # bump when parsing rules change: indexes built with older rules are rebuilt
_HEADER_LINES = 20  # a header (headline, subtitle, dateline, intro) never runs longer than this
_SUBTITLE_LINES = 4  # a report's subtitle stands within these lines above its speaker line
_HOME_PLACE = re.compile(r"^(?P<city>[\u4e00-\u9fff]{2,3}市)?(?P<district>[\u4e00-\u9fff]{2,4}?[区县](?![县委]))?")


@dataclass(frozen=True)
class Reading:
    """What the parser read in one document: its lines and anchors, the meeting, and the speeches."""

    door: FrontDoor
    layout: Layout
    meeting: Meeting
    segments: list[Segment]


def read_document(text: str, meta: dict[str, str] | None = None) -> Reading:
    """Layout, meeting and attributed segments of a decoded document (parse_text turns them into Speech records)."""
    door = front_door(text)
    physical = physical_lines(door.text)
    layout = read_layout(physical, line_model.load().labels(feature_matrix(physical)))
    header_end = layout.anchors[0].position if layout.anchors else min(len(layout.lines), _HEADER_LINES)
    # The page's top and what stands right above the first speaker line (a subtitle under page clutter).
    head = list(range(min(max(header_end, 1), len(layout.lines))))
    header = [layout.lines[i].text for i in dict.fromkeys(head[:_HEADER_LINES] + head[-_SUBTITLE_LINES:])]
    meeting = override(find_meeting(header, layout.publication), meta or {})
    speakers = read_speakers(layout.anchors, home_places(meeting.name))
    return Reading(door, layout, meeting, _segments(layout.blocks, speakers, header))


def parse_text(text: str, source: str, meta: dict[str, str] | None = None) -> list[Speech]:
    """Parse a decoded document; raise InputError when it holds no recognisable speech."""
    meta = meta or {}
    reading = read_document(text, meta)
    door, meeting, segments = reading.door, reading.meeting, reading.segments
    speeches = []
    for segment in segments:
        paragraphs = tuple(Paragraph(b.text, *door.raw_span(b.start, b.end)) for b in segment.blocks)
        who = segment.speaker
        speeches.append(Speech(
            meeting=meeting,
            speaker=meta.get("speaker") or (who.name if who else None),
            speaker_title=meta.get("speaker_title") or (who.post if who else None),
            unit=meta.get("unit") or segment.unit,
            title=meta.get("title") or (who.title if who else None),
            paragraphs=paragraphs,
            source=source,
            index=len(speeches),
        ))
    if not speeches:
        raise InputError(f"{source}: 没有找到可识别的讲话正文 (no recognisable speech text) — 请确认这是讲话/报告文本")
    return speeches


def _segments(blocks: list[Block], speakers: list[Speaker], header: list[str]) -> list[Segment]:
    """A report is one speech by its speaker (from its header, or named in a news story's lead)."""
    report = is_report_header(header)
    # A news story on a report names its official in the lead; later lines only say "赵某说，".
    line = None if any(s.post for s in speakers) else reporter_in_lead(blocks)
    if line and all(s.name == line.name for s in speakers):
        unit = unit_of_post(line.post)
        return attribute_report(blocks, Speaker(line.name, line.post, unit, None, -1, unit or ""))
    if report and speakers:
        return attribute_report(blocks, speakers[0])
    return attribute_report(blocks, None) if report else attribute(blocks, speakers)


def home_places(meeting_name: str | None) -> tuple[str, ...]:
    """Places that every unit of this meeting shares, so they do not tell units apart.

    >>> home_places("永川区镇街书记和部门一把手2023年第二季度例会")
    ('永川区', '永川')
    """
    if not meeting_name:
        return ()
    match = _HOME_PLACE.match(meeting_name)
    places = []
    for group in ("city", "district"):
        place = match.group(group) if match else None
        if place:
            places += [place, place[:-1]]
    return tuple(places)
