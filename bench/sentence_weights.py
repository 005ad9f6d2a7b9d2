"""How the parts of a sentence's score add up (rag/answer/evidence.py `Weights`), chosen on the TUNE parts.

Usage: python -m bench.sentence_weights [--step 0.05]   → bench/results/sentence-weights-<time>.json

For every answerable one-fact question of both evaluation domains (rag eval's indexes, built by
`rag eval` when missing), the shipped pipeline retrieves and splits the hits into candidate
sentences; each candidate keeps its four score parts (dense level, lexical coverage, figure, rank)
and whether it holds a gold string (seeds: from a gold speaker's chunk). Every weight vector on the
simplex grid is then scored by the share of questions whose best quotable sentence (the one an
answer leads with) holds a gold string: the mean over domains of the TUNE parts decides, ties going
to the vector nearest the current one. The report parts are printed for the chosen and the current
weights, never used to choose.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any model library is imported

import numpy as np  # noqa: E402

from bench.save import save_result  # noqa: E402
from rag.answer import answerability  # noqa: E402
from rag.eval.sets import DOMAINS, PARTS, TUNE  # noqa: E402
from rag.eval.run import open_domain  # noqa: E402
from rag.eval.answers import answerer_for_run  # noqa: E402
from rag.answer.evidence import Weights, score_parts  # noqa: E402


def candidates_of(domain: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(part, score parts of each quotable candidate, holds-gold flags) per answerable one-fact question."""
    run = open_domain(DOMAINS[domain]())
    answerer = answerer_for_run(run, answerability.neutral())
    band = Weights().dense_band
    out = []
    for q in run.domain.questions:
        if not q.answerable or q.kind != "qa":
            continue
        s = answerer.assess(q.q)
        quotable = [c for c in s.ranked
                    if c.places_ok and (c.about_speaker or c.context_coverage >= answerer.config.min_context_coverage)]
        parts = np.array([score_parts(c, s.info, band) for c in quotable]).reshape(-1, 4)
        gold = np.array([any(g in c.sentence for g in q.gold) and (not q.speakers or c.hit.chunk.speaker in q.speakers)
                         for c in quotable], dtype=bool)
        out.append((q.part, parts, gold))
    return out


def accuracy(items, part: str, w: np.ndarray) -> float:
    """Share of the part's questions whose best-scoring quotable sentence holds a gold string."""
    chosen = [gold[int(np.argmax(parts @ w))] if len(parts) else False for p, parts, gold in items if p == part]
    return float(np.mean(chosen)) if chosen else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=float, default=0.05)
    args = parser.parse_args()
    data = {d: candidates_of(d) for d in DOMAINS}
    current = Weights()
    now = np.array([current.dense, current.lexical, current.figure, current.rank])
    ticks = np.round(np.arange(0, 1 + 1e-9, args.step), 4)
    grid = [np.array([a, b, c, round(1 - a - b - c, 4)]) for a, b, c in itertools.product(ticks, repeat=3)
            if a + b + c <= 1 + 1e-9]

    def merit(w: np.ndarray) -> float:
        return float(np.mean([accuracy(items, TUNE, w) for items in data.values()]))

    best = max(grid, key=lambda w: (round(merit(w), 6), -float(np.abs(w - now).sum())))
    table = {label: {"weights": dict(zip(("dense", "lexical", "figure", "rank"), w.tolist())),
                     **{f"{d} {p}": round(accuracy(items, p, w), 3) for d, items in data.items() for p in PARTS}}
             for label, w in (("current", now), ("chosen on tune", best))}
    for label, row in table.items():
        print(label, json.dumps(row, ensure_ascii=False))
    save_result("sentence-weights", {"created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                     "step": args.step, "questions": {d: len(items) for d, items in data.items()},
                                     "table": table})


if __name__ == "__main__":
    main()
