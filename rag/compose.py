"""Composing an Answer from scored sentences: which sentences to quote (`select`), the extractive
answer, the citation check applied line by line (`checked`), and the honest refusal (`not_found`).

Shared by both answer paths (rag/answer.py orchestrates; rag/llm_answer.py is the LLM path), so
neither imports the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rag.citations import check, first_use_order, renumber, who
from rag.evidence import Candidate, Weights
from rag.question import QuestionInfo
from rag.records import Answer, Citation, Hit

NOT_FOUND = "资料中未找到"


@dataclass(frozen=True)
class AnswerConfig:
    """Answer sizes and what an answer quotes (docs/ANSWERS.md); answerability is rag/answerability.py's."""

    top_k: int = 8  # chunks retrieved for a fact question
    compare_k: int = 24  # … for a comparison ("各地", "哪些区县"), to reach several speakers
    max_sentences: int = 3
    max_points: int = 5  # measures listed for a "how" question
    max_groups: int = 5
    close_ratio: float = 0.9  # a further sentence joins the answer when it scores this close to the best
    min_context_coverage: float = 0.2  # a sentence is quoted only if it or its chunk's metadata covers this
    # share of the question's (rarity-weighted) terms
    group_ratio: float = 0.7  # a speaker joins a comparison answer when their best sentence scores this
    # close to the best speaker's
    related: int = 3
    llm_sources: int = 3
    llm_source_chars: int = 64  # ≈ the best sentence: a 1.5B model loses the figure in longer sources
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class Delta:
    """A piece of answer text as it is produced; the stream ends with the checked `Answer`."""

    text: str


def select(ranked: Sequence[Candidate], info: QuestionInfo, config: AnswerConfig) -> list[Candidate]:
    """The sentences an extractive answer quotes: the best few, or the best per speaker for comparisons."""
    usable = [c for c in ranked if c.places_ok and (c.about_speaker or c.context_coverage >= config.min_context_coverage)]
    if info.wants_figure:
        usable = [c for c in usable if c.has_unit] or [c for c in usable if c.has_figure] or usable
    if not usable:
        return []
    if info.comparison:
        return _per_speaker(usable, config) or usable[:1]
    if usable[0].about_speaker:  # "X还提到了什么": X's best points, one per chunk
        chosen, chunks = [], set()
        for c in usable:
            if c.about_speaker and c.hit.chunk.chunk_id not in chunks and len(chosen) < config.max_sentences:
                chosen.append(c)
                chunks.add(c.hit.chunk.chunk_id)
        return chosen
    best = usable[0]
    chosen = [best]
    for c in usable[1:]:
        if len(chosen) >= config.max_sentences or c.score < best.score * config.close_ratio:
            break
        chosen.append(c)
    return chosen


def _per_speaker(usable: Sequence[Candidate], config: AnswerConfig) -> list[Candidate]:
    """Best sentence of each speaker (unit when unknown), speakers ranked by their two best sentences:
    someone who says more on the topic represents it better than one passing mention."""
    groups: dict[str, list[Candidate]] = {}
    for c in usable:
        if c.score >= usable[0].score * config.group_ratio:
            groups.setdefault(c.group, []).append(c)

    def strength(cs: list[Candidate]) -> float:
        return cs[0].score + 0.5 * (cs[1].score if len(cs) > 1 else 0.0)

    ranked = sorted(groups.values(), key=strength, reverse=True)
    return [cs[0] for cs in ranked[: config.max_groups]]


# An enumerated point as speeches open it: 一是… / 第二，… / 三、… / （四）… / 5.…
_POINT = re.compile(r"^(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|[一二三四五六七八九十]+、|"
                    r"[（(][一二三四五六七八九十]+[）)]|\d{1,2}[、.．](?!\d))")


def measures(best: Candidate, ranked: Sequence[Candidate], config: AnswerConfig) -> list[Candidate]:
    """For a "how / which measures" question: the concrete measures of the best sentence's chunk — its
    enumerated points (一是…二是…) when it has at least two, else the best sentence and the sentences
    that follow it in the chunk — at most `max_points`, in the chunk's order."""
    same = sorted((c for c in ranked if c.hit.chunk.chunk_id == best.hit.chunk.chunk_id), key=lambda c: c.position)
    points = [c for c in same if _POINT.match(c.sentence)]
    if len(points) >= 2:
        return points[: config.max_points]
    after = [c for c in same if c.position >= best.position]
    return after[: config.max_points]


def extractive(base: Answer, info: QuestionInfo, ranked: Sequence[Candidate], config: AnswerConfig) -> Answer:
    """Compose quoted sentences with one marker per chunk; speaker labels come from each chunk's metadata.
    A "how" question about one place or speaker lists the measures of the best passage, one per line."""
    chosen = select(ranked, info, config)
    if info.wants_measures and not info.comparison and chosen:
        points = measures(chosen[0], ranked, config)
        if len(points) > 1:
            hit = points[0].hit
            lines = [f"{who(hit.chunk)}谈到以下做法[1]："] + [f"- {_end(c.excerpt)}[1]" for c in points]
            citation = Citation(1, hit, "".join(c.sentence for c in points))
            return checked(replace(base, answer="\n".join(lines), answerable=True), [citation])
    order: list[str] = []
    by_chunk: dict[str, list[Candidate]] = {}
    for c in chosen:
        cid = c.hit.chunk.chunk_id
        if cid not in by_chunk:
            order.append(cid)
            by_chunk[cid] = []
        by_chunk[cid].append(c)
    lines, citations = [], []
    for marker, cid in enumerate(order, start=1):
        group = sorted(by_chunk[cid], key=lambda c: c.position)
        quote = "".join(f"{_end(c.excerpt)}[{marker}]" for c in group)
        lines.append(f"{'- ' if info.comparison else ''}{who(group[0].hit.chunk)}：{quote}")
        citations.append(Citation(marker, group[0].hit, "".join(c.sentence for c in group)))
    text = ("多位讲话人谈到了相关做法：\n" if info.comparison and len(lines) > 1 else "") + "\n".join(lines)
    return checked(replace(base, answer=text, answerable=True), citations)


def _end(text: str) -> str:
    """Close a quoted sentence: "…全市第1；" → "…全市第1。" """
    text = re.sub(r"[；;，,、：:]+$", "", text)
    return text if re.search(r"[。！？!?…]$", text) else text + "。"


def checked(answer: Answer, citations: Sequence[Citation], truncated: bool = False) -> Answer:
    """Run the citation check line by line, drop failing claims, renumber markers to first use.
    `truncated`: generation hit its token limit, so an unfinished last sentence is dropped too."""
    hits = [c.hit for c in citations]
    lines, warnings = [], list(answer.warnings)
    raw = answer.answer.split("\n")
    for i, line in enumerate(raw):
        result = check(line, hits, truncated=truncated and i == len(raw) - 1)
        warnings += result.warnings
        if result.kept:
            lines.append(result.text)
    text = "\n".join(lines)
    order = first_use_order(text)
    kept = tuple(replace(citations[old - 1], marker=new) for new, old in enumerate(order, start=1))
    return replace(answer, answer=renumber(text, order), citations=kept, warnings=tuple(warnings))


def not_found(base: Answer, hits: Sequence[Hit], ranked: Sequence[Candidate], reason: str, n: int) -> Answer:
    """The honest refusal, listing the nearest passages as 相关但未直接回答 (no markers: they do not answer)."""
    best_sentence: dict[str, Candidate] = {}
    for c in ranked:
        best_sentence.setdefault(c.hit.chunk.chunk_id, c)
    related = tuple(hits[:n])
    lines = [f"{NOT_FOUND}：现有讲话资料没有直接回答这个问题" + (f"（{reason}）。" if reason else "。")]
    if related:
        lines.append("相关但未直接回答：")
        for h in related:
            c = best_sentence.get(h.chunk.chunk_id)
            quote = c.excerpt if c else h.chunk.text[:60]
            meeting = f"，{h.chunk.meeting}" if h.chunk.meeting else ""
            lines.append(f"- {who(h.chunk)}{meeting}：{quote}")
    return replace(base, answer="\n".join(lines), answerable=False, related=related)
