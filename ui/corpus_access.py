"""How the app reaches the corpus: the speeches behind the index, parsing uploads, and adding them.

This is the one place that knows where speeches come from and how the index is reloaded. Speeches
are read from the index itself (persisted beside the chunks; no raw file is re-parsed at start).
When the library-level corpus service (open/add/reload) lands, only this module changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.answer import answerer_for
from rag.config import DEFAULT_SEEDS, Settings
from rag.errors import IndexMissingError
from rag.index import read_manifest
from rag.ingest import ingest_paths
from rag.records import Speech
from rag.store import Store, open_store

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


def ensure_index(settings: Settings, seeds: Path = DEFAULT_SEEDS) -> None:
    """Build the index from seeds/ when there is none yet (an existing index is left alone)."""
    try:
        read_manifest(Path(settings.index_dir))
    except IndexMissingError:
        log.warning("no index at %s; building it from %s", settings.index_dir, seeds)
        ingest_paths([seeds], settings)


def indexed_speeches(index: Store) -> list[Speech]:
    """The speeches stored with the index."""
    return index.speeches()


def embedding_progress(progress: Progress, start: float = 0.05, span: float = 0.85) -> Callable[[int, int, str], None]:
    """Ingest's (done, total, "嵌入 e5-small 12.3 块/秒，剩余 0:00:20") as a progress bar fraction and label."""
    return lambda done, total, what: progress(start + span * done / max(total, 1), what)


class Reindexer:
    """Incremental ingest of uploaded files, then the services get the new index and a fresh answerer
    (its term weights and name lists cover the new texts). One at a time; the progress label
    shows chunks per second (rag.ingest.rate_text)."""

    def __init__(self, settings: Settings, services: Any) -> None:
        self.settings = settings
        self.services = services
        self._lock = threading.Lock()

    def __call__(self, paths: Sequence[Path], progress: Progress) -> int:
        retriever = self.services.retriever
        with self._lock:
            progress(0.02, "解析与分块…")
            result = ingest_paths(list(paths), self.settings, progress=embedding_progress(progress),
                                  embedders=list(retriever.embedders.values()))
            progress(0.95, "载入新索引…")
            # One attribute assignment: searches already running keep the old Index object.
            retriever.index = open_store(self.settings)
            self.services.answerer = answerer_for(retriever, self.settings)
            progress(1.0, "完成")
        return result.added
