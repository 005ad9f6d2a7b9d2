"""Evaluation outside pytest: one function per metric family over eval/dev_*.jsonl, results saved as JSON.

Retrieval families live here. Another family (e.g. answer quality) is a function
`family(ctx: EvalContext) -> dict` added to `FAMILIES` (or passed to `run_eval(families=...)`).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from rag.config import PROJECT_ROOT, Settings
from rag.embed import E5_SMALL, HYBRID, M3E_SMALL
from rag.evaluate_answers import answers_family
from rag.ingest import ingest_paths
from rag.records import Chunk
from rag.retrieve import BM25, Retriever

K = 5
MULTI_K = 10
FETCH = 50

# Retriever configurations compared: name → component weights (a component absent is not used).
CONFIGS: dict[str, dict[str, float]] = {
    "bm25": {BM25: 1},
    "e5-small": {E5_SMALL: 1},
    "m3e-small": {M3E_SMALL: 1},
    "rrf e5+m3e": {E5_SMALL: 1, M3E_SMALL: 1},
    "rrf bm25+m3e": {BM25: 1, M3E_SMALL: 1},
    "rrf bm25+e5": {BM25: 1, E5_SMALL: 1},
    "rrf bm25+e5 (0.5:1)": {BM25: 0.5, E5_SMALL: 1},
    "rrf bm25+e5 (1:0.5)": {BM25: 1, E5_SMALL: 0.5},
    "rrf bm25+e5+m3e": {BM25: 1, E5_SMALL: 1, M3E_SMALL: 1},
    "rrf bm25+e5+m3e (1:1:0.5)": {BM25: 1, E5_SMALL: 1, M3E_SMALL: 0.5},
    "rrf bm25+e5+m3e (0.5:1:0.5)": {BM25: 0.5, E5_SMALL: 1, M3E_SMALL: 0.5},
}


@dataclass
class EvalContext:
    """What every metric family may use: the loaded retriever and the dev sets."""

    retriever: Retriever
    dev: dict[str, list[dict[str, Any]]]  # "qa", "multi", "negative", "attribution" → records
    settings: Settings


def load_dev(dev_dir: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for path in sorted(Path(dev_dir).glob("dev_*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        out[path.stem.removeprefix("dev_")] = [json.loads(x) for x in lines if x.strip()]
    return out


def is_gold(chunk: Chunk, item: dict[str, Any]) -> bool:
    """A hit holds one of the gold facts and belongs to a gold speaker."""
    return chunk.speaker in item["speakers"] and any(f in chunk.text for f in item["facts"])


def rank_metrics(ranked: Sequence[Sequence[Chunk]], items: Sequence[dict[str, Any]], k: int = K) -> dict[str, Any]:
    """hit@1, hit@k, MRR@k over questions (a hit = `is_gold`), with each question's gold rank.

    >>> rank_metrics([], [])["hit@1"]
    0.0
    """
    ranks = []
    for chunks, item in zip(ranked, items):
        gold = [i for i, c in enumerate(chunks[:k], 1) if is_gold(c, item)]
        ranks.append(gold[0] if gold else None)
    n = max(len(items), 1)
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        f"hit@{k}": sum(r is not None for r in ranks) / n,
        f"mrr@{k}": sum(1 / r for r in ranks if r) / n,
        "ranks": {item["id"]: r for item, r in zip(items, ranks)},
    }


def speaker_coverage(ranked: Sequence[Sequence[Chunk]], items: Sequence[dict[str, Any]], k: int = MULTI_K) -> dict[str, Any]:
    """For multi-speaker questions: distinct gold speakers in the top k, and how many reach the minimum."""
    distinct = {}
    for chunks, item in zip(ranked, items):
        distinct[item["id"]] = len({c.speaker for c in chunks[:k] if c.speaker in item["speakers_any"]})
    reached = sum(distinct[i["id"]] >= i.get("min_distinct", 3) for i in items)
    return {"distinct_gold_speakers": distinct, "reached": reached, "questions": len(items)}


def retrieval_family(ctx: EvalContext) -> dict[str, Any]:
    """hit@1/hit@5/MRR@5 (dev_qa) and speaker coverage@10 (dev_multi) for every configuration in CONFIGS."""
    r = ctx.retriever
    available = {BM25, *r.index.models}
    configs = {name: w for name, w in CONFIGS.items() if set(w) <= available}
    out: dict[str, Any] = {}
    for dev_name, metric, k in (("qa", rank_metrics, K), ("multi", speaker_coverage, MULTI_K)):
        items = ctx.dev.get(dev_name, [])
        ranked = [r.rankings(item["q"], FETCH) for item in items]
        for name, weights in configs.items():
            lists = [[h.chunk for h in r.hits({c: rk[c] for c in weights}, k, weights)] for rk in ranked]
            out.setdefault(name, {})[dev_name] = metric(lists, items, k)
    return out


def negative_family(ctx: EvalContext) -> dict[str, Any]:
    """Best dense cosine for unanswerable questions next to answerable ones: input for an answer threshold."""
    r = ctx.retriever
    out = {}
    for dev_name in ("negative", "qa"):
        tops = []
        for item in ctx.dev.get(dev_name, []):
            hits = r.search(item["q"], 1)
            tops.append(round(hits[0].dense_score, 4) if hits and hits[0].dense_score is not None else None)
        out[dev_name] = tops
    return out


FAMILIES: tuple[Callable[[EvalContext], dict[str, Any]], ...] = (retrieval_family, negative_family, answers_family)


def run_eval(dev_dir: Path, seeds: Path, index_dir: Path, out: Path | None = None,
             families: Sequence[Callable[[EvalContext], dict[str, Any]]] = FAMILIES) -> tuple[dict[str, Any], Path]:
    """Build (or refresh) an evaluation index holding every model, run the families, save JSON."""
    settings = Settings.from_env(index_dir=index_dir, embed_model=HYBRID)
    ingest_paths([seeds], settings)
    ctx = EvalContext(Retriever.open(settings), load_dev(dev_dir), settings)
    result: dict[str, Any] = {
        "git_commit": _git_commit(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": {"embed_model": settings.embed_model, "rrf_k": settings.rrf_k, "fetch": FETCH,
                     "index": {k: ctx.retriever.index.manifest[k] for k in ("chunks", "speeches", "corpus_fingerprint")}},
    }
    for family in families:
        result[family.__name__.removesuffix("_family")] = family(ctx)
    result["summary"] = _summary(result.get("retrieval", {}))
    path = out or Path(dev_dir) / "results" / f"eval-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result, path


def _summary(retrieval: dict[str, Any]) -> dict[str, Any]:
    return {name: {"hit@1": round(m["qa"]["hit@1"], 3), "hit@5": round(m["qa"][f"hit@{K}"], 3),
                   "mrr@5": round(m["qa"][f"mrr@{K}"], 3),
                   "multi_reached": f"{m['multi']['reached']}/{m['multi']['questions']}"}
            for name, m in retrieval.items()}


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
