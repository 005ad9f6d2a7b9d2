"""Fusion of component rankings (BM25, one list per dense model) into one ranking.

Three families, all measured by `rag eval` on the tune parts of both domains (docs/FUSION.md):
- "rrf": weighted reciprocal rank, score(d) = Σ_s w_s / (k + rank_s(d));
- "minmax" / "zscore": a convex combination of each list's scores normalised per query
  (min–max to [0, 1], or z-scores); a row missing from a list gets that list's lowest value;
- any of them with a per-query shift towards BM25 when the question holds literal cues
  (figures, quoted terms, Latin names), which BM25 matches exactly and dense models blur.

Written here rather than taken from llama-index's QueryFusionRetriever: that one fuses only by
reciprocal rank or relative score with fixed weights, has no per-list z-scores nor per-query weights,
and runs its own retrievers, while ours must keep the in-search filters of rag/retrieve/retriever.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from rag.store.base import Ranking

BM25 = "bm25"

# Literal cues in a query: a figure, a quoted or titled term, a Latin-script name or acronym.
_CUES = re.compile(r"\d|[“”\"「」『』《》]|[A-Za-z]{2,}")


def lexical_cues(query: str) -> bool:
    """Does the query hold something BM25 matches better than a dense model (figures, quotes, names)?

    >>> lexical_cues("2023年GDP增长多少"), lexical_cues("怎样培育专精特新企业")
    (True, False)
    """
    return _CUES.search(query) is not None


@dataclass(frozen=True)
class Fusion:
    """How component rankings combine. `weights` per component (absent → 1); `cue_boost` multiplies
    BM25's weight by (1 + cue_boost) for a query with `lexical_cues`."""

    method: str = "rrf"  # "rrf" | "minmax" | "zscore"
    weights: Mapping[str, float] = field(default_factory=dict)
    k: int = 60  # RRF constant
    cue_boost: float = 0.0

    def name(self) -> str:
        w = " ".join(f"{c}={v:g}" for c, v in sorted(self.weights.items()))
        extra = f" k={self.k}" if self.method == "rrf" else ""
        boost = f" cue×{1 + self.cue_boost:g}" if self.cue_boost else ""
        return f"{self.method}{extra} [{w}]{boost}"

    def weights_for(self, query: str, components: Sequence[str]) -> dict[str, float]:
        out = {c: float(self.weights.get(c, 1.0)) for c in components}
        if self.cue_boost and BM25 in out and lexical_cues(query):
            out[BM25] *= 1.0 + self.cue_boost
        return out

    def to_json(self) -> dict:
        return {"method": self.method, "weights": dict(self.weights), "k": self.k, "cue_boost": self.cue_boost}


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


def normalised(scores: np.ndarray, method: str) -> np.ndarray:
    """One list's scores on a common scale: min–max to [0, 1], or z-scores (a flat list → zeros).

    >>> normalised(np.array([3.0, 2.0, 1.0]), "minmax").tolist(), normalised(np.array([5.0]), "zscore").tolist()
    ([1.0, 0.5, 0.0], [0.0])
    """
    s = np.asarray(scores, dtype=np.float64)
    if len(s) == 0:
        return s
    if method == "minmax":
        span = s.max() - s.min()
        return (s - s.min()) / span if span > 0 else np.ones_like(s)
    std = s.std()
    return (s - s.mean()) / std if std > 0 else np.zeros_like(s)


def combine(ranked: Mapping[str, Ranking], weights: Mapping[str, float], method: str) -> list[tuple[int, float]]:
    """Convex combination of normalised scores: Σ_s w_s·norm_s(d) / Σ_s w_s. A row absent from a
    list (beyond its top n) gets that list's lowest value (0 for min–max). Ties break by row id.

    >>> combine({"a": (np.array([1, 2, 3]), np.array([0.9, 0.5, 0.1])), "b": (np.array([2]), np.array([5.0]))},
    ...         {"a": 1, "b": 1}, "minmax")
    [(2, 0.75), (1, 0.5), (3, 0.0)]
    """
    total = sum(weights.get(n, 1.0) for n in ranked) or 1.0
    fused: dict[int, float] = {}
    floors: dict[str, float] = {}
    norms: dict[str, dict[int, float]] = {}
    for name, (ids, scores) in ranked.items():
        values = normalised(scores, method)
        norms[name] = dict(zip(ids.tolist(), values.tolist()))
        floors[name] = float(values.min()) if len(values) and method == "zscore" else 0.0
    rows = {row for n in norms.values() for row in n}
    for row in rows:
        fused[row] = sum(weights.get(n, 1.0) * norms[n].get(row, floors[n]) for n in ranked) / total
    return sorted(fused.items(), key=lambda item: (-round(item[1], 12), item[0]))


def fuse(ranked: Mapping[str, Ranking], fusion: Fusion, query: str) -> list[tuple[int, float]]:
    """All rows of the component rankings, fused best first as (row, fused score)."""
    weights = fusion.weights_for(query, list(ranked))
    ranked = {n: r for n, r in ranked.items() if weights.get(n, 1.0) > 0}
    if fusion.method == "rrf":
        return rrf({n: ids for n, (ids, _) in ranked.items()}, weights, fusion.k)
    return combine(ranked, weights, fusion.method)
