"""Clean-up of the app's temporary folders: what is older than its time on disk goes."""

from __future__ import annotations

import shutil
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
