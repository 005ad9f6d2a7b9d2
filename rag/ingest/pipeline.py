"""Files → index: parse, chunk, embed what is not cached yet, and commit (used by `rag ingest` and the UI).

- **One writer, briefly.** Parsing, chunking and embedding run first, without the writer lock: vectors
  go to the embedding cache, which any number of ingests may append to. Only the commit (the
  read-modify-write of the index, whose texts are then all cached) holds the exclusive lock on
  `<index>/.lock` (fcntl), for the CLI and the UI alike; a second writer waits for it up to
  LOCK_WAIT_SECONDS, then is told the index is busy (`IndexBusyError`). Searches read the committed
  index throughout.
- **Bounded.** A file that gives more than `settings.max_chunks_per_file` chunks is refused before
  anything of it is embedded, with a message naming it and how to raise the budget.
- **Incremental.** A file whose hash matches the manifest is not even parsed; a changed file replaces
  only its own chunks; the store writes a segment of what was added (rag/store/faiss/index.py).
- **Resumable.** Vectors go to the embedding cache (rag/ingest/vector_cache.py) batch by batch as they are
  encoded, before anything is committed: a killed ingest loses at most one batch, and the re-run
  embeds only what is missing. Until the commit, readers see the previous index.
- **Per-file failures.** A file that cannot be read or parsed is a warning and is not recorded, so the
  next run retries it; when no input could be indexed the ingest fails (`rag ingest` exits non-zero).
- **Source identity.** A source name belongs to the file it came from: another file (a second
  `report.txt` from another folder, a `.jsonl` record naming another file) cannot replace its chunks,
  unless it has the same content or the original file is gone.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from rag.config import Settings
from rag.errors import IndexBusyError, IndexMismatchError, IndexMissingError, InputError, RagError
from rag.ingest.chunk import chunk_speeches, index_versions
from rag.ingest.vector_cache import VectorCache, text_key
from rag.parse import SUPPORTED, Corpus, expand_paths, load_corpus, sidecar_path
from rag.records import Chunk, Speech
from rag.store.base import Store, create_store, open_store
from rag.store.embed import Embedder, embedder_names, load_embedder, loadable_name

Progress = Callable[[int, int, str], None]  # (done, total, what: includes chunks/s and time left)
EMBED_BATCH = 64  # texts per encode call and per cache append: a kill loses at most this many
ADD_BATCH = 4096  # chunks handed to the store at a time
LOCK_WAIT_SECONDS = 60.0  # a commit takes seconds; a writer waits this long for another one's


@dataclass(frozen=True)
class IngestReport:
    index_dir: str
    unchanged: bool  # nothing to do: every input matched the manifest
    sources: tuple[str, ...]  # sources (re)indexed by this call
    added: int  # chunks written for those sources
    removed: int  # chunks they replaced
    embedded: int  # texts encoded now (summed over models)
    reused: int  # vectors of the index not encoded now (kept, or taken from the cache)
    total_chunks: int
    warnings: tuple[str, ...] = ()
    failed: tuple[str, ...] = field(default=())  # input files not indexed (see warnings)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def input_files(paths: Sequence[Path], warnings: list[str]) -> list[Path]:
    """The files an ingest of `paths` reads (the parser's own expansion), resolved and sorted; what was
    skipped (unsupported types, links that lead nowhere) is added to `warnings`. Nothing to read at all
    is an InputError: exit 1 with the reasons, never 「索引已是最新」."""
    files = sorted({f.resolve() for f in expand_paths(paths, warnings)})
    if not files:
        named = "、".join(str(p) for p in paths)
        raise InputError(f"没有可索引的文件 (nothing to index): {named} — {'；'.join(warnings) or '其中没有支持的文件'}；"
                         f"支持 {' '.join(SUPPORTED)}")
    return files


def file_hashes(files: Sequence[Path], warnings: list[str]) -> dict[str, str]:
    """SHA-256 of each file and of its `.meta.json` sidecar if any: a change to either re-indexes it.
    A file or sidecar that cannot be read is left out, with a warning naming it."""
    out = {}
    for f in files:
        h = hashlib.sha256()
        part = f
        try:
            for part in (f, sidecar_path(f)):
                if part == f or part.is_file():
                    with open(part, "rb") as stream:
                        for block in iter(lambda: stream.read(1 << 20), b""):
                            h.update(block)
        except OSError as exc:
            warnings.append(f"{part}: 无法读取 ({exc.strerror or exc}) — 请检查权限；{f.name} 已跳过 (skipped)")
            continue
        out[str(f)] = h.hexdigest()
    return out


@contextmanager
def index_lock(index_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the index's writer lock (waiting up to `wait` seconds for it), or raise IndexBusyError
    naming the process that holds it."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with open(index_dir / ".lock", "a+") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                f.seek(0)
                holder = f.read().strip() or "?"
                raise IndexBusyError(f"索引正被另一个写入进程使用: {index_dir} (pid {holder}) — 等它完成后再运行 "
                                     "(another ingest holds this index; retry when it has finished)") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass(frozen=True)
class _Parsed:
    """One input file parsed: its corpus, or why it is refused as a whole (`error`, a warning)."""

    corpus: Corpus
    error: str | None = None


def ingest_paths(paths: Sequence[Path], settings: Settings, progress: Progress | None = None,
                 rebuild: bool = False, embedders: Sequence[Embedder] | None = None,
                 lock_wait: float = LOCK_WAIT_SECONDS) -> IngestReport:
    """Add (or refresh) the speeches in `paths` to the index at `settings.index_dir`.

    `embedders` may be passed in already loaded; otherwise they are loaded from `settings.embed_model`.
    """
    index_dir = Path(settings.index_dir)
    warnings: list[str] = []
    files = input_files(paths, warnings)
    prepared, models, embedded = _prepare(files, settings, progress, rebuild, embedders)
    with index_lock(index_dir, wait=lock_wait):
        report = _ingest_locked(files, warnings, prepared, index_dir, settings, progress, rebuild, models)
    if report.unchanged:
        return report
    return replace(report, embedded=report.embedded + embedded, reused=report.reused - embedded)


def _prepare(files: list[Path], settings: Settings, progress: Progress | None, rebuild: bool,
             embedders: Sequence[Embedder] | None
             ) -> tuple[dict[tuple[str, str], _Parsed], Sequence[Embedder] | None, int]:
    """Without the writer lock: parse the files the committed index lacks (or holds in another version)
    and embed their chunks into the cache. Returns the parses by (file, hash), for the commit to reuse
    when the file is still the same, the models (loaded only when there is something to embed) and the
    number of texts encoded."""
    hashes = file_hashes(files, [])  # the commit hashes again and warns
    inputs = {} if rebuild else _committed_inputs(settings)
    if inputs is None:  # a stale or older-format index: rebuilt under the lock from what it carries
        return {}, embedders, 0
    todo = [f for f in files if str(f) in hashes and inputs.get(str(f)) != hashes[str(f)]]
    if not todo:
        return {}, embedders, 0
    parsed = {(str(f), hashes[str(f)]): _parse_file(f, settings.max_chunks_per_file) for f in todo}
    chunks = chunk_speeches([s for p in parsed.values() if p.error is None for s in p.corpus.speeches])
    models = list(embedders) if embedders is not None else \
        [load_embedder(n) for n in embedder_names(settings.embed_model)]
    caches = [VectorCache(Path(settings.index_dir) / "cache", m.name, m.dim) for m in models]
    embedded = sum(embed_missing(m, cache, chunks, progress) for m, cache in zip(models, caches))
    return parsed, models, embedded



def _committed_inputs(settings: Settings) -> dict[str, str] | None:
    """File → hash of the committed index's inputs: {} when there is no index, None when there is one
    that must be rebuilt (stale, older format, damaged)."""
    try:
        return dict(open_store(settings, index_versions()).manifest.get("inputs", {}))
    except IndexMissingError:
        return {}
    except RagError:
        return None


def _parse_file(f: Path, max_chunks: int) -> _Parsed:
    """Parse one file; one that cannot be parsed, or that gives more chunks than the budget, is refused."""
    try:
        corpus = load_corpus([f])
    except (RecursionError, ValueError, OSError, MemoryError) as exc:  # the parser's own errors are warnings already
        return _Parsed(Corpus(), f"{f}: 无法解析 ({type(exc).__name__}) — 已跳过 (skipped)")
    chunks = len(chunk_speeches(corpus.speeches))
    if chunks > max_chunks:
        return _Parsed(corpus, f"{f}: 切分出 {chunks} 块，超过每个文件 {max_chunks} 块的上限 (chunk budget per file) — "
                               f"已跳过；请拆分文件，或用 `rag ingest --max-chunks N`（环境变量 "
                               f"RAG_MAX_CHUNKS_PER_FILE）提高上限")
    return _Parsed(corpus)


def _ingest_locked(files: list[Path], warnings: list[str], prepared: dict[tuple[str, str], _Parsed], index_dir: Path,
                   settings: Settings, progress: Progress | None, rebuild: bool,
                   embedders: Sequence[Embedder] | None) -> IngestReport:
    hashes = file_hashes(files, warnings)
    unreadable = [f for f in files if str(f) not in hashes]
    if not hashes:
        raise InputError(f"没有可索引的内容 (nothing indexed): {'；'.join(warnings)}")
    previous, stale = (None, None) if rebuild else _previous(settings)
    warnings += [] if stale is None else [_rebuilt(stale)]
    if previous is not None:
        previous.cleanup()
    old = previous.manifest if previous is not None else None
    spec = settings.embed_model
    same_model = old is not None and old["embedding_model_spec"] == spec
    inputs = dict(old.get("inputs", {})) if old else {}
    todo = [f for f in files if str(f) in hashes and inputs.get(str(f)) != hashes[str(f)]]
    if old is not None and same_model and not todo:
        return IngestReport(str(index_dir), True, (), 0, 0, 0, 0, old["chunks"], tuple(warnings),
                            tuple(str(f) for f in unreadable))

    source_files = dict(old.get("source_files", {})) if old else {}
    parses = {f: prepared.get((str(f), hashes[str(f)])) or _parse_file(f, settings.max_chunks_per_file) for f in todo}
    loaded, failed = _load_files(parses, hashes, source_files, inputs, warnings)
    failed += unreadable
    speeches = [s for _, parsed in loaded for s in parsed]
    new_chunks = chunk_speeches(speeches)
    if len({c.chunk_id for c in new_chunks}) != len(new_chunks):
        raise InputError("重复的段落编号: 两个输入同名？— 重命名其中一个 (duplicate chunk ids: same source name twice?)")
    if todo and not loaded:
        details = "；".join(warnings) or "没有可识别的讲话正文"
        raise InputError(f"没有可索引的内容 (nothing indexed): {details}")

    models = list(embedders) if embedders is not None else [load_embedder(n) for n in embedder_names(spec)]
    caches = {m.name: VectorCache(index_dir / "cache", m.name, m.dim) for m in models}
    done = {str(f) for f, _ in loaded}
    replaced = {c.source for c in new_chunks} | {s.source for s in speeches} | \
        {name for name, path in source_files.items() if path in done}
    store, kept_chunks, kept_speeches, removed = _store_for_write(settings, models, previous, same_model, replaced,
                                                                  rebuild or stale is not None)
    for name, keys, vectors in store.carried_vectors():  # e.g. an older format's: they fill the cache
        if name in caches and caches[name].dim == vectors.shape[1]:
            missing = caches[name].rows(keys) < 0
            caches[name].append([k for k, m in zip(keys, missing) if m], vectors[missing])
    to_add = kept_chunks + new_chunks
    embedded = sum(embed_missing(m, caches[m.name], to_add, progress) for m in models)
    for start in range(0, len(to_add), ADD_BATCH):
        batch = to_add[start:start + ADD_BATCH]
        keys = [text_key(c.indexed_text) for c in batch]
        store.add(batch, {m.name: caches[m.name].vectors(caches[m.name].rows(keys)) for m in models})
    store.add([], {m.name: np.zeros((0, m.dim), np.float32) for m in models}, kept_speeches + speeches)
    for name in [n for n, path in source_files.items() if path in done]:
        del source_files[name]  # a changed file may no longer produce a source it once did
    for f, parsed in loaded:
        inputs[str(f)] = hashes[str(f)]
        source_files.update({s.source: str(f) for s in parsed})
    store.commit(_manifest_keys(spec, models, inputs, source_files))
    total = store.manifest["chunks"]
    return IngestReport(str(index_dir), False, tuple(sorted({c.source for c in new_chunks})), len(new_chunks),
                        removed, embedded, total * len(models) - embedded, total, tuple(warnings),
                        tuple(str(f) for f in failed))


def _load_files(parses: dict[Path, _Parsed], hashes: dict[str, str], source_files: dict[str, str],
                inputs: dict[str, str], warnings: list[str]) -> tuple[list[tuple[Path, list[Speech]]], list[Path]]:
    """Each file's parse: (file, speeches) for those that parsed, and the files that failed.
    Speeches naming a source that belongs to another file are refused (see module docstring)."""
    loaded, failed = [], []
    claimed: dict[str, str] = {}  # source → file, within this batch
    for f, parse in parses.items():
        warnings += parse.corpus.warnings
        if parse.error is not None or not parse.corpus.files:
            warnings += [parse.error] if parse.error else []
            failed.append(f)
            continue
        kept = []
        for s in parse.corpus.speeches:
            owner = claimed.get(s.source) or source_files.get(s.source)
            if owner and owner != str(f) and not _same_document(owner, str(f), hashes, inputs):
                warnings.append(f"{f}: 来源名 {s.source} 已属于 {owner}，拒绝替换 — 重命名文件后再导入 "
                                f"(source name taken by another file)")
                continue
            claimed[s.source] = str(f)
            kept.append(s)
        if kept or not parse.corpus.speeches:
            loaded.append((f, kept))
        else:
            failed.append(f)
    return loaded, failed


def _same_document(owner: str, path: str, hashes: dict[str, str], inputs: dict[str, str]) -> bool:
    """May `path` take over a source recorded for `owner`? Yes if it has the same content, or the owner is gone."""
    return inputs.get(owner) == hashes.get(path) or (owner not in hashes and not Path(owner).exists())


def _store_for_write(settings: Settings, models: Sequence[Embedder], previous: Store | None, same_model: bool,
                     replaced: set[str], rebuild: bool) -> tuple[Store, list[Chunk], list[Speech], int]:
    """The store to write into, with the chunks and speeches to carry over, and the chunks removed.

    Same model: the committed store itself (replaced sources removed). Another model, or a rebuild
    (asked for, or of a stale index): a fresh store that replaces the old one; with another model, the
    old store's other chunks are carried over and re-embedded (read before the fresh store is created:
    a Milvus one replaces the old collections)."""
    if previous is not None and same_model:
        return previous, [], [], sum(previous.remove_source(s) for s in sorted(replaced))
    kept = [c for c in previous.chunks if c.source not in replaced] if previous is not None else []
    speeches = [s for s in previous.speeches() if s.source not in replaced] if previous is not None else []
    removed = len(previous.chunks) - len(kept) if previous is not None else 0
    store = create_store(settings, [(m.name, m.dim) for m in models], replace=rebuild or previous is not None)
    store.cleanup()
    return store, kept, speeches, removed


def embed_missing(emb: Embedder, cache: VectorCache, chunks: Sequence[Chunk], progress: Progress | None) -> int:
    """Encode every chunk text the cache lacks, appending each batch to the cache as it is done."""
    todo: dict[bytes, str] = {}
    keys = [text_key(c.indexed_text) for c in chunks]
    for k, c, row in zip(keys, chunks, cache.rows(keys)):
        if row < 0:
            todo.setdefault(k, c.indexed_text)
    items = sorted(todo.items(), key=lambda kv: len(kv[1]))  # similar lengths per batch: less padding
    started = time.monotonic()
    for start in range(0, len(items), EMBED_BATCH):
        batch = items[start:start + EMBED_BATCH]
        cache.append([k for k, _ in batch], emb.encode_passages([t for _, t in batch]))
        if progress:
            done = min(start + EMBED_BATCH, len(items))
            progress(done, len(items), f"嵌入 {emb.name} {rate_text(done, len(items), time.monotonic() - started)}")
    return len(items)


def rate_text(done: int, total: int, seconds: float) -> str:
    """Chunks per second and time left, for progress displays.

    >>> rate_text(50, 150, 10.0)
    '5.0 块/秒，剩余 0:00:20'
    """
    rate = done / seconds if seconds > 0 else 0.0
    left = int((total - done) / rate) if rate > 0 else 0
    return f"{rate:.1f} 块/秒，剩余 {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"


def _previous(settings: Settings) -> tuple[Store | None, IndexMismatchError | None]:
    """The committed store if usable, else why not: a stale or broken index is rebuilt (with a warning)."""
    try:  # a writer checks every row (readers: those they read)
        return open_store(settings, index_versions(), verify=True), None
    except IndexMissingError:
        return None, None
    except IndexMismatchError as exc:
        return None, exc


def _rebuilt(exc: IndexMismatchError) -> str:
    """The mismatch's fix tells other commands to rebuild; here the rebuild is already happening."""
    return f"重建索引（已自动重建，复用已缓存的向量）: {exc.reason}"


def _manifest_keys(spec: str, models: Sequence[Embedder], inputs: dict[str, str],
                   source_files: dict[str, str]) -> dict[str, Any]:
    return {
        "embedding_model_spec": spec,
        "embedding_model": loadable_name(spec),
        "models": [{"name": m.name, "loadable": loadable_name(m.name), "dim": m.dim} for m in models],
        "dim": models[0].dim if models else 0,
        "sources": sorted(source_files),
        "inputs": inputs,
        "source_files": source_files,
        **index_versions(),
    }
