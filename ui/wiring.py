"""Wires the real library objects (the corpus `Library`, its Retriever, the Answerer, uploads) into the app.

`rag serve`, the browser tests and bench/screenshots.py call `create_app`; nothing here retrieves,
answers or indexes by itself: the index is opened, listed, added to and reloaded through
`rag.library.Library`, the same service the CLI uses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.answer.answerer import answerer_for
from rag.config import DEFAULT_SEEDS, PROJECT_ROOT, Settings
from rag.errors import RagError
from rag.library import Library
from rag.records import Chunk
from ui.app import Services, build_app_from
from ui.ingest_worker import ingest_isolated
from ui.parse_worker import parse_isolated
from ui.tabs.chat import EXPORT_PREFIX
from ui.tempfiles import remove_orphans
from ui.upload import Progress, UploadManager

DEFAULT_UPLOADS = PROJECT_ROOT / "data" / "uploads"
log = logging.getLogger(__name__)


def embedding_progress(progress: Progress, start: float = 0.05, span: float = 0.85) -> Callable[[int, int, str], None]:
    """Ingest's (done, total, "嵌入 e5-small 12.3 块/秒，剩余 0:00:20") as a progress bar fraction and label."""
    return lambda done, total, what: progress(start + span * done / max(total, 1), what)


class Reindexer:
    """Adds uploaded files to the index in a worker process (ui/ingest_worker.py: the server never
    embeds; the same chunk budget per file as `rag ingest`), reloads the library, then gives the app a
    fresh answerer: its term weights and name lists cover the new texts. The progress label shows
    chunks per second (rag.ingest.pipeline.rate_text)."""

    def __init__(self, library: Library, services: Services) -> None:
        self.library = library
        self.services = services

    def __call__(self, paths: Sequence[Path], progress: Progress) -> int:
        progress(0.02, "解析与分块…")
        report = ingest_isolated(paths, self.library.settings, embedding_progress(progress))
        if not report.unchanged:
            self.library.reload()
        progress(0.95, "更新回答所需的词表…")
        self.services.answerer = answerer_for(self.library.retriever, self.library.settings)
        progress(1.0, "完成")
        return report.added


WATCH_SECONDS = 5.0  # how often the server looks for a commit made by another process


class IndexWatcher:
    """Reloads the library when another process commits (`rag ingest` while the server runs), and gives
    the app a fresh answerer for the new texts. A daemon thread; `stop()` ends it."""

    def __init__(self, library: Library, services: Services, interval: float = WATCH_SECONDS) -> None:
        self.library, self.services, self.interval = library, services, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zhengyan-index-watcher", daemon=True)

    def start(self) -> "IndexWatcher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.library.refresh():
                    self.services.answerer = answerer_for(self.library.retriever, self.library.settings)
                    log.warning("index reloaded: a newer commit was found in %s", self.library.settings.index_dir)
            except RagError as exc:  # a commit being replaced, a damaged index: keep serving the old one
                log.warning("index not reloaded: %s", exc)


def create_app(settings: Settings, upload_dir: Path = DEFAULT_UPLOADS, *, allow_upload: bool = True,
               max_upload_mb: int = 20) -> Any:
    """Open the index (building it from seeds/ when missing) and build the Gradio app on it. Export
    folders of servers that died are removed; a watcher reloads the index when another process commits."""
    for name in remove_orphans(EXPORT_PREFIX):
        log.warning("removed the export folder of a stopped server: %s", name)
    library = Library(settings)
    library.build_if_missing([DEFAULT_SEEDS])
    retriever = library.retriever
    chunk: Callable[[str], Chunk | None] = lambda chunk_id: library.store.find(chunk_id.strip())
    services = Services(retriever, answerer_for(retriever, settings), library.catalogue, chunk)
    uploads = UploadManager(upload_dir, parse_isolated, Reindexer(library, services),
                            taken=lambda: set(library.sources()), max_bytes=max_upload_mb * 1024 * 1024)
    for line in uploads.recover():  # a commit cut by a crash: finished or rolled back before serving
        log.warning("%s", line)
    if allow_upload:
        services.uploads = uploads
    IndexWatcher(library, services).start()
    return build_app_from(services)
