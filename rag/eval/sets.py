"""Evaluation sets as typed records, per domain, split into a tune part and a report part.

Domains:
- "seeds": the five seed files; questions from eval/dev_qa.jsonl, dev_negative.jsonl, dev_multi.jsonl
  and the further questions written for evaluation in eval/extra_qa.jsonl and extra_negative.jsonl
  (answerable ones with gold facts from the seed texts; out-of-corpus ones about other places,
  topics and years). A retrieved chunk is gold when it holds a gold fact and belongs to a gold speaker.
- "cmrc": CMRC 2018 dev (eval/public/, CC BY-SA 4.0, "CMRC 2018, Joint Laboratory of HIT and
  iFLYTEK Research"); a chunk is gold when it comes from the question's paragraph.

The split is fixed by a seeded hash of the question id (`part`), so it never depends on the order
of a file nor on what a run looked at. Choose weights and thresholds on "tune", quote "report".
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from rag.config import DEFAULT_SEEDS, PROJECT_ROOT
from rag.records import Chunk

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
class EvalQuestion:
    id: str
    q: str
    answerable: bool
    kind: str  # "qa" (one gold fact), "negative" (out of corpus), "multi" (several speakers)
    gold: tuple[str, ...] = ()  # strings a correct answer contains (any one)
    speakers: tuple[str, ...] = ()  # seeds: the gold speakers; multi: any of these
    source: str | None = None  # cmrc: the paragraph that answers it
    min_distinct: int = 0  # multi: distinct listed speakers the answer must cite

    @property
    def part(self) -> str:
        return part(self.id)


@dataclass(frozen=True)
class Domain:
    name: str
    corpus: tuple[Path, ...]
    index_dir: Path
    questions: tuple[EvalQuestion, ...]
    is_gold: Callable[[Chunk, EvalQuestion], bool]

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


DOMAINS: dict[str, Callable[..., Domain]] = {"seeds": seeds_domain, "cmrc": cmrc_domain}


def git_commit() -> str | None:
    """The checked-out commit, recorded with every result."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
