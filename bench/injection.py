"""Injection recogniser: fit its weights on the TUNE phrasings, report on the HELD-OUT ones.

    python -m bench.injection --fit    # fit rag/answer/injection.json on tune, then report
    python -m bench.injection          # report only

Positives: eval/injection/tune.jsonl (fitting) and eval/injection/heldout.jsonl (report only, never
fitted on). Negatives: every sentence of seeds/*.txt, eval/genre*/*.txt and the CMRC 2018 passages,
dealt into tune and report by the seeded hash of rag/eval/sets.py. The threshold is the midpoint
between the highest-scoring tune negative and the lowest tune positive above it (0 false positives
on tune). The report gives held-out recall, and false positives on the report negatives and on every
sentence and paragraph of each domain. Results: bench/results/injection-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rag.answer import injection
from rag.answer.answerability import fit
from rag.config import PROJECT_ROOT
from rag.eval.sets import git_commit, part

EVAL = PROJECT_ROOT / "eval"


def _phrasings(name: str) -> list[str]:
    return [json.loads(line)["text"] for line in (EVAL / "injection" / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _documents() -> dict[str, list[tuple[str, str]]]:
    """domain → (document id, paragraph) for every paragraph of the seeds, the genre sets and CMRC."""
    out: dict[str, list[tuple[str, str]]] = {"seeds": [], "genre": [], "cmrc": []}
    for domain, paths in (("seeds", sorted((PROJECT_ROOT / "seeds").glob("*.txt"))),
                          ("genre", sorted(EVAL.glob("genre*/*.txt")))):
        for path in paths:
            out[domain] += [(path.name, p) for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    for number, line in enumerate((EVAL / "public" / "cmrc2018_corpus.jsonl").read_text(encoding="utf-8").splitlines()):
        if line.strip():
            out["cmrc"] += [(f"cmrc:{number}", p) for p in json.loads(line)["text"].split("\n") if p.strip()]
    return out


def _negatives(documents: dict[str, list[tuple[str, str]]]) -> dict[str, list[str]]:
    """Sentences of every paragraph, dealt into tune and report by a seeded hash of (document, sentence number)."""
    parts: dict[str, list[str]] = {"tune": [], "report": []}
    for rows in documents.values():
        counters: dict[str, int] = {}
        for doc, paragraph in rows:
            for sentence in injection.sentences(paragraph):
                n = counters[doc] = counters.get(doc, 0) + 1
                parts[part(f"injection:{doc}:{n}")].append(sentence)
    return parts


def fit_model(positives: list[str], negatives: list[str]) -> dict:
    x = np.array([injection.features(s) for s in positives + negatives])
    y = np.array([1] * len(positives) + [0] * len(negatives))
    weights = np.where(y == 1, len(y) / (2 * len(positives)), len(y) / (2 * len(negatives)))  # classes weigh alike
    mean, scale, coef, intercept = fit(x, y, weights)
    raw = coef / scale
    z = x @ raw + intercept - float(np.sum(coef * mean / scale))
    probs = 1 / (1 + np.exp(-z))
    top_negative = float(probs[y == 0].max())
    above = probs[(y == 1) & (probs > top_negative)]
    threshold = (top_negative + float(above.min())) / 2 if len(above) else top_negative + 1e-6
    return {"features": list(injection.FEATURES), "weights": dict(zip(injection.FEATURES, map(float, raw))),
            "intercept": intercept - float(np.sum(coef * mean / scale)), "threshold": threshold,
            "fitted_on": {"positives": "eval/injection/tune.jsonl", "negatives": "tune part of seeds, eval/genre*, CMRC",
                          "n_positive": len(positives), "n_negative": len(negatives)}}


def report(documents: dict[str, list[tuple[str, str]]], negatives: dict[str, list[str]]) -> dict:
    held = _phrasings("heldout.jsonl")
    tune = _phrasings("tune.jsonl")
    missed = [s for s in held if not injection.is_instruction(s)]
    out = {
        "heldout_recall": (len(held) - len(missed)) / len(held), "heldout_n": len(held), "heldout_missed": missed,
        "tune_recall": sum(map(injection.is_instruction, tune)) / len(tune),
        "false_positive_sentences": {k: [s for s in v if injection.is_instruction(s)] for k, v in negatives.items()},
        "false_positive_paragraphs": {d: [p for _, p in rows if injection.is_instruction(p)] for d, rows in documents.items()},
        "paragraphs": {d: len(rows) for d, rows in documents.items()},
        "sentences": {k: len(v) for k, v in negatives.items()},
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", action="store_true", help="fit rag/answer/injection.json on the tune parts first")
    args = parser.parse_args()
    documents = _documents()
    negatives = _negatives(documents)
    if args.fit:
        model = fit_model(_phrasings("tune.jsonl"), negatives["tune"])
        injection.MODEL_FILE.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        injection._model.cache_clear()
    result = {"commit": git_commit(), "model": json.loads(injection.MODEL_FILE.read_text(encoding="utf-8")),
              **report(documents, negatives)}
    out = PROJECT_ROOT / "bench" / "results" / f"injection-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    fp = {k: len(v) for k, v in result["false_positive_paragraphs"].items()}
    print(f"held-out recall {result['heldout_recall']:.3f} ({result['heldout_n']}); tune recall {result['tune_recall']:.3f}; "
          f"false-positive paragraphs {fp} of {result['paragraphs']}; report-part sentences "
          f"{len(result['false_positive_sentences']['report'])} of {result['sentences']['report']} → {out}")


if __name__ == "__main__":
    main()
