"""Wires the real library objects (Retriever, Answerer, corpus access, uploads) into the app.

`rag serve`, the browser tests and bench/screenshots.py call `create_app`; nothing here retrieves,
answers or indexes by itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.answer import answerer_for
from rag.config import PROJECT_ROOT, Settings
from rag.records import Chunk
from rag.retrieve import Retriever
from ui.app import Services, build_app_from
from ui.corpus_access import Reindexer, ensure_index, indexed_speeches
from ui.parse_worker import parse_isolated
from ui.store import CorpusStore
from ui.upload import UploadManager

DEFAULT_UPLOADS = PROJECT_ROOT / "data" / "uploads"


class ChunkLookup:
    """chunk_id → Chunk over the retriever's current index."""

    def __init__(self, retriever: Any) -> None:
        self._retriever = retriever

    def __call__(self, chunk_id: str) -> Chunk | None:
        return self._retriever.index.find(chunk_id.strip())


def create_app(settings: Settings, upload_dir: Path = DEFAULT_UPLOADS, *, allow_upload: bool = True,
               max_upload_mb: int = 20) -> Any:
    """Open the index (building it from seeds/ when missing) and build the Gradio app on it."""
    ensure_index(settings)
    retriever = Retriever.open(settings)
    store = CorpusStore(indexed_speeches(retriever.index))
    services = Services(retriever, answerer_for(retriever, settings), store, ChunkLookup(retriever))
    if allow_upload:
        services.uploads = UploadManager(upload_dir, parse_isolated, Reindexer(settings, services),
                                         taken=lambda: {c.source for c in retriever.index.chunks},
                                         max_bytes=max_upload_mb * 1024 * 1024)
    return build_app_from(services)
