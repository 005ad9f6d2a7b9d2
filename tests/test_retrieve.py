"""Hybrid retrieval: fusion, filters applied inside the search, BM25 tokenisation, real e5 model."""

from __future__ import annotations

import numpy as np
import pytest

from _index_support import FILE_A, FILE_B
from rag.store.keyword import Tokenizer, user_terms
from rag.config import Settings
from rag.ingest.pipeline import ingest_paths
from rag.records import Filters
from rag.retrieve.fusion import rrf
from rag.retrieve.retriever import BM25, Retriever
from rag.store.base import open_store


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = rrf({"a": [1, 2, 3], "b": [3, 1]}, k=60)
    assert [doc for doc, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    weighted = rrf({"a": [1, 2, 3], "b": [3, 1]}, {"a": 0.1, "b": 1.0}, k=60)
    assert [doc for doc, _ in weighted] == [3, 1, 2]


def test_rrf_breaks_ties_deterministically():
    assert rrf({"a": [5, 9], "b": [9, 5]}) == rrf({"b": [9, 5], "a": [5, 9]})
    assert [d for d, _ in rrf({"a": [5], "b": [9]})] == [5, 9]  # equal score and rank: lower id first


def test_tokenizer_keeps_corpus_terms_whole():
    tokenizer = Tokenizer(["亩均效益", "林晓"])
    tokens = tokenizer("林晓说“亩均效益”改革，增长6.3%？")
    assert "亩均效益" in tokens and "林晓" in tokens and "6.3%" in tokens
    assert not any(t in tokens for t in ("“", "，", "？"))


@pytest.fixture(scope="module")
def retriever(backend, tmp_path_factory, e5_model) -> Retriever:
    """The same two files indexed once per storage backend (FAISS files, Milvus through milvus-lite)."""
    root = tmp_path_factory.mktemp(f"retrieve-{backend}")
    (root / "corpus").mkdir()
    (root / "corpus" / "a.txt").write_text(FILE_A, encoding="utf-8")
    (root / "corpus" / "b.txt").write_text(FILE_B, encoding="utf-8")
    settings = Settings(index_dir=root / "index", embed_model="e5-small", vector_store=backend)
    ingest_paths([root / "corpus"], settings, embedders=[e5_model])
    return Retriever(open_store(settings), {"e5-small": e5_model})


def test_hybrid_finds_exact_figures_and_paraphrases(retriever):
    top = retriever.search("桂山镇协议引资多少？", 1)[0]
    assert top.chunk.speaker == "何峰" and "26亿元" in top.chunk.text
    top = retriever.search("云溪区在数字化转型上做了什么", 1)[0]
    assert top.chunk.speaker == "陈国栋" and "5G" in top.chunk.text
    assert top.dense_score is not None and 0 < top.dense_score <= 1.0001


def test_user_dictionary_holds_units_speakers_and_quoted_terms(retriever):
    terms = user_terms(retriever.index.chunks)
    assert {"亩均效益", "林晓", "陈国栋", "江岸区柳塘镇"} <= set(terms)


def test_speaker_filter_returns_k_hits_even_when_they_rank_low(retriever):
    query = "桂山镇签约项目和协议引资"  # 何峰's topic; 陈国栋's chunks rank last without a filter
    unfiltered = [h.chunk.speaker for h in retriever.search(query, 6)]
    assert unfiltered[:2] == ["何峰", "何峰"]
    hits = retriever.search(query, 2, Filters(speaker="陈国栋"))
    assert len(hits) == 2 and {h.chunk.speaker for h in hits} == {"陈国栋"}


@pytest.mark.parametrize("filters, expected", [
    (Filters(unit="柳塘镇"), {"林晓"}),
    (Filters(meeting="第一季度"), {"陈国栋"}),
    (Filters(source="b.txt"), {"陈国栋"}),
    (Filters(source="a"), {"林晓", "何峰"}),
    (Filters(date_from="2023-05-01"), {"林晓", "何峰"}),
    (Filters(date_to="2023-05-01"), {"陈国栋"}),
    (Filters(date_from="2023-04-23", date_to="2023-04-23"), {"陈国栋"}),
    (Filters(exclude_sources=frozenset({"a.txt"})), {"陈国栋"}),
    (Filters(exclude_sources=frozenset({"b.txt", "other.txt"})), {"林晓", "何峰"}),
    (Filters(exclude_sources=frozenset({"a.txt"}), date_from="2023-05-01"), set()),
])
def test_each_filter_applies_inside_the_search(retriever, filters, expected):
    hits = retriever.search("新增市场主体", 10, filters)
    assert {h.chunk.speaker for h in hits} == expected
    assert len(hits) == sum(1 for c in retriever.index.chunks if c.speaker in expected)


def test_filter_matching_nothing_and_empty_query_give_no_hits(retriever):
    assert retriever.search("新增市场主体", 5, Filters(speaker="不存在")) == []
    assert retriever.search("   ", 5) == []


def test_single_component_retrievers_use_the_same_code(retriever):
    bm25_only = Retriever(retriever.index, retriever.embedders, components=[BM25])
    hits = bm25_only.search("5000户", 3)
    assert hits[0].chunk.speaker == "陈国栋" and hits[0].dense_score is None and hits[0].bm25_score > 0
    dense_only = Retriever(retriever.index, retriever.embedders, components=["e5-small"])
    assert len(dense_only.search("乡村振兴", 3)) == 3
    with pytest.raises(ValueError):
        Retriever(retriever.index, {}, components=["m3e-small"])


def test_segment_bm25_scores_as_bm25s_does(retriever, backend):
    """The segment BM25 (rag/store/keyword.py) keeps the scores and ranking of the bm25s index it replaced."""
    if backend != "faiss":
        pytest.skip("the FAISS backend's own BM25 (Milvus scores BM25 itself)")
    bm25s = pytest.importorskip("bm25s")  # the test extra (pip install zhengyan-rag[test])

    from rag.store.keyword import Bm25, TermCounts

    store = retriever.index
    tokenizer = store.bm25.tokenizer
    token_lists = [tokenizer(c.indexed_text) for c in store.chunks]
    reference = bm25s.BM25()
    reference.index([t or [""] for t in token_lists], show_progress=False)
    half = len(token_lists) // 2  # the same documents split over two segments score the same
    split = Bm25([TermCounts.build(token_lists[:half]), TermCounts.build(token_lists[half:])], tokenizer)
    for query in ("桂山镇协议引资", "亩均效益改革", "数字化转型 5G基站", "新增市场主体"):
        ids = reference.get_tokens_ids(tokenizer(query))
        expected = reference.get_scores(ids) if ids else np.zeros(len(token_lists))
        assert np.allclose(np.concatenate(split.scores(query)), expected, atol=1e-5)
        assert np.allclose(np.concatenate(store.bm25.scores(query)), expected, atol=1e-5)


def test_term_stats_are_the_keyword_index_document_frequencies(retriever):
    """Question-term weights read the index's own term statistics on both backends, no chunk text."""
    from rag.answer.evidence import TermWeights

    chunks = list(retriever.index.chunks)
    tokenizer = Tokenizer(user_terms(chunks))
    stats = retriever.index.term_stats()
    assert stats.docs == len(chunks)
    for token in ("亩均效益", "新增", "市场", "云溪区", "5g", "没有的词"):
        assert stats.df(token) == sum(token in tokenizer(c.indexed_text) for c in chunks), token
    weights = TermWeights(stats=stats)
    assert weights.known("亩均效益") and weights.known("桂山镇") and not weights.known("成都")
    assert weights("亩均效益") > weights("新增") and weights.rarity("成都") == pytest.approx(1.0)


def test_speech_heads_name_every_speech_once(retriever):
    heads = retriever.index.speech_heads()
    speeches = {(s.source, s.index): s for s in retriever.index.speeches()}
    assert sorted((c.source, c.speech_index) for c in heads) == sorted(speeches)
    assert all(c.speaker == speeches[c.source, c.speech_index].speaker for c in heads)
