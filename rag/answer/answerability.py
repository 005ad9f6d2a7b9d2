"""Is the question answered by what was retrieved? A small logistic regression over evidence features.

Features (`FEATURES`) are read from the retrieved hits and their scored sentences; none of them
names a corpus, a question or a word list. The weights live in `answerability.json` beside this
module (plain JSON, never a pickle), written by `rag eval --fit` from the TUNE parts of both
evaluation domains, with the out-of-corpus questions as negatives (rag/eval/answers.py).
The decision threshold is chosen on the same tune parts, on out-of-fold probabilities (`out_of_fold`):
the highest probability cut-off at which
no domain refuses more than `tune_budget` of its answerable tune questions (MAX_REFUSED less the
sampling error of the tune part, so the report part stays within MAX_REFUSED), counting those a rule
already declined.

Written with numpy rather than scikit-learn: a dozen weights fitted by Newton's method do not
justify a 40 MB dependency, and the fitted model must be plain JSON anyway.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rag import stat_terms
from rag.answer.evidence import Candidate, TermWeights, coverage, term_match
from rag.answer.question import QuestionInfo
from rag.records import Hit

MODEL_FILE = Path(__file__).with_name("answerability.json")
MAX_REFUSED = 0.02  # the target share of answerable questions refused (issue 9)
CONFIDENCE_Z = 1.2816  # one-sided 90 %: the tune budget keeps an unseen part under MAX_REFUSED 9 times in 10
L2 = 1.0  # ridge penalty on the standardised weights (not on the intercept)
FOLDS = 5  # cross-validation folds for the out-of-fold probabilities the threshold is chosen on

FEATURES = (
    "best_score",  # score of the best sentence (rag/answer/evidence.py)
    "sentence_coverage",  # IDF-weighted share of the question's terms in the best sentence
    "chunk_coverage",  # … in the best-covering retrieved chunk (text and metadata)
    "missing_rarity",  # rarity (IDF / max IDF) of the rarest question term found in no retrieved chunk
    "dense_top",  # cosine of the best chunk (best dense model)
    "dense_margin",  # … minus the second-best chunk's
    "bm25_margin",  # (BM25 top − second) / top: a term only one chunk holds
    "figure_missing",  # the question asks for a figure and the best sentence holds none
    "about_speaker",  # the question names only who spoke (its metadata matches)
    "compound_coverage",  # share of the question's joined noun pairs ("截尾鹦嘴鱼") written in the best chunk
    "chunk_missing_rarity",  # rarity of the rarest question term the best sentence's chunk does not hold
    "name_coverage",  # share of the question's names (proper nouns, words jieba does not know) in that chunk
)


@dataclass(frozen=True)
class Evidence:
    """What the decision sees of one question's retrieval and sentence scoring."""

    best_score: float
    sentence_coverage: float
    chunk_coverage: float
    missing_rarity: float
    dense_scores: tuple[float, ...]  # of the hits, in retrieval order (None dropped)
    bm25_scores: tuple[float, ...]
    figure_missing: bool
    about_speaker: bool
    compound_coverage: float = 1.0
    chunk_missing_rarity: float = 0.0
    name_coverage: float = 1.0

    def vector(self) -> np.ndarray:
        d = sorted(self.dense_scores, reverse=True) + [0.0, 0.0]
        b = sorted(self.bm25_scores, reverse=True) + [0.0, 0.0]
        return np.array([
            self.best_score, self.sentence_coverage, self.chunk_coverage, self.missing_rarity,
            d[0], d[0] - d[1], (b[0] - b[1]) / b[0] if b[0] > 0 else 0.0,
            float(self.figure_missing), float(self.about_speaker), self.compound_coverage,
            self.chunk_missing_rarity, self.name_coverage,
        ], dtype=np.float64)


def absent_terms(info: QuestionInfo, hits: Sequence[Hit], terms: TermWeights) -> list[str]:
    """The question's terms (real jieba words of it) that no retrieved chunk holds, rarest first."""
    texts = [h.chunk.indexed_text for h in hits]
    missing = [t for t in info.content if not any(term_match(t, x) > 0 for x in texts)]
    return sorted(missing, key=lambda t: -terms.rarity(t))


def evidence_of(info: QuestionInfo, hits: Sequence[Hit], chosen: Sequence[Candidate], terms: TermWeights,
                absent: Sequence[str]) -> Evidence:
    """The features of one question: its best quoted sentence (`chosen[0]`), the retrieved hits and the
    question's terms no hit holds (`absent_terms`, rarest first)."""
    best = chosen[0]
    own = best.hit.chunk.indexed_text
    not_in_own = [terms.rarity(t) for t in info.content if term_match(t, own) == 0]
    return Evidence(
        best_score=best.score,
        sentence_coverage=best.coverage,
        chunk_coverage=max((coverage(info.content, h.chunk.indexed_text, terms) for h in hits), default=0.0),
        missing_rarity=terms.rarity(absent[0]) if absent else 0.0,
        dense_scores=tuple(h.dense_score for h in hits if h.dense_score is not None),
        bm25_scores=tuple(h.bm25_score for h in hits if h.bm25_score is not None),
        figure_missing=info.wants_figure and not best.has_figure,
        about_speaker=best.about_speaker,
        compound_coverage=_share_in(info.compounds, own),
        chunk_missing_rarity=max(not_in_own, default=0.0),
        name_coverage=_share_in(info.names, own),
    )


def _share_in(words: Sequence[str], text: str) -> float:
    """Share of the words written in the text (1 when there are none: nothing is missing)."""
    return sum(w in text or any(f in text for f in stat_terms.forms(w)) for w in words) / len(words) if words else 1.0


@dataclass(frozen=True)
class Model:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float  # answer when probability ≥ threshold
    fitted_on: dict  # provenance: domains, parts, counts, commit

    def probability(self, x: np.ndarray) -> float:
        z = (np.asarray(x, dtype=np.float64) - np.array(self.mean)) / np.array(self.scale)
        return float(1.0 / (1.0 + math.exp(-float(z @ np.array(self.coef) + self.intercept))))

    def answerable(self, evidence: Evidence) -> tuple[bool, float]:
        p = self.probability(evidence.vector())
        return p >= self.threshold, p

    def save(self, path: Path = MODEL_FILE) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)


def neutral() -> Model:
    """A model that answers everything (all weights 0, probability 0.5): the starting point of a fit,
    whose answerers only collect features."""
    n = len(FEATURES)
    return Model(FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, 0.5, {"neutral": True})


def load(path: Path = MODEL_FILE) -> Model:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    model = Model(**{**data, **{k: tuple(data[k]) for k in ("features", "mean", "scale", "coef")}})
    if model.features != FEATURES:
        raise ValueError(f"{path}: fitted on features {model.features}, code has {FEATURES} — run `rag eval --fit`")
    return model


def fit(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, l2: float = L2,
        iterations: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features.
    Returns (mean, scale, coef, intercept).

    >>> x = np.array([[0.0], [0.2], [0.8], [1.0]]); y = np.array([0, 0, 1, 1])
    >>> mean, scale, coef, b = fit(x, y)
    >>> bool(coef[0] > 0)
    True
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (w * (p - y)) + penalty * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, beta[:-1], float(beta[-1])


def out_of_fold(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, folds: int = FOLDS) -> np.ndarray:
    """Each item's probability from a model fitted without it (k-fold, folds fixed by position): the
    threshold is chosen on these, since in-sample probabilities flatter the model and would put the
    cut-off where unseen questions are refused more often than the target allows.

    >>> x = np.array([[v] for v in np.linspace(0, 1, 20)]); y = (x[:, 0] > 0.5).astype(int)
    >>> p = out_of_fold(x, y, np.ones(20)); bool(p[-1] > 0.5 > p[0])
    True
    """
    probs = np.zeros(len(y))
    fold = np.arange(len(y)) % folds
    for k in range(folds):
        train, test = fold != k, fold == k
        mean, scale, coef, intercept = fit(x[train], y[train], sample_weight[train])
        z = (x[test] - mean) / scale @ coef + intercept
        probs[test] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return probs


def balanced_weights(y: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Each (group, class) pair weighs the same in total, so a small domain or a rare class counts fully;
    scaled to sum to the number of items, so the ridge penalty means the same whatever the groups.

    >>> balanced_weights(np.array([1, 1, 0, 1]), ["a", "a", "a", "b"]).tolist()
    [0.6666666666666666, 0.6666666666666666, 1.3333333333333333, 1.3333333333333333]
    """
    keys = [(g, int(c)) for g, c in zip(groups, y)]
    counts = {k: keys.count(k) for k in set(keys)}
    w = np.array([1.0 / counts[k] for k in keys])
    return w * len(w) / w.sum()


def tune_budget(n: int, target: float = MAX_REFUSED, z: float = CONFIDENCE_Z) -> float:
    """The share of a tune part's `n` answerable questions that may be refused so that an unseen part
    stays within `target`: the target less z standard errors of a share measured on n questions.

    >>> round(tune_budget(1600), 4), tune_budget(40)
    (0.0155, 0.0)
    """
    return max(0.0, target - z * math.sqrt(target * (1 - target) / n)) if n else 0.0


def threshold_for(probs: np.ndarray, y: np.ndarray, groups: Sequence[str], max_refused: float = MAX_REFUSED) -> float:
    """The highest cut-off at which, in every group, at most `tune_budget` of the answerable items fall
    below it. Items a rule already declined are passed with probability 0: they use up the budget.

    >>> threshold_for(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 1, 0]), ["a"] * 4, 0.0)
    0.3
    """
    cut = 1.0
    for g in set(groups):
        pos = np.sort(np.array([p for p, c, gg in zip(probs, y, groups) if gg == g and c == 1]))
        if len(pos) == 0:
            continue
        allowed = int(math.floor(tune_budget(len(pos), max_refused) * len(pos)))  # this many may be refused
        cut = min(cut, float(pos[allowed]))
    return cut
