"""FAISS vs Milvus (milvus-lite) rankings on the same corpus: `python -m bench.milvus_parity`.

Both backends are built by `rag ingest`'s code from the same files with the same vectors (each text
is encoded once, into the index folder's embedding cache), then every question is searched on both. Reported per domain (the
seeds with eval/dev_*.jsonl, and CMRC 2018 from ../shared/eval/public):
  - fused top-5 identical (same chunks in the same order), same top-5 set, mean overlap of the top-10;
  - the same for each component alone (dense e5, BM25), which says where a difference comes from;
  - hit@5 / MRR@5 on each backend (a hit: the gold speaker's chunk holding a gold fact (seeds), a
    chunk of the gold paragraph (CMRC));
  - for the seeds also with a source filter (each question's gold file).
Writes bench/results/milvus-parity-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from rag.config import PROJECT_ROOT, Settings
from rag.store.embed import load_embedder
from rag.eval.sets import seed_gold, seeds_domain
from rag.ingest.pipeline import ingest_paths
from rag.records import Chunk, Filters
from rag.retrieve.retriever import BM25, Retriever
from rag.store.base import open_store

RESULTS = PROJECT_ROOT / "bench" / "results"
CMRC = PROJECT_ROOT.parent / "shared" / "eval" / "public"


def build(corpus: Sequence[Path], work: Path, model) -> dict[str, Retriever]:
    """Both backends in one index folder: the Milvus build takes every vector from the embedding cache
    the FAISS build filled (and a re-run with the same --work takes all of them from it)."""
    out = {}
    for backend in ("faiss", "milvus"):
        settings = Settings(index_dir=work, embed_model=model.name, vector_store=backend)
        started = time.perf_counter()
        ingest_paths(list(corpus), settings, embedders=[model])
        print(f"built {backend} in {time.perf_counter() - started:.1f}s", flush=True)
        out[backend] = Retriever(open_store(settings), {model.name: model})
    return out


def compare(retrievers: dict[str, Retriever], questions: Sequence[str], gold: Callable[[Chunk, int], bool],
            filters: Callable[[int], Filters | None] = lambda i: None) -> dict[str, Any]:
    """Ranking agreement between the two backends, fused and per component, and each one's hit@5/MRR@5."""
    fused: dict[str, list[list[Chunk]]] = {b: [] for b in retrievers}
    parts: dict[str, dict[str, list[list[str]]]] = {b: {} for b in retrievers}
    for i, q in enumerate(questions):
        for b, r in retrievers.items():
            ranked = r.rankings(q, 50, filters(i))
            fused[b].append([h.chunk for h in r.hits(q, ranked, 10)])
            for name, (rows, _) in ranked.items():
                parts[b].setdefault(name, []).append([r.index.chunk(row).chunk_id for row in rows[:10]])
    ids = {b: [[c.chunk_id for c in cs] for cs in fused[b]] for b in fused}
    out: dict[str, Any] = {"questions": len(questions), "fused": agreement(ids["faiss"], ids["milvus"])}
    for name in parts["faiss"]:
        out[name] = agreement(parts["faiss"][name], parts["milvus"][name])
    for b in fused:
        ranks = [next((j for j, c in enumerate(cs[:5], 1) if gold(c, i)), None) for i, cs in enumerate(fused[b])]
        n = max(len(ranks), 1)
        out[f"{b} hit@5"] = round(sum(r is not None for r in ranks) / n, 4)
        out[f"{b} mrr@5"] = round(sum(1 / r for r in ranks if r) / n, 4)
    return out


def agreement(a: list[list[str]], b: list[list[str]]) -> dict[str, float]:
    n = max(len(a), 1)
    return {"top5 identical": round(sum(x[:5] == y[:5] for x, y in zip(a, b)) / n, 4),
            "top5 same set": round(sum(set(x[:5]) == set(y[:5]) for x, y in zip(a, b)) / n, 4),
            "top10 overlap": round(sum(len(set(x[:10]) & set(y[:10])) / max(len(x[:10]), 1) for x, y in zip(a, b)) / n, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="e5-small")
    parser.add_argument("--cmrc-questions", type=int, default=300, help="the first N answerable CMRC questions")
    parser.add_argument("--cmrc", type=Path, default=CMRC, help="folder of cmrc2018_corpus.jsonl (default ../shared/eval/public)")
    parser.add_argument("--no-cmrc", action="store_true")
    parser.add_argument("--work", type=Path, help="keep the indexes (and their embedding cache) here")
    args = parser.parse_args()
    model = load_embedder(args.model)
    result: dict[str, Any] = {"model": args.model, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        retrievers = build([PROJECT_ROOT / "seeds"], work / "seeds", model)
        seeds = seeds_domain()
        qa = seeds.select("all", ("qa",))
        result["seeds qa"] = compare(retrievers, [x.q for x in qa], lambda c, i: seed_gold(c, qa[i]))
        result["seeds qa, source filter"] = compare(retrievers, [x.q for x in qa], lambda c, i: seed_gold(c, qa[i]),
                                                    lambda i: Filters(source=qa[i].source))
        others = seeds.select("all", ("multi", "negative"))
        result["seeds multi+negative"] = compare(retrievers, [x.q for x in others], lambda c, i: False)
        if not args.no_cmrc:
            retrievers = build([args.cmrc / "cmrc2018_corpus.jsonl"], work / "cmrc", model)
            lines = (args.cmrc / "cmrc2018_questions.jsonl").read_text(encoding="utf-8").splitlines()
            items = [x for x in map(json.loads, lines) if x["answerable"]][:args.cmrc_questions]
            result["cmrc"] = compare(retrievers, [x["q"] for x in items], lambda c, i: c.source == items[i]["source"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"milvus-parity-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
