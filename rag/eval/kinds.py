"""Answers on a real-genre set scored by kind (`rag eval --domain real`, rag/eval/sets.py real_domain).

Each question goes through `Answerer.ask` as a user sends it: a follow-up chain's earlier turns are
asked first and passed on as history, and only the last answer is scored. Per part and kind:
- facts: the answer holds the gold facts (at least `min_facts`; a multi question: each unit's facts,
  for `min_units` units);
- speaker: a citation that holds a gold fact belongs to the gold speaker; when the gold names no
  speaker (a page without one), every such citation names none (a named one would be invented);
  a metadata question counts any citation of the speaker's speech;
- refused: an answerable question declined;
- declined: a negative declined (also per neg_type).
A refused answerable question fails facts and speaker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from rag.eval.sets import PARTS, EvalQuestion, holds
from rag.records import Answer, Citation

ANSWERABLE = ("fact", "how", "multi", "followup", "metadata")


@dataclass(frozen=True)
class Scored:
    answered: bool
    facts: bool
    speaker: bool


def facts_in(text: str, gold: Sequence[str], need: int) -> bool:
    """At least `need` of the gold facts are in the text.

    >>> facts_in("临汾PM2.5为35.1微克/立方米", ["35.1微克/立方米"], 1), facts_in("抓龙头、抓集群", ["抓龙头", "抓集群", "抓生态"], 3)
    (True, False)
    """
    return sum(holds(text, f) for f in gold) >= need


def cited_to(citations: Sequence[Citation], gold: Sequence[str], speakers: Sequence[str], any_citation: bool = False) -> bool:
    """The citations holding a gold fact (all citations if `any_citation`) name a gold speaker; with no
    gold speaker, there is such a citation and none of them names a speaker."""
    holding = list(citations) if any_citation else [c for c in citations if any(holds(c.hit.chunk.text, f) for f in gold)]
    if not holding:
        return False
    if speakers:
        return any(c.hit.chunk.speaker in speakers for c in holding)
    return all(c.hit.chunk.speaker is None for c in holding)


def score(answer: Answer, q: EvalQuestion) -> Scored:
    """One answer against its question's gold (a negative: only whether it answered)."""
    if not q.answerable or not answer.answerable:
        return Scored(answer.answerable, False, False)
    if q.kind == "multi":
        need = q.min_units or len(q.units)
        facts = sum(facts_in(answer.answer, u.gold, len(u.gold)) for u in q.units) >= need
        speaker = sum(cited_to(answer.citations, u.gold, u.speakers) for u in q.units) >= need
        return Scored(True, facts, speaker)
    return Scored(True, facts_in(answer.answer, q.gold, q.min_facts),
                  cited_to(answer.citations, q.gold, q.speakers, any_citation=q.kind == "metadata"))


def ask(answerer, q: EvalQuestion) -> Answer:
    """The answer to the question's last message, its earlier turns asked first as a conversation."""
    history: list[Answer] = []
    for turn in q.turns:
        history.append(answerer.ask(turn, history=list(history)))
    return answerer.ask(q.q, history=history)


def kind_report(questions: Sequence[EvalQuestion], answerer, log=None) -> dict[str, Any]:
    """Every question asked once; the per-part, per-kind table and each item."""
    items: dict[str, dict[str, Any]] = {}
    scored: dict[str, Scored] = {}
    for n, q in enumerate(questions, 1):
        start = time.perf_counter()
        a = ask(answerer, q)
        s = scored[q.id] = score(a, q)
        items[q.id] = {"kind": q.kind, "part": q.part, "answered": s.answered, "facts": s.facts, "speaker": s.speaker,
                       "answer": a.answer, "rewritten": a.rewritten_question,
                       "cited_speakers": [c.hit.chunk.speaker for c in a.citations],
                       "ms": round(1000 * (time.perf_counter() - start))}
        if log and n % 25 == 0:
            log(f"  {n}/{len(questions)} questions")
    return {"scored_by": "kind", "parts": kind_table(questions, scored), "items": items}


def _rate(hits: int, n: int) -> float | None:
    return round(hits / n, 3) if n else None


def kind_table(questions: Sequence[EvalQuestion], scored: dict[str, Scored]) -> dict[str, dict[str, dict[str, Any]]]:
    """part → row ("fact" … "metadata", "answerable", "negative") → n and rates."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for p in PARTS:
        mine = [q for q in questions if q.part == p]
        rows: dict[str, dict[str, Any]] = {}
        for kind, qs in [(k, [q for q in mine if q.kind == k]) for k in ANSWERABLE] + \
                        [("answerable", [q for q in mine if q.answerable])]:
            got = [scored[q.id] for q in qs]
            rows[kind] = {"n": len(got), "facts": _rate(sum(s.facts for s in got), len(got)),
                          "speaker": _rate(sum(s.speaker for s in got), len(got)),
                          "refused": _rate(sum(not s.answered for s in got), len(got))}
        negatives = [q for q in mine if not q.answerable]
        declined = [q for q in negatives if not scored[q.id].answered]
        rows["negative"] = {"n": len(negatives), "declined": _rate(len(declined), len(negatives)),
                            "by_type": {t: f"{sum(q.neg_type == t for q in declined)}/{sum(q.neg_type == t for q in negatives)}"
                                        for t in sorted({q.neg_type for q in negatives if q.neg_type})}}
        table[p] = rows
    return table


def kind_markdown(parts: dict[str, dict[str, dict[str, Any]]]) -> str:
    """The per-kind table: facts in the answer, cited to the right speaker, refused, declined; tune and report."""
    def cell(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    lines = ["| kind | part | n | facts in answer | cited to right speaker | answerable refused | negatives declined |",
             "|---|---|---|---|---|---|---|"]
    for kind in (*ANSWERABLE, "answerable", "negative"):
        for p in PARTS:
            r = parts[p][kind]
            if kind == "negative":
                lines.append(f"| negative | {p} | {r['n']} | | | | {cell(r['declined'])} "
                             f"({', '.join(f'{t} {v}' for t, v in r['by_type'].items())}) |")
            else:
                lines.append(f"| {kind} | {p} | {r['n']} | {cell(r['facts'])} | {cell(r['speaker'])} | {cell(r['refused'])} | |")
    return "\n".join(lines)
