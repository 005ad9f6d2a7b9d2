"""Composing an Answer from scored sentences: which sentences to quote (`select`), the extractive
answer, the citation check applied line by line (`checked`), and the honest refusal (`not_found`).

Shared by both answer paths (rag/answer/answerer.py orchestrates; rag/answer/llm_answer.py is the LLM path), so
neither imports the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rag.answer.citations import check, first_use_order, renumber, who
from rag.answer.evidence import Candidate, TermWeights, Weights, term_match
from rag.labels import NOT_FOUND
from rag.answer.question import QuestionInfo, noun_runs
from rag.records import Answer, Citation, Hit
from rag.units import hierarchy_key, resolve_chunk
from rag.zh import COLONS, COMMAS, SEMICOLONS, SENTENCE_ENDS, clip

# A comparison bullet must hold the topic term whole, or all its sub-words (evidence.term_match scale).
TOPIC_MATCH = 0.8
# A sentence stating a difficulty is no practice to list in a comparison ("面临一些困难和问题").
_PROBLEM = re.compile(r"面临|存在.{0,8}(?:问题|困难|不足|短板)|困难和问题|问题和困难|仍需|有待|还不够|短板|瓶颈")


@dataclass(frozen=True)
class AnswerConfig:
    """Answer sizes and what an answer quotes (docs/ANSWERS.md); answerability is rag/answer/answerability.py's."""

    top_k: int = 8  # chunks retrieved for a fact question
    compare_k: int = 24  # … for a comparison ("各地", "哪些区县"), to reach several speakers
    max_sentences: int = 3
    max_points: int = 5  # measures listed for a "how" question
    max_groups: int = 5  # speakers' sentences given to the LLM for a comparison
    close_ratio: float = 0.9  # a further sentence joins the answer when it scores this close to the best
    min_context_coverage: float = 0.2  # a sentence is quoted only if it or its chunk's metadata covers this
    # share of the question's (rarity-weighted) terms
    group_ratio: float = 0.7  # without a topic word, a unit joins a comparison answer when its best
    # sentence scores this close to the best unit's
    related: int = 3
    llm_sources: int = 3
    llm_source_chars: int = 64  # ≈ the best sentence: a 1.5B model loses the figure in longer sources
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class Delta:
    """A piece of answer text as it is produced; the stream ends with the checked `Answer`.
    A `stage` delta says what is being done ("正在检索…") and is not part of the answer text."""

    text: str
    stage: bool = False


def select(ranked: Sequence[Candidate], info: QuestionInfo, config: AnswerConfig,
           topic: str | None = None) -> list[Candidate]:
    """The sentences an extractive answer quotes: the best few, or for a comparison the best of every
    unit whose sentence carries the `topic` term (see `topic_term`) and states no problem."""
    if info.comparison and topic:  # the topic term itself is the relevance gate: every unit saying it
        return _per_unit([c for c in ranked if c.places_ok and term_match(topic, c.sentence) >= TOPIC_MATCH
                          and not _PROBLEM.search(c.sentence)], 0.0)
    usable = [c for c in ranked if c.places_ok and (c.about_speaker or c.context_coverage >= config.min_context_coverage)]
    if info.scopes:  # "全国…": only a sentence stating that scope answers, wherever it ranks
        usable = [c for c in usable if states_scope(c, info)]
    if info.wants_figure:  # a sentence without any figure never answers "多少"
        usable = [c for c in usable if c.has_unit] or [c for c in usable if c.has_figure or _CN_FIGURE.search(c.sentence)]
    if not usable:
        return []
    if info.comparison:
        return _per_unit(usable, usable[0].score * config.group_ratio) or usable[:1]
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


def states_scope(c: Candidate, info: QuestionInfo) -> bool:
    """Does the sentence state every scope the question sets ("全国")?"""
    return all(s in c.sentence for s in info.scopes)


def topic_term(info: QuestionInfo, weight: TermWeights) -> str | None:
    """What a comparison asks about: the most distinctive word (rarest in the corpus) of the question's
    noun phrases ("亩均" in "哪些地方在推进亩均效益改革?", "夜间" in "…发展夜间经济?"); verbs such as
    发展/推进 never are. Without a noun phrase the corpus knows, the rarest known question term."""
    def rarest(words: Sequence[str]) -> str | None:
        known = [w for w in words if len(w) >= 2 and weight.known(w)]
        return max(known, key=lambda w: (weight(w), len(w))) if known else None

    nouns = [w for run in noun_runs(info.text) for w in run if not any(w in p or p in w for p in info.places)]
    return rarest(nouns) or rarest(info.terms)


def _per_unit(usable: Sequence[Candidate], min_score: float) -> list[Candidate]:
    """Best sentence of every unit (speaker when the unit is unknown) scoring at least `min_score`,
    best first; no fixed count."""
    best: dict[str, Candidate] = {}
    for c in usable:
        if c.score >= min_score:
            best.setdefault(c.hit.chunk.unit or c.group, c)
    return list(best.values())


def by_hierarchy(chosen: Sequence[Candidate]) -> list[Candidate]:
    """Comparison bullets grouped by district (districts in order of their best sentence), the
    district itself before its departments and towns (rag/units.py)."""
    keys = {id(c): hierarchy_key(resolve_chunk(c.hit.chunk)) for c in chosen}
    district_rank: dict[str, int] = {}
    for c in chosen:
        district_rank.setdefault(keys[id(c)][0], len(district_rank))
    return sorted(chosen, key=lambda c: (district_rank[keys[id(c)][0]], keys[id(c)][1]))


def places_line(chosen: Sequence[Candidate], marker_of: dict[str, int]) -> str:
    """The opening line of a comparison: the places, each district with its departments and towns,
    each cited: "涉及：永川区[1]（交通局[2]）、长寿区[3]。" """
    districts: dict[str, list[str]] = {}
    for c in chosen:
        path = resolve_chunk(c.hit.chunk)
        head = path.district or path.city or path.name
        if head is None:  # a unit the parser could not name is no place to list
            continue
        mark = f"[{marker_of[c.hit.chunk.chunk_id]}]"
        parts = districts.setdefault(head, [])
        if path.local and path.name != head:
            parts.append(f"{path.local}{mark}")
        elif mark not in parts:
            parts.insert(0, mark)
    named = []
    for district, parts in districts.items():
        own = "".join(p for p in parts if p.startswith("["))
        locals_ = [p for p in parts if not p.startswith("[")]
        named.append(district + own + (f"（{'、'.join(locals_)}）" if locals_ else ""))
    return f"涉及：{'、'.join(named)}。"


# A figure written in Chinese numerals with its measure word ("四五十家", "两倍", "三成")
_CN_FIGURE = re.compile(r"[一二两三四五六七八九十百千万亿]+[多余]?(?:个|家|户|人|项|座|所|次|条|倍|成|名|种|批|件|年|月|天)")
# An enumerated point as speeches open it: 一是… / 第二，… / 三、… / （四）… / 5.…
_POINT = re.compile(r"^(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|[一二三四五六七八九十]+、|"
                    r"[（(][一二三四五六七八九十]+[）)]|\d{1,2}[、.．](?!\d))")


def measures(best: Candidate, ranked: Sequence[Candidate], config: AnswerConfig) -> list[Candidate]:
    """For a "how / which measures" question: the concrete measures of the best sentence's chunk — its
    enumerated points (一是…二是…) when it has at least two, else the best sentence and the sentences
    that follow it in the chunk — at most `max_points`, in the chunk's order."""
    same = sorted((c for c in ranked if c.hit.chunk.chunk_id == best.hit.chunk.chunk_id), key=lambda c: c.position)
    same = [c for c in same if re.sub(r"\W", "", c.excerpt)]
    points = [c for c in same if _POINT.match(c.sentence)]
    if len(points) >= 2:
        return points[: config.max_points]
    return [c for c in same if c.position >= best.position][: config.max_points]


def extractive(base: Answer, info: QuestionInfo, ranked: Sequence[Candidate], config: AnswerConfig,
               topic: str | None = None) -> Answer:
    """Compose quoted sentences with one marker per chunk; speaker labels come from each chunk's metadata.
    A comparison opens with the places it covers and lists one bullet per unit, grouped by district.
    A "how" question about one place or speaker lists the measures of the best passage, one per line."""
    chosen = select(ranked, info, config, topic)
    if info.wants_measures and not info.comparison and chosen:
        points = measures(chosen[0], ranked, config)
        if len(points) > 1:
            hit = points[0].hit
            lines = [f"{who(hit.chunk)}谈到以下做法[1]："] + [f"- {end_quote(c.excerpt)}[1]" for c in points]
            citation = Citation(1, hit, "".join(c.sentence for c in points))
            return checked(replace(base, answer="\n".join(lines), answerable=True), [citation])
    if info.comparison:
        chosen = by_hierarchy(chosen)
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
        quote = "".join(f"{end_quote(_excerpt(c, topic))}[{marker}]" for c in group)
        lines.append(f"{'- ' if info.comparison else ''}{who(group[0].hit.chunk)}：{quote}")
        citations.append(Citation(marker, group[0].hit, "".join(c.sentence for c in group)))
    opening = places_line(chosen, {cid: i for i, cid in enumerate(order, start=1)}) + "\n"
    text = (opening if info.comparison and len(lines) > 1 else "") + "\n".join(lines)
    return checked(replace(base, answer=text, answerable=True), citations)


def _excerpt(c: Candidate, topic: str | None) -> str:
    """The quoted part of a sentence; for a comparison, the clauses that carry the topic term."""
    if not topic or term_match(topic, c.excerpt) >= TOPIC_MATCH:
        return c.excerpt
    clauses = [x for x in re.split(r"(?<=[，,；;])", c.sentence) if x.strip()]
    keep = [x for x in clauses if term_match(topic, x) >= TOPIC_MATCH]
    return "……" + "".join(keep) if keep else c.excerpt


def end_quote(text: str) -> str:
    """Close a quoted sentence: "…全市第1；" → "…全市第1。" """
    text = re.sub(f"[{SEMICOLONS}{COMMAS}、{COLONS}]+$", "", text)
    return text if re.search(f"[{SENTENCE_ENDS}]$", text) else text + "。"


def checked(answer: Answer, citations: Sequence[Citation], truncated: bool = False) -> Answer:
    """Run the citation check line by line, drop failing claims, renumber markers to first use.
    `truncated`: generation hit its token limit, so an unfinished last sentence is dropped too."""
    hits = [c.hit for c in citations]
    lines, warnings = [], list(answer.warnings)
    raw = answer.answer.split("\n")
    for i, line in enumerate(raw):
        result = check(line, hits, truncated=truncated and i == len(raw) - 1)
        warnings += result.warnings
        if result.kept and re.sub(r"\[\d+\]|[\W_]", "", result.text):  # never a bullet left with only a marker
            lines.append(result.text)
    text = "\n".join(lines)
    order = first_use_order(text)
    kept = tuple(replace(citations[old - 1], marker=new) for new, old in enumerate(order, start=1))
    return replace(answer, answer=renumber(text, order), citations=kept, warnings=tuple(warnings))


RELATED_CHARS = 60  # a nearest passage with no scored sentence is quoted up to about this long


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
            quote = c.excerpt if c else clip(h.chunk.text, RELATED_CHARS)
            meeting = f"，{h.chunk.meeting}" if h.chunk.meeting else ""
            lines.append(f"- {who(h.chunk)}{meeting}：{quote}")
    return replace(base, answer="\n".join(lines), answerable=False, related=related)
