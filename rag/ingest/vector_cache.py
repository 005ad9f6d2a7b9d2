"""The embedding cache: every vector ever computed, keyed by (model, text hash), appended to disk per batch.

`index/cache/<model>/` holds two append-only files: `keys.bin` (20-byte SHA-1 digests of the embedded
texts) and `vectors.f32` (their float32 rows, in the same order). A batch is appended as soon as it is
encoded and flushed to disk, so an ingest killed at any moment loses at most the batch being encoded:
the next run finds everything before it here. A torn tail (a kill in the middle of an append) is
ignored on open and cut off at the next append. Embeddings depend only on (model, text), so the cache
also survives `--rebuild` and chunker or parser changes.

Several ingests may embed at once (they hold the index's writer lock only to commit): each append
holds `<model>/.lock` for the moment it writes, and lands after whatever other processes appended.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

KEY_BYTES = 20


def text_key(text: str) -> bytes:
    """The cache key of one indexed text (SHA-1 of its UTF-8 bytes; `rag.store.faiss.index.text_hash` is its hex)."""
    return hashlib.sha1(text.encode("utf-8")).digest()


class VectorCache:
    """One model's cached vectors: look up by text key, append new batches."""

    def __init__(self, folder: Path, model: str, dim: int) -> None:
        self.model = model
        self.folder = Path(folder) / re.sub(r"[^\w.-]+", "_", model)
        self.dim = dim
        self.folder.mkdir(parents=True, exist_ok=True)
        self._keys_path, self._vectors_path = self.folder / "keys.bin", self.folder / "vectors.f32"
        self._keys_path.touch()
        self._vectors_path.touch()
        self._open()

    def _complete_rows(self) -> int:
        """Rows whose key and vector are both on disk (a torn tail is not counted)."""
        return min(self._keys_path.stat().st_size // KEY_BYTES, self._vectors_path.stat().st_size // (4 * self.dim))

    def _open(self) -> None:
        n = self._n = self._complete_rows()
        keys = np.fromfile(self._keys_path, dtype=f"S{KEY_BYTES}", count=n) if n else np.zeros(0, f"S{KEY_BYTES}")
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]
        self._fresh: dict[bytes, int] = {}  # appended since open (not in the sorted arrays yet)

    def __len__(self) -> int:
        return self._n

    def rows(self, keys: Sequence[bytes]) -> np.ndarray:
        """Cache row of each key, -1 where missing."""
        out = np.full(len(keys), -1, np.int64)
        if not len(keys):
            return out
        wanted = np.asarray(keys, dtype=f"S{KEY_BYTES}")
        if len(self._sorted):
            pos = np.minimum(np.searchsorted(self._sorted, wanted), len(self._sorted) - 1)
            hit = self._sorted[pos] == wanted
            out[hit] = self._order[pos[hit]]
        for i, k in enumerate(keys):
            if out[i] < 0 and k in self._fresh:
                out[i] = self._fresh[k]
        return out

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The float32 rows at these cache positions (all must exist)."""
        if not len(rows):
            return np.zeros((0, self.dim), np.float32)
        mapped = np.memmap(self._vectors_path, dtype=np.float32, mode="r", shape=(self._n, self.dim))
        return np.ascontiguousarray(mapped[np.asarray(rows)])

    def append(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Append one encoded batch and flush it to disk (vectors first, so keys never outrun them)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(keys), self.dim):
            raise ValueError(f"{len(keys)} keys with vectors of shape {vectors.shape} (dimension {self.dim})")
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            n = self._complete_rows()  # another ingest may have appended since
            for path, size in ((self._vectors_path, n * self.dim * 4), (self._keys_path, n * KEY_BYTES)):
                if path.stat().st_size != size:  # a torn tail from a killed append
                    os.truncate(path, size)
            for path, data in ((self._vectors_path, vectors.tobytes()), (self._keys_path, b"".join(keys))):
                with open(path, "ab") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
        for i, k in enumerate(keys):
            self._fresh[k] = n + i
        self._n = n + len(keys)
