"""Answer quality on the development set: facts cited by the right speaker, refusals, multi-speaker coverage.

`answers_family(ctx)` is the `rag eval` family (add it to rag.evaluate.FAMILIES); `evaluate_answers(answerer,
eval_dir)` runs any answerer (extractive or LLM) on a folder of dev files. Retrieval metrics live in
rag/evaluate.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rag.answer import Answerer
from rag.evidence import TermWeights
from rag.records import Answer
from rag.retrieve import BM25, Retriever


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fact_cited(answer: Answer, fact: str, speakers: list[str]) -> bool:
    """The fact is in the answer text, and a citation whose chunk holds it belongs to a listed speaker."""
    return fact in answer.answer and any(
        c.hit.chunk.speaker in speakers and fact in c.hit.chunk.text for c in answer.citations
    )


def cited_speakers(answer: Answer) -> list[str]:
    return sorted({c.hit.chunk.speaker for c in answer.citations if c.hit.chunk.speaker})


def _asked(answerer, question: str) -> tuple[Answer, dict[str, Any]]:
    start = time.perf_counter()
    a = answerer.ask(question)
    ms = round(1000 * (time.perf_counter() - start))
    return a, {"answer": a.answer, "answerable": a.answerable, "mode": a.mode, "warnings": list(a.warnings), "ms": ms}


def evaluate_answers(answerer, eval_dir: Path) -> dict[str, Any]:
    """Run eval_dir's dev_qa / dev_negative / dev_multi through `answerer.ask`."""
    dev = {key: _read(Path(eval_dir) / f"dev_{key}.jsonl") for key in ("qa", "negative", "multi")}
    return evaluate_records(answerer, dev)


def evaluate_records(answerer, dev: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per-item details plus totals for the "qa", "negative" and "multi" records."""
    out: dict[str, Any] = {"mode": answerer.mode}
    qa = []
    for item in dev.get("qa", []):
        a, info = _asked(answerer, item["q"])
        ok = a.answerable and all(fact_cited(a, f, item["speakers"]) for f in item["facts"])
        qa.append({"id": item["id"], "ok": ok, "cited_speakers": cited_speakers(a), **info})
    out["qa"] = {"hit": sum(x["ok"] for x in qa), "total": len(qa), "items": qa}
    neg = []
    for item in dev.get("negative", []):
        a, info = _asked(answerer, item["q"])
        neg.append({"id": item["id"], "ok": not a.answerable, **info})
    out["negative"] = {"hit": sum(x["ok"] for x in neg), "total": len(neg), "items": neg}
    multi = []
    for item in dev.get("multi", []):
        a, info = _asked(answerer, item["q"])
        found = sorted(set(cited_speakers(a)) & set(item["speakers_any"]))
        multi.append({"id": item["id"], "ok": len(found) >= item.get("min_distinct", 3),
                      "listed_speakers_cited": found, **info})
    out["multi"] = {"hit": sum(x["ok"] for x in multi), "total": len(multi), "items": multi}
    return out


def answers_family(ctx) -> dict[str, Any]:
    """The `rag eval` family (rag.evaluate.EvalContext → dict): extractive answers over the default
    production retrieval (BM25 + e5-small) of the evaluation index, whatever else that index holds."""
    base = ctx.retriever
    e5 = base.embedders.get("e5-small")
    components = [BM25, "e5-small"] if e5 is not None else None
    retriever = Retriever(base.index, base.embedders, components=components, rrf_k=base.rrf_k)
    embedder = e5 or next(iter(base.embedders.values()))
    answerer = Answerer(retriever, embedder, term_weights=TermWeights([c.indexed_text for c in base.index.chunks]))
    result = evaluate_records(answerer, ctx.dev)
    result["summary"] = summary_line(result)
    return result


def summary_line(result: dict[str, Any]) -> str:
    """ "answers (extractive): facts 11/12 · negatives 2/2 · multi 2/2" """
    parts = [f"{name} {result[key]['hit']}/{result[key]['total']}"
             for name, key in (("facts", "qa"), ("negatives", "negative"), ("multi", "multi"))]
    return f"answers ({result['mode']}): " + " · ".join(parts)
