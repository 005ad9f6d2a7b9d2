"""Wires the real library objects (index, Retriever, Answerer, parser, incremental ingest) into the app.

`rag serve` and the browser tests call `create_app`; nothing here retrieves or answers by itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.answer import answerer_for
from rag.config import DEFAULT_SEEDS, PROJECT_ROOT, Settings
from rag.errors import IndexMissingError
from rag.records import Chunk, Speech

log = logging.getLogger(__name__)
DEFAULT_UPLOADS = PROJECT_ROOT / "data" / "uploads"


class ChunkLookup:
    """chunk_id → Chunk over the retriever's current index."""

    def __init__(self, retriever: Any) -> None:
        self._retriever = retriever

    def __call__(self, chunk_id: str) -> Chunk | None:
        return self._retriever.index.find(chunk_id.strip())


def ensure_index(settings: Settings, seeds: Path = DEFAULT_SEEDS) -> None:
    """Build the index from seeds/ when there is none yet (an existing index is left alone)."""
    from rag.index import read_manifest

    try:
        read_manifest(Path(settings.index_dir))
    except IndexMissingError:
        from rag.ingest import ingest_paths

        log.warning("no index at %s; building it from %s", settings.index_dir, seeds)
        ingest_paths([seeds], settings)


def indexed_speeches(index: Any) -> list[Speech]:
    """Re-parse the input files recorded in the manifest, keeping speeches whose source is indexed."""
    from rag.parse import load_corpus

    files = [Path(p) for p in index.manifest.get("inputs", {}) if Path(p).is_file()]
    if not files:
        return []
    sources = {c.source for c in index.chunks}
    return [s for s in load_corpus(files).speeches if s.source in sources]


def parse_files(paths: Sequence[Path]) -> tuple[list[Speech], list[str]]:
    from rag.parse import load_corpus

    corpus = load_corpus(list(paths))
    return list(corpus.speeches), list(corpus.warnings)


class Reindexer:
    """Incremental ingest of uploaded files, then an in-place swap of the retriever's index and a fresh
    answerer (its term weights cover the new texts)."""

    def __init__(self, settings: Settings, services: Any) -> None:
        self.settings = settings
        self.services = services
        self._lock = threading.Lock()

    def __call__(self, paths: Sequence[Path], progress: Any) -> int:
        from rag.ingest import ingest_paths
        from rag.store import open_store

        retriever = self.services.retriever

        def report(done: int, total: int, what: str) -> None:
            progress(0.05 + 0.85 * done / max(total, 1), f"{done}/{total} · {what}")  # what: model, chunks/s, time left

        with self._lock:
            progress(0.02, "解析与分块…")
            result = ingest_paths(list(paths), self.settings, progress=report,
                                  embedders=list(retriever.embedders.values()))
            progress(0.95, "载入新索引…")
            # One attribute assignment: searches already running keep the old Index object.
            retriever.index = open_store(self.settings)
            self.services.answerer = answerer_for(retriever, self.settings)
            progress(1.0, "完成")
        return result.added


def create_app(settings: Settings, upload_dir: Path = DEFAULT_UPLOADS, *, allow_upload: bool = True) -> Any:
    """Open the index (building it from seeds/ when missing) and build the Gradio app on it."""
    from rag.retrieve import Retriever
    from ui.app import Services, build_app_from
    from ui.store import CorpusStore
    from ui.upload import UploadManager

    ensure_index(settings)
    retriever = Retriever.open(settings)
    store = CorpusStore(indexed_speeches(retriever.index))
    services = Services(retriever, answerer_for(retriever, settings), store, ChunkLookup(retriever))
    if allow_upload:
        services.uploads = UploadManager(upload_dir, parse_files, Reindexer(settings, services),
                                         taken=lambda: {c.source for c in retriever.index.chunks})
    return build_app_from(services)
