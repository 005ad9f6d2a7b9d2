"""The speeches behind the index, for the corpus browser and the filter choices (read side only)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from rag.labels import UNKNOWN_MEETING, cell
from rag.records import Speech


class CorpusStore:
    """An in-memory, thread-safe list of parsed speeches; `add` is called after an upload is indexed."""

    def __init__(self, speeches: Iterable[Speech] = ()) -> None:
        self._lock = threading.Lock()
        self._speeches: tuple[Speech, ...] = tuple(speeches)

    @property
    def speeches(self) -> tuple[Speech, ...]:
        return self._speeches

    def add(self, speeches: Sequence[Speech]) -> None:
        with self._lock:
            self._speeches = self._speeches + tuple(speeches)

    def sources(self) -> set[str]:
        return {s.source for s in self._speeches}

    def meetings(self) -> list[str]:
        """Meeting names, oldest first (unknown dates last)."""
        dates: dict[str, str] = {}
        for s in self._speeches:
            name = s.meeting.name or cell(UNKNOWN_MEETING)
            dates.setdefault(name, s.meeting.date or "9999")
        return sorted(dates, key=lambda n: (dates[n], n))

    def speeches_in(self, meeting: str | None) -> list[Speech]:
        return [s for s in self._speeches if (s.meeting.name or cell(UNKNOWN_MEETING)) == meeting]

    def speakers(self) -> list[str]:
        return sorted({s.speaker for s in self._speeches if s.speaker})

    def speeches_by(self, speaker: str | None) -> list[Speech]:
        return [s for s in self._speeches if speaker and s.speaker == speaker]

    def units(self) -> list[str]:
        return sorted({s.unit for s in self._speeches if s.unit})

    def find(self, speech_id: str | None) -> Speech | None:
        return next((s for s in self._speeches if s.speech_id == speech_id), None)
