"""Latency of a warm extractive `ask` against a warm `search` of the same question (outside pytest).

Usage: python -m bench.ask_latency [--index DIR] [--repeat N] [--out bench/results/ask_latency.json]

Both run on the same loaded Retriever; each question is asked once first (models loaded, sentence
vectors cached), then timed `repeat` times. The target: ask p50/p95 ≤ 2 × search p50/p95.
Also reports the cold first ask of each question (sentence vectors not yet cached).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent


def questions(eval_dir: Path) -> list[str]:
    out = []
    for name in ("dev_qa.jsonl", "dev_negative.jsonl", "dev_multi.jsonl"):
        path = eval_dir / name
        if path.exists():
            out += [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--eval-dir", default=str(ROOT / "eval"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ask_latency.json"))
    args = parser.parse_args()

    from rag.answer import open_answerer
    from rag.config import Settings
    from rag.records import Filters

    settings = Settings.from_env(index_dir=args.index)
    answerer = open_answerer(settings, use_llm=False)
    retriever = answerer.retriever  # the same object both paths use
    qs = questions(Path(args.eval_dir))
    cold, search_t, ask_t, ratios = [], [], [], []
    for q in qs:
        retriever.search(q, settings.top_k, Filters())
        cold.append(timed(lambda: answerer.ask(q)))
        s = [timed(lambda: retriever.search(q, settings.top_k, Filters())) for _ in range(args.repeat)]
        a = [timed(lambda: answerer.ask(q)) for _ in range(args.repeat)]
        search_t += s
        ask_t += a
        ratios.append(percentile(a, 50) / percentile(s, 50))
    result = {
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=ROOT).stdout.strip() or None,
        "index": str(settings.index_dir), "embed_model": settings.embed_model, "questions": len(qs),
        "repeat": args.repeat, "search_top_k": settings.top_k, "ask_top_k": answerer.config.top_k,
        "search_ms": {"p50": 1000 * percentile(search_t, 50), "p95": 1000 * percentile(search_t, 95)},
        "ask_warm_ms": {"p50": 1000 * percentile(ask_t, 50), "p95": 1000 * percentile(ask_t, 95)},
        "ask_cold_ms": {"p50": 1000 * percentile(cold, 50), "p95": 1000 * percentile(cold, 95)},
        "ask_over_search_per_question_p50": {"median": percentile(ratios, 50), "max": max(ratios)},
    }
    result["within_2x"] = (result["ask_warm_ms"]["p50"] <= 2 * result["search_ms"]["p50"]
                           and result["ask_warm_ms"]["p95"] <= 2 * result["search_ms"]["p95"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
