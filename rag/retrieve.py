"""Query → ranked Hits: dense (one list per model) and BM25, each filtered inside its search,
over-fetched, then fused by weighted reciprocal rank.

Does not own the index files (rag/index.py) or answer composition (rag/answer.py).
"""

from __future__ import annotations

from typing import Mapping, Sequence


from rag.config import Settings
from rag.embed import Embedder, load_embedder
from rag.records import Filters, Hit
from rag.store import Ranking, Store, open_store

BM25 = "bm25"
# Fusion weights per component, chosen by `rag eval` (eval/results/): BM25 finds the exact figures
# and names, dense models the paraphrases. Down-weighting BM25 (0.5:1) lowered MRR@5 on dev_qa
# (0.958 → 0.896); 1:1 and 1:0.5 tied, so equal weights stay; m3e at 0.5 was never worse than at 1
# when fused with both. A component missing here weighs 1.
DEFAULT_WEIGHTS: dict[str, float] = {BM25: 1.0, "e5-small": 1.0, "m3e-small": 0.5}
OVERFETCH = 10  # each side returns this many × k candidates (at least MIN_FETCH) before fusion
MIN_FETCH = 50


def rrf(rankings: Mapping[str, Sequence[int]], weights: Mapping[str, float] | None = None,
        k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(d) = Σ_s w_s / (k + rank_s(d)), ranks from 1.
    Ties break by best single rank, then id, so results are deterministic.

    >>> rrf({"a": [7, 3], "b": [3]}, k=60)
    [(3, 0.03252247488101534), (7, 0.01639344262295082)]
    """
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    for name, ids in rankings.items():
        w = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, doc in enumerate(ids, start=1):
            doc = int(doc)
            scores[doc] = scores.get(doc, 0.0) + w / (k + rank)
            best[doc] = min(best.get(doc, rank), rank)
    return sorted(scores.items(), key=lambda item: (-item[1], best[item[0]], item[0]))


class Retriever:
    """Hybrid search over one loaded index. `components` picks the rankings fused (default: BM25 and
    every dense model in the index), so single-retriever baselines use the same code."""

    def __init__(self, index: Store, embedders: Mapping[str, Embedder], components: Sequence[str] | None = None,
                 weights: Mapping[str, float] | None = None, rrf_k: int = 60) -> None:
        self.index = index
        self.embedders = dict(embedders)
        self.components = list(components) if components is not None else [BM25, *index.models]
        unknown = [c for c in self.components if c != BM25 and (c not in index.models or c not in self.embedders)]
        if unknown:
            raise ValueError(f"no dense index or embedder for {unknown}")
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.rrf_k = rrf_k

    @classmethod
    def open(cls, settings: Settings, embedders: Mapping[str, Embedder] | None = None, **kwargs) -> "Retriever":
        """Load the index at `settings.index_dir` and the models it was built with."""
        index = open_store(settings)
        if embedders is None:
            embedders = {name: load_embedder(name) for name in index.models}
        return cls(index, embedders, rrf_k=settings.rrf_k, **kwargs)

    def rankings(self, query: str, n: int, filters: Filters | None = None,
                 index: Store | None = None) -> dict[str, Ranking]:
        """Each component's top-n (ids, scores) among the rows passing the filters."""
        index = index or self.index
        out: dict[str, Ranking] = {}
        for name in self.components:
            if name == BM25:
                out[name] = index.keyword_search(query, n, filters)
            else:
                q = self.embedders[name].encode_queries([query])[0]
                out[name] = index.dense_search(name, q, n, filters)
        return out

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """The k best chunks for `query` that pass `filters` (fewer only if fewer pass)."""
        if not query.strip() or k <= 0:
            return []
        index = self.index  # read once: the UI swaps in a new index after an upload
        ranked = self.rankings(query, max(k * OVERFETCH, MIN_FETCH), filters, index)
        return self.hits(ranked, k, index=index)

    def hits(self, ranked: Mapping[str, Ranking], k: int, weights: Mapping[str, float] | None = None,
             index: Store | None = None) -> list[Hit]:
        """Fuse component rankings into Hits (score = fused RRF score; the raw scores ride along)."""
        index = index or self.index
        fused = rrf({name: ids for name, (ids, _) in ranked.items()}, weights or self.weights, self.rrf_k)[:k]
        raw = {name: dict(zip(ids.tolist(), scores.tolist())) for name, (ids, scores) in ranked.items()}
        hits = []
        for row, score in fused:
            dense = [raw[n][row] for n in raw if n != BM25 and row in raw[n]]
            bm25 = raw.get(BM25, {}).get(row)
            hits.append(Hit(index.chunk(row), score, dense_score=max(dense) if dense else None, bm25_score=bm25))
        return hits


def as_llama_retriever(retriever: Retriever, k: int = 5, filters: Filters | None = None):
    """The same search behind llama-index's retriever interface (TextNode id = chunk id, metadata =
    speaker/unit/meeting/…), for code built on llama-index query engines."""
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

    class _Adapter(BaseRetriever):
        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            hits = retriever.search(query_bundle.query_str, k, filters)
            return [NodeWithScore(node=TextNode(id_=h.chunk.chunk_id, text=h.chunk.text,
                                                metadata={key: v for key, v in h.to_json().items()
                                                          if key not in ("text", "score", "chunk_id")}),
                                  score=h.score) for h in hits]

    return _Adapter()
