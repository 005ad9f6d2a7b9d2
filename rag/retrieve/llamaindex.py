"""Zhengyan's retrieval behind llama-index's interfaces: chunks as `TextNode`s, the Retriever as a
`BaseRetriever`, so llama-index query engines, postprocessors and synthesizers compose on top.
Needs the optional extra: `pip install zhengyan-rag[llamaindex]`.

    from llama_index.core.query_engine import RetrieverQueryEngine
    engine = RetrieverQueryEngine.from_args(ZhengyanRetriever(Retriever.open(settings), k=5), llm=llm)
    response = engine.query("桂山镇协议引资多少？")  # response.source_nodes carry speaker, meeting, source

(tested as written in tests/test_llamaindex.py). Import this module only where llama-index is
wanted: importing llama-index takes seconds. The
project's own answerer (rag/answer/answerer.py) does not go through it; see docs/ARCHITECTURE.md for why.
"""

from __future__ import annotations

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.records import Chunk, Filters, Hit
from rag.retrieve.retriever import Retriever

# Metadata a node carries: who said it, in which post and unit, at which meeting, and where it is.
METADATA = ("speaker", "speaker_title", "unit", "meeting", "meeting_date", "title", "source", "speech_index",
            "paragraph", "part", "start", "end")
# Shown to an LLM with the text (the rest stays for citations and filters, not for the prompt).
LLM_METADATA = ("speaker", "speaker_title", "unit", "meeting", "meeting_date")


def chunk_node(chunk: Chunk) -> TextNode:
    """A chunk as a llama-index TextNode: id = chunk id, text = the paragraph text, metadata = its record."""
    metadata = {key: getattr(chunk, key) for key in METADATA}
    return TextNode(
        id_=chunk.chunk_id, text=chunk.text, metadata=metadata,
        excluded_llm_metadata_keys=[k for k in METADATA if k not in LLM_METADATA],
        excluded_embed_metadata_keys=list(METADATA),
    )


def hit_node(hit: Hit) -> NodeWithScore:
    """A retrieval hit as a scored node (score = the fused rank score the Retriever ranks by)."""
    return NodeWithScore(node=chunk_node(hit.chunk), score=hit.score)


class ZhengyanRetriever(BaseRetriever):
    """The hybrid Retriever (BM25 + dense, filters applied inside the search) as a llama-index retriever."""

    def __init__(self, retriever: Retriever, k: int = 5, filters: Filters | None = None) -> None:
        super().__init__()
        self._retriever = retriever
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [hit_node(h) for h in self._retriever.search(query_bundle.query_str, self._k, self._filters)]
