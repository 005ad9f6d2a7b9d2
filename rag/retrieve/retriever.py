"""Query → ranked Hits: dense (one list per model) and BM25, each filtered inside its search,
over-fetched, then fused (rag/retrieve/fusion.py; the fusion shipped is measured in docs/FUSION.md).

Does not own the index files (rag/store/faiss/index.py) or answer composition (rag/answer/answerer.py).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from rag import stat_terms
from rag.config import Settings
from rag.ingest.chunk import index_versions
from rag.records import Filters, Hit
from rag.retrieve.fusion import BM25, Fusion, fuse
from rag.store.base import Ranking, Store, open_store
from rag.store.embed import Embedder, load_embedder

# The fusion shipped, chosen by `rag eval` on the tune parts of the seeds and CMRC 2018 (the table
# that decided it: docs/FUSION.md): min–max normalised scores, BM25 and e5-small weighed equally,
# BM25 twice as much when the question holds a figure, a quoted term or a Latin name. m3e-small is
# not fused (its tune figures were below e5-small's on both domains); another model weighs 1.
DEFAULT_FUSION = Fusion(method="minmax", weights={BM25: 0.5, "e5-small": 0.5, "m3e-small": 0.0}, cue_boost=1.0)
OVERFETCH = 10  # each side returns this many × k candidates (at least MIN_FETCH) before fusion
MIN_FETCH = 50


class Retriever:
    """Hybrid search over one loaded index. `components` picks the rankings fused (default: BM25 and
    every dense model in the index), so single-retriever baselines use the same code."""

    def __init__(self, index: Store, embedders: Mapping[str, Embedder], components: Sequence[str] | None = None,
                 fusion: Fusion | None = None) -> None:
        self.index = index
        self.embedders = dict(embedders)
        self.components = list(components) if components is not None else [BM25, *index.models]
        unknown = [c for c in self.components if c != BM25 and (c not in index.models or c not in self.embedders)]
        if unknown:
            raise ValueError(f"no dense index or embedder for {unknown}")
        self.fusion = fusion or DEFAULT_FUSION

    @classmethod
    def open(cls, settings: Settings, embedders: Mapping[str, Embedder] | None = None, **kwargs) -> "Retriever":
        """Load the index at `settings.index_dir` and the models it was built with."""
        index = open_store(settings, index_versions())
        if embedders is None:
            embedders = {name: load_embedder(name) for name in index.models}
        return cls(index, embedders, **kwargs)

    def swap(self, index: Store) -> None:
        """Search `index` from now on (a newer commit of the same models); searches already running
        finish on the store they started with (each reads `self.index` once)."""
        unknown = [c for c in self.components if c != BM25 and c not in index.models]
        if unknown:
            raise ValueError(f"the new index has no dense vectors for {unknown}")
        self.index = index

    def rankings(self, query: str, n: int, filters: Filters | None = None,
                 index: Store | None = None) -> dict[str, Ranking]:
        """Each component's top-n (ids, scores) among the rows passing the filters."""
        index = index or self.index
        out: dict[str, Ranking] = {}
        for name in self.components:
            if name == BM25:
                out[name] = index.keyword_search(stat_terms.expand(query), n, filters)
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
        return self.hits(query, ranked, k, index=index)

    def hits(self, query: str, ranked: Mapping[str, Ranking], k: int, fusion: Fusion | None = None,
             index: Store | None = None) -> list[Hit]:
        """Fuse component rankings into Hits (score = fused score; each component's raw score rides along:
        the best dense cosine, and BM25), one per paragraph: a paragraph windowed into several chunks is
        ranked by its best window, so its other windows do not crowd other paragraphs out of the top k
        (measured in docs/LONG_PASSAGES.md)."""
        index = index or self.index
        raw = {name: dict(zip(ids.tolist(), scores.tolist())) for name, (ids, scores) in ranked.items()}
        hits: list[Hit] = []
        seen: set[tuple[str, int, int]] = set()
        for row, score in fuse(ranked, fusion or self.fusion, query):
            chunk = index.chunk(row)
            if (key := (chunk.source, chunk.speech_index, chunk.paragraph)) in seen:
                continue
            seen.add(key)
            dense = [raw[n][row] for n in raw if n != BM25 and row in raw[n]]
            hits.append(Hit(chunk, score, dense_score=max(dense) if dense else None, bm25_score=raw.get(BM25, {}).get(row)))
            if len(hits) == k:
                break
        return hits
