"""Long-passage retrieval sets for bench/long_passages.py: raw passages, questions with one gold passage.

- "cmrc-long": CMRC 2018 dev (eval/public/, CC BY-SA 4.0, "CMRC 2018, Joint Laboratory of HIT and
  iFLYTEK Research"). Each record there is already one whole article (its paragraphs joined; 277–980
  characters, median 455), so the long passages are the articles themselves, one record a passage, as
  a user would ingest them; a fixed sample of articles (seeded hash order) keeps the e5 encoding small.
- "real": real documents of the genre (eval/real_qa/docs/) and their one-turn fact and how questions
  (eval/real_qa/questions.jsonl): the raw passages are the documents' blank-line blocks; a retrieved
  passage or chunk answers when it comes from the question's document and holds one of its facts.

Questions split tune/report by the seeded hash of rag/eval/sets.py (`part` of the question id).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from rag.eval.sets import EVAL_DIR, SPLIT_SEED, part

CACHE = Path(__file__).resolve().parent / ".cache" / "long_passages"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Passage:
    source: str  # the file (or .jsonl record source) it comes from, as chunks name it
    text: str


@dataclass(frozen=True)
class Question:
    qid: str
    q: str
    source: str  # the passage (cmrc) or document (real) that answers it
    facts: tuple[str, ...] = ()  # real: the text must also hold one of these ("a|b": either spelling)

    @property
    def part(self) -> str:
        return part(self.qid)

    def answered_by(self, source: str, text: str) -> bool:
        """Does a retrieved passage or chunk answer? Its source, and a fact when there are facts.

        >>> Question("x", "q", "d.txt", ("5.8%|5.9%",)).answered_by("d.txt", "增长 5.9%")
        True
        """
        flat = _SPACE.sub("", text)
        return source == self.source and (not self.facts or any(
            _SPACE.sub("", a) in flat for f in self.facts for a in f.split("|")))


@dataclass(frozen=True)
class PassageSet:
    name: str
    passages: tuple[Passage, ...]  # what the bare libraries index
    questions: tuple[Question, ...]
    files: tuple[Path, ...]  # what `rag ingest` reads for the same text


def sample_order(key: str) -> str:
    """A fixed, content-blind order for sampling (the same seed as the tune/report split)."""
    return hashlib.sha256(f"{SPLIT_SEED}:long-passages:{key}".encode("utf-8")).hexdigest()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cmrc_long(articles: int = 250, eval_dir: Path = EVAL_DIR) -> PassageSet:
    """`articles` CMRC articles (seeded order) as raw passages, and their answerable questions."""
    records = sorted(_jsonl(eval_dir / "public" / "cmrc2018_corpus.jsonl"), key=lambda r: sample_order(r["source"]))
    chosen = records[:articles]
    keep = {r["source"] for r in chosen}
    questions = tuple(Question(r["id"], r["q"], r["source"])
                      for r in _jsonl(eval_dir / "public" / "cmrc2018_questions.jsonl")
                      if r["answerable"] and r["source"] in keep)
    name = f"cmrc-long-{articles}"
    path = CACHE / f"{name}.jsonl"  # one record per passage, as a user would ingest them
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"text": r["text"], "source": r["source"]}, ensure_ascii=False) + "\n"
                            for r in chosen), encoding="utf-8")
    return PassageSet(name, tuple(Passage(r["source"], r["text"]) for r in chosen), questions, (path,))


def real_docs(questions: Path, eval_dir: Path = EVAL_DIR) -> PassageSet:
    """The real-genre documents as blank-line blocks, and their one-turn fact and how questions."""
    docs = sorted((eval_dir / "real_qa" / "docs").glob("*.txt"))
    passages = tuple(Passage(d.name, block.strip()) for d in docs
                     for block in re.split(r"\n\s*\n", d.read_text(encoding="utf-8")) if block.strip())
    chosen = tuple(Question(r["id"], r["q"], r["doc"], tuple(r["facts"])) for r in _jsonl(questions)
                   if r["kind"] in ("fact", "how") and not r.get("turns"))
    return PassageSet("real", passages, chosen, tuple(docs))
