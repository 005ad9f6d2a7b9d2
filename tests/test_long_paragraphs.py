"""Long paragraphs (issue 22): a search returns one hit per paragraph, its best window; the window
overlap the ablation varies (bench/long_passages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from _index_support import FILE_A
from rag.config import Settings
from rag.ingest.pipeline import ingest_paths
from rag.retrieve.retriever import Retriever

SHORT = "我们新建高标准农田8000亩，推广玉米大豆带状复合种植，村集体经济收入平均增长18%。"


def long_paragraph(n: int) -> str:
    """n invented sentences of about 30 characters, all on one topic."""
    return "".join(f"柳塘镇第{i}个高标准农田片区完成建设，新增灌溉面积{i}00亩，亩均增收{i % 7 + 1}00元。" for i in range(n))


def corpus(tmp_path: Path, sentences: int) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A.replace(SHORT, long_paragraph(sentences)), encoding="utf-8")
    return folder


def test_windows_share_the_overlap_asked_for():
    from rag.ingest.chunk import windows

    text = long_paragraph(40)
    for overlap in (0, 1):
        spans = windows(text, overlap=overlap)
        assert len(spans) > 2 and spans[0][0] == 0 and spans[-1][1] == len(text)
        shared = [prev[1] - nxt[0] for prev, nxt in zip(spans, spans[1:])]
        assert all(n == 0 for n in shared) if overlap == 0 else all(n > 0 for n in shared)


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
