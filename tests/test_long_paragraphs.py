"""Long paragraphs (issue 22): windows of MAX_CHARS = 512, one hit per paragraph, and an index of the
previous windows (chunker c6, 300 characters) rebuilt from the embedding cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from _index_support import FILE_A
from rag.config import Settings
from rag.ingest.chunk import CHUNKER_VERSION, MAX_CHARS, chunk_speeches
from rag.ingest.pipeline import ingest_paths
from rag.retrieve.retriever import Retriever
from rag.store.faiss.index import read_manifest

SHORT = "我们新建高标准农田8000亩，推广玉米大豆带状复合种植，村集体经济收入平均增长18%。"


def long_paragraph(n: int) -> str:
    """n invented sentences of about 30 characters, all on one topic."""
    return "".join(f"柳塘镇第{i}个高标准农田片区完成建设，新增灌溉面积{i}00亩，亩均增收{i % 7 + 1}00元。" for i in range(n))


def corpus(tmp_path: Path, sentences: int) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A.replace(SHORT, long_paragraph(sentences)), encoding="utf-8")
    return folder


def test_a_paragraph_up_to_the_model_window_is_one_chunk(tmp_path):
    from rag.parse import load_corpus

    text = long_paragraph(12)
    assert 300 < len(text) <= MAX_CHARS
    chunks = chunk_speeches(load_corpus([corpus(tmp_path, 12)]).speeches)
    assert [c.text for c in chunks if "高标准农田片区" in c.text] == [text]


def test_an_index_of_300_character_windows_is_rebuilt_from_the_embedding_cache(tmp_path, e5, monkeypatch):
    import rag.ingest.pipeline
    import rag.store.faiss.index

    folder = corpus(tmp_path, 12)
    settings = Settings(index_dir=tmp_path / "index", embed_model="e5-small")
    old_version = CHUNKER_VERSION.rsplit("-c", 1)[0] + "-c6"
    monkeypatch.setattr(rag.ingest.pipeline, "chunk_speeches", lambda speeches: chunk_speeches(speeches, 300))
    monkeypatch.setattr(rag.store.faiss.index, "CHUNKER_VERSION", old_version)
    old = ingest_paths([folder], settings, embedders=[e5])
    assert read_manifest(settings.index_dir)["chunker_version"] == old_version
    monkeypatch.undo()

    e5.passages = 0
    report = ingest_paths([folder], settings, embedders=[e5])
    assert report.warnings  # the old index is rebuilt, and says so
    assert read_manifest(settings.index_dir)["chunker_version"] == CHUNKER_VERSION
    assert report.total_chunks == old.total_chunks - 1  # the long paragraph's two windows became one
    assert report.embedded == e5.passages == 1  # only the new whole-paragraph text was encoded
    assert report.reused == report.total_chunks - 1


@pytest.mark.parametrize("k", [1, 3, 10])
def test_search_returns_one_hit_per_paragraph(tmp_path, e5_model, k):
    folder = corpus(tmp_path, 40)  # ~1,300 characters: three windows on the same topic
    settings = Settings(index_dir=tmp_path / "index", embed_model="e5-small")
    ingest_paths([folder], settings, embedders=[e5_model])
    retriever = Retriever.open(settings, {"e5-small": e5_model})
    windows = [c for c in retriever.index.chunks if "高标准农田片区" in c.text]
    assert len({c.paragraph for c in windows}) == 1 and len(windows) >= 3
    hits = retriever.search("柳塘镇高标准农田片区新增灌溉面积多少亩", k=k)
    keys = [(h.chunk.source, h.chunk.speech_index, h.chunk.paragraph) for h in hits]
    assert len(keys) == len(set(keys)) == min(k, len(retriever.index.chunks) - len(windows) + 1)
    assert "高标准农田片区" in hits[0].chunk.text  # the paragraph is ranked by its best window
