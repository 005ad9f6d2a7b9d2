"""Evaluation sets as typed records, per domain, split into a tune part and a report part.

Domains:
- "seeds": the five seed files; questions from eval/dev_qa.jsonl, dev_negative.jsonl, dev_multi.jsonl
  and the further questions written for evaluation in eval/extra_qa.jsonl and extra_negative.jsonl
  (answerable ones with gold facts from the seed texts; out-of-corpus ones about other places,
  topics and years). A retrieved chunk is gold when it holds a gold fact and belongs to a gold speaker.
- "cmrc": CMRC 2018 dev (eval/public/, CC BY-SA 4.0, "CMRC 2018, Joint Laboratory of HIT and
  iFLYTEK Research"); a chunk is gold when it comes from the question's paragraph.
- "real": real documents of the genre (eval/real_qa/docs/, sources in eval/real_qa/SOURCES.tsv, plus the
  four real texts of eval/genre/) and the questions of eval/real_qa/questions.jsonl, by kind: fact,
  how, multi, followup (earlier turns asked first), metadata, negative (see eval/real_qa/README.md).
  A retrieved chunk is gold when it comes from the question's document and holds a gold fact.

The split is fixed by a seeded hash of the question id (`part`; a follow-up chain's id, so a chain
stays in one part), so it never depends on the order of a file nor on what a run looked at. Choose
weights and thresholds on "tune", quote "report".
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from rag.config import DEFAULT_SEEDS, PROJECT_ROOT
from rag.errors import InputError
from rag.records import Chunk
from rag.store.embed import E5_SMALL, HYBRID

SPLIT_SEED = "zhengyan-eval-2026"  # changing it re-deals every question between tune and report
REPORT_SHARE = 0.5
TUNE, REPORT = "tune", "report"
PARTS = (TUNE, REPORT)
EVAL_DIR = PROJECT_ROOT / "eval"
CACHE_DIR = EVAL_DIR / ".cache"  # gitignored: evaluation indexes, rebuilt by `rag eval` when missing


def part(question_id: str, seed: str = SPLIT_SEED) -> str:
    """"tune" or "report" for a question id: sha256(seed + ":" + id), first 8 bytes as a fraction.

    >>> part("d01") in PARTS, part("d01") == part("d01")
    (True, True)
    """
    digest = hashlib.sha256(f"{seed}:{question_id}".encode("utf-8")).digest()
    return REPORT if int.from_bytes(digest[:8], "big") / 2 ** 64 < REPORT_SHARE else TUNE


@dataclass(frozen=True)
class UnitGold:
    """One unit (place, person, year…) of a question about several: what its answer must hold."""

    name: str
    gold: tuple[str, ...]  # every one must appear ("a|b": either a or b)
    speakers: tuple[str, ...] = ()  # whose paragraph holds it; empty: no named speaker
    source: str | None = None  # the document


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    q: str
    answerable: bool
    kind: str  # seeds/cmrc: "qa", "negative", "multi"; real: "fact", "how", "multi", "followup", "metadata", "negative"
    gold: tuple[str, ...] = ()  # strings a correct answer contains (at least `min_facts`; "a|b": a or b)
    speakers: tuple[str, ...] = ()  # seeds: the gold speakers; multi: any of these; real: empty = no named speaker
    source: str | None = None  # cmrc: the paragraph that answers it; seeds, real: the document
    min_distinct: int = 0  # multi (seeds): distinct listed speakers the answer must cite
    min_facts: int = 1  # gold strings a correct answer must contain (1: any one)
    turns: tuple[str, ...] = ()  # the earlier messages of a follow-up chain, asked first in order
    units: tuple[UnitGold, ...] = ()  # real multi: one gold per unit
    min_units: int = 0  # real multi: units that must be answered (0: all)
    group: str | None = None  # a follow-up chain's id: the split follows it
    neg_type: str | None = None  # real negatives: other_year, other_place, other_indicator, absent

    @property
    def part(self) -> str:
        return part(self.group or self.id)


@dataclass(frozen=True)
class Domain:
    name: str
    corpus: tuple[Path, ...]
    index_dir: Path
    questions: tuple[EvalQuestion, ...]
    is_gold: Callable[[Chunk, EvalQuestion], bool]
    kinds: tuple[str, ...] = ("qa", "negative", "multi")
    retrieval_kinds: tuple[str, ...] = ("qa",)  # the questions retrieval is scored on
    embed_model: str = HYBRID  # the evaluation index's dense models
    by_kind: bool = False  # answers scored per kind (rag/eval/kinds.py) instead of accuracy and refusals

    def select(self, which: str, kinds: Sequence[str] = ("qa", "negative")) -> list[EvalQuestion]:
        """Questions of one part ("tune", "report" or "all") and kinds."""
        return [q for q in self.questions if q.kind in kinds and which in (q.part, "all")]


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_gold(chunk: Chunk, q: EvalQuestion) -> bool:
    """A seeds chunk answers when it holds a gold fact and belongs to a gold speaker."""
    return chunk.speaker in q.speakers and any(f in chunk.text for f in q.gold)


def cmrc_gold(chunk: Chunk, q: EvalQuestion) -> bool:
    return chunk.source == q.source


_SPACE = re.compile(r"\s+")


def alternatives(fact: str) -> list[str]:
    """The spellings a gold fact accepts.

    >>> alternatives("1.5万多亩|1.5万亩")
    ['1.5万多亩', '1.5万亩']
    """
    return [a for a in fact.split("|") if a]


def holds(text: str, fact: str) -> bool:
    """The text contains one spelling of the fact, ignoring whitespace (names set as 龙  帆).

    >>> holds("龙  帆摄", "龙帆"), holds("增长5.8%", "6.8%|5.8%"), holds("增长5.8%", "6.8%")
    (True, True, False)
    """
    flat = _SPACE.sub("", text)
    return any(_SPACE.sub("", a) in flat for a in alternatives(fact))


def real_gold(chunk: Chunk, q: EvalQuestion) -> bool:
    """A real-genre chunk answers when it comes from the question's (or a unit's) document and holds a gold fact."""
    golds = [(q.source, q.gold)] + [(u.source, u.gold) for u in q.units]
    return any(chunk.source == doc and any(holds(chunk.text, f) for f in facts) for doc, facts in golds)


def seeds_domain(eval_dir: Path = EVAL_DIR, seeds: Path = DEFAULT_SEEDS, index_dir: Path | None = None) -> Domain:
    questions: list[EvalQuestion] = []
    for stem in ("dev", "extra"):
        for r in _read(eval_dir / f"{stem}_qa.jsonl"):
            questions.append(EvalQuestion(r["id"], r["q"], True, "qa", tuple(r["facts"]), tuple(r["speakers"]),
                                          r.get("source")))
        for r in _read(eval_dir / f"{stem}_negative.jsonl"):
            questions.append(EvalQuestion(r["id"], r["q"], False, "negative"))
    for r in _read(eval_dir / "dev_multi.jsonl"):
        questions.append(EvalQuestion(r["id"], r["q"], True, "multi", speakers=tuple(r["speakers_any"]),
                                      min_distinct=r.get("min_distinct", 3)))
    return Domain("seeds", (seeds,), index_dir or CACHE_DIR / "seeds-index", tuple(questions), seed_gold)


def cmrc_domain(eval_dir: Path = EVAL_DIR, index_dir: Path | None = None) -> Domain:
    public = eval_dir / "public"
    questions = tuple(
        EvalQuestion(r["id"], r["q"], bool(r["answerable"]), "qa" if r["answerable"] else "negative",
                     tuple(r["answers"]), source=r["source"])
        for r in _read(public / "cmrc2018_questions.jsonl"))
    return Domain("cmrc", (public / "cmrc2018_corpus.jsonl",), index_dir or CACHE_DIR / "cmrc-index",
                  questions, cmrc_gold)


REAL_KINDS = ("fact", "how", "multi", "followup", "metadata", "negative")
NEG_TYPES = ("other_year", "other_place", "other_indicator", "absent")


def real_corpus(eval_dir: Path = EVAL_DIR) -> tuple[Path, ...]:
    """The real-genre documents: eval/real_qa/docs/ and the real texts of eval/genre/."""
    return (eval_dir / "real_qa" / "docs", *sorted((eval_dir / "genre").glob("*.txt")))


def load_real(path: Path, corpus: Sequence[Path]) -> tuple[EvalQuestion, ...]:
    """The questions of a real-genre set (one JSON object a line; format in eval/real_qa/README.md).
    Every gold fact must occur in its document: a set that drifted from its documents is refused with
    the question id, the fact and the file, rather than scored."""
    texts = {f.name: f.read_text(encoding="utf-8") for p in corpus
             for f in ([p] if p.is_file() else sorted(p.iterdir())) if f.is_file()}
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{where}: 不是 JSON ({e.msg}) — 每行一个 JSON 对象 (not JSON)") from None
        out.append(_real_question(r, where, texts))
    ids = [q.id for q in out]
    if len(set(ids)) != len(ids):
        raise InputError(f"{path}: 问题 id 重复 {sorted({i for i in ids if ids.count(i) > 1})} — 每个 id 只用一次 (duplicate ids)")
    return tuple(out)


def _real_question(r: dict[str, Any], where: str, texts: dict[str, str]) -> EvalQuestion:
    kind, qid = r.get("kind"), r.get("id")
    if kind not in REAL_KINDS or not qid or not r.get("q"):
        raise InputError(f"{where}: 需要 id、q 和 kind（{'/'.join(REAL_KINDS)}），得到 kind={kind!r} (bad record)")
    turns = tuple(r.get("turns", ()))
    if kind == "followup" and (not turns or not r.get("chain")):
        raise InputError(f"{where}: followup 需要 turns（之前的消息）和 chain (a follow-up needs turns and chain)")
    group = r.get("chain") if turns else None
    if kind == "negative":
        if r.get("neg_type") not in NEG_TYPES:
            raise InputError(f"{where}: negative 需要 neg_type（{'/'.join(NEG_TYPES)}） (bad neg_type)")
        return EvalQuestion(qid, r["q"], False, kind, turns=turns, group=group, neg_type=r["neg_type"])

    def gold(doc: Any, facts: Any, speaker: Any) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
        if doc not in texts or not facts:
            raise InputError(f"{where}: 文档 {doc!r} 不在语料中或没有 facts — 检查 doc 和 facts (unknown doc or no facts)")
        for fact in facts:
            if not holds(texts[doc], fact):
                raise InputError(f"{where}: {qid} 的事实 {fact!r} 不在 {doc} 中 — 按原文写事实 (fact not in its document)")
        speakers = () if speaker is None else (speaker,) if isinstance(speaker, str) else tuple(speaker)
        return doc, tuple(facts), speakers

    if kind == "multi":
        units = tuple(UnitGold(u["unit"], *gold(u.get("doc"), u.get("facts"), u.get("speaker"))[1:],
                               source=u.get("doc")) for u in r.get("units", ()))
        if len(units) < 2:
            raise InputError(f"{where}: multi 需要至少两个 units (a multi question needs two units)")
        return EvalQuestion(qid, r["q"], True, kind, units=units, min_units=r.get("min_units", 0))
    doc, facts, speakers = gold(r.get("doc"), r.get("facts"), r.get("speaker"))
    min_facts = r.get("min_facts", len(facts))
    return EvalQuestion(qid, r["q"], True, kind, facts, speakers, doc, min_facts=min_facts, turns=turns, group=group)


def real_domain(eval_dir: Path = EVAL_DIR, index_dir: Path | None = None) -> Domain:
    """Real documents of the genre, questions by kind; the index holds the shipped dense model only."""
    corpus = real_corpus(eval_dir)
    questions = load_real(eval_dir / "real_qa" / "questions.jsonl", corpus)
    return Domain("real", corpus, index_dir or CACHE_DIR / "real-index", questions, real_gold, kinds=REAL_KINDS,
                  retrieval_kinds=("fact", "how", "metadata"), embed_model=E5_SMALL, by_kind=True)


DOMAINS: dict[str, Callable[..., Domain]] = {"seeds": seeds_domain, "cmrc": cmrc_domain, "real": real_domain}
FUSION_DOMAINS = ("seeds", "cmrc")  # the shipped fusion is chosen on these domains' tune parts


def git_commit() -> str | None:
    """The checked-out commit, recorded with every result."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
