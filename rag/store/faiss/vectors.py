"""Dense side of one index segment: one model's vectors, searched exactly or through a FAISS ANN index.

The float32 rows live in `<stem>.f32` (raw, memory-mapped: the exact re-rank and narrow filters read
only the rows they need). The ANN kind follows the segment's size (`index_kind`):
  flat   exact inner product with numpy over the mapped rows (no FAISS file);
  hnsw   FAISS HNSW graph (`<stem>.faiss`, holds its own copy of the rows);
  ivfpq  FAISS IVF-PQ codes (`<stem>.faiss`, ~50 bytes a row), the best candidates re-ranked on the
         exact rows, so scores stay true cosines.
Every kind applies the filter inside the search (FAISS ID selectors over a row bitmap); a filter that
leaves few rows is searched exactly.

Why not llama-index's FaissVectorStore: its `query` raises on metadata filters ("not implemented
for Faiss yet") and it persists without a manifest or atomic rename.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Thresholds measured with `python -m bench.scale` (docs/SCALE.md, 2 shared cores, 384-d):
# an exact scan costs ~0.4 ms per 1,000 rows, so past 50k rows HNSW (1-2 ms, recall@10 ≈ 1.0) takes
# over; past IVF_THRESHOLD the HNSW graph plus its copy of the rows (~1.8 KB a row) would outgrow the
# 4 GB budget and its build would take hours, so IVF-PQ with an exact re-rank takes over.
ANN_THRESHOLD = 50_000
IVF_THRESHOLD = 500_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
HNSW_EF_MAX = 1024  # under a filter the search widens by 1 / (share of rows kept), up to this
IVF_NPROBE = 32
IVF_TRAIN_ROWS = 65_536
PQ_BYTES = 48  # sub-quantizers of 8 bits: 384-d → 8 dims each
RERANK = 10  # IVF-PQ candidates per wanted row, re-ranked on exact vectors (at least RERANK_MIN)
RERANK_MIN = 200
EXACT_SUBSET = 20_000  # a filter leaving at most this many rows is searched exactly


def index_kind(n: int, threshold: int = ANN_THRESHOLD, ivf_threshold: int = IVF_THRESHOLD) -> str:
    """ "flat" (exact) for small segments, "hnsw" past the threshold, "ivfpq" past the IVF threshold.

    >>> index_kind(10), index_kind(100_000), index_kind(10**6)
    ('flat', 'hnsw', 'ivfpq')
    """
    return "ivfpq" if n >= ivf_threshold else "hnsw" if n >= threshold else "flat"


def build_faiss(vectors: np.ndarray, kind: str):
    """A FAISS inner-product index over L2-normalised rows (so scores are cosines), or None for flat."""
    if kind == "flat":
        return None
    import faiss

    n, dim = vectors.shape
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif kind == "ivfpq":
        nlist = int(min(4096, max(16, 2 ** round(np.log2(np.sqrt(n))))))  # ≈ √n lists: 1,024 at 1M
        m = PQ_BYTES if dim % PQ_BYTES == 0 else next(k for k in (32, 24, 16, 8, 4, 2, 1) if dim % k == 0)
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(n, size=min(n, max(IVF_TRAIN_ROWS, 40 * nlist)), replace=False)
        index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
        index.nprobe = IVF_NPROBE
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    for start in range(0, n, 65_536):  # in slices: the rows may be memory-mapped
        index.add(np.ascontiguousarray(vectors[start:start + 65_536], dtype=np.float32))
    return index


class DenseIndex:
    """One embedding model's vectors in one segment (row i = the segment's chunk i)."""

    def __init__(self, vectors: np.ndarray, kind: str, faiss_index=None) -> None:
        self.kind = kind
        self.vectors = vectors  # (n, dim) float32, usually memory-mapped
        self._faiss = faiss_index if faiss_index is not None or kind == "flat" else build_faiss(vectors, kind)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-n (rows, cosine scores) among allowed rows; the filter is applied inside the search."""
        q = np.ascontiguousarray(query.reshape(-1), dtype=np.float32)
        if allowed is None and self.kind == "flat":
            return _exact(self.vectors, None, q, n)
        rows = None if allowed is None else np.flatnonzero(allowed)
        if rows is not None and (len(rows) <= EXACT_SUBSET or self.kind == "flat"):
            return _exact(self.vectors, rows, q, n)
        ids, scores = self._faiss_search(q, n, allowed)
        if rows is not None and len(ids) < min(n, len(rows)):  # the ANN can miss under a filter: exact
            return _exact(self.vectors, rows, q, n)
        return ids, scores

    def _faiss_search(self, q: np.ndarray, n: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        n = min(n, len(self))
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        sel = None
        if allowed is not None:
            bits = np.packbits(allowed.astype(np.uint8), bitorder="little")
            sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        if self.kind == "hnsw":  # a filter hides most neighbours the graph walks through: walk further
            kept = max(float(allowed.mean()), 1e-6) if allowed is not None else 1.0
            ef = min(HNSW_EF_MAX, int(max(HNSW_EF_SEARCH, n) / kept))
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(ef, n))
            fetch = n
        else:
            params = faiss.SearchParametersIVF(sel=sel, nprobe=IVF_NPROBE)
            fetch = max(n * RERANK, RERANK_MIN)
        scores, ids = self._faiss.search(q[None, :], min(fetch, len(self)), params=params)
        ids = ids[0][ids[0] >= 0].astype(np.int64)
        if self.kind == "ivfpq":  # PQ scores are approximate: re-rank the candidates on the exact rows
            return _exact(self.vectors, np.sort(ids), q, n)
        return ids, scores[0][: len(ids)]

    def save_index(self, folder: Path, stem: str) -> dict[str, str]:
        """Write `<stem>.faiss` for an ANN kind (the rows are already in `<stem>.f32`); return the file names."""
        files = {"vectors": f"{stem}.f32"}
        if self._faiss is not None:
            import faiss

            files["faiss"] = f"{stem}.faiss"
            faiss.write_index(self._faiss, str(folder / files["faiss"]))
        return files

    @classmethod
    def load(cls, folder: Path, files: dict[str, str], kind: str, rows: int, dim: int) -> "DenseIndex":
        """Map the rows (checking their count and dimension) and read the FAISS index if any."""
        path = folder / files["vectors"]
        if path.stat().st_size != rows * dim * 4:
            raise ValueError(f"{files['vectors']} holds {path.stat().st_size} bytes, not {rows} rows of {dim} floats")
        vectors = np.memmap(path, dtype=np.float32, mode="r", shape=(rows, dim)) if rows else np.zeros((0, dim), np.float32)
        index = None
        if "faiss" in files:
            import faiss

            index = faiss.read_index(str(folder / files["faiss"]))  # RuntimeError on a damaged header
            if index.d != dim or index.ntotal != rows:
                raise ValueError(f"{files['faiss']} has {index.ntotal} rows of dimension {index.d}, not {rows} × {dim}")
        return cls(vectors, kind, index)


def _exact(vectors: np.ndarray, rows: np.ndarray | None, q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-n by inner product over `rows` (all rows when None), ties by row."""
    total = len(vectors) if rows is None else len(rows)
    n = min(n, total)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    scores = np.asarray(vectors @ q if rows is None else vectors[rows] @ q, dtype=np.float32)
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((top, -scores[top]))]
    ids = top if rows is None else rows[top]
    return ids.astype(np.int64), scores[top]
