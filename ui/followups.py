"""Suggested next questions under an answer, drawn from the speeches it cites: the same question for
the unit that spoke next at that meeting, for the nearest other year the library holds, and the
question's topic asked across the other places. Nothing is retrieved here; a suggestion is only
offered, and answered (or refused) like any typed question."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.question import analyse
from rag.library import Catalogue
from rag.records import Answer, Chunk
from rag.zh import segmenter

MAX_SUGGESTIONS = 3
_YEAR = re.compile(r"(20\d{2})年")
_TIME = re.compile(r"\d|季度|半年|全年|今年|去年|本年|年|月|日")  # times and numbers name no topic
# jieba tags of words that can name a topic: nouns, verbal nouns (投资), abbreviations, idioms, attributes
_TOPIC_TAGS = ("n", "vn", "j", "l", "b", "eng")


def follow_ups(answer: Answer, catalogue: Catalogue) -> list[str]:
    """Up to MAX_SUGGESTIONS questions to ask next; none for a refusal or an answer citing nothing."""
    if not answer.answerable or not answer.citations:
        return []
    question = answer.rewritten_question or answer.question
    cited = [c.hit.chunk for c in answer.citations]
    found = [*next_units(question, cited, catalogue), *next_years(question, catalogue), *across_places(question, cited)]
    return [q for q in dict.fromkeys(found) if q != question][:MAX_SUGGESTIONS]


def next_units(question: str, cited: Sequence[Chunk], catalogue: Catalogue) -> list[str]:
    """The question with a cited unit it names replaced by the unit that spoke next at that meeting."""
    taken = {c.unit for c in cited}
    out = []
    for chunk in cited:
        if not chunk.unit or chunk.unit not in question:
            continue
        speeches = catalogue.speeches_in(chunk.meeting)
        at = next((i for i, s in enumerate(speeches) if s.speech_id == chunk.speech_id), None)
        if at is None:
            continue
        for s in speeches[at + 1:] + speeches[:at]:
            if s.unit and s.unit not in taken and s.unit not in question:
                out.append(question.replace(chunk.unit, s.unit))
                break
    return out


def next_years(question: str, catalogue: Catalogue) -> list[str]:
    """The question with a year it names replaced by the nearest other year the library has meetings in."""
    held = sorted({s.meeting.date[:4] for s in catalogue.speeches if s.meeting.date})
    out = []
    for year in _YEAR.findall(question):
        others = [y for y in held if y != year]
        if others:
            near = min(others, key=lambda y: (abs(int(y) - int(year)), y))
            out.append(question.replace(f"{year}年", f"{near}年"))
    return out


def across_places(question: str, cited: Sequence[Chunk]) -> list[str]:
    """The question's topic (its noun-like content words, minus places, units and times) across places."""
    info = analyse(question)
    if info.comparison:
        return []
    seg = segmenter()
    words = [t for t in info.terms
             if not _TIME.search(t) and not any(t in (c.unit or "") for c in cited)
             and ((tag := seg.tag(t)) is None or tag.startswith(_TOPIC_TAGS))]  # None: a word jieba lacks
    return [f"哪些地方也谈到了{''.join(words)}?"] if words else []
