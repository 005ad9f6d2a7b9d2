"""The index folder: incremental segments, embedding cache, atomic commits, integrity, locking, source identity."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from _index_support import FILE_A, FILE_B
from rag.config import Settings
from rag.errors import IndexBusyError, IndexMismatchError, IndexMissingError, InputError
from rag.store.faiss.index import MAX_SEGMENTS, FaissStore, read_manifest, text_hash
from rag.ingest.pipeline import index_lock, ingest_paths
from rag.retrieve.retriever import Retriever
from rag.store.faiss.vectors import DenseIndex, index_kind


def settings_for(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", embed_model="e5-small")


def load(settings: Settings) -> FaissStore:
    return FaissStore.load(settings.index_dir)


def segment_dir(settings: Settings, i: int = 0) -> Path:
    return settings.index_dir / read_manifest(settings.index_dir)["segments"][i]["name"]


def test_ingest_writes_manifest_and_plain_files(tmp_path, corpus_dir, embedder):
    report = ingest_paths([corpus_dir], settings_for(tmp_path), embedders=[embedder])
    manifest = read_manifest(tmp_path / "index")
    assert report.total_chunks == manifest["chunks"] == embedder.passages == 4
    assert manifest["dim"] == 384 and manifest["speeches"] == 2 and manifest["sources"] == ["a.txt"]
    assert manifest["embedding_model"] == "e5-small" and manifest["ann"] == "flat" and manifest["backend"] == "faiss"
    assert manifest["source_files"] == {"a.txt": str((corpus_dir / "a.txt").resolve())}
    for key in ("format_version", "corpus_fingerprint", "built_at"):
        assert manifest[key]
    names = {p.name for p in segment_dir(settings_for(tmp_path)).iterdir()}
    assert {"meta.sqlite", "dense-0.f32", "userdict.txt", "bm25-vocab.txt", "groups.npy"} <= names
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    assert "亩均效益" in (segment_dir(settings_for(tmp_path)) / "userdict.txt").read_text(encoding="utf-8").split("\n")


def test_store_keeps_the_parsed_speeches_beside_the_chunks(tmp_path, corpus_dir, embedder):
    from rag.parse import load_corpus
    from rag.store.base import open_store

    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    store = open_store(settings)
    assert store.backend == "faiss" and store.models == ["e5-small"] and len(store.chunks) == 4
    assert store.speeches() == load_corpus([corpus_dir]).speeches
    assert store.find(store.chunk(0).chunk_id) == store.chunk(0) and store.find("nope:0:0:0") is None
    info = store.info()
    assert info["backend"] == "faiss" and info["disk_bytes"] > 0 and info["stale_tmp"] == []


def test_reingesting_the_same_file_changes_nothing(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    before = (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8")
    embedder.passages = 0
    report = ingest_paths([corpus_dir], settings, embedders=[embedder])
    assert report.unchanged and report.embedded == 0 and embedder.passages == 0
    assert (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8") == before


def test_adding_a_file_embeds_only_its_chunks(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    old_ids = [c.chunk_id for c in load(settings).chunks]
    (corpus_dir / "b.txt").write_text(FILE_B, encoding="utf-8")
    embedder.passages = 0
    report = ingest_paths([corpus_dir / "b.txt"], settings, embedders=[embedder])
    index = load(settings)
    new_ids = [c.chunk_id for c in index.chunks if c.source == "b.txt"]
    assert report.added == embedder.passages == report.embedded == len(new_ids) == 2
    assert report.reused == len(old_ids) and report.removed == 0
    assert [c.chunk_id for c in index.chunks] == old_ids + new_ids
    assert len(read_manifest(settings.index_dir)["segments"]) == 2  # the first segment was not rewritten
    assert not list(settings.index_dir.glob("*.tmp*"))


def test_changed_file_replaces_its_chunks_and_reembeds_only_new_text(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    path = corpus_dir / "a.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("惠及居民860户", "惠及居民900户"), encoding="utf-8")
    embedder.passages = 0
    report = ingest_paths([corpus_dir], settings, embedders=[embedder])
    texts = [c.text for c in load(settings).chunks]
    assert report.removed == 4 and report.added == 4 and embedder.passages == report.embedded == 1
    assert any("900户" in t for t in texts) and not any("860户" in t for t in texts)


def test_a_copied_index_gives_identical_hits(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    first = Retriever(load(settings), {"e5-small": embedder})
    shutil.copytree(settings.index_dir, tmp_path / "copy")
    second = Retriever(FaissStore.load(tmp_path / "copy"), {"e5-small": embedder})
    for q in ("桂山镇协议引资多少亿元？", "柳塘镇亩均效益改革"):
        a, b = first.search(q, 4), second.search(q, 4)
        assert [(h.chunk, h.score) for h in a] == [(h.chunk, h.score) for h in b]
        assert len(a) == 4


def test_missing_index_says_run_ingest(tmp_path):
    with pytest.raises(IndexMissingError, match="rag ingest"):
        FaissStore.load(tmp_path / "nothing")


def _swap_rows(db: Path) -> None:
    with sqlite3.connect(db) as con:
        (a_data, a_hash), (b_data, b_hash) = con.execute("SELECT data, text_hash FROM chunks WHERE row IN (0, 1) ORDER BY row")
        con.execute("UPDATE chunks SET data = ?, text_hash = ? WHERE row = 0", (b_data, b_hash))
        con.execute("UPDATE chunks SET data = ?, text_hash = ? WHERE row = 1", (a_data, a_hash))


def _swap_whole_rows(db: Path) -> None:
    """Rows 0 and 1 trade every stored column (id, source, hashes, speech, data): only the row number stays."""
    with sqlite3.connect(db) as con:
        a, b = con.execute("SELECT chunk_id, source, text_hash, row_hash, speech, data FROM chunks WHERE row IN (0, 1) ORDER BY row")
        for row, values in ((0, b), (1, a)):
            con.execute("UPDATE chunks SET chunk_id = ?, source = ?, text_hash = ?, row_hash = ?, speech = ?, data = ? "
                        "WHERE row = ?", (*values, row))


def _damage(settings: Settings, damage: str) -> None:
    manifest_path = settings.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    seg = segment_dir(settings)
    entry = manifest["segments"][0]
    if damage == "garbage":
        manifest_path.write_text("{not json", encoding="utf-8")
    elif damage == "no_segment":
        manifest_path.write_text(json.dumps({**manifest, "segments": [{**entry, "name": "s-gone"}]}), encoding="utf-8")
    elif damage == "old_format":
        manifest_path.write_text(json.dumps({**manifest, "format_version": 0}), encoding="utf-8")
    elif damage == "truncated_vectors":
        data = (seg / "dense-0.f32").read_bytes()
        (seg / "dense-0.f32").write_bytes(data[: len(data) // 2])
    elif damage in ("swapped_rows", "swapped_whole_rows", "edited_text"):  # same sizes: only content checks tell
        size = (seg / "meta.sqlite").stat().st_size
        if damage == "swapped_rows":
            _swap_rows(seg / "meta.sqlite")
        elif damage == "swapped_whole_rows":
            _swap_whole_rows(seg / "meta.sqlite")
        else:
            with sqlite3.connect(seg / "meta.sqlite") as con:
                con.execute("UPDATE chunks SET data = replace(data, '12万', '99万')")
        entry["file_sizes"]["meta.sqlite"] = (seg / "meta.sqlite").stat().st_size
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        assert size  # (the manifest's cheap size check is updated on purpose)
    elif damage == "faiss_header":  # an ANN segment whose FAISS file starts with garbage
        (seg / "dense-0.faiss").write_bytes(b"garbage!" * 10)
        entry.update(ann="hnsw", files={"e5-small": {"vectors": "dense-0.f32", "faiss": "dense-0.faiss"}})
        entry["file_sizes"]["dense-0.faiss"] = 80
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    elif damage == "dimension":
        manifest_path.write_text(json.dumps({**manifest, "models": [{**manifest["models"][0], "dim": 512}]}),
                                 encoding="utf-8")


DAMAGE = ["garbage", "no_segment", "old_format", "truncated_vectors", "swapped_rows", "swapped_whole_rows",
          "edited_text", "faiss_header", "dimension"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_index_is_refused_then_rebuilt(tmp_path, corpus_dir, embedder, damage):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    _damage(settings, damage)
    with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
        store = load(settings)
        [c.text for c in store.chunks]  # edited text is caught when the chunk is read
    embedder.passages = 0
    # edited text is found on reading a chunk (not at every open): the message asks for --rebuild
    report = ingest_paths([corpus_dir], settings, embedders=[embedder], rebuild=damage == "edited_text")
    assert not report.unchanged and report.total_chunks == 4
    assert damage == "edited_text" or (report.warnings and "重建索引" in report.warnings[0])
    assert embedder.passages == 0  # vectors come from the cache
    assert len(load(settings).chunks) == 4


@pytest.mark.parametrize("damage", ["swapped_rows", "swapped_whole_rows"])
def test_swapped_rows_are_refused_where_read_and_by_a_full_check(tmp_path, corpus_dir, embedder, damage):
    """Opening does not hash every row (that grows with the index); each row is checked where it is read,
    and `verify` (writers, `rag info --check`) checks them all against the commit's fingerprint."""
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    untouched = load(settings).chunk(2)
    _damage(settings, damage)
    store = load(settings)  # opens: sizes, counts and the manifest are intact
    assert store.chunk(2) == untouched
    for row in (0, 1):
        with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
            store.chunk(row)
    with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
        FaissStore.load(settings.index_dir, verify=True)


def test_index_built_with_another_model_is_refused(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    with pytest.raises(IndexMismatchError, match="m3e-small"):
        FaissStore.load(settings.index_dir, expect_model="m3e-small")


def test_missing_input_path_is_an_input_error(tmp_path, embedder):
    with pytest.raises(InputError, match="不存在"):
        ingest_paths([tmp_path / "missing.txt"], settings_for(tmp_path), embedders=[embedder])


@pytest.mark.slow  # trains HNSW and IVF-PQ indexes over many vectors
@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
def test_ann_index_matches_exact_search_with_and_without_a_filter(kind):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((30, 32))
    vectors = (centres[rng.integers(0, 30, 3000)] + 0.3 * rng.standard_normal((3000, 32))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat, ann = DenseIndex(vectors, "flat"), DenseIndex(vectors, kind)
    assert index_kind(3000, threshold=1000) == "hnsw" and index_kind(999, threshold=1000) == "flat"
    assert index_kind(3000, threshold=1000, ivf_threshold=2000) == "ivfpq"
    agree = sum(flat.search(vectors[i], 1)[0][0] == ann.search(vectors[i], 1)[0][0] for i in range(0, 3000, 100))
    assert agree >= 28
    allowed = np.zeros(3000, bool)
    allowed[::7] = True  # a filter: only every 7th row
    from rag.store.faiss import vectors as vectors_module
    small, vectors_module.EXACT_SUBSET = vectors_module.EXACT_SUBSET, 10  # force the ANN path under the filter
    try:
        ids, scores = ann.search(vectors[5], 10, allowed)
    finally:
        vectors_module.EXACT_SUBSET = small
    exact_ids, _ = flat.search(vectors[5], 10, allowed)
    assert len(ids) == 10 and all(allowed[ids]) and list(scores) == sorted(scores, reverse=True)
    assert len(set(ids) & set(exact_ids)) >= 8


def test_rebuild_after_a_format_change_reuses_cached_vectors(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    manifest_path = settings.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "chunker_version": -1}), encoding="utf-8")
    embedder.passages = 0
    report = ingest_paths([corpus_dir], settings, embedders=[embedder])
    assert report.warnings and report.total_chunks == 4
    assert report.embedded == embedder.passages == 0 and report.reused == 4


def test_a_killed_embedding_resumes_from_the_cache(tmp_path, corpus_dir, embedder, monkeypatch):
    import rag.ingest.pipeline

    (corpus_dir / "b.txt").write_text(FILE_B, encoding="utf-8")
    monkeypatch.setattr(rag.ingest.pipeline, "EMBED_BATCH", 2)
    settings = settings_for(tmp_path)
    calls = {"n": 0}
    encode = embedder.encode_passages

    def dies_on_the_third_batch(texts):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as a kill between two batches
        return encode(texts)

    embedder.encode_passages = dies_on_the_third_batch
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([corpus_dir], settings, embedders=[embedder])
    assert not (settings.index_dir / "manifest.json").exists()  # nothing committed
    assert embedder.passages == 4
    embedder.encode_passages, embedder.passages = encode, 0
    report = ingest_paths([corpus_dir], settings, embedders=[embedder])
    assert report.total_chunks == 6 and report.embedded == embedder.passages == 2 and report.reused == 4


def test_a_second_writer_is_told_the_index_is_busy(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    with index_lock(settings.index_dir):
        with pytest.raises(IndexBusyError, match=f"pid {os.getpid()}"):  # after waiting lock_wait seconds
            ingest_paths([corpus_dir], settings, embedders=[embedder], lock_wait=0.5)
    assert ingest_paths([corpus_dir], settings, embedders=[embedder]).total_chunks == 4  # released


def test_stale_leftovers_go_and_live_segments_stay(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    live = segment_dir(settings).name
    for leftover in ("s-20000101T000000-aaaaaa.tmp", "s-20000101T000000-bbbbbb", "g-20000101T000000-cccccc"):
        (settings.index_dir / leftover).mkdir()
    (corpus_dir / "b.txt").write_text(FILE_B, encoding="utf-8")
    ingest_paths([corpus_dir / "b.txt"], settings, embedders=[embedder])
    names = {p.name for p in settings.index_dir.iterdir()}
    assert live in names and segment_dir(settings, 1).name in names
    assert not any(n.startswith(("g-", "s-2000")) for n in names) and not any(n.endswith(".tmp") for n in names)


def test_a_failed_file_is_not_recorded_and_is_retried(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    (corpus_dir / "empty.txt").write_text("", encoding="utf-8")
    report = ingest_paths([corpus_dir], settings, embedders=[embedder])
    assert report.failed == (str((corpus_dir / "empty.txt").resolve()),)
    assert set(read_manifest(settings.index_dir)["inputs"]) == {str((corpus_dir / "a.txt").resolve())}
    (corpus_dir / "empty.txt").write_text(FILE_B, encoding="utf-8")
    report = ingest_paths([corpus_dir], settings, embedders=[embedder])
    assert not report.unchanged and report.sources == ("empty.txt",) and report.total_chunks == 6


def test_only_failed_files_is_an_input_error(tmp_path, embedder):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    with pytest.raises(InputError, match="binary.txt"):
        ingest_paths([tmp_path / "binary.txt"], settings_for(tmp_path), embedders=[embedder])
    assert not (tmp_path / "index" / "manifest.json").exists()


def test_a_file_of_the_same_name_elsewhere_cannot_replace_another_files_chunks(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text(FILE_B, encoding="utf-8")
    with pytest.raises(InputError, match="已属于"):
        ingest_paths([other / "a.txt"], settings, embedders=[embedder])
    assert [c.speaker for c in load(settings).chunks] == ["林晓", "林晓", "何峰", "何峰"]
    shutil.copy(corpus_dir / "a.txt", other / "a.txt")  # the same document, moved: allowed
    assert ingest_paths([other / "a.txt"], settings, embedders=[embedder]).total_chunks == 4


def test_a_jsonl_record_naming_another_file_stays_inside_its_own_file(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    record = {"source": "a.txt", "meeting": "某会议", "speaker": "张三", "text": "冒名顶替的段落，内容完全不同。"}
    own = {**record, "source": "own.txt", "text": "自己的段落，增长百分之五。"}
    (tmp_path / "records.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (record, own)),
                                            encoding="utf-8")
    report = ingest_paths([tmp_path / "records.jsonl"], settings, embedders=[embedder])
    assert report.sources == ("records.jsonl#a.txt", "records.jsonl#own.txt") and not report.warnings
    real = "".join(c.text for c in load(settings).chunks if c.source == "a.txt")
    assert "亩均效益" in real and "冒名顶替" not in real  # the real a.txt is untouched


@pytest.mark.slow  # enough ingests to trigger a compaction
def test_many_small_ingests_are_compacted_and_answer_the_same(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    for i in range(MAX_SEGMENTS + 1):
        (corpus_dir / f"b{i}.txt").write_text(FILE_B.replace("5000户", f"{5000 + i}户"), encoding="utf-8")
        ingest_paths([corpus_dir / f"b{i}.txt"], settings, embedders=[embedder])
    (corpus_dir / "a.txt").write_text(FILE_A.replace("860户", "870户"), encoding="utf-8")  # a deletion too
    ingest_paths([corpus_dir / "a.txt"], settings, embedders=[embedder])
    manifest = read_manifest(settings.index_dir)
    assert len(manifest["segments"]) <= MAX_SEGMENTS and manifest["chunks"] == 4 + 2 * (MAX_SEGMENTS + 1)
    store = load(settings)
    texts = [c.text for c in store.chunks]
    assert len(texts) == len(set(c.chunk_id for c in store.chunks)) == manifest["chunks"]
    assert any("870户" in t for t in texts) and not any("860户" in t for t in texts)
    assert len({p.name for p in settings.index_dir.glob("s-*")}) <= MAX_SEGMENTS + len(manifest["retired"])
    hits = Retriever(store, {"e5-small": embedder}).search("新增市场主体5003户", 1)
    assert "5003户" in hits[0].chunk.text


def test_an_index_of_the_previous_format_is_rebuilt_from_its_vectors(tmp_path, corpus_dir, embedder):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[embedder])
    store = load(settings)
    chunks = list(store.chunks)
    vectors = np.asarray(store.segments[0].dense["e5-small"].vectors)
    legacy = tmp_path / "legacy"
    (legacy / "g-1").mkdir(parents=True)  # the format-1 layout: one generation folder and a manifest naming it
    (legacy / "g-1" / "chunks.jsonl").write_text("".join(
        json.dumps({**c.to_json(), "text_hash": text_hash(c.indexed_text)},
                   ensure_ascii=False) + "\n" for c in chunks), encoding="utf-8")
    np.save(legacy / "g-1" / "dense-0.npy", vectors)
    (legacy / "manifest.json").write_text(json.dumps({
        "format_version": 1, "chunker_version": 0, "generation": "g-1", "embedding_model_spec": "e5-small",
        "models": [{"name": "e5-small", "dim": 384, "files": {"vectors": "dense-0.npy"}}]}), encoding="utf-8")
    embedder.passages = 0
    report = ingest_paths([corpus_dir], Settings(index_dir=legacy, embed_model="e5-small"), embedders=[embedder])
    assert report.total_chunks == 4 and embedder.passages == 0 and "重建索引" in report.warnings[0]
    assert not (legacy / "g-1").exists() and len(FaissStore.load(legacy).chunks) == 4
