"""The storage backend protocol: everything retrieval and ingest ask of an index, and nothing more.

Two backends implement `Store`:
  "faiss"   rag/store/faiss/index.py `FaissStore` — files in one folder (manifest, segments of SQLite metadata,
            mapped vectors + FAISS, BM25 term counts); the default, for one machine.
  "milvus"  rag/store/milvus/store.py `MilvusStore` — pymilvus against milvus-lite (a local file) or a
            Milvus server; chosen with RAG_VECTOR_STORE=milvus.

Contract (both backends):
- **Rows.** A search returns (rows, scores): int64 keys, best first, that `chunk(row)` resolves on the
  same opened store. They are opaque (a position for FAISS, a primary key for Milvus) and stable only
  until the next commit; a reader that wants a newer commit opens the store again.
- **Filters inside the search.** `dense_search` and `keyword_search` return only rows passing the
  `Filters` (never post-filtered top-n), with these semantics (`rag.store.faiss.index.filter_sql`): speaker
  exact (spaces ignored); unit a substring of unit or speaker_title; meeting a substring; source the
  file name or its stem; exclude_sources file names left out (uploads); meeting_date within
  [date_from, date_to] (undated rows fail a date filter).
- **Scores.** Dense scores are cosines (vectors are L2-normalised); keyword scores are BM25 with
  jieba tokens (`rag.store.keyword.Tokenizer`), positive only. Fusion is the retriever's, not the store's.
- **Versions.** A commit records the `manifest` keys it is given, among them the parser's and the
  chunker's versions (`rag.ingest.chunk.index_versions`); `open_store(settings, versions)` refuses an
  index recording other ones (`IndexStaleError`), so a stale index is rebuilt, never mixed.
- **Integrity.** `verify()` checks every stored chunk against what its commit recorded and raises
  `IndexCorruptError` (`rag info --check` and every writer call it); `cleanup()` deletes what no
  reader can need (leftovers of a killed write), called by the writer holding the lock.
- **Writing.** One writer at a time (the caller holds `rag.ingest.pipeline`'s index lock). `remove_source`
  and `add` stage changes; `commit` makes them visible at once (FAISS: one manifest rename; a crash
  before it leaves the previous commit searchable). `manifest` is the committed index record:
  embedding_model_spec, models [{name, dim, loadable}], chunks, speeches, sources, inputs
  {file path: sha256}, corpus_fingerprint, built_at, and backend-specific keys.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from rag.config import Settings
from rag.errors import UsageError
from rag.store.keyword import TermStats
from rag.records import Chunk, Filters, Speech

Ranking = tuple[np.ndarray, np.ndarray]  # (int64 rows best first, float32 scores)


class Store(Protocol):
    backend: str  # "faiss" or "milvus": what `rag info` names
    models: list[str]  # dense model names, one vector set each (e.g. ["e5-small"])
    manifest: dict[str, Any]  # the committed record (see module docstring)
    chunks: Sequence[Chunk]  # every chunk, addressable by row position, read lazily (len() = chunk count)

    # ---- reading -------------------------------------------------------------------------------
    def dense_search(self, model: str, query: np.ndarray, n: int, filters: Filters | None = None) -> Ranking:
        """Top-n rows by cosine to one query vector (shape (dim,)) among rows passing `filters`."""
        ...

    def keyword_search(self, query: str, n: int, filters: Filters | None = None) -> Ranking:
        """Top-n rows by BM25 (jieba tokens of `query`) with a positive score, among rows passing `filters`."""
        ...

    def chunk(self, row: int) -> Chunk:
        """The chunk a search row names."""
        ...

    def find(self, chunk_id: str) -> Chunk | None:
        """The chunk with this id, or None."""
        ...

    def term_stats(self) -> TermStats:
        """The keyword index's document count and per-token document frequencies (question-term weights)."""
        ...

    def speech_heads(self) -> list[Chunk]:
        """The first chunk of every speech: its speaker, post, unit and meeting, without reading every chunk."""
        ...

    def speeches(self) -> list[Speech]:
        """Every indexed speech (with its paragraphs), in source order."""
        ...

    def info(self) -> dict[str, Any]:
        """What `rag info` prints: backend, models, counts, ANN kind, disk used, location."""
        ...

    def verify(self) -> None:
        """Check every stored chunk against its commit's record; IndexCorruptError names what is damaged."""
        ...

    # ---- writing (caller holds the index lock) ----------------------------------------------------
    def cleanup(self) -> list[str]:
        """Delete what no reader can need (leftovers of killed writes); returns what was removed."""
        ...

    def carried_vectors(self) -> Iterator[tuple[str, list[bytes], np.ndarray]]:
        """(model, text keys, vectors) this store holds from an index it can no longer open (an older
        format being rebuilt), so that the writer reuses them instead of encoding the texts again."""
        ...

    def remove_source(self, source: str) -> int:
        """Stage removal of every chunk and speech of one source; returns the number of chunks removed."""
        ...

    def add(self, chunks: Sequence[Chunk], vectors: Mapping[str, np.ndarray], speeches: Iterable[Speech] = ()) -> None:
        """Stage new chunks with one (len(chunks), dim) float32 array per model, and their speeches."""
        ...

    def commit(self, manifest: Mapping[str, Any]) -> None:
        """Make staged changes visible atomically, recording `manifest` keys (inputs, model spec, …)."""
        ...


BACKENDS = ("faiss", "milvus")


def open_store(settings: Settings, versions: Mapping[str, Any] | None = None, verify: bool = False) -> Store:
    """The committed index named by `settings` (`vector_store` picks the backend). Raises
    IndexMissingError / IndexMismatchError with the fix when there is none or it does not fit;
    `versions` (`rag.ingest.chunk.index_versions()`): IndexStaleError when the index records others.
    `verify`: `Store.verify()` now, as a writer and `rag info --check` do (FAISS readers check each
    chunk where they read it)."""
    if settings.vector_store == "milvus":
        from rag.store.milvus.store import MilvusStore

        store: Store = MilvusStore.open(settings, versions)
    elif settings.vector_store == "faiss":
        from rag.store.faiss.index import FaissStore

        store = FaissStore.load(settings.index_dir, versions=versions)
    else:
        raise UsageError(f"未知的向量库: {settings.vector_store} — RAG_VECTOR_STORE 取 {' 或 '.join(BACKENDS)}")
    if verify:
        store.verify()
    return store


def create_store(settings: Settings, models: Sequence[tuple[str, int]], replace: bool) -> Store:
    """A store to write a new index into, for `settings.embed_model` and `models` [(name, dim)].

    FAISS: a fresh generation in `settings.index_dir` (the committed one answers until the commit).
    Milvus: the collections, created if missing; `replace` (a rebuild or a model change) drops the old
    ones first, and without it collections another worker has just created are joined, not dropped."""
    if settings.vector_store == "milvus":
        from rag.store.milvus.store import MilvusStore

        return MilvusStore.create(settings, models, replace)
    if settings.vector_store != "faiss":
        raise UsageError(f"未知的向量库: {settings.vector_store} — RAG_VECTOR_STORE 取 {' 或 '.join(BACKENDS)}")
    from rag.store.faiss.index import FaissStore

    return FaissStore.create(settings.index_dir, settings.embed_model, models)
