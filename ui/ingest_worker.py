"""Index uploaded files in a separate process: the server process never embeds.

Embedding an upload is the heavy part of an ingest (a 5 MB file is minutes of encoding); done in the
server process it would hold a core and the interpreter of the process that answers everyone else.
`ingest_isolated` runs `rag.ingest.pipeline.ingest_paths` in a fresh `spawn` process with the same
settings (so the same chunk budget per file, `Settings.max_chunks_per_file`), relays its progress,
and kills it when the wall-clock budget is spent. The server then reloads the committed index.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import InputError, RagError
from rag.ingest.pipeline import IngestReport

WALL_SECONDS = 3 * 3600  # the chunk budget bounds the work; this only catches a worker that hangs
_POLL = 0.2


def ingest_isolated(paths: Sequence[Path], settings: Settings, progress: Callable[[int, int, str], None],
                    *, wall_seconds: float = WALL_SECONDS) -> IngestReport:
    """`ingest_paths(paths, settings)` in a worker process; its RagError is raised here unchanged."""
    names = "、".join(Path(p).name for p in paths)
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_work, args=([str(p) for p in paths], settings, send), name="zhengyan-ingest",
                         daemon=True)
    worker.start()
    send.close()
    deadline = time.monotonic() + wall_seconds
    try:
        while True:
            if time.monotonic() > deadline:
                raise InputError(f"{names}: 索引超过 {wall_seconds:.0f} 秒，已停止 — 请拆分文件后重试")
            if not receive.poll(_POLL):
                if not worker.is_alive() and not receive.poll():
                    raise RagError(f"{names}: 索引进程意外退出（退出码 {worker.exitcode}）— 旧索引未受影响，请重试")
                continue
            try:
                kind, payload = receive.recv()
            except EOFError:
                continue  # the worker died: reported on the next turn
            if kind == "progress":
                progress(*payload)
            elif kind == "ok":
                return payload
            else:
                raise payload
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(timeout=5)
        receive.close()


def _work(paths: list[str], settings: Settings, send: Any) -> None:
    """The worker: ingest, sending ("progress", (done, total, what)) then ("ok", report) or ("error", exc)."""
    try:
        from rag.ingest.pipeline import ingest_paths  # the models load inside the worker

        report = ingest_paths([Path(p) for p in paths], settings,
                              progress=lambda done, total, what: send.send(("progress", (done, total, what))))
        send.send(("ok", report))
    except RagError as exc:
        send.send(("error", exc))
    except Exception as exc:  # a defect: the message crosses, the traceback stays in the worker's log
        send.send(("error", RagError(f"索引失败（内部错误 {type(exc).__name__}: {exc}）— 旧索引未受影响")))
    finally:
        send.close()
