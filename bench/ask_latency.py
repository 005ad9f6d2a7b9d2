"""First-time extractive `ask` against `search` of the same question, in one process (outside pytest).

Usage: python -m bench.ask_latency [--domain seeds|cmrc] [--questions N] [--out FILE]
       (`make bench-ask` runs both domains)

Opens the domain's evaluation index (built by `rag eval`; rebuilt here if missing) with the shipped
components (BM25 + e5-small) and no query cache, so every question is new to the process. Each
question is timed once by `search` and once by `ask` (the order alternates between questions, so
neither always pays for a cold CPU cache), and nothing is asked twice. Questions: the REPORT part
of the domain's evaluation set (answerable and out-of-corpus), the first N in id-hash order.
Target (issue 9): ask p50 ≤ 2 × search p50 and ask p95 ≤ 3 × search p95.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any model library is imported

from rag.answer import answerer_for  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.store.embed import E5_SMALL, HYBRID, load_embedder  # noqa: E402
from rag.eval.sets import DOMAINS, REPORT  # noqa: E402
from rag.retrieve.fusion import BM25  # noqa: E402
from rag.store.faiss.index import FaissStore  # noqa: E402
from rag.ingest.pipeline import ingest_paths  # noqa: E402
from rag.records import Filters  # noqa: E402
from rag.retrieve.retriever import Retriever  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(domain_name: str, n: int) -> dict:
    domain = DOMAINS[domain_name]()
    ingest_paths(list(domain.corpus), Settings.from_env(index_dir=domain.index_dir, embed_model=HYBRID))
    index = FaissStore.load(domain.index_dir)
    e5 = load_embedder(E5_SMALL)
    retriever = Retriever(index, {E5_SMALL: e5}, components=[BM25, E5_SMALL])
    answerer = answerer_for(retriever)  # as `rag ask --no-llm` builds it
    qs = [q for q in domain.questions if q.part == REPORT and q.kind in ("qa", "negative")]
    qs.sort(key=lambda q: hashlib.sha256(f"bench:{q.id}".encode()).hexdigest())
    texts = list(dict.fromkeys(q.q for q in qs))[:n]
    answerer.ask("热身：加载模型用的问题")  # loads models and jieba; not one of the timed questions
    search_t, ask_t, ratios = [], [], []
    for i, q in enumerate(texts):
        s_fn = lambda: retriever.search(q, 5, Filters())  # noqa: E731
        a_fn = lambda: answerer.ask(q)  # noqa: E731
        if i % 2:
            a, s = timed(a_fn), timed(s_fn)
        else:
            s, a = timed(s_fn), timed(a_fn)
        search_t.append(s)
        ask_t.append(a)
        ratios.append(a / s)
    ms = lambda xs, p: round(1000 * percentile(xs, p), 1)  # noqa: E731
    result = {
        "domain": domain_name, "index_chunks": len(index.chunks), "questions": len(texts),
        "search_ms": {"p50": ms(search_t, 50), "p95": ms(search_t, 95)},
        "ask_first_time_ms": {"p50": ms(ask_t, 50), "p95": ms(ask_t, 95)},
        "per_question_ratio": {"p50": round(percentile(ratios, 50), 2), "p95": round(percentile(ratios, 95), 2)},
    }
    result["ratio_p50"] = round(result["ask_first_time_ms"]["p50"] / result["search_ms"]["p50"], 2)
    result["ratio_p95"] = round(result["ask_first_time_ms"]["p95"] / result["search_ms"]["p95"], 2)
    result["meets_target"] = result["ratio_p50"] <= 2 and result["ratio_p95"] <= 3
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", action="append", choices=["seeds", "cmrc"])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ask_latency.json"))
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip() or None
    results = {"commit": commit, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "domains": [run(d, args.questions) for d in (args.domain or ["seeds", "cmrc"])]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
