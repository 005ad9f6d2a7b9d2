"""The `Store` contract (rag/store/base.py), one suite run against both backends: FAISS files and Milvus
on embedded milvus-lite. Vectors come from the deterministic `HashEmbedder`: these tests judge what is
stored, found, checked and rebuilt, not the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from _index_support import FILE_A, FILE_B, HashEmbedder
from rag.config import Settings
from rag.errors import IndexStaleError
from rag.ingest import chunk as chunk_module
from rag.ingest.chunk import index_versions
from rag.ingest.pipeline import ingest_paths
from rag.records import Filters
from rag.store.base import open_store


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A, encoding="utf-8")
    (folder / "b.txt").write_text(FILE_B, encoding="utf-8")
    return folder


def settings_for(tmp_path: Path, backend: str) -> Settings:
    return Settings(index_dir=tmp_path / "index", embed_model="e5-small", vector_store=backend)


def test_both_backends_store_find_and_filter_the_same_chunks(tmp_path, corpus, backend):
    settings = settings_for(tmp_path, backend)
    report = ingest_paths([corpus], settings, embedders=[HashEmbedder()])
    store = open_store(settings, index_versions(), verify=True)
    assert store.backend == backend and store.models == ["e5-small"]
    assert report.total_chunks == len(store.chunks) == store.manifest["chunks"] == 6
    assert {c.chunk_id for c in store.chunks} == {c.chunk_id for c in store.chunks[:]}
    assert [s.speaker for s in store.speeches()] == ["林晓", "何峰", "陈国栋"]
    assert sorted(c.speaker for c in store.speech_heads()) == ["何峰", "林晓", "陈国栋"]
    assert store.find("b.txt:0:0:0").speaker == "陈国栋" and store.find("b.txt:9:9:9") is None
    assert {k: store.manifest[k] for k in index_versions()} == index_versions()

    rows, scores = store.keyword_search("营商环境", 5)
    assert [store.chunk(r).source for r in rows] == ["b.txt"] and scores[0] > 0
    query = HashEmbedder().encode_queries(["柳塘镇高标准农田"])[0]
    rows, scores = store.dense_search("e5-small", query, 3, Filters(speaker="林晓"))
    assert {store.chunk(r).speaker for r in rows} == {"林晓"} and 0 < scores[0] <= 1.0001
    rows, _ = store.dense_search("e5-small", query, 10, Filters(exclude_sources=frozenset({"a.txt"})))
    assert {store.chunk(r).source for r in rows} == {"b.txt"}
    rows, _ = store.keyword_search("上半年", 10, Filters(date_from="2023-07-01", date_to="2023-07-31"))
    assert len(rows) and {store.chunk(r).meeting_date for r in rows} == {"2023-07-28"}
    assert store.term_stats().docs == 6 and store.term_stats().df("营商") >= 1
    assert isinstance(store.cleanup(), list)


def test_a_parser_version_change_forces_a_rebuild(tmp_path, corpus, backend, monkeypatch):
    """An index written by another parser is refused by readers and rebuilt by the next ingest: its
    chunks are not mixed with new ones (b.txt, not re-ingested, is gone with the stale index)."""
    settings = settings_for(tmp_path, backend)
    ingest_paths([corpus], settings, embedders=[HashEmbedder()])
    monkeypatch.setattr(chunk_module, "PARSER_VERSION", chunk_module.PARSER_VERSION + 1)
    with pytest.raises(IndexStaleError) as stale:
        open_store(settings, index_versions())
    assert stale.value.wanted == {"parser_version": chunk_module.PARSER_VERSION}
    assert stale.value.found == {"parser_version": chunk_module.PARSER_VERSION - 1}

    report = ingest_paths([corpus / "a.txt"], settings, embedders=[HashEmbedder()])
    assert report.warnings and "重建索引" in report.warnings[0] and "parser_version" in report.warnings[0]
    store = open_store(settings, index_versions(), verify=True)
    assert {c.source for c in store.chunks} == {"a.txt"} and report.total_chunks == len(store.chunks) == 4
    assert store.manifest["parser_version"] == chunk_module.PARSER_VERSION
    assert report.embedded == 0  # the vectors come from the embedding cache
