"""The answerability model: logistic regression fit, balanced weights, threshold, plain-JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.answer import answerability
from rag.answer.answerability import FEATURES, Evidence, Model, balanced_weights, fit, load, threshold_for


def evidence(score: float, missing: float) -> Evidence:
    return Evidence(best_score=score, sentence_coverage=score, chunk_coverage=score, missing_rarity=missing,
                    dense_scores=(0.85, 0.80), bm25_scores=(9.0, 3.0), figure_missing=False, about_speaker=False)


def synthetic(n: int = 200, seed: int = 0):
    """Answerable items: high scores, no rare term missing; the others: the reverse, with overlap."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    rows = [evidence(float(np.clip(0.35 + 0.35 * c + rng.normal(0, 0.12), 0, 1)),
                     float(np.clip(0.7 - 0.5 * c + rng.normal(0, 0.15), 0, 1))).vector() for c in y]
    return np.array(rows), y


def test_fit_learns_the_direction_of_each_feature():
    x, y = synthetic()
    mean, scale, coef, intercept = fit(x, y)
    named = dict(zip(FEATURES, coef))
    assert named["best_score"] > 0 and named["missing_rarity"] < 0
    model = Model(FEATURES, tuple(mean), tuple(scale), tuple(coef), intercept, 0.5, {})
    probs = np.array([model.probability(v) for v in x])
    assert ((probs >= 0.5) == y).mean() > 0.85


def test_threshold_keeps_refusals_of_answerable_items_within_the_share():
    x, y = synthetic(400, seed=1)
    groups = ["a" if i % 3 else "b" for i in range(len(y))]
    model = Model(FEATURES, *[tuple(v) if not np.isscalar(v) else v for v in fit(x, y)], 0.5, {})
    probs = np.array([model.probability(v) for v in x])
    cut = threshold_for(probs, y, groups, max_refused=0.02)
    for g in ("a", "b"):
        pos = [p for p, c, gg in zip(probs, y, groups) if gg == g and c == 1]
        assert sum(p < cut for p in pos) <= 0.02 * len(pos)


def test_balanced_weights_give_each_group_and_class_the_same_total():
    w = balanced_weights(np.array([1, 1, 1, 0, 1, 0]), ["a", "a", "a", "a", "b", "b"])
    assert w.sum() == pytest.approx(6.0)
    assert w[:3].sum() == pytest.approx(w[3]) == pytest.approx(w[4]) == pytest.approx(w[5])


def test_model_round_trips_as_plain_json(tmp_path):
    x, y = synthetic()
    mean, scale, coef, intercept = fit(x, y)
    model = Model(FEATURES, tuple(mean), tuple(scale), tuple(coef), intercept, 0.4, {"parts": "tune"})
    path = tmp_path / "m.json"
    model.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["threshold"] == 0.4
    again = load(path)
    assert again.answerable(evidence(0.9, 0.0)) == model.answerable(evidence(0.9, 0.0))
    assert again.answerable(evidence(0.9, 0.0))[0] and not again.answerable(evidence(0.1, 0.9))[0]


def test_a_model_fitted_on_other_features_is_refused(tmp_path):
    data = json.loads(answerability.MODEL_FILE.read_text(encoding="utf-8")) if answerability.MODEL_FILE.exists() \
        else {"features": list(FEATURES), "mean": [0.0] * len(FEATURES), "scale": [1.0] * len(FEATURES),
              "coef": [0.0] * len(FEATURES), "intercept": 0.0, "threshold": 0.5, "fitted_on": {}}
    data["features"] = ["something_else"] * len(FEATURES)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="rag eval --fit"):
        load(path)
