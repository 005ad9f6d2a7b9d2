"""The app's temporary folders: one per process, named with its pid, removed at exit (SIGTERM included,
see `exit_on_sigterm`), and a dead process's left at the next start (`remove_orphans`); inside one,
entries older than their time on disk go (`remove_older_than`)."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path


def remove_older_than(folder: Path, max_age: float) -> None:
    """Delete every entry of `folder` last modified more than `max_age` seconds ago (none if the
    folder is missing; an entry that vanishes or cannot be read meanwhile is left alone)."""
    if not folder.is_dir():
        return
    now = time.time()
    for entry in folder.iterdir():
        try:
            if now - entry.stat().st_mtime > max_age:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def process_folder(prefix: str, root: Path | None = None) -> Path:
    """A fresh folder `<root>/<prefix><pid>-<random>` removed when this process exits."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=root))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def remove_orphans(prefix: str, root: Path | None = None) -> list[str]:
    """Remove the `process_folder`s of processes that no longer run (killed with SIGKILL, or a crash).
    A folder whose name carries no pid is not ours to judge and stays."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for entry in root.glob(f"{prefix}*"):
        pid, sep, _ = entry.name[len(prefix):].partition("-")
        if entry.is_dir() and sep and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def exit_on_sigterm() -> None:
    """SIGTERM exits through SystemExit, so the atexit clean-up runs (the default action skips it)."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
