"""The speeches behind the index, for the library, the filter choices and source numbering (read side only).

Units are shown resolved in the hierarchy (rag/units.py), the same names the index filters on; posts
stay as written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.records import Chunk, Speech
from rag.units import differ_by_one, hierarchy_key, meeting_series, resolve, resolved_speech

UNKNOWN_MEETING = "（会议未知）"


@dataclass(frozen=True)
class MeetingRow:
    """One line of the library overview."""

    name: str
    date: str | None
    level: str | None
    publication: str | None
    speeches: int
    speakers: int


@dataclass(frozen=True)
class NameFlag:
    """Two names that may be one person: one character apart, same unit, same meeting series."""

    names: tuple[str, str]
    unit: str
    series: str


def meeting_name(speech: Speech) -> str:
    return speech.meeting.name or UNKNOWN_MEETING


class CorpusStore:
    """An in-memory, thread-safe list of parsed speeches; `add` is called after an upload is indexed."""

    def __init__(self, speeches: Iterable[Speech] = ()) -> None:
        self._lock = threading.Lock()
        self._speeches: tuple[Speech, ...] = tuple(resolved_speech(s) for s in speeches)

    @property
    def speeches(self) -> tuple[Speech, ...]:
        return self._speeches

    def add(self, speeches: Sequence[Speech]) -> None:
        with self._lock:
            self._speeches = self._speeches + tuple(resolved_speech(s) for s in speeches)

    def sources(self) -> set[str]:
        return {s.source for s in self._speeches}

    def meetings(self) -> list[str]:
        """Meeting names, oldest first (unknown dates last)."""
        return [row.name for row in self.meeting_rows()]

    def meeting_rows(self) -> list[MeetingRow]:
        """The overview: each meeting with its date, level, publication and counts, oldest first."""
        groups: dict[str, list[Speech]] = {}
        for s in self._speeches:
            groups.setdefault(meeting_name(s), []).append(s)
        rows = []
        for name, speeches in groups.items():
            m = next((s.meeting for s in speeches if s.meeting.date), speeches[0].meeting)
            rows.append(MeetingRow(name, m.date, m.level, m.publication, len(speeches),
                                   len({s.speaker for s in speeches if s.speaker})))
        return sorted(rows, key=lambda r: (r.date or "9999", r.name))

    def speeches_in(self, meeting: str | None) -> list[Speech]:
        return [s for s in self._speeches if meeting_name(s) == meeting]

    def speakers(self) -> list[str]:
        return sorted({s.speaker for s in self._speeches if s.speaker})

    def speaker_choices(self) -> list[tuple[str, str]]:
        """(「name · post」, name) for the dropdowns; the latest post a name was given under."""
        latest: dict[str, Speech] = {}
        for s in sorted(self._speeches, key=lambda s: s.meeting.date or ""):
            if s.speaker:
                latest[s.speaker] = s
        return [(f"{name} · {s.speaker_title}" if s.speaker_title else name, name)
                for name, s in sorted(latest.items())]

    def speeches_by(self, speaker: str | None) -> list[Speech]:
        return [s for s in self._speeches if speaker and s.speaker == speaker]

    def units(self) -> list[str]:
        """Districts and the resolved units under them, district first, for the unit filter."""
        names: dict[str, tuple[str, str]] = {}
        for s in self._speeches:
            if not s.unit:
                continue
            path = resolve(s.unit, s.meeting)
            if path.district:
                names.setdefault(path.district, (path.district, ""))
            names.setdefault(s.unit, hierarchy_key(path))
        return sorted(names, key=lambda n: names[n])

    def find(self, speech_id: str | None) -> Speech | None:
        return next((s for s in self._speeches if s.speech_id == speech_id), None)

    def paragraphs_before(self, source: str, speech_index: int) -> int | None:
        """How many paragraphs of the document come before this speech; None when it is not in the store."""
        if not any(s.source == source for s in self._speeches):
            return None
        return sum(len(s.paragraphs) for s in self._speeches if s.source == source and s.index < speech_index)

    def paragraph_number(self, chunk: Chunk) -> int | None:
        """The chunk's paragraph counted through the whole document (1-based), None when the document
        is not in the store."""
        before = self.paragraphs_before(chunk.source, chunk.speech_index)
        return None if before is None else before + chunk.paragraph + 1

    def name_flags(self) -> list[NameFlag]:
        """Speaker names one character apart within one unit and meeting series: possibly one person
        (shown in the library, never merged)."""
        groups: dict[tuple[str, str], set[str]] = {}
        for s in self._speeches:
            if s.speaker and s.unit:
                groups.setdefault((s.unit, meeting_series(s.meeting.name)), set()).add(s.speaker)
        flags = []
        for (unit, series), names in sorted(groups.items()):
            ordered = sorted(names)
            for i, a in enumerate(ordered):
                flags += [NameFlag((a, b), unit, series) for b in ordered[i + 1:] if differ_by_one(a, b)]
        return flags
