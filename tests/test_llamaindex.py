"""The llama-index adapter (rag/retrieve/llamaindex.py), as a llama-index user plugs Zhengyan in: needs
the optional extra `pip install zhengyan-rag[llamaindex]` (skipped without it). The example in the
adapter's docstring and in README.md is `test_a_llama_index_query_engine_composes_on_top`."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core")

from _index_support import FILE_A, FILE_B  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.ingest.pipeline import ingest_paths  # noqa: E402
from rag.records import Filters  # noqa: E402
from rag.retrieve.llamaindex import ZhengyanRetriever  # noqa: E402
from rag.retrieve.retriever import Retriever  # noqa: E402


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, e5_model) -> Retriever:
    """The two invented files indexed with the real e5 model (FAISS)."""
    root = tmp_path_factory.mktemp("llamaindex")
    (root / "corpus").mkdir()
    (root / "corpus" / "a.txt").write_text(FILE_A, encoding="utf-8")
    (root / "corpus" / "b.txt").write_text(FILE_B, encoding="utf-8")
    settings = Settings(index_dir=root / "index", embed_model="e5-small", vector_store="faiss")
    ingest_paths([root / "corpus"], settings, embedders=[e5_model])
    return Retriever.open(settings, {"e5-small": e5_model})


def test_llama_index_retriever_returns_the_same_hits_as_nodes(retriever):
    nodes = ZhengyanRetriever(retriever, k=3).retrieve("桂山镇协议引资多少？")
    hits = retriever.search("桂山镇协议引资多少？", 3)
    assert [n.node.node_id for n in nodes] == [h.chunk.chunk_id for h in hits]
    assert [n.score for n in nodes] == [h.score for h in hits]
    top = nodes[0].node
    assert top.get_content() == hits[0].chunk.text and top.metadata["speaker"] == "何峰"
    assert top.metadata["meeting_date"] == "2023-07-28" and top.metadata["source"] == "a.txt"


def test_llama_index_retriever_applies_filters_inside_the_search(retriever):
    nodes = ZhengyanRetriever(retriever, k=5, filters=Filters(speaker="陈国栋")).retrieve("新增市场主体")
    assert nodes and {n.node.metadata["speaker"] for n in nodes} == {"陈国栋"}


def test_a_llama_index_query_engine_composes_on_top(retriever):
    """The documented example: llama-index's own query engine over our retriever (MockLLM: no LLM here)."""
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    engine = RetrieverQueryEngine.from_args(ZhengyanRetriever(retriever, k=3), llm=MockLLM(max_tokens=8))
    response = engine.query("桂山镇协议引资多少？")
    assert response.source_nodes[0].node.metadata["speaker"] == "何峰"
    assert "26亿元" in response.source_nodes[0].node.get_content()
    prompt_view = response.source_nodes[0].node.get_content(metadata_mode="llm")
    assert "何峰" in prompt_view and "a.txt" not in prompt_view  # who said it goes to the LLM; file names do not
