"""The on-disk index folder: chunk metadata, per-model vectors (FAISS), BM25, and `manifest.json`.

Layout of `embeddings/` (plain files, never pickle):
    manifest.json          format version, models, dimension, counts, corpus fingerprint, build time,
                           and the name of the generation folder holding the data
    g-<time>-<rand>/       chunks.jsonl, dense-<i>.npy [+ .faiss], bm25/, userdict.txt
A save writes a new generation into `<gen>.tmp/`, renames it, then atomically replaces
manifest.json (the commit point) and removes older generations: a crash leaves the old index.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.bm25 import Bm25Index
from rag.chunk import CHUNKER_VERSION
from rag.errors import IndexMismatchError, IndexMissingError
from rag.records import Chunk, Filters, Meeting, Paragraph, Speech
from rag.vectors import DenseIndex

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_CHUNK_FIELDS = {f.name for f in fields(Chunk)}


def text_hash(text: str) -> str:
    """The embedding-cache key of one indexed text (the model is the other half of the key)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class Index:
    """A loaded index: chunk i is row i of every dense index and document i of BM25."""

    chunks: list[Chunk]
    dense: dict[str, DenseIndex]  # model name → vectors
    bm25: Bm25Index
    manifest: dict[str, Any]
    speech_records: list[Speech] = field(default_factory=list)

    backend = "faiss"

    @property
    def model_spec(self) -> str:
        return self.manifest["embedding_model_spec"]

    # ---- the rag.store.Store read side ---------------------------------------------------------------
    @property
    def models(self) -> list[str]:
        return list(self.dense)

    def dense_search(self, model: str, query: np.ndarray, n: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.dense[model].search(query, n, self.allowed(filters))

    def keyword_search(self, query: str, n: int, filters: Filters | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.bm25.search(query, n, self.allowed(filters))

    def chunk(self, row: int) -> Chunk:
        return self.chunks[row]

    def speeches(self) -> list[Speech]:
        return list(self.speech_records)

    def find(self, chunk_id: str) -> Chunk | None:
        return self._by_id.get(chunk_id)

    @cached_property
    def _by_id(self) -> dict[str, Chunk]:
        return {c.chunk_id: c for c in self.chunks}

    def info(self) -> dict[str, Any]:
        m = self.manifest
        return {"backend": self.backend, "embedding_model": m["embedding_model"],
                "embedding_models": [x["loadable"] for x in m["models"]], "dim": m["dim"], "chunks": m["chunks"],
                "speeches": m["speeches"], "sources": m["sources"], "built_at": m["built_at"], "ann": m["ann"],
                "corpus_fingerprint": m["corpus_fingerprint"]}

    def allowed(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean row mask for the filters, or None when nothing is filtered."""
        if filters is None or filters.is_empty():
            return None
        if self._last_mask[0] != filters:  # dense and BM25 ask for the same filters in turn
            self._last_mask = (filters, self._mask(filters))
        return self._last_mask[1]

    _last_mask: tuple[Filters | None, np.ndarray | None] = (None, None)

    def _mask(self, filters: Filters) -> np.ndarray:
        speeches, rows = self._speech_of_row
        ok = np.fromiter((matches(c, filters) for c in speeches), dtype=bool, count=len(speeches))
        return ok[rows] if len(rows) else np.zeros(0, bool)

    @cached_property
    def _speech_of_row(self) -> tuple[list[Chunk], np.ndarray]:
        """One representative chunk per speech and each row's speech number: filters only read
        speech-level metadata, so they are evaluated once per speech, not once per chunk."""
        first: dict[str, int] = {}
        reps: list[Chunk] = []
        rows = np.empty(len(self.chunks), dtype=np.int64)
        for i, c in enumerate(self.chunks):
            if c.speech_id not in first:
                first[c.speech_id] = len(reps)
                reps.append(c)
            rows[i] = first[c.speech_id]
        return reps, rows

    # ---- persistence -------------------------------------------------------------------------
    def save(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        gen = f"g-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        tmp = index_dir / f"{gen}.tmp"
        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in self.chunks:
                f.write(json.dumps({**c.to_json(), "text_hash": text_hash(c.indexed_text)}, ensure_ascii=False) + "\n")
        for i, model in enumerate(self.manifest["models"]):
            model["files"] = self.dense[model["name"]].save(tmp, f"dense-{i}")
        self.bm25.save(tmp)
        with open(tmp / "speeches.jsonl", "w", encoding="utf-8") as f:
            for s in self.speech_records:
                f.write(json.dumps({**s.to_json(), "index": s.index, "publication": s.meeting.publication},
                                   ensure_ascii=False) + "\n")
        self.manifest["file_sizes"] = {str(f.relative_to(tmp)): f.stat().st_size for f in sorted(tmp.rglob("*")) if f.is_file()}
        os.replace(tmp, index_dir / gen)
        self.manifest["generation"] = gen
        _write_json_atomic(index_dir / MANIFEST, self.manifest)
        for old in index_dir.glob("g-*"):
            if old.name != gen and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, index_dir: Path, expect_model: str | None = None) -> "Index":
        manifest = read_manifest(index_dir)
        if expect_model is not None and manifest["embedding_model_spec"] != expect_model:
            raise IndexMismatchError(
                f"索引模型不符: {index_dir} 由 {manifest['embedding_model_spec']} 构建，当前要求 {expect_model} — "
                f"运行 `rag ingest --rebuild`，或设 RAG_EMBED_MODEL={manifest['embedding_model_spec']} "
                "(index built with another embedding model)"
            )
        folder = index_dir / manifest["generation"]
        try:
            chunks = [Chunk(**{k: v for k, v in json.loads(line).items() if k in _CHUNK_FIELDS})
                      for line in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
            dense = {m["name"]: DenseIndex.load(folder, m["files"], manifest["ann"]) for m in manifest["models"]}
            bm25 = Bm25Index.load(folder)
            speeches_file = folder / "speeches.jsonl"
            speeches = [speech_from_json(json.loads(line)) for line in
                        speeches_file.read_text(encoding="utf-8").splitlines() if line] if speeches_file.exists() else []
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise _corrupt(index_dir, f"{type(exc).__name__}: {exc}") from exc
        if len(chunks) != manifest["chunks"] or any(len(d.vectors) != len(chunks) for d in dense.values()):
            raise _corrupt(index_dir, "chunk and vector counts differ from manifest.json")
        return cls(chunks, dense, bm25, manifest, speeches)

    def cached_vectors(self, model: str) -> dict[str, np.ndarray]:
        """text hash → vector for one model: what an incremental ingest need not re-embed."""
        vectors = self.dense[model].vectors
        return {text_hash(c.indexed_text): vectors[i] for i, c in enumerate(self.chunks)}


def speech_from_json(d: dict[str, Any]) -> Speech:
    """The inverse of `Speech.to_json` (index position included)."""
    meeting = Meeting(d["meeting"], d.get("meeting_level"), d.get("meeting_date"), d.get("publication"))
    paragraphs = tuple(Paragraph(t, a, b) for t, (a, b) in zip(d["paragraphs"], d["offsets"]))
    return Speech(meeting, d["speaker"], d["speaker_title"], d["unit"], d["title"], paragraphs, d["source"],
                  d.get("index", 0))


def salvage_vectors(index_dir: Path) -> dict[str, dict[str, np.ndarray]]:
    """model → {text hash → vector} from whatever index is there, even one of an older format or
    chunker: embeddings depend only on (model, text), so a rebuild need not re-encode them."""
    try:
        manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
        folder = index_dir / manifest["generation"]
        hashes = [json.loads(line)["text_hash"] for line in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
        out = {}
        for model in manifest["models"]:
            vectors = np.load(folder / model["files"]["vectors"], allow_pickle=False)
            if len(vectors) == len(hashes):
                out[model["name"]] = dict(zip(hashes, vectors))
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def matches(chunk: Chunk, f: Filters) -> bool:
    """Whether a chunk passes the filters: speaker exact, unit/meeting substrings, source exact (or
    its stem), meeting date within [date_from, date_to] (undated chunks fail a date filter)."""
    if f.speaker and chunk.speaker != f.speaker.replace(" ", ""):
        return False
    if f.unit and f.unit not in (chunk.unit or "") and f.unit not in (chunk.speaker_title or ""):
        return False
    if f.meeting and f.meeting not in (chunk.meeting or ""):
        return False
    if f.source and f.source not in (chunk.source, Path(chunk.source).stem):
        return False
    if f.date_from or f.date_to:
        date = chunk.meeting_date
        if not date or (f.date_from and date < f.date_from) or (f.date_to and date > f.date_to):
            return False
    return True


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest, validated; raises IndexMissingError / IndexMismatchError with the fix."""
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(f"索引不存在: {index_dir} — 先运行 `rag ingest` (no index here; run `rag ingest`)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in ("format_version", "generation", "models", "chunks", "embedding_model_spec", "ann")
                   if k not in manifest]
    except (OSError, ValueError) as exc:
        raise _corrupt(index_dir, f"manifest.json unreadable: {exc}") from exc
    if missing:
        raise _corrupt(index_dir, f"manifest.json lacks {', '.join(missing)}")
    if manifest["format_version"] != FORMAT_VERSION or manifest.get("chunker_version") != CHUNKER_VERSION:
        raise IndexMismatchError(
            f"索引格式过旧: {index_dir} (format {manifest['format_version']}, chunker "
            f"{manifest.get('chunker_version')}; 需要 {FORMAT_VERSION}/{CHUNKER_VERSION}) — 运行 `rag ingest --rebuild`"
        )
    folder = index_dir / manifest["generation"]
    if not folder.is_dir():
        raise _corrupt(index_dir, f"data folder {manifest['generation']} is missing")
    for name, size in manifest.get("file_sizes", {}).items():  # cheap check: catches truncated or lost files
        if not (folder / name).is_file() or (folder / name).stat().st_size != size:
            raise _corrupt(index_dir, f"{manifest['generation']}/{name} is missing or has another size")
    return manifest


def _corrupt(index_dir: Path, why: str) -> IndexMismatchError:
    return IndexMismatchError(f"索引已损坏: {index_dir} ({why}) — 运行 `rag ingest --rebuild` 重建 (rebuild the index)")


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(3)}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)

