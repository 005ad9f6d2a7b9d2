"""The line model's data: labelled lines (`gold_lines.jsonl`) → features, fit on tune, scores by part.

A gold folder's `gold_lines.jsonl` holds one record per non-blank physical line after
`front_door`: `{"doc", "i", "text", "label"}` with label speaker, heading, body or noise, `i` the
line's place among the non-blank lines. Its
documents are `<doc>_*.txt` (or `<doc>.txt`) in the folder, in its `docs/`, or, for
`eval/seeds_lines`, in `seeds/`. A folder with `SOURCES.tsv` names each document's part
(tune/report) in a `part` column; documents of every other folder are tune data.

`rag eval --parse --fit` refits the weights on every tune line and writes rag/parse/line_weights.json.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import PROJECT_ROOT
from rag.parse import line_model
from rag.parse.decode import read_text
from rag.parse.line_features import FEATURES, feature_matrix, rules_label
from rag.parse.line_model import LABELS
from rag.parse.lines import PhysicalLine, line_text, physical_lines
from rag.parse.normalize import front_door, normalize_chars

EVAL = PROJECT_ROOT / "eval"
L2_GRID = (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003)
FOLDS = 5
_DOC_DIRS = {"seeds_lines": PROJECT_ROOT / "seeds"}


@dataclass
class LabelledDoc:
    folder: str
    doc: str
    part: str  # tune or report
    lines: list[PhysicalLine]
    gold: list[str | None]  # a label per line; None where the gold has no record for it
    x: np.ndarray


def line_folders(root: Path = EVAL) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/gold_lines.jsonl"))


def _parts(folder: Path) -> dict[str, str]:
    sources = folder / "SOURCES.tsv"
    if not sources.exists():
        return {}
    with sources.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))
    return {(row.get("doc") or row["file"].split("_")[0]): row["part"].strip()
            for row in rows if (row.get("doc") or row.get("file")) and row.get("part")}


def _doc_path(folder: Path, doc: str) -> Path | None:
    for base in (_DOC_DIRS.get(folder.name), folder / "docs", folder):
        if base and base.is_dir():
            found = sorted(base.glob(f"{doc}_*.txt")) or sorted(base.glob(f"{doc}.txt"))
            if found:
                return found[0]
    return None


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", normalize_chars(text))


def _align(lines: list[PhysicalLine], rows: list[dict[str, Any]]) -> list[str | None]:
    """Gold labels by `i`, the line's place among the non-blank lines; a row whose text does not
    match the line there is left out (the document changed under its gold)."""
    gold: list[str | None] = [None] * len(lines)
    for row in rows:
        k = row["i"]
        if 0 <= k < len(lines) and _compact(lines[k].text) == _compact(line_text(row["text"])):
            gold[k] = row["label"]
    return gold


def load_folder(folder: Path) -> list[LabelledDoc]:
    rows = [json.loads(line) for line in (folder / "gold_lines.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    parts = _parts(folder)
    docs = []
    for doc in dict.fromkeys(row["doc"] for row in rows):
        path = _doc_path(folder, doc)
        if path is None:
            continue
        lines = physical_lines(front_door(read_text(path)).text)
        gold = _align(lines, [row for row in rows if row["doc"] == doc])
        docs.append(LabelledDoc(folder.name, doc, parts.get(doc, "tune"), lines, gold, feature_matrix(lines)))
    return docs


def load_all(folders: list[Path] | None = None) -> list[LabelledDoc]:
    return [doc for folder in (folders or line_folders()) for doc in load_folder(folder)]


def _rows(docs: list[LabelledDoc]) -> tuple[np.ndarray, np.ndarray, list[tuple[LabelledDoc, int]]]:
    keep = [(doc, k) for doc in docs for k, label in enumerate(doc.gold) if label in LABELS]
    if not keep:
        return np.zeros((0, len(FEATURES)), dtype=np.float32), np.zeros(0, dtype=int), []
    x = np.stack([doc.x[k] for doc, k in keep])
    y = np.array([LABELS.index(doc.gold[k]) for doc, k in keep])
    return x, y, keep


def fit_lines(docs: list[LabelledDoc], l2: float) -> line_model.LineModel:
    x, y, _ = _rows([d for d in docs if d.part == "tune"])
    return line_model.fit(x, y, FEATURES, line_model.balanced_weights(y), l2=l2)


def choose_l2(docs: list[LabelledDoc], grid: tuple[float, ...] = L2_GRID, folds: int = FOLDS) -> tuple[float, dict]:
    """The penalty with the best mean per-label F1 on held-out tune documents (folds by document)."""
    tune = [d for d in docs if d.part == "tune"]
    fold_of = {id(d): k % folds for k, d in enumerate(sorted(tune, key=lambda d: (d.folder, d.doc)))}
    scores = {}
    for l2 in grid:
        truth, guess = [], []
        for k in range(folds):
            model = fit_lines([d for d in tune if fold_of[id(d)] != k], l2)
            x, y, _ = _rows([d for d in tune if fold_of[id(d)] == k])
            if len(y):
                truth += list(y)
                guess += list(model.probabilities(x).argmax(axis=1))
        scores[l2] = _macro_f1(np.array(truth), np.array(guess))
    return max(scores, key=lambda l2: (scores[l2], l2)), scores


def _macro_f1(y: np.ndarray, p: np.ndarray) -> float:
    f1 = []
    for k in range(len(LABELS)):
        tp, fp, fn = int(((p == k) & (y == k)).sum()), int(((p == k) & (y != k)).sum()), int(((p != k) & (y == k)).sum())
        if tp + fn:
            f1.append(2 * tp / (2 * tp + fp + fn))
    return round(float(np.mean(f1)), 4)


def score_lines(model: line_model.LineModel, docs: list[LabelledDoc]) -> dict[str, Any]:
    """Accuracy, per-label precision/recall, and how often the model and the old rules disagree."""
    x, y, keep = _rows(docs)
    if not keep:
        return {"lines": 0}
    predicted = model.probabilities(x).argmax(axis=1)
    rules = {}
    for doc in {id(d): d for d, _ in keep}.values():
        rules[id(doc)] = rules_label(doc.lines)
    old = np.array([LABELS.index(rules[id(doc)][k]) for doc, k in keep])
    out: dict[str, Any] = {"lines": len(y), "accuracy": round(float((predicted == y).mean()), 4),
                           "rules_accuracy": round(float((old == y).mean()), 4)}
    for k, label in enumerate(LABELS):
        tp = int(((predicted == k) & (y == k)).sum())
        out[label] = {"gold": int((y == k).sum()), "precision": _ratio(tp, int((predicted == k).sum())),
                      "recall": _ratio(tp, int((y == k).sum()))}
    against = predicted != old
    out["against_rules"] = {"share": round(float(against.mean()), 4), "count": int(against.sum()),
                            "model_right": int((against & (predicted == y)).sum()),
                            "rules_right": int((against & (old == y)).sum())}
    out["examples"] = {"model_right": [], "rules_right": []}
    for (doc, k), p, o, g in zip(keep, predicted, old, y):
        if p != o and (p == g or o == g):
            side = "model_right" if p == g else "rules_right"
            if len(out["examples"][side]) < 5:
                out["examples"][side].append(f"{doc.doc}:{doc.lines[k].number} 「{doc.lines[k].text[:40]}」 "
                                             f"model {LABELS[p]}, rules {LABELS[o]}, gold {LABELS[g]}")
    return out


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def fit_and_save(path: Path = line_model.MODEL_FILE) -> dict[str, Any]:
    """Refit the line model on every tune line, write it, and score it on both parts."""
    docs = load_all()
    l2, held_out = choose_l2(docs)
    model = fit_lines(docs, l2)
    counts = Counter(d.part for d in docs)
    model.save(path, note={"l2": l2, "held_out_macro_f1": {str(k): v for k, v in held_out.items()}, "trained_on": {"documents": counts["tune"],
                                          "lines": sum(1 for d in docs if d.part == "tune" for g in d.gold if g),
                                          "folders": sorted({d.folder for d in docs if d.part == "tune"})}})
    line_model.load.cache_clear()
    return {part: score_lines(model, [d for d in docs if d.part == part]) for part in ("tune", "report")}


def lines_table(scores: dict[str, Any]) -> str:
    """Line accuracy and per-label precision/recall by part, and the model against the old rules."""
    rows = [f"{'part':<8}{'lines':>6}{'acc':>7}{'rules':>7}" + "".join(f"{label + ' P/R':>15}" for label in LABELS)
            + f"{'≠rules':>8}"]
    for part, s in scores.items():
        if not s.get("lines"):
            continue
        cells = "".join(f"{str(s[label]['precision']) + '/' + str(s[label]['recall']):>15}" for label in LABELS)
        rows.append(f"{part:<8}{s['lines']:>6}{s['accuracy']:>7}{s['rules_accuracy']:>7}{cells}"
                    f"{s['against_rules']['share']:>8}")
    return "\n".join(rows)
