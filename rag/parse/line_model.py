"""The line model: each physical line is a speaker line, a heading, body text or noise.

A multinomial logistic regression over `line_features.FEATURES`. The weights live in
`line_weights.json` beside this module (plain JSON, never a pickle), written by
`rag eval --parse --fit` from the TUNE part of the labelled line gold (rag/eval/parse_fit.py).

Hand-written with scipy's L-BFGS rather than scikit-learn: a 4 × ~90 weight matrix and one
penalised log-likelihood do not justify a new dependency in the main lock, and the weights must be
plain JSON anyway.

Example: a model whose only weight says "a listed post and a name is a speaker line".

>>> import numpy as np
>>> w = np.zeros((len(LABELS), 2)); w[LABELS.index("speaker"), 0] = 5.0
>>> LineModel(("listed_post_name", "len<=3"), w, np.zeros(len(LABELS))).labels(np.array([[1.0, 0.0]]))
['speaker']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.errors import InputError

LABELS = ("speaker", "heading", "body", "noise")
MODEL_FILE = Path(__file__).with_name("line_weights.json")


@dataclass(frozen=True)
class LineModel:
    features: tuple[str, ...]
    weights: np.ndarray  # len(LABELS) × len(features)
    intercepts: np.ndarray  # len(LABELS)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Softmax over LABELS for each row of `x` (n × features)."""
        logits = x @ self.weights.T + self.intercepts
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def labels(self, x: np.ndarray) -> list[str]:
        if len(x) == 0:
            return []
        return [LABELS[k] for k in self.probabilities(x).argmax(axis=1)]

    def save(self, path: Path = MODEL_FILE, note: dict | None = None) -> None:
        data = {"labels": list(LABELS), "features": list(self.features),
                "weights": [[round(float(v), 5) for v in row] for row in self.weights],
                "intercepts": [round(float(v), 5) for v in self.intercepts], **(note or {})}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)


@lru_cache(maxsize=4)
def load(path: Path = MODEL_FILE) -> LineModel:
    """The shipped line model; a file for other features is refused (refit it: `rag eval --parse --fit`)."""
    from rag.parse.line_features import FEATURES

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: 行模型权重无法读取 ({exc}) — 运行 `rag eval --parse --fit` 重新生成") from exc
    if tuple(data.get("features", ())) != FEATURES or tuple(data.get("labels", ())) != LABELS:
        raise InputError(f"{path}: 行模型的特征与代码不一致 — 运行 `rag eval --parse --fit` 重新生成")
    return LineModel(FEATURES, np.asarray(data["weights"], dtype=np.float32),
                     np.asarray(data["intercepts"], dtype=np.float32))


def fit(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], sample_weight: np.ndarray | None,
        l2: float) -> LineModel:
    """Penalised maximum likelihood: mean weighted log-loss + l2/2·‖W‖² over the rows (y: label indices).
    The penalty is chosen on held-out tune documents (rag/eval/parse_fit.py)."""
    from scipy.optimize import minimize

    n, d = x.shape
    k = len(LABELS)
    target = np.zeros((n, k))
    target[np.arange(n), y] = 1.0
    weight = np.ones(n) if sample_weight is None else sample_weight
    weight = weight / weight.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: k * d].reshape(k, d), theta[k * d:]
        logits = x @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        value = -(weight[:, None] * target * log_p).sum() + 0.5 * l2 * (w ** 2).sum()
        residual = weight[:, None] * (np.exp(log_p) - target)
        grad_w = residual.T @ x + l2 * w
        return value, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    result = minimize(loss, np.zeros(k * d + k), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    theta = result.x
    return LineModel(features, theta[: k * d].reshape(k, d), theta[k * d:])


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Each label weighs the same in total, so the rare speaker lines are not drowned by body text."""
    counts = np.bincount(y, minlength=len(LABELS)).astype(float)
    present = counts > 0
    per_label = np.where(present, 1.0 / np.maximum(counts, 1.0), 0.0) / present.sum()
    return per_label[y]
