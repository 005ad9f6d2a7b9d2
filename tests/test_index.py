"""The index folder: incremental ingest, embedding cache, atomic saves, manifest checks, ANN choice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from _index_support import FILE_B, corpus_dir, e5, e5_model  # noqa: F401  (fixtures)
from rag.ingest import ingest_paths
from rag.config import Settings
from rag.errors import IndexMismatchError, IndexMissingError, InputError
from rag.index import Index, read_manifest
from rag.retrieve import Retriever
from rag.vectors import DenseIndex, index_kind


def settings_for(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", embed_model="e5-small")


def test_ingest_writes_manifest_and_plain_files(tmp_path, corpus_dir, e5):
    report = ingest_paths([corpus_dir], settings_for(tmp_path), embedders=[e5])
    manifest = read_manifest(tmp_path / "index")
    assert report.total_chunks == manifest["chunks"] == e5.passages == 4
    assert manifest["dim"] == 384 and manifest["speeches"] == 2 and manifest["sources"] == ["a.txt"]
    assert manifest["embedding_model"] == "e5-small" and manifest["ann"] == "flat"
    for key in ("format_version", "corpus_fingerprint", "built_at"):
        assert manifest[key]
    data = tmp_path / "index" / manifest["generation"]
    names = {p.name for p in data.rglob("*") if p.is_file()}
    assert {"chunks.jsonl", "dense-0.npy", "userdict.txt"} <= names
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    assert "亩均效益" in (data / "userdict.txt").read_text(encoding="utf-8").split("\n")


def test_store_keeps_the_parsed_speeches_beside_the_chunks(tmp_path, corpus_dir, e5):
    from rag.parse import load_corpus
    from rag.store import open_store

    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    store = open_store(settings)
    assert store.backend == "faiss" and store.models == ["e5-small"] and len(store.chunks) == 4
    assert store.speeches() == load_corpus([corpus_dir]).speeches
    assert store.find(store.chunk(0).chunk_id) == store.chunk(0)
    assert store.info()["backend"] == "faiss"


def test_reingesting_the_same_file_changes_nothing(tmp_path, corpus_dir, e5):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    before = (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8")
    e5.passages = 0
    report = ingest_paths([corpus_dir], settings, embedders=[e5])
    assert report.unchanged and report.embedded == 0 and e5.passages == 0
    assert (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8") == before


def test_adding_a_file_embeds_only_its_chunks(tmp_path, corpus_dir, e5):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    old_ids = [c.chunk_id for c in Index.load(settings.index_dir).chunks]
    (corpus_dir / "b.txt").write_text(FILE_B, encoding="utf-8")
    e5.passages = 0
    report = ingest_paths([corpus_dir / "b.txt"], settings, embedders=[e5])
    index = Index.load(settings.index_dir)
    new_ids = [c.chunk_id for c in index.chunks if c.source == "b.txt"]
    assert report.added == e5.passages == report.embedded == len(new_ids) == 2
    assert report.reused == len(old_ids) and report.removed == 0
    assert [c.chunk_id for c in index.chunks] == old_ids + new_ids
    assert len(list(settings.index_dir.glob("g-*"))) == 1  # the old generation is gone
    assert not list(settings.index_dir.glob("*.tmp*"))


def test_changed_file_replaces_its_chunks_and_reembeds_only_new_text(tmp_path, corpus_dir, e5):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    path = corpus_dir / "a.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("惠及居民860户", "惠及居民900户"), encoding="utf-8")
    e5.passages = 0
    report = ingest_paths([corpus_dir], settings, embedders=[e5])
    texts = [c.text for c in Index.load(settings.index_dir).chunks]
    assert report.removed == 4 and report.added == 4 and e5.passages == report.embedded == 1
    assert any("900户" in t for t in texts) and not any("860户" in t for t in texts)


def test_save_then_load_gives_identical_hits(tmp_path, corpus_dir, e5):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    first = Retriever(Index.load(settings.index_dir), {"e5-small": e5})
    first.index.save(tmp_path / "copy")
    second = Retriever(Index.load(tmp_path / "copy"), {"e5-small": e5})
    for q in ("金龙镇协议引资多少亿元？", "双石镇亩均效益改革"):
        a, b = first.search(q, 4), second.search(q, 4)
        assert [(h.chunk, h.score) for h in a] == [(h.chunk, h.score) for h in b]
        assert len(a) == 4


def test_missing_index_says_run_ingest(tmp_path):
    with pytest.raises(IndexMissingError, match="rag ingest"):
        Index.load(tmp_path / "nothing")


@pytest.mark.parametrize("damage", ["garbage", "no_generation", "old_format", "truncated_vectors"])
def test_damaged_index_is_refused_then_rebuilt(tmp_path, corpus_dir, e5, damage):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    manifest_path = settings.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if damage == "garbage":
        manifest_path.write_text("{not json", encoding="utf-8")
    elif damage == "no_generation":
        manifest_path.write_text(json.dumps({**manifest, "generation": "g-gone"}), encoding="utf-8")
    elif damage == "old_format":
        manifest_path.write_text(json.dumps({**manifest, "format_version": 0}), encoding="utf-8")
    else:
        npy = settings.index_dir / manifest["generation"] / "dense-0.npy"
        np.save(npy, np.load(npy)[:2])
    with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
        Index.load(settings.index_dir)
    report = ingest_paths([corpus_dir], settings, embedders=[e5])
    assert not report.unchanged and report.total_chunks == 4
    assert report.warnings and "重建索引" in report.warnings[0]
    assert len(Index.load(settings.index_dir).chunks) == 4


def test_index_built_with_another_model_is_refused(tmp_path, corpus_dir, e5):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    with pytest.raises(IndexMismatchError, match="m3e-small"):
        Index.load(settings.index_dir, expect_model="m3e-small")


def test_missing_input_path_is_an_input_error(tmp_path, e5):
    with pytest.raises(InputError, match="不存在"):
        ingest_paths([tmp_path / "missing.txt"], settings_for(tmp_path), embedders=[e5])


def test_ann_index_past_threshold_matches_exact_search():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat, hnsw = DenseIndex(vectors, "flat"), DenseIndex(vectors, "hnsw")
    assert index_kind(3000, threshold=1000) == "hnsw" and index_kind(999, threshold=1000) == "flat"
    agree = sum(flat.search(vectors[i], 1)[0][0] == hnsw.search(vectors[i], 1)[0][0] for i in range(0, 3000, 100))
    assert agree >= 29
    allowed = np.zeros(3000, bool)
    allowed[::7] = True  # a filter: only every 7th row
    ids, scores = hnsw.search(vectors[5], 10, allowed)
    exact_ids, _ = flat.search(vectors[5], 10, allowed)
    assert len(ids) == 10 and all(allowed[ids]) and list(scores) == sorted(scores, reverse=True)
    assert len(set(ids) & set(exact_ids)) >= 8


def test_rebuild_after_a_format_change_reuses_cached_vectors(tmp_path, corpus_dir, e5):
    settings = settings_for(tmp_path)
    ingest_paths([corpus_dir], settings, embedders=[e5])
    manifest_path = settings.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "chunker_version": -1}), encoding="utf-8")
    e5.passages = 0
    report = ingest_paths([corpus_dir], settings, embedders=[e5])
    assert report.warnings and report.total_chunks == 4
    assert report.embedded == e5.passages == 0 and report.reused == 4
