"""How the app reaches the corpus: the speeches behind the index, parsing uploads, and adding them.

This is the one place that knows where speeches come from and how the index is reloaded. Speeches
are read from the index itself (persisted beside the chunks; no raw file is re-parsed at start).
When the library-level corpus service (open/add/reload) lands, only this module changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.answer import answerer_for
from rag.config import DEFAULT_SEEDS, Settings
from rag.errors import IndexMissingError
from rag.index import read_manifest
from rag.ingest import ingest_paths
from rag.parse import load_corpus
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


def parse_files(paths: Sequence[Path]) -> tuple[list[Speech], list[str]]:
    """Parse files without indexing them (the upload preview); sidecars beside them apply."""
    corpus = load_corpus(list(paths))
    return list(corpus.speeches), list(corpus.warnings)


def rate_reporter(progress: Progress, start: float = 0.05, span: float = 0.85) -> Callable[[int, int, str], None]:
    """Turn ingest's (done, total, what) into a progress fraction and a 「嵌入 40/120 段 · 12.3 段/秒」 label."""
    began = time.monotonic()

    def report(done: int, total: int, what: str) -> None:
        elapsed = max(time.monotonic() - began, 1e-6)
        progress(start + span * done / max(total, 1), f"嵌入 {done}/{total} 段 · {done / elapsed:.1f} 段/秒")

    return report


class Reindexer:
    """Incremental ingest of uploaded files, then the services get the new index and a fresh answerer
    (its term weights and name lists cover the new texts). One at a time."""

    def __init__(self, settings: Settings, services: Any) -> None:
        self.settings = settings
        self.services = services
        self._lock = threading.Lock()

    def __call__(self, paths: Sequence[Path], progress: Progress) -> int:
        retriever = self.services.retriever
        with self._lock:
            progress(0.02, "解析与分块…")
            result = ingest_paths(list(paths), self.settings, progress=rate_reporter(progress),
                                  embedders=list(retriever.embedders.values()))
            progress(0.95, "载入新索引…")
            # One attribute assignment: searches already running keep the old Index object.
            retriever.index = open_store(self.settings)
            self.services.answerer = answerer_for(retriever, self.settings)
            progress(1.0, "完成")
        return result.added
