"""The indexed corpus as one library-level service, for the CLI and the app alike.

`Library(settings)` names an index (it need not exist yet): `build_if_missing(paths)` makes a first
one; `add(paths)` parses, chunks, embeds and commits files, then reloads; `speeches()`, `meetings()`, `speakers()`, `units()` list what the
index holds, read from the speeches stored beside the chunks (no raw file is re-parsed, so the
library survives the raw files moving); `retriever` searches it; `reload()` picks up a commit
made elsewhere. A reader always sees one committed state: the store is swapped in one assignment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.embed import Embedder, embedder_names, load_embedder
from rag.errors import IndexMissingError
from rag.ingest import IngestReport, Progress, ingest_paths
from rag.records import Meeting, Speech
from rag.retrieve import Retriever
from rag.store import Store, open_store

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

    # ---- reading ---------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The committed index (opened on first use; IndexMissingError when there is none yet)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings)
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
        """Every indexed speech with its paragraphs, in source order."""
        return self.store.speeches()

    def meetings(self) -> list[Meeting]:
        """The distinct meetings, oldest first (undated ones last, then by name)."""
        found: dict[tuple[str | None, str | None], Meeting] = {}
        for s in self.speeches():
            found.setdefault((s.meeting.name, s.meeting.date), s.meeting)
        return sorted(found.values(), key=lambda m: (m.date is None, m.date or "", m.name or ""))

    def speeches_at(self, meeting: Meeting) -> list[Speech]:
        return [s for s in self.speeches() if (s.meeting.name, s.meeting.date) == (meeting.name, meeting.date)]

    def speakers(self) -> list[str]:
        """Known speakers' names, sorted (speeches of an unknown speaker have none)."""
        return sorted({s.speaker for s in self.speeches() if s.speaker})

    def speeches_by(self, speaker: str) -> list[Speech]:
        return [s for s in self.speeches() if s.speaker == speaker]

    def units(self) -> list[str]:
        return sorted({s.unit for s in self.speeches() if s.unit})

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
        store = open_store(self.settings)
        with self._lock:
            self._store = store
            self._retriever.index = store
