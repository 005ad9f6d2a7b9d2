"""Files → index folder: parse, chunk, embed what is not cached yet, and save (used by `rag ingest` and the UI).

Incremental by construction: a re-ingested source replaces only its own chunks, vectors are reused
by (model, text hash), and when every input file's hash matches the manifest nothing is parsed or
loaded at all (`make run` ingests on every start).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from rag.bm25 import Bm25Index, Tokenizer, user_terms
from rag.chunk import CHUNKER_VERSION, chunk_speeches
from rag.config import Settings
from rag.embed import Embedder, embedder_names, load_embedder, loadable_name
from rag.errors import IndexMismatchError, IndexMissingError, InputError
from rag.parse import expand_paths, load_corpus, sidecar_path
from rag.index import FORMAT_VERSION, Index, read_manifest, salvage_vectors, text_hash
from rag.records import Chunk
from rag.vectors import ANN_THRESHOLD, DenseIndex, index_kind

Progress = Callable[[int, int, str], None]  # (done, total, what)
EMBED_BATCH = 32


@dataclass(frozen=True)
class IngestReport:
    index_dir: str
    unchanged: bool  # nothing to do: every input matched the manifest
    sources: tuple[str, ...]  # sources (re)indexed by this call
    added: int  # chunks written for those sources
    removed: int  # chunks they replaced
    embedded: int  # texts encoded now (summed over models)
    reused: int  # vectors taken from the cache
    total_chunks: int
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def input_files(paths: Sequence[Path]) -> list[Path]:
    """The files an ingest of `paths` reads (the parser's own expansion) and their `.meta.json` sidecars,
    resolved and sorted: a change to any of them re-indexes its source."""
    files = expand_paths(paths, [])
    sidecars = [s for s in map(sidecar_path, files) if s.is_file()]
    return sorted({f.resolve() for f in files + sidecars})


def file_hashes(files: Sequence[Path]) -> dict[str, str]:
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def ingest_paths(paths: Sequence[Path], settings: Settings, progress: Progress | None = None,
                 rebuild: bool = False, embedders: Sequence[Embedder] | None = None) -> IngestReport:
    """Add (or refresh) the speeches in `paths` to the index at `settings.index_dir`.

    `embedders` may be passed in already loaded; otherwise they are loaded from `settings.embed_model`.
    """
    index_dir = Path(settings.index_dir)
    hashes = file_hashes(input_files(paths))
    old, warnings = (None, []) if rebuild else _previous(index_dir)
    if old is not None and _unchanged(old, hashes, settings.embed_model):
        return IngestReport(str(index_dir), True, (), 0, 0, 0, 0, old["chunks"])
    corpus = load_corpus([Path(p) for p in paths])
    warnings += corpus.warnings
    new_chunks = chunk_speeches(corpus.speeches)
    new_sources = {c.source for c in new_chunks} | {s.source for s in corpus.speeches}
    previous = _load_previous(index_dir, warnings) if old is not None else None
    kept = [c for c in previous.chunks if c.source not in new_sources] if previous else []
    chunks = kept + new_chunks
    if not chunks:
        details = "；".join(warnings) or "没有可识别的讲话正文"
        raise InputError(f"没有可索引的内容 (nothing to index): {details}")
    if len({c.chunk_id for c in chunks}) != len(chunks):
        raise InputError("重复的段落编号: 两个输入文件同名？— 重命名其中一个 (duplicate chunk ids: same file name twice?)")
    models = list(embedders) if embedders is not None else [load_embedder(n) for n in embedder_names(settings.embed_model)]
    dense, embedded = _dense_indexes(models, chunks, previous, len(kept), index_dir, progress)
    reused = len(chunks) * len(models) - embedded
    inputs = {**(old.get("inputs", {}) if old and previous else {}), **hashes}
    speeches = [s for s in previous.speech_records if s.source not in new_sources] if previous else []
    index = Index(chunks, dense, _build_bm25(chunks), _manifest(settings.embed_model, models, chunks, inputs),
                  speeches + list(corpus.speeches))
    index.save(index_dir)
    removed = len(previous.chunks) - len(kept) if previous else 0
    return IngestReport(str(index_dir), False, tuple(sorted(new_sources)), len(new_chunks), removed,
                        embedded, reused, len(chunks), tuple(warnings))


def _dense_indexes(models: Sequence[Embedder], chunks: list[Chunk], previous: Index | None, n_kept: int,
                   index_dir: Path, progress: Progress | None) -> tuple[dict[str, DenseIndex], int]:
    """One dense index per model over `chunks`, embedding only uncached texts; returns (indexes, texts embedded)."""
    caches = {m.name: previous.cached_vectors(m.name) for m in models if m.name in previous.dense} if previous \
        else salvage_vectors(index_dir)
    dense, embedded = {}, 0
    for emb in models:
        vectors, n_new = embed_cached(emb, chunks, caches.get(emb.name, {}), progress)
        kind = index_kind(len(chunks))
        if previous and emb.name in previous.dense and n_kept == len(previous.chunks):  # pure append
            dense[emb.name] = previous.dense[emb.name].extended(vectors[n_kept:], kind)
        else:
            dense[emb.name] = DenseIndex(vectors, kind)
        embedded += n_new
    return dense, embedded


def embed_cached(emb: Embedder, chunks: Sequence[Chunk], cache: dict[str, np.ndarray],
                 progress: Progress | None = None) -> tuple[np.ndarray, int]:
    """Vectors for every chunk's indexed text, encoding only texts missing from `cache`."""
    keys = [text_hash(c.indexed_text) for c in chunks]
    todo = {k: c.indexed_text for k, c in zip(keys, chunks) if k not in cache}
    fresh: dict[str, np.ndarray] = {}
    items = sorted(todo.items(), key=lambda kv: len(kv[1]))  # similar lengths per batch: less padding
    for start in range(0, len(items), EMBED_BATCH):
        batch = items[start:start + EMBED_BATCH]
        for (k, _), v in zip(batch, emb.encode_passages([t for _, t in batch])):
            fresh[k] = v
        if progress:
            progress(min(start + EMBED_BATCH, len(items)), len(items), f"embedding with {emb.name}")
    rows = [fresh[k] if k in fresh else cache[k] for k in keys]
    vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, emb.dim), np.float32)
    return np.ascontiguousarray(vectors), len(items)


def _build_bm25(chunks: Sequence[Chunk]) -> Bm25Index:
    return Bm25Index.build([c.indexed_text for c in chunks], Tokenizer(user_terms(chunks)))


def _previous(index_dir: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The current manifest if usable; a stale or broken index is rebuilt, with a warning."""
    try:
        return read_manifest(index_dir), []
    except IndexMissingError:
        return None, []
    except IndexMismatchError as exc:
        return None, [_rebuilt(exc)]


def _load_previous(index_dir: Path, warnings: list[str]) -> Index | None:
    try:
        return Index.load(index_dir)
    except IndexMismatchError as exc:
        warnings.append(_rebuilt(exc))
        return None


def _rebuilt(exc: IndexMismatchError) -> str:
    """The mismatch message tells other commands to rebuild; here the rebuild is already happening."""
    reason = str(exc).split(" — ")[0]
    return f"重建索引（已自动重建，复用可读的向量）: {reason}"


def _unchanged(manifest: dict[str, Any], hashes: dict[str, str], spec: str) -> bool:
    inputs = manifest.get("inputs", {})
    return manifest["embedding_model_spec"] == spec and all(inputs.get(f) == h for f, h in hashes.items())


def _manifest(spec: str, models: Sequence[Embedder], chunks: Sequence[Chunk], inputs: dict[str, str]) -> dict[str, Any]:
    fingerprint = hashlib.sha256("\n".join(f"{c.chunk_id}\t{text_hash(c.indexed_text)}" for c in chunks).encode()).hexdigest()
    return {
        "format_version": FORMAT_VERSION,
        "chunker_version": CHUNKER_VERSION,
        "generation": "",
        "embedding_model_spec": spec,
        "embedding_model": loadable_name(spec),
        "models": [{"name": m.name, "loadable": loadable_name(m.name), "dim": m.dim} for m in models],
        "dim": models[0].dim if models else 0,
        "chunks": len(chunks),
        "speeches": len({c.speech_id for c in chunks}),
        "sources": sorted({c.source for c in chunks}),
        "inputs": inputs,
        "corpus_fingerprint": fingerprint,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ann": index_kind(len(chunks)),
        "ann_threshold": ANN_THRESHOLD,
        "bm25": {"library": "bm25s", "tokenizer": "jieba lcut_for_search + corpus user dictionary"},
    }
