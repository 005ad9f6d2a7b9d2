"""The FAISS backend of `rag.store.base.Store`: immutable segments of files under one small manifest.

Layout of `embeddings/`:
    manifest.json      the commit point: models, counts, inputs, source identities, corpus fingerprint,
                       and the live segments, each with its deleted row ranges, fingerprint and file sizes
    .lock              held by the one writer for a whole ingest (rag/ingest/pipeline.py)
    cache/<model>/     the embedding cache (rag/ingest/vector_cache.py)
    s-<time>-<rand>/   one segment, never modified once committed:
        meta.sqlite              chunks (row → chunk JSON, id, source, text hash, speech) and speeches
        groups.npy               each row's speech number (filters read speech-level metadata)
        dense-<i>.f32 [.faiss]   one model's rows [and its ANN index] (rag/store/faiss/vectors.py)
        bm25-*.npy, bm25-vocab.txt, userdict.txt   term counts and the jieba terms used (rag/store/keyword.py)

A commit writes new segments into `<name>.tmp/`, renames them, then atomically replaces
manifest.json; a crash at any moment leaves the last committed index searchable. A re-ingested source
becomes deleted row ranges in the manifest; when segments pile up, the small ones are merged. An
incremental save therefore writes what was added, not the whole index. Metadata is read from SQLite
on demand and vectors are memory-mapped: nothing holds a million Python objects.

Row numbers (what searches return) run over the live segments in manifest order, deleted rows
included, and are valid for the store object that returned them.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import threading
import time
from dataclasses import fields
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, check_versions
from rag.records import Chunk, Filters, Speech
from rag.store.faiss.vectors import ANN_THRESHOLD, IVF_THRESHOLD, DenseIndex, index_kind
from rag.store.keyword import Bm25, TermCounts, TermStats, Tokenizer, tokenize_all, user_terms

FORMAT_VERSION = 3  # 3: chunks carry row_hash (a row is checked where it is read, not all at every open)
MANIFEST = "manifest.json"
MAX_SEGMENTS = 8  # more than this after a commit: the small segments are merged into one
_CHUNK_FIELDS = {f.name for f in fields(Chunk)}
_SCHEMA = """
CREATE TABLE chunks(row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, source TEXT NOT NULL,
                    text_hash TEXT NOT NULL, row_hash TEXT NOT NULL, speech INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX chunks_by_id ON chunks(chunk_id);
CREATE INDEX chunks_by_source ON chunks(source);
CREATE TABLE groups(id INTEGER PRIMARY KEY, source TEXT, stem TEXT, speaker TEXT, speaker_title TEXT,
                    unit TEXT, meeting TEXT, meeting_date TEXT);
CREATE TABLE speeches(pos INTEGER PRIMARY KEY, source TEXT NOT NULL, data TEXT NOT NULL);
"""


def text_hash(text: str) -> str:
    """Hex SHA-1 of one indexed text: its integrity check and its embedding-cache key."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def row_hash(segment: str, row: int, chunk_id: str, th: str) -> str:
    """What binds a stored chunk to its place: the segment, the row (its vectors' and term counts'
    position), the chunk id and the text hash. Checked on every read, so rows swapped or copied
    between segments are refused where they would be served, at no cost when the index is opened."""
    return hashlib.sha1(f"{segment}\t{row}\t{chunk_id}\t{th}".encode()).hexdigest()


def filter_sql(f: Filters) -> tuple[str, list[str]]:
    """The filter as an SQL condition over a speech's metadata (the semantics rag/store/base.py promises):
    speaker exact (spaces ignored), unit a substring of unit or post, meeting a substring, source the
    file name or its stem and not among exclude_sources, meeting date within [date_from, date_to]
    (undated speeches fail a date filter).

    >>> filter_sql(Filters(speaker="刘 佳", date_from="2023-01-01"))
    ("speaker = ? AND coalesce(meeting_date, '') != '' AND meeting_date >= ?", ['刘佳', '2023-01-01'])
    """
    where: list[str] = []
    args: list[str] = []
    if f.speaker:
        where.append("speaker = ?")
        args.append(f.speaker.replace(" ", ""))
    if f.unit:
        where.append("(instr(coalesce(unit, ''), ?) > 0 OR instr(coalesce(speaker_title, ''), ?) > 0)")
        args += [f.unit, f.unit]
    if f.meeting:
        where.append("instr(coalesce(meeting, ''), ?) > 0")
        args.append(f.meeting)
    if f.source:
        where.append("(source = ? OR stem = ?)")
        args += [f.source, f.source]
    if f.exclude_sources:
        where.append(f"source NOT IN ({', '.join('?' * len(f.exclude_sources))})")
        args += sorted(f.exclude_sources)
    if f.date_from or f.date_to:
        where.append("coalesce(meeting_date, '') != ''")
        if f.date_from:
            where.append("meeting_date >= ?")
            args.append(f.date_from)
        if f.date_to:
            where.append("meeting_date <= ?")
            args.append(f.date_to)
    return " AND ".join(where) or "1", args


# ---- one committed segment ------------------------------------------------------------------------
class Segment:
    """A committed segment opened read-only: SQLite metadata, mapped vectors and term counts."""

    def __init__(self, folder: Path, entry: dict[str, Any], models: Sequence[dict[str, Any]]) -> None:
        self.folder, self.name, self.rows = folder, entry["name"], int(entry["rows"])
        self.live = None  # boolean mask, None when nothing is deleted
        if entry.get("deleted"):
            self.live = np.ones(self.rows, bool)
            for a, b in entry["deleted"]:
                self.live[a:b] = False
        self.db = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro&immutable=1", uri=True,
                                  check_same_thread=False)
        self.groups = np.load(folder / "groups.npy", mmap_mode="r", allow_pickle=False)
        self.dense = {m["name"]: DenseIndex.load(folder, entry["files"][m["name"]], entry["ann"], self.rows, m["dim"])
                      for m in models}
        self.terms = TermCounts.load(folder)
        # read now, not when BM25 is first built: a store opened long before its first search must not
        # depend on a file that commits since have removed (mapped files and the database stay open)
        self.user_terms = [t for t in (folder / "userdict.txt").read_text(encoding="utf-8").split("\n") if t]
        if len(self.groups) != self.rows or len(self.terms.lengths) != self.rows:
            raise ValueError(f"{self.name}: row counts of groups, vectors and term counts differ")
        if "groups_digest" in entry and groups_digest(self.db) != entry["groups_digest"]:  # small: checked at every open
            raise ValueError(f"{self.name}: the speaker/unit table does not match its digest")

    def verify(self, fingerprint: str) -> None:
        """Rows in order must hash to the fingerprint written at commit, each row to its row hash:
        swapped or edited rows are caught."""
        h = hashlib.sha256()
        n = 0
        for row, chunk_id, th, rh in self.db.execute("SELECT row, chunk_id, text_hash, row_hash FROM chunks ORDER BY row"):
            h.update(f"{chunk_id}\t{th}\n".encode())
            if row != n or row_hash(self.name, row, chunk_id, th) != rh:
                raise ValueError(f"{self.name}: row {row} does not match its row hash")
            n += 1
        if n != self.rows or h.hexdigest() != fingerprint:
            raise ValueError(f"{self.name}: chunk metadata does not match its fingerprint")

    def verify_files(self, entry: dict[str, Any]) -> None:
        """Every file of the segment (chunk data, speaker/unit table, vectors, ANN index, term counts)
        must hash to the digest written at commit (segments of older commits carry none)."""
        for name, digest in entry.get("sha256", {}).items():
            if file_digest(self.folder / name) != digest:
                raise ValueError(f"{self.name}/{name} does not match its digest")

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return self.live
        where, args = filter_sql(filters)
        ids = np.fromiter((r[0] for r in self.db.execute(f"SELECT id FROM groups WHERE {where}", args)), np.int64)
        ok = np.isin(np.asarray(self.groups), ids)
        return ok if self.live is None else ok & self.live

    def chunk(self, row: int) -> Chunk:
        found = self.db.execute("SELECT data, text_hash, row_hash FROM chunks WHERE row = ?", (int(row),)).fetchone()
        if found is None:
            raise ValueError(f"{self.name}: row {row} is missing")
        return self.checked(int(row), *found)

    def checked(self, row: int, data: str, th: str, rh: str) -> Chunk:
        """A stored chunk, whose text must still hash to the value written with it, and whose row hash
        must name this segment and row (`row_hash`)."""
        where = f"{self.name}/row {row}"
        try:
            chunk = Chunk(**{k: v for k, v in json.loads(data).items() if k in _CHUNK_FIELDS})
        except (ValueError, TypeError) as exc:
            raise corrupt(self.folder.parent, f"{where}: {exc}") from exc
        if text_hash(chunk.indexed_text) != th:
            raise corrupt(self.folder.parent, f"{where}: text does not match its hash")
        if row_hash(self.name, row, chunk.chunk_id, th) != rh:
            raise corrupt(self.folder.parent, f"{where}: the row holds another row's chunk")
        return chunk

    def close(self) -> None:
        self.db.close()


class LiveChunks(Sequence[Chunk]):
    """Every live chunk in row order, read from SQLite on demand (len() is the live count)."""

    def __init__(self, store: "FaissStore") -> None:
        self._store = store

    def __len__(self) -> int:
        return len(self._store.live_rows)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._store.chunk(int(r)) for r in self._store.live_rows[i]]
        return self._store.chunk(int(self._store.live_rows[i]))

    def __iter__(self) -> Iterator[Chunk]:
        for seg in self._store.segments:
            for row, *stored in seg.db.execute("SELECT row, data, text_hash, row_hash FROM chunks ORDER BY row"):
                if seg.live is None or seg.live[row]:
                    yield seg.checked(row, *stored)


# ---- the store ---------------------------------------------------------------------------------------
class FaissStore:
    """rag.store.base.Store on local files (see module docstring). Open with `load`; write with
    `remove_source` / `add` / `commit` while holding the index lock (rag/ingest/pipeline.py)."""

    backend = "faiss"

    def __init__(self, index_dir: Path, manifest: dict[str, Any], segments: list[Segment]) -> None:
        self.index_dir = Path(index_dir)
        self.manifest = manifest
        self.segments = segments
        self.models = [m["name"] for m in manifest["models"]]
        self.dims = {m["name"]: int(m["dim"]) for m in manifest["models"]}
        self.offsets = np.cumsum([0] + [s.rows for s in segments])
        self.chunks = LiveChunks(self)
        self._mask_cache: tuple[Filters | None, list[np.ndarray | None]] = (None, [])
        self._mask_lock = threading.Lock()
        self._staged: _Staging | None = None
        self._deleted: dict[str, list[list[int]]] = {}

    # ---- opening ----------------------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: Path, expect_model: str | None = None, verify: bool = False,
             versions: Mapping[str, Any] | None = None) -> "FaissStore":
        """Open the committed index; a read that fails while a commit replaces the manifest is retried once.
        Opening checks the manifest, its `versions` (rag.errors.check_versions), file sizes and row
        counts; each chunk is checked when read (`Segment.checked`). `verify`: `self.verify()` too."""
        index_dir = Path(index_dir)
        try:
            store = cls._load(index_dir, expect_model, versions)
        except IndexCorruptError:
            time.sleep(0.2)
            store = cls._load(index_dir, expect_model, versions)
        if verify:
            store.verify()
        return store

    @classmethod
    def _load(cls, index_dir: Path, expect_model: str | None, versions: Mapping[str, Any] | None) -> "FaissStore":
        manifest = read_manifest(index_dir)
        check_versions(index_dir, manifest, versions)
        if expect_model is not None and manifest["embedding_model_spec"] != expect_model:
            raise model_mismatch(index_dir, manifest["embedding_model_spec"], expect_model)
        segments: list[Segment] = []
        try:
            for entry in manifest["segments"]:
                segments.append(Segment(index_dir / entry["name"], entry, manifest["models"]))
        except (OSError, ValueError, TypeError, KeyError, RuntimeError, sqlite3.Error) as exc:  # RuntimeError: FAISS
            for seg in segments:
                seg.close()
            raise corrupt(index_dir, f"{type(exc).__name__}: {exc}") from exc
        store = cls(index_dir, manifest, segments)
        if len(store.live_rows) != manifest["chunks"]:
            raise corrupt(index_dir, "live rows differ from the manifest's chunk count")
        return store

    @classmethod
    def create(cls, index_dir: Path, spec: str, models: Sequence[tuple[str, int]]) -> "FaissStore":
        """An empty store to fill and commit; its commit replaces whatever index is there (a rebuild)."""
        manifest = {"format_version": FORMAT_VERSION, "embedding_model_spec": spec,
                    "models": [{"name": n, "dim": int(d)} for n, d in models], "segments": [], "chunks": 0,
                    "inputs": {}, "source_files": {}}
        return cls(Path(index_dir), manifest, [])

    @cached_property
    def live_rows(self) -> np.ndarray:
        parts = [off + (np.arange(s.rows) if s.live is None else np.flatnonzero(s.live))
                 for off, s in zip(self.offsets, self.segments)]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    @cached_property
    def bm25(self) -> Bm25:
        terms: set[str] = set()
        for seg in self.segments:
            terms.update(seg.user_terms)
        return Bm25([s.terms for s in self.segments], Tokenizer(sorted(terms)))

    # ---- reading (rag.store.base.Store) ------------------------------------------------------------------
    def _masks(self, filters: Filters | None) -> list[np.ndarray | None]:
        with self._mask_lock:  # dense and BM25 ask for the same filters in turn
            if self._mask_cache[0] != filters or not self._mask_cache[1]:
                self._mask_cache = (filters, [s.mask(filters) for s in self.segments])
            return self._mask_cache[1]

    def dense_search(self, model: str, query: np.ndarray, n: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        query = np.asarray(query, np.float32).reshape(-1)
        if model not in self.dims or query.shape[0] != self.dims[model]:
            raise model_mismatch(self.index_dir, f"{model}/{self.dims.get(model)}d", f"{model}/{query.shape[0]}d")
        found = [(off + ids, scores) for off, seg, mask in zip(self.offsets, self.segments, self._masks(filters))
                 for ids, scores in [seg.dense[model].search(query, n, mask)]]
        return _merge(found, n)

    def keyword_search(self, query: str, n: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        found = [(off + ids, scores) for off, (ids, scores) in zip(self.offsets, self.bm25.top(query, n, self._masks(filters)))]
        return _merge(found, n)

    def chunk(self, row: int) -> Chunk:
        i = int(np.searchsorted(self.offsets, row, side="right")) - 1
        if not 0 <= i < len(self.segments):
            raise IndexError(row)
        try:
            return self.segments[i].chunk(row - int(self.offsets[i]))
        except (ValueError, sqlite3.Error) as exc:  # (a damaged chunk raises IndexMismatchError itself)
            raise corrupt(self.index_dir, str(exc)) from exc

    def find(self, chunk_id: str) -> Chunk | None:
        for seg in self.segments:
            for row, in seg.db.execute("SELECT row FROM chunks WHERE chunk_id = ?", (chunk_id,)):
                if seg.live is None or seg.live[row]:
                    return seg.chunk(row)
        return None

    def term_stats(self) -> TermStats:
        return self.bm25

    def speech_heads(self) -> list[Chunk]:
        heads = []
        for seg in self.segments:
            for row, *stored in seg.db.execute("SELECT row, data, text_hash, row_hash FROM chunks WHERE row IN "
                                               "(SELECT min(row) FROM chunks GROUP BY speech) ORDER BY row"):
                if seg.live is None or seg.live[row]:  # (a source is deleted whole)
                    heads.append(seg.checked(row, *stored))
        return heads

    def speeches(self) -> list[Speech]:
        out = []
        for seg in self.segments:
            deleted = self._deleted_sources(seg)
            out += [Speech.from_stored(json.loads(d)) for source, d in
                    seg.db.execute("SELECT source, data FROM speeches ORDER BY pos") if source not in deleted]
        return out

    @staticmethod
    def _deleted_sources(seg: Segment, live: np.ndarray | None = None) -> set[str]:
        """Sources whose rows are deleted in this segment (a source is always removed whole)."""
        live = seg.live if live is None else live
        if live is None:
            return set()
        return {s for s, first in seg.db.execute("SELECT source, min(row) FROM chunks GROUP BY source") if not live[first]}

    def info(self) -> dict[str, Any]:
        m = self.manifest
        return {"backend": self.backend, "embedding_model": m["embedding_model"],
                "embedding_models": [x["loadable"] for x in m["models"]], "dim": m["dim"], "chunks": m["chunks"],
                "speeches": m["speeches"], "sources": m["sources"], "built_at": m["built_at"],
                "ann": sorted({e["ann"] for e in m["segments"]}), "segments": len(m["segments"]),
                "corpus_fingerprint": m["corpus_fingerprint"], "disk_bytes": disk_usage(self.index_dir),
                "stale_tmp": sorted(p.name for p in self.index_dir.glob("*.tmp"))}

    def verify(self) -> None:
        """Hash every segment's rows against the fingerprint written at commit (O(rows): what a writer
        and `rag info --check` do, not every reader), and every file of each segment against its digest."""
        for seg, entry in zip(self.segments, self.manifest["segments"]):
            try:
                seg.verify(entry["fingerprint"])
                seg.verify_files(entry)
            except (ValueError, sqlite3.Error) as exc:
                raise corrupt(self.index_dir, f"{type(exc).__name__}: {exc}") from exc

    # ---- writing ------------------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        return remove_stale(self.index_dir)

    def carried_vectors(self) -> Iterator[tuple[str, list[bytes], np.ndarray]]:
        """The previous format's vectors (`legacy_vectors`) while this store has not committed yet."""
        return legacy_vectors(self.index_dir) if not self.segments else iter(())

    def sources_of(self) -> dict[str, str]:
        """Indexed source name → the input file it came from (empty string when unknown)."""
        return dict(self.manifest.get("source_files", {}))

    def remove_source(self, source: str) -> int:
        removed = 0
        for seg, live in zip(self.segments, self._masks(None)):
            rows = [r for (r,) in seg.db.execute("SELECT row FROM chunks WHERE source = ? ORDER BY row", (source,))
                    if live is None or live[r]]
            removed += len(rows)
            self._deleted.setdefault(seg.name, []).extend(_ranges(rows))
        return removed

    def add(self, chunks: Sequence[Chunk], vectors: Mapping[str, np.ndarray], speeches: Iterable[Speech] = ()) -> None:
        if self._staged is None:
            self._staged = _Staging(self.index_dir, [(m, self.dims[m]) for m in self.models])
        self._staged.add(chunks, vectors, speeches)

    def commit(self, manifest: Mapping[str, Any]) -> None:
        """Write the staged segment, merge small segments, then replace manifest.json (the commit point)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        entries = []
        for seg in self.segments:
            entry = next(e for e in self.manifest["segments"] if e["name"] == seg.name)
            deleted = _union(entry.get("deleted", []) + self._deleted.get(seg.name, []))
            live = np.ones(seg.rows, bool)
            for a, b in deleted:
                live[a:b] = False
            if live.any():  # a fully deleted segment is dropped
                entries.append({**entry, "deleted": deleted, "speeches": int(np.unique(np.asarray(seg.groups)[live]).size)})
        terms = set(self.bm25.tokenizer.terms)
        if self._staged is not None and self._staged.rows:
            entries.append(self._staged.finish(self.index_dir, terms))
        self._staged = None
        entries = self._compact(entries, terms)
        new = dict(self.manifest, **manifest)
        live = sum(e["rows"] - _deleted_count(e) for e in entries)
        new["speeches"] = sum(e["speeches"] for e in entries)
        new.update({
            "format_version": FORMAT_VERSION, "backend": self.backend,
            "segments": entries, "chunks": live,
            "corpus_fingerprint": hashlib.sha256(json.dumps([[e["fingerprint"], e["deleted"]] for e in entries]).encode()).hexdigest(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "ann": index_kind(live), "ann_threshold": ANN_THRESHOLD, "ivf_threshold": IVF_THRESHOLD,
            "retired": sorted({s.name for s in self.segments} - {e["name"] for e in entries}),
            "bm25": {"scoring": "BM25 (Lucene idf, k1=1.5, b=0.75) over segment term counts",
                     "tokenizer": "jieba lcut_for_search + corpus user dictionary"},
        })
        _write_json_atomic(self.index_dir / MANIFEST, new)
        self.manifest = new
        remove_stale(self.index_dir)

    def _compact(self, entries: list[dict[str, Any]], terms: set[str]) -> list[dict[str, Any]]:
        """Merge segments when there are too many: all but the big ones (≥ ¼ of the largest), or all."""
        if len(entries) <= MAX_SEGMENTS:
            return entries
        biggest = max(e["rows"] for e in entries)
        small = [e for e in entries if e["rows"] < biggest / 4]
        group = small if len(small) >= 2 and len(entries) - len(small) + 1 <= MAX_SEGMENTS else entries
        staging = _Staging(self.index_dir, [(m, self.dims[m]) for m in self.models])
        for entry in group:
            seg = next((s for s in self.segments if s.name == entry["name"]), None) or \
                Segment(self.index_dir / entry["name"], entry, self.manifest["models"])
            live = np.ones(seg.rows, bool)
            for a, b in entry["deleted"]:
                live[a:b] = False
            for start in range(0, seg.rows, 10_000):
                rows = np.flatnonzero(live[start:start + 10_000]) + start
                if not len(rows):
                    continue
                chunks = [seg.chunk(int(r)) for r in rows]
                staging.add(chunks, {m: np.asarray(seg.dense[m].vectors[rows]) for m in self.models}, ())
            deleted = self._deleted_sources(seg, live)
            staging.add_speeches(Speech.from_stored(json.loads(d)) for source, d in
                                 seg.db.execute("SELECT source, data FROM speeches ORDER BY pos") if source not in deleted)
        merged = staging.finish(self.index_dir, terms)
        first = entries.index(group[0])
        rest = [e for e in entries if e not in group]
        return rest[:first] + [merged] + rest[first:]


class _Staging:
    """A segment being written in `<name>.tmp/`: chunks go to SQLite and vectors to raw files as they
    come; `finish` tokenises, builds the ANN indexes, writes the fingerprint and renames the folder."""

    def __init__(self, index_dir: Path, models: Sequence[tuple[str, int]]) -> None:
        self.name = f"s-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        self.tmp = Path(index_dir) / f"{self.name}.tmp"
        self.tmp.mkdir(parents=True)
        self.models = list(models)
        self.db = sqlite3.connect(self.tmp / "meta.sqlite")
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        self.rows = 0
        self.groups: dict[str, int] = {}
        self.row_groups: list[int] = []
        self.speech_count = 0
        self.vector_files = {m: open(self.tmp / f"dense-{i}.f32", "wb") for i, (m, _) in enumerate(self.models)}

    def add(self, chunks: Sequence[Chunk], vectors: Mapping[str, np.ndarray], speeches: Iterable[Speech]) -> None:
        for m, dim in self.models:
            v = np.ascontiguousarray(vectors[m], dtype=np.float32)
            if v.shape != (len(chunks), dim):
                raise ValueError(f"{m}: vectors of shape {v.shape} for {len(chunks)} chunks of dimension {dim}")
            self.vector_files[m].write(v.tobytes())
        records = []
        for c in chunks:
            if c.speech_id not in self.groups:
                self.groups[c.speech_id] = gid = len(self.groups)
                self.db.execute("INSERT INTO groups VALUES (?,?,?,?,?,?,?,?)",
                                (gid, c.source, Path(c.source).stem, c.speaker, c.speaker_title, c.unit, c.meeting,
                                 c.meeting_date))
            gid = self.groups[c.speech_id]
            self.row_groups.append(gid)
            th = text_hash(c.indexed_text)
            records.append((self.rows, c.chunk_id, c.source, th, row_hash(self.name, self.rows, c.chunk_id, th), gid,
                            json.dumps(c.to_json(), ensure_ascii=False)))
            self.rows += 1
        self.db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?)", records)
        self.add_speeches(speeches)

    def add_speeches(self, speeches: Iterable[Speech]) -> None:
        for s in speeches:
            self.db.execute("INSERT INTO speeches VALUES (?,?,?)",
                            (self.speech_count, s.source, json.dumps(s.stored_json(), ensure_ascii=False)))
            self.speech_count += 1

    def _texts(self) -> Iterator[str]:
        for (data,) in self.db.execute("SELECT data FROM chunks ORDER BY row"):
            d = json.loads(data)
            yield Chunk(**{k: v for k, v in d.items() if k in _CHUNK_FIELDS}).indexed_text

    def finish(self, index_dir: Path, terms: set[str]) -> dict[str, Any]:
        """Close the segment and move it into place; returns its manifest entry (`terms` grows)."""
        self.db.commit()
        for f in self.vector_files.values():
            f.close()
        chunk_terms = user_terms(Chunk(**{k: v for k, v in json.loads(d).items() if k in _CHUNK_FIELDS})
                                 for (d,) in self.db.execute("SELECT data FROM chunks"))
        terms.update(chunk_terms)
        TermCounts.build(tokenize_all(sorted(terms), self._texts())).save(self.tmp)
        (self.tmp / "userdict.txt").write_text("\n".join(sorted(terms)), encoding="utf-8")
        np.save(self.tmp / "groups.npy", np.asarray(self.row_groups, np.int32), allow_pickle=False)
        kind = index_kind(self.rows)
        files = {}
        for i, (m, dim) in enumerate(self.models):
            vectors = np.memmap(self.tmp / f"dense-{i}.f32", dtype=np.float32, mode="r", shape=(self.rows, dim))
            files[m] = DenseIndex(vectors, kind).save_index(self.tmp, f"dense-{i}")
        h = hashlib.sha256()
        for chunk_id, th in self.db.execute("SELECT chunk_id, text_hash FROM chunks ORDER BY row"):
            h.update(f"{chunk_id}\t{th}\n".encode())
        groups = groups_digest(self.db)
        self.db.close()
        for f in self.tmp.iterdir():
            _fsync(f)
        sizes = {f.name: f.stat().st_size for f in sorted(self.tmp.iterdir())}
        digests = {f.name: file_digest(f) for f in sorted(self.tmp.iterdir())}
        os.replace(self.tmp, Path(index_dir) / self.name)
        return {"name": self.name, "rows": self.rows, "deleted": [], "ann": kind, "fingerprint": h.hexdigest(),
                "files": files, "file_sizes": sizes, "sha256": digests, "groups_digest": groups,
                "speeches": len(self.groups)}


def groups_digest(db: sqlite3.Connection) -> str:
    """SHA-256 of the speaker/unit table (what filters read), row by row."""
    h = hashlib.sha256()
    for row in db.execute("SELECT id, source, stem, speaker, speaker_title, unit, meeting, meeting_date "
                          "FROM groups ORDER BY id"):
        h.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---- manifest, damage, clean-up ------------------------------------------------------------------------
def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest, validated; raises IndexMissingError / IndexMismatchError with the fix."""
    path = Path(index_dir) / MANIFEST
    if not path.exists():
        raise IndexMissingError(f"索引不存在: {index_dir} — 先运行 `rag ingest` (no index here; run `rag ingest`)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in ("format_version", "segments", "models", "chunks", "embedding_model_spec")
                   if k not in manifest]
    except (OSError, ValueError) as exc:
        raise corrupt(index_dir, f"manifest.json unreadable: {exc}") from exc
    if not isinstance(manifest, dict):
        raise corrupt(index_dir, "manifest.json is not an object")
    check_versions(index_dir, manifest, {"format_version": FORMAT_VERSION})
    if missing:
        raise corrupt(index_dir, f"manifest.json lacks {', '.join(missing)}")
    for entry in manifest["segments"]:
        folder = Path(index_dir) / entry.get("name", "?")
        if not folder.is_dir():
            raise corrupt(index_dir, f"segment {entry.get('name')} is missing")
        for name, size in entry.get("file_sizes", {}).items():  # cheap check: catches truncated or lost files
            if not (folder / name).is_file() or (folder / name).stat().st_size != size:
                raise corrupt(index_dir, f"{entry['name']}/{name} is missing or has another size")
    return manifest


def legacy_vectors(index_dir: Path) -> Iterator[tuple[str, list[bytes], np.ndarray]]:
    """(model, text keys, vectors) from an index of the previous format (one `g-*` folder with
    chunks.jsonl and dense-<i>.npy), so that its rebuild re-encodes nothing; nothing when unreadable."""
    try:
        manifest = json.loads((Path(index_dir) / MANIFEST).read_text(encoding="utf-8"))
        folder = Path(index_dir) / manifest["generation"]
        hashes = [json.loads(line)["text_hash"] for line in
                  (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
        for model in manifest["models"]:
            vectors = np.load(folder / model["files"]["vectors"], allow_pickle=False)
            if vectors.shape == (len(hashes), model["dim"]):
                yield model["name"], [bytes.fromhex(h) for h in hashes], vectors
    except (OSError, ValueError, KeyError, TypeError):
        return


def corrupt(index_dir: Path, why: str) -> IndexCorruptError:
    return IndexCorruptError(index_dir, why)


def model_mismatch(index_dir: Path, built: str, wanted: str) -> IndexMismatchError:
    return IndexMismatchError(f"索引模型不符: {index_dir} 由 {built} 构建，当前要求 {wanted}",
                              "运行 `rag ingest --rebuild`，或设 RAG_EMBED_MODEL 为构建时的模型 "
                              "(index built with another embedding model)")


def remove_stale(index_dir: Path) -> list[str]:
    """Delete what no reader can need: `*.tmp` leftovers of killed writes, old-format generations, and
    segments neither live nor retired by the last commit (a reader still on the previous commit keeps
    working). Call only while holding the index lock."""
    try:
        manifest = json.loads((Path(index_dir) / MANIFEST).read_text(encoding="utf-8"))
        keep = {e["name"] for e in manifest["segments"]} | set(manifest.get("retired", []))
    except (OSError, ValueError, KeyError, TypeError):
        keep = None  # no readable manifest of this format: remove only leftovers of killed writes
    removed = []
    for path in Path(index_dir).iterdir():
        stale = path.name.endswith(".tmp") or \
            (keep is not None and path.name.startswith(("s-", "g-")) and path.name not in keep)
        if stale:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def disk_usage(index_dir: Path) -> int:
    return sum(f.stat().st_size for f in Path(index_dir).rglob("*") if f.is_file())


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(3)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, ensure_ascii=False, indent=1))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _merge(found: list[tuple[np.ndarray, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-n over several segments' results, best first, ties by row."""
    found = [f for f in found if len(f[0])]
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    if len(found) == 1:
        return found[0][0][:n], found[0][1][:n]
    ids = np.concatenate([f[0] for f in found])
    scores = np.concatenate([f[1] for f in found])
    order = np.lexsort((ids, -scores))[:n]
    return ids[order], scores[order]


def _ranges(rows: Sequence[int]) -> list[list[int]]:
    """Sorted rows → [start, end) ranges.

    >>> _ranges([1, 2, 3, 7, 9, 10])
    [[1, 4], [7, 8], [9, 11]]
    """
    out: list[list[int]] = []
    for r in rows:
        if out and out[-1][1] == r:
            out[-1][1] = r + 1
        else:
            out.append([r, r + 1])
    return out


def _union(ranges: list[list[int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def _deleted_count(entry: dict[str, Any]) -> int:
    return sum(b - a for a, b in entry.get("deleted", []))
