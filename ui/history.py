"""Conversations as JSON for the browser's local storage, and back (citations re-read from the index);
the past conversations kept beside the current one (`put_aside`, `take`).

Only ids and the answer's own text are stored; a cited chunk that is no longer indexed is dropped on
load rather than shown with stale metadata.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rag.records import Answer, Chunk, Citation, Hit
from rag.zh import clip

FORMAT = 1


def dump(answers: Sequence[Answer]) -> dict[str, Any]:
    """A JSON-safe conversation: questions, answers and the ids of what they cite."""
    return {"format": FORMAT, "turns": [{
        "question": a.question, "answer": a.answer, "answerable": a.answerable, "mode": a.mode,
        "rewritten_question": a.rewritten_question, "warnings": list(a.warnings),
        "citations": [[c.marker, c.hit.chunk.chunk_id, c.sentence] for c in a.citations],
        "related": [h.chunk.chunk_id for h in a.related],
    } for a in answers]}


def load(data: Any, get_chunk: Callable[[str], Chunk | None]) -> list[Answer]:
    """The conversation stored by `dump`; anything unreadable is an empty conversation."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("turns"), list):
        return []
    answers = []
    for t in data["turns"]:
        try:
            citations = tuple(Citation(int(m), Hit(chunk, 0.0), str(sentence))
                              for m, cid, sentence in t.get("citations", []) if (chunk := get_chunk(str(cid))))
            related = tuple(Hit(chunk, 0.0) for cid in t.get("related", []) if (chunk := get_chunk(str(cid))))
            answers.append(Answer(
                question=str(t["question"]), answer=str(t["answer"]), answerable=bool(t["answerable"]),
                citations=citations, warnings=tuple(map(str, t.get("warnings", []))), mode=str(t.get("mode", "")),
                rewritten_question=t.get("rewritten_question"), related=related,
            ))
        except (KeyError, TypeError, ValueError):
            continue
    return answers


# ---- past conversations (a second local-storage entry, newest first) ----------------------------
ARCHIVE_MAX = 30  # past conversations kept in the browser; the oldest goes first
TITLE_CHARS = 28


@dataclass(frozen=True)
class Past:
    """One conversation put aside by 新对话 or by opening another: what the list shows, and its turns."""

    key: str
    title: str  # its first question, shortened
    saved: str  # when it was put aside, "12-04 15:40"
    turns: int
    conversation: dict[str, Any]  # as `dump` gives it

    def label(self) -> str:
        return f"{self.saved} · {self.title}（{self.turns} 问）"


def past_list(data: Any) -> list[Past]:
    """The stored archive; entries that are not readable are left out."""
    out = []
    for row in data if isinstance(data, list) else []:
        try:
            out.append(Past(str(row["key"]), str(row["title"]), str(row["saved"]), int(row["turns"]),
                            dict(row["conversation"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def put_aside(data: Any, answers: Sequence[Answer], saved: str) -> list[dict[str, Any]]:
    """The archive with `answers` (when there are any) added in front, at most ARCHIVE_MAX long.

    >>> a = Answer(question="青溪区交通局一季度完成了多少投资?", answer="8.36亿元[1]", answerable=True)
    >>> [p["title"] for p in put_aside([], [a], "12-04 15:40")], put_aside([], [], "12-04 15:40")
    (['青溪区交通局一季度完成了多少投资?'], [])
    """
    rows = [asdict(p) for p in past_list(data)]
    if answers:
        rows.insert(0, asdict(Past(uuid.uuid4().hex[:12], clip(answers[0].question, TITLE_CHARS), saved,
                                   len(answers), dump(answers))))
    return rows[:ARCHIVE_MAX]


def take(data: Any, key: str | None) -> tuple[Past | None, list[dict[str, Any]]]:
    """(the archived conversation `key`, the archive without it); (None, archive) when it is not there."""
    past = past_list(data)
    found = next((p for p in past if p.key == key), None)
    return found, [asdict(p) for p in past if p is not found]
