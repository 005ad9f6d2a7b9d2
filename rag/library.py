"""The indexed corpus as one library-level service, for the CLI and the app alike.

`Library(settings)` names an index (it need not exist yet): `build_if_missing(paths)` makes a first
one; `add(paths)` parses, chunks, embeds and commits files, then reloads; `speeches()` and
`sources()` list what the index holds, and `catalogue()` its meetings, speakers, units and paragraph
numbers (a `Catalogue`), all read from the speeches stored beside the chunks (no raw file is
re-parsed, so the library survives the raw files moving); `retriever` searches it; `reload()` picks
up a commit made elsewhere. A reader always sees one committed state: the store is swapped in one
assignment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.store.embed import Embedder, embedder_names, load_embedder
from rag.errors import IndexMissingError
from rag.ingest.chunk import index_versions
from rag.ingest.pipeline import IngestReport, Progress, ingest_paths
from rag.labels import UNKNOWN_MEETING, cell
from rag.records import Chunk, Speech
from rag.retrieve.retriever import Retriever
from rag.store.base import Store, open_store
from rag.units import differ_by_one, hierarchy_key, meeting_series, resolve, resolved_speech

log = logging.getLogger(__name__)


class Library:
    """One index: its store, a retriever over it (models loaded on first search), and its contents."""

    def __init__(self, settings: Settings, embedders: Mapping[str, Embedder] | None = None) -> None:
        """`embedders`: models already loaded, by name (else each is loaded when first needed)."""
        self.settings = settings
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._retriever: Retriever | None = None
        self._embedders = dict(embedders or {})
        self._catalogue: tuple[Store, Catalogue] | None = None  # the catalogue of the store it was read from
        self._stamp: tuple[int, int, int] | None = None  # the manifest the store was opened from

    # ---- reading ---------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The committed index (opened on first use; IndexMissingError when there is none yet)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._stamp = manifest_stamp(self.settings)
                    self._store = open_store(self.settings, index_versions())
        return self._store

    @property
    def retriever(self) -> Retriever:
        """Hybrid search over the store, with the embedding models the index was built with."""
        if self._retriever is None:
            store = self.store
            with self._lock:
                if self._retriever is None:
                    embedders = {name: self._embedder(name) for name in store.models}
                    self._retriever = Retriever(store, embedders)
        return self._retriever

    def info(self) -> dict[str, Any]:
        """What `rag info` prints: backend, models, counts, build time, location."""
        return {**self.store.info(), "index_dir": str(self.settings.index_dir)}

    def speeches(self) -> list[Speech]:
        """Every indexed speech with its paragraphs, in source order, as parsed (units as written)."""
        return self.store.speeches()

    def catalogue(self) -> Catalogue:
        """Meetings, speakers, units and paragraph numbers of the current commit (read once per commit)."""
        store = self.store
        held = self._catalogue
        if held is None or held[0] is not store:
            held = self._catalogue = (store, Catalogue(store.speeches()))
        return held[1]

    def sources(self) -> list[str]:
        """The indexed source file names (relative names, as chunk ids and citations show them)."""
        return sorted({s.source for s in self.speeches()})

    # ---- writing ---------------------------------------------------------------------------------
    def build_if_missing(self, paths: Sequence[Path]) -> IngestReport | None:
        """Index `paths` when there is no index yet (the app's first start); an existing index is left alone."""
        try:
            self.store
        except IndexMissingError:
            log.warning("no index at %s; building it from %s", self.settings.index_dir, ", ".join(map(str, paths)))
            return self.add(paths)
        return None

    def add(self, paths: Sequence[Path], progress: Progress | None = None, rebuild: bool = False) -> IngestReport:
        """Index `paths` (new or changed files only, unless `rebuild`), then reload. Models already
        loaded for search are reused for embedding."""
        with self._lock:
            embedders = [self._embedder(name) for name in embedder_names(self.settings.embed_model)]
            report = ingest_paths(list(paths), self.settings, progress=progress, rebuild=rebuild, embedders=embedders)
        if not report.unchanged:
            self.reload()
        return report

    def _embedder(self, name: str) -> Embedder:
        if name not in self._embedders:
            self._embedders[name] = load_embedder(name)
        return self._embedders[name]

    def reload(self) -> None:
        """Use the latest commit (opened now when a retriever is searching, else on next use); searches
        already running finish on the store they started with."""
        if self._retriever is None:
            self._store = None
            return
        stamp = manifest_stamp(self.settings)
        store = open_store(self.settings, index_versions())
        with self._lock:
            self._store, self._stamp = store, stamp
            self._retriever.swap(store)

    def refresh(self) -> bool:
        """Reload when another process (`rag ingest`, another server) has committed since the store was
        opened: its manifest changed. True when it reloaded."""
        stamp = manifest_stamp(self.settings)
        if self._store is None or stamp is None or stamp == self._stamp:
            return False
        self.reload()
        return True


def manifest_stamp(settings: Settings) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of the index's manifest.json, which every commit replaces; None without one."""
    try:
        info = (Path(settings.index_dir) / "manifest.json").stat()
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


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
    return speech.meeting.name or cell(UNKNOWN_MEETING)


class Catalogue:
    """What one commit of the index holds, for browsing and filter choices: its speeches with units
    resolved in the hierarchy (rag/units.py, the names the filters and citations use; posts stay as
    written), grouped by meeting, speaker and unit. Immutable: `Library.catalogue()` gives a new one
    after each commit."""

    def __init__(self, speeches: Iterable[Speech] = ()) -> None:
        self._speeches: tuple[Speech, ...] = tuple(resolved_speech(s) for s in speeches)

    @property
    def speeches(self) -> tuple[Speech, ...]:
        return self._speeches

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
