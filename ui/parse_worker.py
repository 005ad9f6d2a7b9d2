"""Parse uploaded files in a separate process with CPU-time and memory limits, cancellable.

An upload is untrusted input: parsing it must not hold a server core or gigabytes of memory, and
must stop when the person who uploaded it has gone. The worker is a fresh `spawn` process (no
threads or locks inherited from the server) limited with `resource.setrlimit`; the caller polls it
and kills it when `cancel` is set, the wall-clock budget is spent, or the limits end it.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.records import Speech

CPU_SECONDS = 60  # a 5 MB speech file parses in well under this; the quadratic case took minutes
MEMORY_BYTES = 2 * 1024**3  # address space for the worker: Python + parser + one 20 MB file many times over
WALL_SECONDS = 180  # a worker that sleeps or waits is killed too
_POLL = 0.2


def parse_isolated(paths: Sequence[Path], cancel: threading.Event | None = None, *,
                   cpu_seconds: int = CPU_SECONDS, memory_bytes: int = MEMORY_BYTES,
                   wall_seconds: float = WALL_SECONDS) -> tuple[list[Speech], list[str]]:
    """`load_corpus(paths)` → (speeches, warnings), run in a limited worker process.

    Raises InputError when the worker is cancelled, runs out of time or memory, or dies.
    """
    names = "、".join(Path(p).name for p in paths)
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_work, args=([str(p) for p in paths], send, cpu_seconds, memory_bytes),
                         name="zhengyan-parse", daemon=True)
    worker.start()
    send.close()
    deadline = time.monotonic() + wall_seconds
    try:
        while True:
            if receive.poll(_POLL):
                try:
                    status, payload = receive.recv()
                except EOFError:
                    status, payload = "died", None
                break
            if not worker.is_alive():
                status, payload = ("died", None) if not receive.poll() else receive.recv()
                break
            if cancel is not None and cancel.is_set():
                raise InputError(f"{names}: 解析已取消（页面已关闭或重新提交）")
            if time.monotonic() > deadline:
                raise InputError(f"{names}: 解析超过 {wall_seconds:.0f} 秒 — 文件过大或结构异常，请拆分后重试")
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(timeout=5)
        receive.close()
    if status == "ok":
        return payload
    if status == "error":
        raise InputError(payload)
    raise InputError(f"{names}: 解析超出资源限制（CPU {cpu_seconds} 秒 / 内存 {memory_bytes // 1024**2} MB，"
                     f"退出码 {worker.exitcode}）— 文件过大或结构异常，请拆分后重试")


def _work(paths: list[str], send: Any, cpu_seconds: int, memory_bytes: int) -> None:
    """The worker: limit itself, parse, send ("ok", (speeches, warnings)) or ("error", message)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))  # SIGXCPU at the soft limit
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        from rag.parse import load_corpus  # the parser, imported inside the limited process

        corpus = load_corpus([Path(p) for p in paths])
        send.send(("ok", (list(corpus.speeches), list(corpus.warnings))))
    except MemoryError:
        send.send(("error", f"{'、'.join(Path(p).name for p in paths)}: 解析所需内存超过 "
                            f"{memory_bytes // 1024**2} MB — 请拆分后重试"))
    finally:
        send.close()
