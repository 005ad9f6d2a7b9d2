"""llama-index's QueryFusionRetriever against our fusion, over the same BM25 and e5-small rankings.

`python -m bench.llamaindex_compare` → bench/results/llamaindex-<time>.json and a table on stdout.

The seeds are indexed as `rag ingest` does (e5-small + BM25, in a temporary folder unless --index is
given). Each component (our BM25, our e5-small search) becomes a llama-index `BaseRetriever` returning
its top FETCH chunks with their raw scores — the same candidates our `Retriever.search` fuses — and
`QueryFusionRetriever` (num_queries=1: no query rewriting, no LLM call) fuses them in each of its
modes. `--domain cmrc --index eval/.cache/cmrc-index` runs the CMRC 2018 questions on the index
`rag eval` built (retrieval only). Ours: the shipped fusion (rag.retrieve.retriever.DEFAULT_FUSION) and plain RRF k=60 (the method
llama-index's reciprocal_rerank uses). Questions: the seeds' answerable questions — eval/dev_qa.jsonl
alone and all of them per tune/report part (rag/eval/sets.py); hit@1, hit@5, MRR@5.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.save import save_result
from rag.config import DEFAULT_SEEDS, Settings
from rag.eval.sets import DOMAINS, PARTS, git_commit
from rag.eval.run import FETCH, K, first_gold, rank_metrics
from rag.retrieve.fusion import BM25, Fusion
from rag.ingest.pipeline import ingest_paths
from rag.retrieve.retriever import DEFAULT_FUSION, Retriever

ROOT = Path(__file__).resolve().parent.parent
E5 = "e5-small"


def component_retriever(retriever: Retriever, rankings: dict, name: str):
    """One of our rankings (raw scores, FETCH candidates, computed once per question) as a llama-index
    BaseRetriever."""
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore

    from rag.retrieve.llamaindex import chunk_node

    class Component(BaseRetriever):
        def _retrieve(self, query_bundle):
            ids, scores = rankings[query_bundle.query_str][name]
            return [NodeWithScore(node=chunk_node(retriever.index.chunk(int(i))), score=float(s))
                    for i, s in zip(ids, scores)]

    return Component()


def llamaindex_fusions(retriever: Retriever, rankings: dict) -> dict:
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever

    parts = [component_retriever(retriever, rankings, BM25), component_retriever(retriever, rankings, E5)]
    return {f"llama-index {mode}": QueryFusionRetriever(parts, llm=MockLLM(), mode=mode, similarity_top_k=K,
                                                        num_queries=1, use_async=False)
            for mode in ("reciprocal_rerank", "relative_score", "dist_based_score")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domain", choices=sorted(DOMAINS), default="seeds")
    parser.add_argument("--part", choices=PARTS, action="append", help="default: both parts")
    parser.add_argument("--index", type=Path, help="the domain's index built with e5-small (default: build the seeds')")
    args = parser.parse_args()
    if args.index is None and args.domain != "seeds":
        parser.error("--index is needed for this domain (e.g. eval/.cache/cmrc-index after `rag eval`)")
    with tempfile.TemporaryDirectory(prefix="zhengyan-li-") as tmp:
        settings = Settings(index_dir=args.index or Path(tmp) / "index", embed_model=E5)
        if args.index is None:
            ingest_paths([DEFAULT_SEEDS], settings)
        retriever = Retriever.open(settings, components=[BM25, E5])
        domain = DOMAINS[args.domain]()
        sets = {p: domain.select(p, ("qa",)) for p in (args.part or PARTS)}
        if args.domain == "seeds":
            dev = ROOT / "eval" / "dev_qa.jsonl"
            dev_ids = {json.loads(x)["id"] for x in dev.read_text(encoding="utf-8").splitlines() if x.strip()}
            sets = {"dev_qa": [q for q in domain.select("all", ("qa",)) if q.id in dev_ids], **sets}
        started = time.perf_counter()
        rankings = {q.q: retriever.rankings(q.q, FETCH) for qs in sets.values() for q in qs}
        print(f"rankings of {len(rankings)} questions: {time.perf_counter() - started:.0f} s", flush=True)
        ours = {"ours: shipped " + DEFAULT_FUSION.name(): DEFAULT_FUSION,
                "ours: rrf k=60": Fusion("rrf", {BM25: 1.0, E5: 1.0}, k=60)}
        theirs = llamaindex_fusions(retriever, rankings)
        table: dict = {}
        for label in [*ours, *theirs]:
            started = time.perf_counter()
            row = {}
            for name, questions in sets.items():
                ranks = []
                for q in questions:
                    if label in ours:
                        chunks = [h.chunk for h in retriever.hits(q.q, rankings[q.q], K, ours[label])]
                    else:
                        chunks = [retriever.index.find(n.node.node_id) for n in theirs[label].retrieve(q.q)]
                    ranks.append(first_gold(chunks, q, domain.is_gold))
                row[name] = rank_metrics(ranks)
            row["seconds"] = round(time.perf_counter() - started, 1)
            table[label] = row
            print(f"{label:48} " + "  ".join(f"{n}: hit@5 {row[n]['hit@5']:.3f} mrr@5 {row[n]['mrr@5']:.3f}"
                                             for n in sets), flush=True)
    result = {"commit": git_commit(), "domain": args.domain, "fetch_per_component": FETCH, "k": K,
              "questions": {n: len(q) for n, q in sets.items()}, "table": table}
    save_result(f"llamaindex-{args.domain}", result)


if __name__ == "__main__":
    main()
