"""Answer quality per domain and part: accuracy, refusal precision/recall, the seeds' dev checks; and
the fit of the answerability model on the tune parts (`rag eval --fit`).

`evaluate_answers(answerer, eval_dir)` runs any answerer (extractive or LLM) on the seeds' dev
files (used by bench/llm_local.py). Retrieval metrics live in rag/eval/run.py.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rag.answer import answerability
from rag.answer import answerer_for
from rag.eval.sets import PARTS, TUNE, EvalQuestion, git_commit
from rag.records import Answer


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fact_cited(answer: Answer, fact: str, speakers: Sequence[str]) -> bool:
    """The fact is in the answer text, and a citation whose chunk holds it belongs to a listed speaker."""
    return fact in answer.answer and any(
        c.hit.chunk.speaker in speakers and fact in c.hit.chunk.text for c in answer.citations
    )


def cited_speakers(answer: Answer) -> list[str]:
    return sorted({c.hit.chunk.speaker for c in answer.citations if c.hit.chunk.speaker})


def refusal_metrics(answered: Sequence[bool], answerable: Sequence[bool]) -> dict[str, Any]:
    """Precision and recall of declining ("answerable: false" is the positive class), and the share of
    answerable questions refused.

    >>> refusal_metrics([True, False, False, True], [True, True, False, False])
    {'declined_out_of_corpus': '1/2', 'refused_answerable': '1/2', 'refusal_precision': 0.5, 'refusal_recall': 0.5, 'answerable_refused_share': 0.5}
    """
    declined_neg = sum(not a and not g for a, g in zip(answered, answerable))
    refused_pos = sum(not a and g for a, g in zip(answered, answerable))
    n_neg = sum(not g for g in answerable)
    n_pos = sum(answerable)
    declined = declined_neg + refused_pos
    return {"declined_out_of_corpus": f"{declined_neg}/{n_neg}", "refused_answerable": f"{refused_pos}/{n_pos}",
            "refusal_precision": round(declined_neg / declined, 3) if declined else None,
            "refusal_recall": round(declined_neg / n_neg, 3) if n_neg else None,
            "answerable_refused_share": round(refused_pos / n_pos, 3) if n_pos else None}


@dataclass
class Assessed:
    """One question through the shipped pipeline with every rule applied but the model's decision
    left open: the evidence the model would see (None when a rule declined) and the answer that
    would be written if the model says yes."""

    evidence: answerability.Evidence | None
    answer: Answer  # the extractive answer (or the rule's refusal)
    ms: int


def assess_all(run) -> dict[str, Assessed]:
    """Every question of a rag.eval.run.DomainRun, assessed once (the model only flips `answerable`)."""
    answerer = answerer_for_run(run, answerability.neutral())
    shipped = answerer_for_run(run)  # questions about the corpus and per-entity sub-questions: as shipped
    out = {}
    for q in run.domain.questions:
        start = time.perf_counter()
        direct = shipped.direct(q.q)
        if direct is not None:  # decided by the catalogue or by each sub-question's own verdict
            out[q.id] = Assessed(None, direct, round(1000 * (time.perf_counter() - start)))
            continue
        s = answerer.assess(q.q)  # the neutral model answers whatever the rules let through
        base = Answer(question=q.q, answer="", answerable=False, mode="extractive")
        out[q.id] = Assessed(s.verdict.evidence, answerer.written(base, s), round(1000 * (time.perf_counter() - start)))
    return out


def decided(item: Assessed, model: answerability.Model) -> Answer:
    """The answer as the shipped pipeline gives it with `model` deciding."""
    if item.evidence is None or not item.answer.answerable:
        return item.answer
    ok, _ = model.answerable(item.evidence)
    return item.answer if ok else replace(item.answer, answerable=False)


def answer_report(run, assessed: dict[str, Assessed], model: answerability.Model) -> dict[str, Any]:
    """Answer accuracy and refusal precision/recall per part, the model deciding answerability."""
    items: dict[str, dict[str, Any]] = {}
    for q in run.domain.questions:
        a = decided(assessed[q.id], model)
        by = None if a.answerable else ("rule" if assessed[q.id].evidence is None else "model")
        items[q.id] = {"answerable": a.answerable, "correct": correct(a, q), "ms": assessed[q.id].ms,
                       "answer": a.answer if a.answerable or by == "rule" else "", "declined_by": by}
    parts = {}
    for p in PARTS:
        qa = [q for q in run.domain.select(p, ("qa",))]
        judged = run.domain.select(p, ("qa", "negative"))
        multi = run.domain.select(p, ("multi",))
        row = {"answer_accuracy": round(sum(items[q.id]["correct"] for q in qa) / len(qa), 3) if qa else None,
               "answered_correctly": f"{sum(items[q.id]['correct'] for q in qa)}/{len(qa)}",
               **refusal_metrics([items[q.id]["answerable"] for q in judged], [q.answerable for q in judged])}
        if multi:
            row["multi"] = f"{sum(items[q.id]['correct'] for q in multi)}/{len(multi)}"
        parts[p] = row
    out: dict[str, Any] = {"parts": parts, "items": items, "mode": "extractive"}
    if run.domain.name == "seeds":
        out["dev_checks"] = dev_checks(answerer_for_run(run, model), run.domain.questions)
    return out


def correct(answer: Answer, q: EvalQuestion) -> bool:
    """Answerable and right: a gold string in the answer (seeds: cited from a gold speaker's chunk);
    a multi question: at least `min_distinct` of the listed speakers cited; out of corpus: declined."""
    if not q.answerable:
        return not answer.answerable
    if not answer.answerable:
        return False
    if q.kind == "multi":
        return len(set(cited_speakers(answer)) & set(q.speakers)) >= q.min_distinct
    if q.speakers:
        return any(fact_cited(answer, f, q.speakers) for f in q.gold)
    return any(g in answer.answer for g in q.gold)


def dev_checks(answerer, questions: Sequence[EvalQuestion]) -> dict[str, Any]:
    """The seeds' development answers (eval/dev_*.jsonl): facts cited by the right speaker, declined, multi."""
    dev = [q for q in questions if q.id.startswith("d")]
    out = {}
    for kind, label in (("qa", "facts"), ("negative", "declined"), ("multi", "multi")):
        qs = [q for q in dev if q.kind == kind]
        ok = [q.id for q in qs if correct(answerer.ask(q.q), q)]
        out[label] = {"hit": len(ok), "total": len(qs), "missed": [q.id for q in qs if q.id not in ok]}
    out["summary"] = "seeds dev answers: " + " · ".join(f"{k} {v['hit']}/{v['total']}" for k, v in out.items())
    return out


def answerer_for_run(run, model: answerability.Model | None = None):
    """The extractive Answerer of `rag ask` (`answerer_for`) over a DomainRun's shipped retrieval (BM25 + e5-small)."""
    return answerer_for(run.production(), model=model)


def fit_answerability(runs: Sequence[Any], assessed: dict[str, dict[str, Assessed]]) -> answerability.Model:
    """Fit the answerability model on the TUNE parts of every domain (one-fact, multi and out-of-corpus
    questions that no rule declined), choose its threshold there, and write rag/answer/answerability.json."""
    rows, labels, groups = [], [], []
    ruled: list[tuple[int, str]] = []  # (label, group) of questions a rule declined
    for run in runs:
        for q in run.domain.select(TUNE, ("qa", "negative", "multi")):
            evidence = assessed[run.domain.name][q.id].evidence
            if evidence is None:  # a rule declined (a place no chunk names, nothing to quote): not the model's
                ruled.append((int(q.answerable), run.domain.name))
                continue
            rows.append(evidence.vector())
            labels.append(int(q.answerable))
            groups.append(run.domain.name)
    x, y = np.array(rows), np.array(labels)
    weights = answerability.balanced_weights(y, groups)
    mean, scale, coef, intercept = answerability.fit(x, y, weights)
    model = answerability.Model(answerability.FEATURES, tuple(mean.tolist()), tuple(scale.tolist()),
                                tuple(coef.tolist()), intercept, 0.5, {})
    unseen = answerability.out_of_fold(x, y, weights)
    probs = np.concatenate([unseen, np.zeros(len(ruled))])  # a rule's refusal uses the budget
    threshold = answerability.threshold_for(probs, np.concatenate([y, [c for c, _ in ruled]]),
                                            groups + [g for _, g in ruled])
    counts = {g: {"answerable": int(sum(1 for gg, c in zip(groups, y) if gg == g and c)),
                  "out_of_corpus": int(sum(1 for gg, c in zip(groups, y) if gg == g and not c))} for g in set(groups)}
    fitted_on = {"parts": TUNE, "domains": counts, "commit": git_commit(), "l2": answerability.L2,
                 "max_refused": answerability.MAX_REFUSED, "confidence_z": answerability.CONFIDENCE_Z,
                 "threshold_on": f"out-of-fold probabilities ({answerability.FOLDS} folds)",
                 "declined_by_rules": {g: sum(1 for _, gg in ruled if gg == g) for g in set(groups)},
                 "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "weights": {k: round(v, 3) for k, v in zip(answerability.FEATURES, coef.tolist())}}
    model = replace(model, threshold=threshold, fitted_on=fitted_on)
    model.save()
    return model


def evaluate_answers(answerer, eval_dir: Path) -> dict[str, Any]:
    """Run eval_dir's dev_qa / dev_negative / dev_multi through `answerer.ask` (any mode)."""
    dev = {key: _read(Path(eval_dir) / f"dev_{key}.jsonl") for key in ("qa", "negative", "multi")}
    out: dict[str, Any] = {"mode": answerer.mode}
    for key, rows in dev.items():
        items = []
        for r in rows:
            q = EvalQuestion(r["id"], r["q"], key != "negative", key, tuple(r.get("facts", ())),
                             tuple(r.get("speakers", r.get("speakers_any", ()))), min_distinct=r.get("min_distinct", 0))
            start = time.perf_counter()
            a = answerer.ask(q.q)
            items.append({"id": q.id, "ok": correct(a, q), "answer": a.answer, "answerable": a.answerable,
                          "mode": a.mode, "warnings": list(a.warnings),
                          "ms": round(1000 * (time.perf_counter() - start))})
        out[key] = {"hit": sum(x["ok"] for x in items), "total": len(items), "items": items}
    return out


def summary_line(result: dict[str, Any]) -> str:
    """ "answers (extractive): facts 11/12 · negatives 2/2 · multi 2/2" """
    parts = [f"{name} {result[key]['hit']}/{result[key]['total']}"
             for name, key in (("facts", "qa"), ("negatives", "negative"), ("multi", "multi"))]
    return f"answers ({result['mode']}): " + " · ".join(parts)
