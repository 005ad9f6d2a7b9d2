"""`rag ingest` into Milvus: file by file, so it resumes, and several workers can share one collection.

Each source file (with its `.meta.json` sidecar) is the unit of work: parsed, chunked, embedded
(reusing the vectors its previous version already has in Milvus, by text hash), written, and
committed in groups of files. A file whose hashes match its meta row is skipped, so a killed ingest
picks up at the first uncommitted group, and workers given disjoint file sets (one `rag ingest` per
machine, all with the same RAG_MILVUS_URI) never touch each other's rows or meta rows.

Unlike the FAISS backend, a model change is not rebuilt automatically: a Milvus collection may be
shared, so dropping it takes an explicit `rag ingest --rebuild`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rag.chunk import chunk_speeches
from rag.config import Settings
from rag.embed import Embedder, embedder_names, load_embedder, loadable_name
from rag.errors import IndexMismatchError, InputError
from rag.ingest import IngestReport, Progress, embed_cached, file_hashes
from rag.milvus_store import MilvusStore, milvus_settings
from rag.parse import expand_paths, load_corpus, sidecar_path

GROUP_CHUNKS = 2_000  # chunks written per commit: what a killed ingest can lose


def ingest_milvus(paths: Sequence[Path], settings: Settings, progress: Progress | None = None,
                  rebuild: bool = False, embedders: Sequence[Embedder] | None = None) -> IngestReport:
    """Add (or refresh) the files under `paths` in the Milvus collection named by `settings`."""
    warnings: list[str] = []
    files = [f.resolve() for f in expand_paths([Path(p) for p in paths], warnings)]
    if not files and not warnings:
        raise InputError(f"没有可索引的文件: {', '.join(map(str, paths))} (no supported files)")
    store = MilvusStore.connect(*milvus_settings(settings))
    if rebuild:
        store.drop()
    record = store.manifest
    if record.get("embedding_model_spec") not in (None, settings.embed_model):
        raise IndexMismatchError(
            f"Milvus 索引由 {record['embedding_model_spec']} 构建，当前要求 {settings.embed_model} — "
            f"运行 `rag ingest --rebuild`，或设 RAG_EMBED_MODEL={record['embedding_model_spec']} (index built with another model)")
    known = record.get("inputs", {})
    groups = {f: _inputs(f) for f in files}
    todo = [f for f, hashes in groups.items() if any(known.get(p) != h for p, h in hashes.items())]
    if not todo:
        return IngestReport(store.uri, True, (), 0, 0, 0, 0, record.get("chunks", 0), tuple(warnings))
    models = list(embedders) if embedders is not None else [load_embedder(n) for n in embedder_names(settings.embed_model)]
    added = removed = embedded = reused = 0
    sources: list[str] = []
    batches = _batches(todo)
    for batch in batches:
        corpus = load_corpus(batch)
        warnings += corpus.warnings
        chunks = chunk_speeches(corpus.speeches)
        if not chunks and not added and not record.get("chunks") and batch is batches[-1]:  # as FAISS: say why
            details = "；".join(warnings) or "没有可识别的讲话正文"
            raise InputError(f"没有可索引的内容 (nothing to index): {details}")
        if len({c.chunk_id for c in chunks}) != len(chunks):
            raise InputError("重复的段落编号: 两个输入文件同名？— 重命名其中一个 (duplicate chunk ids: same file name twice?)")
        names = [f.name for f in batch]
        cache = store.cached_vectors(names, [m.name for m in models])
        vectors = {}
        for emb in models:
            vectors[emb.name], n_new = embed_cached(emb, chunks, cache.get(emb.name, {}), progress)
            embedded += n_new
            reused += len(chunks) - n_new
        for name in names:
            removed += store.remove_source(name)
        store.add(chunks, vectors, corpus.speeches)
        inputs = {p: h for f in batch for p, h in groups[f].items()}
        store.commit({"inputs": inputs, "embedding_model_spec": settings.embed_model,
                      "embedding_model": loadable_name(settings.embed_model)})
        added += len(chunks)
        sources += names
    total = store.manifest["chunks"]
    store.close()
    return IngestReport(store.uri, False, tuple(sorted(sources)), added, removed, embedded, reused, total,
                        tuple(warnings))


def _inputs(path: Path) -> dict[str, str]:
    """sha256 of a source file and of its sidecar, if any: a change to either re-indexes the file."""
    return file_hashes([f for f in (path, sidecar_path(path).resolve()) if f.is_file()])


def _batches(files: list[Path]) -> list[list[Path]]:
    """Groups of files of about GROUP_CHUNKS chunks, estimated from size (~150 bytes of text per chunk)."""
    out, current, size = [], [], 0
    for f in files:
        current.append(f)
        size += f.stat().st_size
        if size >= GROUP_CHUNKS * 150:
            out.append(current)
            current, size = [], 0
    return out + ([current] if current else [])
