"""Conversations as JSON for the browser's local storage, and back (citations re-read from the index).

Only ids and the answer's own text are stored; a cited chunk that is no longer indexed is dropped on
load rather than shown with stale metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rag.records import Answer, Chunk, Citation, Hit

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
