"""The Milvus backend of `rag.store.base.Store`: chunks, vectors and BM25 in Milvus through pymilvus.

One client API for both deployments: `RAG_MILVUS_URI=./zhengyan.db` runs embedded milvus-lite
(a local folder; what tests use), `RAG_MILVUS_URI=http://host:19530` a Milvus standalone or cluster
server (`RAG_MILVUS_TOKEN` if it needs one). Three collections share the `RAG_MILVUS_COLLECTION`
prefix (default "zhengyan"); their schema and row encoding are in `rag/store/milvus/schema.py`:

    <p>_chunks    one row per chunk: its metadata as scalar fields (the filters are Milvus
                  expressions over them, evaluated inside the search), one FLOAT_VECTOR field per
                  embedding model (inner product over L2-normalised vectors = cosine), and
                  `terms`: header｜text segmented by the project's jieba tokenizer
                  (`rag.store.keyword.Tokenizer`, with the corpus dictionary), from which Milvus's BM25
                  function fills the sparse field `bm25`. Keyword search is Milvus full-text search.
    <p>_speeches  one row per speech (JSON), for the library views.
    <p>_meta      "@index": models, dimensions, model spec; "source:<file>": one row per source file
                  (input hashes, counts, fingerprint, dictionary terms, write time). The manifest is
                  read from these rows, so workers that index disjoint files never overwrite each
                  other's record.

Writes and crashes. Milvus has no multi-row transaction. Every row carries the random `batch` id of
the write that made it, and its primary key hashes (chunk id, batch): a re-indexed source first
inserts its new rows, then `commit` deletes the source's rows of other batches and updates its
meta row. A crash in between leaves the old rows searchable (plus part of the new ones; searches
drop a chunk id's duplicates), and the unchanged meta row makes the next ingest redo that file.

Why the text is segmented here and not by Milvus's own jieba analyzer: an analyzer is fixed when
the collection is created, so it cannot learn the corpus's units, speakers and quoted terms as
files arrive, which the FAISS backend's tokenizer does. Measured on the seed dev set (docs/SCALE.md),
Milvus's jieba analyzer ranked exactly as that tokenizer without its corpus dictionary, and the
dictionary is worth MRR@5 0.892 → 0.958. So `terms` holds the tokens, joined by spaces, each made of
word characters only, and the analyzer just splits them (milvus-lite has no whitespace tokenizer;
its standard one splits on non-word characters, which gives the same tokens). A writer segments its
rows with the dictionary it knows; its commit then re-segments the rows, of any writer, whose text
holds a term learnt since it began (`_resegment`), so concurrent ingest workers end with the rows one
process would have written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from rag.config import Settings
from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, InputError, check_versions
from rag.records import Chunk, Filters, Speech
from rag.store.keyword import Tokenizer, user_terms
from rag.store.milvus.schema import (BM25_B, BM25_K1, HNSW_EF, INT_FIELDS, SCALAR_FIELDS, chunk_of, chunk_row,
                                     create_collections, field_name, filter_expr, is_local, like_substring, quote,
                                     row_key, segmented, token_expr)

FORMAT_VERSION = 1
INDEX_KEY = "@index"
DEFAULT_COLLECTION = "zhengyan"
MAX_TERMS_PER_SOURCE = 2_000  # dictionary terms kept in a source's meta row (JSON values are capped at 64 KB)
_CACHE = 4_096  # chunks kept from search results, so `chunk(row)` rarely needs a round trip


def milvus_settings(settings: Settings) -> tuple[str, str | None, str]:
    """(uri, token, collection prefix): a milvus-lite file in the index folder unless a URI is given; the
    prefix comes from RAG_MILVUS_COLLECTION (default "zhengyan")."""
    uri = settings.milvus_uri or str(Path(settings.index_dir) / "zhengyan.db")
    return uri, settings.milvus_token, os.environ.get("RAG_MILVUS_COLLECTION") or DEFAULT_COLLECTION


class MilvusStore:
    """A Store over three Milvus collections (see the module docstring)."""

    backend = "milvus"

    def __init__(self, client, uri: str, prefix: str) -> None:
        self._client, self.uri, self.prefix = client, uri, prefix
        self._chunks, self._speeches, self._meta = f"{prefix}_chunks", f"{prefix}_speeches", f"{prefix}_meta"
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._batch = secrets.randbits(62) + 1
        self._staged_sources: dict[str, dict[str, Any]] = {}
        self._record: dict[str, Any] | None = None
        self._tokenizer: Tokenizer | None = None  # the query tokenizer: every source's dictionary terms
        self._known_at_start: set[str] | None = None  # the dictionary when this writer's first add began
        self.resegmented = 0  # rows the last commit re-segmented (`_resegment`)
        self._load()

    # ---- opening -------------------------------------------------------------------------------------
    @classmethod
    def connect(cls, uri: str, token: str | None = None, prefix: str = DEFAULT_COLLECTION) -> "MilvusStore":
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        if is_local(uri):
            Path(uri).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        # milvus-lite's in-process gRPC server refuses pymilvus's 10 s keepalive pings (it logs GOAWAY
        # "too_many_pings" on stderr): ping it rarely. A Milvus server keeps pymilvus's own settings.
        # Its iterators also warn on every call that it has no MVCC timestamp, which is not the user's to fix.
        options = {"grpc_options": {"grpc.keepalive_time_ms": 600_000}} if is_local(uri) else {}
        if is_local(uri):
            logging.getLogger("pymilvus.client.iterator").setLevel(logging.ERROR)
        try:
            client = MilvusClient(uri=uri, token=token or "", **options)
        except MilvusException as exc:
            hint = ("另一个进程正占用此 milvus-lite 文件；多进程请改用 `milvus-lite server` 或 Milvus 服务器"
                    if is_local(uri) else "检查 RAG_MILVUS_URI / RAG_MILVUS_TOKEN 与服务器是否在运行")
            raise IndexMissingError(f"无法连接 Milvus: {uri} ({exc.message}) — {hint} (cannot open Milvus)") from exc
        return cls(client, uri, prefix)

    @classmethod
    def open(cls, settings: Settings, versions: Mapping[str, Any] | None = None) -> "MilvusStore":
        """The committed index, or IndexMissingError when the collections do not exist yet; IndexStaleError
        when its format or its recorded `versions` (rag.errors.check_versions) are not these."""
        store = cls.connect(*milvus_settings(settings))
        if store._record is None:
            raise IndexMissingError(f"Milvus 中没有索引: {store.uri} ({store._chunks}) — 先运行 `rag ingest` "
                                    "(no index in Milvus; run `rag ingest`)")
        check_versions(store._chunks, store._record, {"format_version": FORMAT_VERSION, **(versions or {})})
        return store

    @classmethod
    def create(cls, settings: Settings, models: Sequence[tuple[str, int]], replace: bool) -> "MilvusStore":
        """The collections for `models` [(name, dim)], created if missing (`replace`: dropped first). Without
        `replace`, existing collections are joined if they hold the same models (another worker's)."""
        store = cls.connect(*milvus_settings(settings))
        if replace:
            store.drop()
        store._ensure_collections([{"name": n, "field": field_name(n), "dim": int(d)} for n, d in models],
                                  settings.embed_model)
        return store

    def drop(self) -> None:
        """Remove the three collections (`rag ingest --rebuild`)."""
        for name in (self._chunks, self._speeches, self._meta):
            if self._client.has_collection(name):
                self._client.drop_collection(name)
        self._record, self._cache = None, OrderedDict()

    def close(self) -> None:
        self._client.close()

    def _load(self) -> None:
        if not self._client.has_collection(self._meta):
            self._record = None
            return
        for name in (self._meta, self._speeches, self._chunks):
            self._client.load_collection(name)
        rows = self._client.query(self._meta, ids=[INDEX_KEY], output_fields=["data"])
        self._record = rows[0]["data"] if rows else None

    # ---- the Store read side ---------------------------------------------------------------------------
    @property
    def models(self) -> list[str]:
        return [m["name"] for m in self._record["models"]] if self._record else []

    @property
    def manifest(self) -> dict[str, Any]:
        """The index record assembled from the meta rows (see rag.store.base)."""
        record = dict(self._record or {})
        sources = self._source_rows()
        fingerprint = hashlib.sha256("\n".join(f"{s['source']}\t{s['fingerprint']}" for s in sources).encode()).hexdigest()
        record.update({
            "chunks": self._count(self._chunks), "speeches": self._count(self._speeches),
            "sources": [s["source"] for s in sources], "source_files": {s["source"]: s["file"] for s in sources},
            "inputs": {s["file"]: s["sha256"] for s in sources},
            "corpus_fingerprint": fingerprint, "ann": self._ann(),
            "built_at": max((s["written_at"] for s in sources), default=record.get("created_at", "")),
            "backend": self.backend, "milvus_uri": self.uri, "collection": self._chunks,
        })
        return record

    @property
    def chunks(self) -> "ChunkView":
        return ChunkView(self)

    def dense_search(self, model: str, query: np.ndarray, n: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        vector = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        params = {"metric_type": "IP"} if self._ann() == "flat" else {"metric_type": "IP", "params": {"ef": max(HNSW_EF, n)}}
        return self._search(field_name(model), vector, n, filters, params, negated=False)

    def keyword_search(self, query: str, n: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        text = segmented(self.query_tokenizer()(query))
        if not text:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        # milvus-lite 3.2 reports BM25 negated (distance, smaller is better); a server reports the score.
        return self._search("bm25", text, n, filters, {"metric_type": "BM25"}, negated=True)

    def query_tokenizer(self) -> Tokenizer:
        """The tokenizer of queries: jieba with every source's dictionary terms."""
        if self._tokenizer is None:
            self._tokenizer = Tokenizer(self._terms())
        return self._tokenizer

    def term_stats(self) -> "MilvusTermStats":
        return MilvusTermStats(self)

    def speech_heads(self) -> list[Chunk]:
        heads: dict[tuple[str, int], Chunk] = {}
        for row in self._iterate(self._chunks, ["id", *SCALAR_FIELDS, *INT_FIELDS], "part == 0"):
            c = chunk_of(row)
            if (c.source, c.speech_index) not in heads or c.paragraph < heads[c.source, c.speech_index].paragraph:
                heads[c.source, c.speech_index] = c
        return sorted(heads.values(), key=lambda c: (c.source, c.speech_index))

    def chunk(self, row: int) -> Chunk:
        row = int(row)
        if row not in self._cache:
            got = self._client.query(self._chunks, ids=[row], output_fields=list(SCALAR_FIELDS + INT_FIELDS))
            if not got:
                raise KeyError(f"row {row} is not in {self._chunks}")
            self._remember(row, got[0])
        return self._cache[row]

    def find(self, chunk_id: str) -> Chunk | None:
        got = self._client.query(self._chunks, filter=f"chunk_id == {quote(chunk_id)}", output_fields=["id", *SCALAR_FIELDS, *INT_FIELDS], limit=1)
        return chunk_of(got[0]) if got else None

    def speeches(self) -> list[Speech]:
        rows = self._iterate(self._speeches, ["speech_id", "data"])
        best: dict[str, Speech] = {}
        for r in rows:  # a source being replaced may briefly hold two batches: keep one per speech id
            best.setdefault(r["speech_id"], Speech.from_stored(r["data"]))
        return sorted(best.values(), key=lambda s: (s.source, s.index))

    def info(self) -> dict[str, Any]:
        m = self.manifest
        return {"backend": self.backend, "milvus_uri": self.uri, "collection": self._chunks,
                "embedding_model": m.get("embedding_model"),
                "embedding_models": [x.get("loadable", x["name"]) for x in m.get("models", [])],
                "dim": m.get("dim"), "chunks": m["chunks"], "speeches": m["speeches"], "sources": m["sources"],
                "built_at": m["built_at"], "ann": m["ann"], "bm25": "Milvus BM25 function over rag.store.keyword.Tokenizer tokens",
                "corpus_fingerprint": m["corpus_fingerprint"]}

    def verify(self) -> None:
        """Every committed source against its meta row: the chunk ids of its batch must hash to the
        fingerprint written at commit (rows lost, added or moved to another source are caught), and
        every row must decode to a chunk."""
        ids: dict[tuple[str, int], list[str]] = {}
        for row in self._iterate(self._chunks, ["id", *SCALAR_FIELDS, *INT_FIELDS, "batch"]):
            try:
                chunk = chunk_of(row)
            except (KeyError, TypeError, ValueError) as exc:
                raise IndexCorruptError(self._chunks, f"row {row.get('id')}: {exc}") from exc
            ids.setdefault((chunk.source, int(row["batch"])), []).append(chunk.chunk_id)
        for s in self._source_rows():
            got = ids.get((s["source"], int(s.get("batch", 0))), [])
            if hashlib.sha256("\n".join(sorted(got)).encode()).hexdigest() != s["fingerprint"]:
                raise IndexCorruptError(self._chunks, f"{s['source']}: {len(got)} rows do not match the fingerprint "
                                                      f"of the {s['chunks']} chunks committed")

    # ---- the Store write side --------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Nothing to delete: the rows of a killed write are deleted by the next commit of their source
        (whose unchanged meta row makes the next ingest redo that file), and rows of other batches may
        be another worker's write in progress."""
        return []

    def carried_vectors(self) -> Iterator[tuple[str, list[bytes], np.ndarray]]:
        """None: there is no older Milvus format to carry vectors from."""
        return iter(())

    def remove_source(self, source: str) -> int:
        """Stage the removal of a source's rows (done by `commit`, after the new rows are in)."""
        self._staged_sources.setdefault(source, {})
        return self._count(self._chunks, f"source == {quote(source)}")

    def add(self, chunks: Sequence[Chunk], vectors: Mapping[str, np.ndarray], speeches: Iterable[Speech] = ()) -> None:
        """Insert chunks (with one vector array per model) and speeches under this writer's batch id."""
        chunks = list(chunks)
        if self._record is None:
            raise IndexMissingError(f"Milvus 中没有索引: {self._chunks} — 由 `rag ingest` 创建 (create_store first)")
        for model, array in vectors.items():
            if len(array) != len(chunks):
                raise ValueError(f"{model}: {len(array)} vectors for {len(chunks)} chunks")
        missing = [m for m in self.models if m not in vectors]
        if missing and chunks:
            raise ValueError(f"no vectors for {missing}")
        new_terms = user_terms(chunks)
        known = set(self._terms())
        if self._known_at_start is None:
            self._known_at_start = known
        tokenizer = Tokenizer(sorted(known | set(new_terms)))
        rows = [chunk_row(c, self._batch, vectors, i, tokenizer) for i, c in enumerate(chunks)]
        self._check_keys([r["id"] for r in rows])
        for start in range(0, len(rows), 512):
            self._client.insert(self._chunks, rows[start:start + 512])
        speech_rows = [{"id": row_key(s.speech_id, self._batch), "speech_id": s.speech_id, "source": s.source,
                        "batch": self._batch, "data": s.stored_json(), "v": [0.0, 0.0]}
                       for s in speeches]
        for start in range(0, len(speech_rows), 512):
            self._client.insert(self._speeches, speech_rows[start:start + 512])
        for c in chunks:
            staged = self._staged_sources.setdefault(c.source, {})
            staged.setdefault("ids", []).append(c.chunk_id)
        for source, staged in self._staged_sources.items():
            mine = [c for c in chunks if c.source == source]
            if mine:  # a source's chunks may come in several calls
                staged["terms"] = sorted(set(staged.get("terms", [])) | set(user_terms(mine)))[:MAX_TERMS_PER_SOURCE]

    def commit(self, manifest: Mapping[str, Any]) -> None:
        """Delete the replaced rows of every staged source and record its meta row: the file it came from
        (`manifest["source_files"]`) with that file's hash (`manifest["inputs"]`). Only staged sources
        are written, so workers committing other files never overwrite each other's records."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        files, inputs = manifest.get("source_files", {}), manifest.get("inputs", {})
        for source, staged in self._staged_sources.items():
            other_batches = f"source == {quote(source)} and batch != {self._batch}"
            self._client.delete(self._chunks, filter=other_batches)
            self._client.delete(self._speeches, filter=other_batches)
            if source not in files:  # removed, not re-indexed
                self._client.delete(self._meta, ids=[f"source:{source}"])
                continue
            ids = staged.get("ids", [])
            fingerprint = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()
            self._client.upsert(self._meta, [{"key": f"source:{source}", "v": [0.0, 0.0], "data": {
                "source": source, "file": files[source], "sha256": inputs.get(files[source], ""), "chunks": len(ids),
                "fingerprint": fingerprint, "terms": staged.get("terms", []), "batch": self._batch,
                "written_at": now}}])
        resegmented = self._resegment(self._known_at_start) if self._known_at_start is not None else 0
        if self._record is not None:
            keys = ("embedding_model_spec", "embedding_model", "chunker_version", "parser_version")
            self._record.update({k: manifest[k] for k in keys if k in manifest})
            loadable = {m["name"]: m.get("loadable", m["name"]) for m in manifest.get("models", [])}
            for m in self._record["models"]:
                m["loadable"] = loadable.get(m["name"], m["loadable"])
            self._client.upsert(self._meta, [{"key": INDEX_KEY, "v": [0.0, 0.0], "data": self._record}])
        for name in (self._chunks, self._speeches, self._meta):
            if self._client.has_collection(name):
                self._client.flush(name)
        self._staged_sources.clear()
        self._known_at_start = None
        self.resegmented = resegmented
        self._cache.clear()
        self._tokenizer = None
        self._batch = secrets.randbits(62) + 1

    # ---- internals -------------------------------------------------------------------------------------
    def _resegment(self, known: set[str]) -> int:
        """Give the dictionary as it now is to every row holding a term it lacked when this writer began.

        Rows are segmented with the dictionary their writer knew. Two workers writing at once each
        lack the other's units, speakers and quoted terms, so each commit re-segments the rows (of any
        writer) whose text holds a term learnt since its writer began: whichever commits last leaves
        every row as one process would have segmented it. Only rows of a source's committed batch are
        rewritten, and only when their tokens change. (A source another worker replaces between this
        query and the upsert could get its old rows back; workers own disjoint files, and the next
        ingest of that source deletes them.) Returns the number of rows rewritten."""
        terms = set(self._terms())
        learnt = sorted(terms - known)
        if not learnt:
            return 0
        tokenizer = Tokenizer(sorted(terms))
        fields = ["id", "batch", "terms", "source_stem", *SCALAR_FIELDS, *INT_FIELDS, *(field_name(m) for m in self.models)]
        rows: dict[int, dict[str, Any]] = {}
        for start in range(0, len(learnt), 32):
            expr = " or ".join(f"text like {like_substring(t)} or header like {like_substring(t)}"
                               for t in learnt[start:start + 32])
            rows.update((int(r["id"]), r) for r in self._iterate(self._chunks, fields, expr))
        committed = {r["source"]: r["batch"] for r in self._source_rows()}
        changed = []
        for row in rows.values():
            if committed.get(row["source"]) != row["batch"]:  # rows a writer is replacing are left to it
                continue
            tokens = segmented(tokenizer(chunk_of(row).indexed_text))
            if tokens != row["terms"]:
                changed.append({**{k: row[k] for k in fields}, "terms": tokens})
        for start in range(0, len(changed), 512):
            self._client.upsert(self._chunks, changed[start:start + 512])
        return len(changed)


    def _search(self, field: str, data, n: int, filters: Filters | None, params: dict, negated: bool) -> tuple[np.ndarray, np.ndarray]:
        n = min(int(n), 16_384)  # Milvus's topk limit
        if n <= 0 or self._record is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        result = self._client.search(self._chunks, data=[data], anns_field=field, limit=n, filter=filter_expr(filters),
                                     search_params=params, output_fields=["id", *SCALAR_FIELDS, *INT_FIELDS])
        rows, scores, seen = [], [], set()
        for hit in result[0]:
            entity = hit["entity"]
            if entity["chunk_id"] in seen:  # a source mid-replacement: one row per chunk id
                continue
            seen.add(entity["chunk_id"])
            self._remember(int(hit["id"]), entity)
            rows.append(int(hit["id"]))
            scores.append(abs(hit["distance"]) if negated else hit["distance"])
        return np.asarray(rows, np.int64), np.asarray(scores, np.float32)

    def _remember(self, row: int, entity: Mapping[str, Any]) -> None:
        self._cache[row] = chunk_of(entity)
        self._cache.move_to_end(row)
        while len(self._cache) > _CACHE:
            self._cache.popitem(last=False)

    def _check_keys(self, keys: list[int]) -> None:
        """A primary-key collision would silently replace another chunk: refuse instead."""
        for start in range(0, len(keys), 1024):
            taken = self._client.query(self._chunks, ids=keys[start:start + 1024], output_fields=["id"])
            if taken:
                raise InputError(f"Milvus 主键冲突 ({len(taken)} 行) — 重新运行本次导入即可换一批主键 "
                                 "(primary key collision; re-run the ingest)")

    def _ensure_collections(self, models: list[dict[str, Any]], spec: str) -> None:
        if self._record is not None:
            known = {(m["name"], m["dim"]) for m in self._record["models"]}
            if {(m["name"], m["dim"]) for m in models} != known:
                raise IndexMismatchError(f"Milvus 索引的模型不符: {self._chunks} 有 {sorted(known)}，本次为 "
                                         f"{sorted((m['name'], m['dim']) for m in models)}")
            return
        from pymilvus.exceptions import MilvusException

        record = {"format_version": FORMAT_VERSION, "embedding_model_spec": spec,
                  "models": [{**m, "loadable": m["name"]} for m in models],
                  "dim": models[0]["dim"] if models else 0,
                  "bm25": {"k1": BM25_K1, "b": BM25_B, "tokens": "rag.store.keyword.Tokenizer with the corpus dictionary"},
                  "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            create_collections(self._client, (self._chunks, self._speeches, self._meta), models, is_local(self.uri),
                               record, INDEX_KEY)
        except MilvusException as exc:
            if not self._client.has_collection(self._chunks):  # not another worker's: a real failure
                raise
            self._wait_for_record(exc)  # another worker is creating them: wait for its record
            self._ensure_collections(models, spec)
            return
        self._load()

    def _wait_for_record(self, cause: Exception, timeout: float = 60.0) -> None:
        """Having lost the race to create the collections, wait until the winner has written the record."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._client.has_collection(self._meta):
                self._load()
                if self._record is not None:
                    return
            time.sleep(0.5)
        raise IndexMismatchError(f"Milvus 集合 {self._chunks} 不完整 ({cause})",
                                 "运行 `rag ingest --rebuild` (collections half-created)") from cause

    def _terms(self) -> list[str]:
        """The dictionary terms of every indexed source (what the FAISS backend's tokenizer would know)."""
        return sorted({t for row in self._source_rows() for t in row.get("terms", [])})

    def _source_rows(self) -> list[dict[str, Any]]:
        if self._record is None:
            return []
        rows = self._iterate(self._meta, ["data"], 'key like "source:%"')
        return sorted((r["data"] for r in rows), key=lambda d: d["source"])

    def _count(self, collection: str, expr: str = "") -> int:
        if not self._client.has_collection(collection):
            return 0
        got = self._client.query(collection, filter=expr, output_fields=["count(*)"])
        return int(got[0]["count(*)"]) if got else 0

    def _ann(self) -> str:
        return "flat" if is_local(self.uri) else "hnsw"

    def _iterate(self, collection: str, fields: list[str], expr: str = "") -> Iterator[dict[str, Any]]:
        it = self._client.query_iterator(collection, batch_size=1000, filter=expr, output_fields=fields)
        try:
            while batch := it.next():
                yield from batch
        finally:
            it.close()


class MilvusTermStats:
    """`rag.store.keyword.TermStats` of the `terms` field: Milvus keeps BM25's statistics to itself, so a token's
    document frequency is a count query (a scan of the field, once per token)."""

    def __init__(self, store: MilvusStore) -> None:
        self._store = store
        self.docs = store._count(store._chunks)
        self._df: dict[str, int] = {}

    def tokens(self, text: str) -> list[str]:
        return self._store.query_tokenizer()(text)

    def df(self, token: str) -> int:
        if token not in self._df:
            self._df[token] = self._store._count(self._store._chunks, token_expr(token)) if token else 0
        return self._df[token]


class ChunkView(Sequence):
    """Every chunk, read from Milvus in batches (no list of all chunks is held)."""

    def __init__(self, store: MilvusStore) -> None:
        self._store = store
        self._keys: list[int] | None = None

    def __len__(self) -> int:
        return self._store._count(self._store._chunks)

    def __iter__(self) -> Iterator[Chunk]:
        seen: set[str] = set()
        for row in self._store._iterate(self._store._chunks, ["id", *SCALAR_FIELDS, *INT_FIELDS]):
            if row["chunk_id"] not in seen:
                seen.add(row["chunk_id"])
                yield chunk_of(row)

    def __getitem__(self, i):  # by position in primary-key order: for code that indexes a list
        if self._keys is None:
            self._keys = sorted(int(r["id"]) for r in self._store._iterate(self._store._chunks, ["id"]))
        if isinstance(i, slice):
            return [self._store.chunk(k) for k in self._keys[i]]
        return self._store.chunk(self._keys[i])


