"""Sentence evidence: split retrieved chunks into sentences and score each against the question.

Scores combine the chunk's embedding similarity to the question (from retrieval: no sentence is
encoded at question time), term coverage, a preference for sentences holding the asked-for
figure/unit, and the retrieval rank. Choosing and
composing the answer is rag/answer/answerer.py's job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from rag import stat_terms
from rag.store.keyword import TermStats, term_stats
from rag.ingest.chunk import sentence_spans
from rag.answer.question import QuestionInfo
from rag.places import place_in
from rag.records import Hit
from rag.zh import (CLAUSE_MARKS, COLONS, COMMAS, MAGNITUDES, NUMBER, PERCENT, SENTENCE_ENDS, UNIT_WORDS, any_of,
                    segmenter)

MAX_EXCERPT = 72  # longer sentences are cut to the clauses around the best-matching one
_CLAUSE_END = re.compile(r"[，,：:]")
_NUMBER = re.compile(NUMBER)
# The period a figure refers to, as speeches write it: kept in an excerpt that would cut it off.
_PERIOD = re.compile(r"(?:\d{4}年)?(?:全年|上半年|下半年|前三季度|[一二三四]季度|第[一二三四]季度|\d{1,2}(?:[-—至]\d{1,2})?月(?:份)?|"
                     r"今年以来|今年|去年|年底|年内|截至[^，,。]{1,10})|\d{4}年")
_YEARS = re.compile(r"(?:19|20)\d{2}年")
_ANY_UNIT = rf"{any_of(MAGNITUDES)}?{any_of(sorted(UNIT_WORDS + PERCENT, key=len, reverse=True))}"


@dataclass(frozen=True)
class Weights:
    """How the parts of a sentence score add up (see docs/ANSWERS.md). Each part lies in [0, 1].

    Checked on the tune parts of both domains by `python -m bench.sentence_weights` (a 0.05 grid over
    the simplex): the best vector leads with a gold sentence on 77.2% of CMRC's tune questions against
    76.1% for these, 100% on the seeds' for both; a gain within one standard error of the tune share
    (1.1 points on 1,429 questions), so these stay (docs/ANSWERS.md has the table).
    """

    dense: float = 0.45  # the chunk's cosine with the question, placed in `dense_band`
    lexical: float = 0.35
    figure: float = 0.15
    rank: float = 0.05
    # Where e5-small's question–passage cosines live, measured by `rag eval` on the tune parts of both
    # domains: the 5th percentile of the 50th candidate's cosine and the 95th of the best one's.
    dense_band: tuple[float, float] = (0.83, 0.92)


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved chunk with its scores."""

    hit: Hit
    rank: int  # of the hit in the retrieval list
    position: int  # of the sentence in its chunk
    sentence: str
    excerpt: str  # what the answer quotes: the sentence, or its best clauses when long
    coverage: float  # share of question terms in the sentence itself
    context_coverage: float  # … in the sentence or its chunk's metadata (unit, post, speaker, meeting, title)
    has_figure: bool
    has_unit: bool
    places_ok: bool  # every place the question names occurs in the chunk or its metadata
    focus: float = 0.0  # figure questions: coverage of the clause holding a figure; else = coverage
    about_speaker: bool = False  # the question's terms and places only name this chunk's speaker/unit/post
    # ("李春奎还提到了什么", "铜梁区还提到了什么")
    dense: float = 0.0  # the chunk's raw cosine (best dense model), 0 when outside the dense lists
    score: float = 0.0

    @property
    def group(self) -> str:
        """Who said it, for grouping comparison answers: speaker, else unit, else source."""
        c = self.hit.chunk
        return c.speaker or c.unit or c.speech_id


@lru_cache(maxsize=4096)
def _subwords(term: str) -> tuple[str, ...]:
    return tuple(w for w in segmenter().search_words(term) if len(w) >= 2 and w != term)


def term_match(term: str, text: str) -> float:
    """1 for an exact match; partial credit when the term's sub-words or most of its character pairs occur.

    >>> term_match("集体经济", "村集体经济收入"), term_match("粮食产量", "粮食种植面积、产量达9.7亿斤"), term_match("高新技术", "高企")
    (1.0, 0.8, 0.0)
    """
    if term in text or any(f in text for f in stat_terms.forms(term)):  # "GDP" is held by "地区生产总值"
        return 1.0
    if len(term) < 3:
        return 0.0
    subs = _subwords(term)
    sub_share = sum(w in text for w in subs) / len(subs) if subs else 0.0
    pairs = [term[i:i + 2] for i in range(len(term) - 1)]
    pair_share = sum(p in text for p in pairs) / len(pairs)
    share = max(sub_share, pair_share if pair_share >= 0.6 else 0.0)
    return 0.8 * share if share >= 0.5 else 0.0


class TermWeights:
    """Inverse document frequency of question terms over the indexed texts: "房地产" outweighs "增长".

    Document frequencies are the keyword index's own (`stats`, e.g. `Store.term_stats()`: BM25's
    term counts), so weighting reads no chunk at any index size. A term the index holds as one token
    has that token's document frequency; a term it splits, its rarest token's. `texts` builds such
    statistics from plain texts. Without either every term weighs the same (log 2 + 1). Numbers weigh
    little: years and counts the question gives say nothing about the answer.
    """

    def __init__(self, texts: Sequence[str] = (), stats: TermStats | None = None) -> None:
        self._stats = stats if stats is not None else term_stats(texts) if texts else None
        self._docs = self._stats.docs if self._stats is not None else 0
        self._cache: dict[str, float] = {}

    def df(self, term: str) -> int:
        """Indexed texts holding the term (its rarest token's count when the index splits it)."""
        if self._stats is None:
            return 0
        whole = self._stats.df(term.strip().lower())
        return whole or min((self._stats.df(t) for t in self._stats.tokens(term)), default=0)

    def known(self, text: str) -> bool:
        """Does the index hold `text`?"""
        return self.df(text) > 0

    def rarity(self, term: str) -> float:
        """The term's IDF as a share of the largest possible (a term in no text): 1 = unseen, ~0 = everywhere."""
        return (self(term) - 1.0) / math.log(self._docs + 1) if self._docs else 0.0

    def __call__(self, term: str) -> float:
        if term.isdigit():
            return 0.5
        if term not in self._cache:
            self._cache[term] = math.log((self._docs + 1) / (self.df(term) + 1)) + 1.0
        return self._cache[term]


def coverage(terms: Sequence[str], text: str, weight=None) -> float:
    """Weighted share of the terms found in text (partial matches count partly)."""
    if not terms:
        return 0.0
    weight = weight or TermWeights()
    total = sum(weight(t) for t in terms)
    return sum(weight(t) * term_match(t, text) for t in terms) / total


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(f"[{CLAUSE_MARKS}]", sentence) if c.strip()]


def figure_coverage(sentence: str, info: QuestionInfo, weight=None) -> float:
    """Best term coverage of a clause stating a number the question did not give, read together with
    the clause before it: the figure must sit next to what was asked ("新增城镇就业1.14万人"), not
    elsewhere in the sentence ("人均可支配收入稳步增长" beside "预算收入增长6%")."""
    best = 0.0
    parts = _clauses(sentence)
    for i, clause in enumerate(parts):
        if figure_flags(clause, None, _given(info))[0]:
            window = (parts[i - 1] if i else "") + "，" + clause
            best = max(best, coverage(info.content, window, weight))
    return best


def figure_flags(text: str, unit: str | None, given: Sequence[str] = ()) -> tuple[bool, bool]:
    """(holds a number, holds a number with the asked-for unit); numbers the question itself gives
    (a year, "500强") do not count as an answer.

    >>> figure_flags("新增城镇就业2.36万人", "人"), figure_flags("2024年工作回顾", None, ["2024"])
    ((True, True), (False, False))
    """
    for number in given:
        text = re.sub(rf"(?<![\d.]){re.escape(number)}(?![\d])", "", text)
    has = _NUMBER.search(text) is not None
    pattern = rf"\d\s*{any_of(MAGNITUDES)}?{re.escape(unit)}" if unit else rf"\d\s*{_ANY_UNIT}"
    return has, has and re.search(pattern, text) is not None


def excerpt(sentence: str, info: QuestionInfo, limit: int = MAX_EXCERPT) -> str:
    """The sentence, or when longer than `limit` the clauses around the best-matching one, marked with ……"""
    if len(sentence) <= limit:
        return sentence
    cuts = [m.end() for m in _CLAUSE_END.finditer(sentence)]
    bounds = list(zip([0] + cuts, cuts + [len(sentence)]))
    if len(bounds) == 1:
        return sentence

    def clause_score(b: tuple[int, int]) -> float:
        text = sentence[b[0]:b[1]]
        has, with_unit = figure_flags(text, info.unit, _given(info))
        return coverage(info.content, text) + 0.3 * (has and info.wants_figure) + 0.3 * with_unit

    year = next((y for y in _YEARS.findall(info.text) if y in sentence), None)
    if year:  # "…年均产量252.1万吨，2025年，总产量达268.57万吨": the excerpt opens at the year asked
        start = sentence.index(year)
        ends = [m.end() for m in _CLAUSE_END.finditer(sentence, start + len(year) + 1) if m.end() - start <= limit]
        if ends or len(sentence) - start <= limit:
            stop = len(sentence) if len(sentence) - start <= limit else ends[-1]
            text = sentence[start:stop].rstrip("，,：:")
            if not info.wants_figure or figure_flags(text, info.unit, _given(info))[0]:  # never cut the figure off
                return ("……" if start else "") + text + ("……" if stop < len(sentence) else "")

    best = max(range(len(bounds)), key=lambda i: (clause_score(bounds[i]), -i))
    lo = hi = best
    while True:
        options = [j for j in (lo - 1, hi + 1) if 0 <= j < len(bounds)
                   and bounds[max(hi, j)][1] - bounds[min(lo, j)][0] <= limit]
        if not options:
            break
        j = max(options, key=lambda k: clause_score(bounds[k]))
        lo, hi = min(lo, j), max(hi, j)
    text = sentence[bounds[lo][0]:bounds[hi][1]].rstrip("，,：:")
    if hi < len(bounds) - 1:
        text += "……"
    if lo == 0:
        return text
    period = _PERIOD.search(sentence[:bounds[lo][0]]) if info.wants_figure and not _PERIOD.search(text) else None
    return (f"{period.group(0)}……" if period else "……") + text


def _given(info: QuestionInfo) -> list[str]:
    return _NUMBER.findall(info.text)


def _is_heading(sentence: str) -> bool:
    """A section title such as "一、2024年工作回顾": short and without sentence-final punctuation."""
    return len(sentence) < 20 and not re.search(f"[{SENTENCE_ENDS}{COMMAS}]", sentence)


def _context(hit: Hit) -> str:
    c = hit.chunk
    return "｜".join(x for x in (c.header, c.unit, c.speaker_title, c.speaker, c.meeting, c.title) if x)


def candidates(hits: Sequence[Hit], info: QuestionInfo, weight: TermWeights | None = None) -> list[Candidate]:
    """Every sentence of the hits, duplicates (overlapping windows) kept once at their best rank."""
    weight = weight or TermWeights()
    seen: set[str] = set()
    out: list[Candidate] = []
    asked = info.places + info.regions
    for rank, hit in enumerate(hits):
        context = _context(hit)
        c = hit.chunk
        who = "｜".join(x for x in (c.speaker, c.unit, c.speaker_title) if x)
        about = bool(info.terms or info.places) and all(term_match(t, who) == 1.0 for t in info.terms) \
            and all(place_in(p, who) for p in info.places)
        places_ok = all(place_in(p, hit.chunk.text + context) for p in info.places + info.regions)
        for position, (a, b) in enumerate(sentence_spans(hit.chunk.text)):
            sentence = hit.chunk.text[a:b].strip()
            key = re.sub(r"\W", "", sentence)
            if len(key) < 8 or key in seen or _is_heading(sentence):
                continue
            seen.add(key)
            here = places_ok and not (asked and _elsewhere(sentence, context, asked))
            has, with_unit = figure_flags(sentence, info.unit, _given(info))
            out.append(Candidate(
                hit=hit, rank=rank, position=position, sentence=sentence, excerpt=excerpt(sentence, info),
                coverage=coverage(info.content, sentence, weight),
                context_coverage=coverage(info.content, sentence + "｜" + context, weight),
                has_figure=has, has_unit=with_unit, places_ok=here,
                focus=figure_coverage(sentence, info, weight) if info.wants_figure else coverage(info.content, sentence, weight),
                about_speaker=about,
            ))
    return out


_COUNTRY = ("中国", "全国", "我国", "国家")


def _elsewhere(sentence: str, context: str, asked: Sequence[str]) -> bool:
    """The sentence is about another place: it names a place (jieba: ns) and no asked place, which
    neither it nor its chunk's metadata names ("临汾PM2.5…" is no answer about 运城).

    >>> _elsewhere("2025年，临汾PM2.5平均浓度为35.1微克", "", ["运城市"]), _elsewhere("全区增长7%", "", ["运城市"])
    (True, False)
    """
    if all(place_in(p, sentence + "｜" + context) for p in asked):
        return False
    named = [w for w, flag in segmenter().tagged(sentence) if flag == "ns" and len(w) >= 2 and w not in _COUNTRY]
    return any(not any(place_in(p, w) or place_in(w, p) for p in asked) for w in named)


def _figure_score(c: Candidate, info: QuestionInfo) -> float:
    if not info.wants_figure:
        return 0.0
    return 0.5 * c.has_figure + 0.5 * c.has_unit


def _lexical(c: Candidate) -> float:
    return 0.6 * c.coverage + 0.4 * c.context_coverage


def dense_level(cosine: float | None, band: tuple[float, float]) -> float:
    """A chunk's dense cosine placed in the band where the model's question–passage cosines live
    (0 at or below its floor, 1 at or above its ceiling); no dense score counts as the floor.

    Sentences are not embedded at question time: a sentence inherits its chunk's cosine, computed
    by the retrieval anyway, and lexical evidence tells the sentences of one chunk apart.

    >>> dense_level(0.875, (0.83, 0.92)), dense_level(None, (0.83, 0.92))
    (0.5, 0.0)
    """
    if cosine is None:
        return 0.0
    low, high = band
    return min(max((cosine - low) / (high - low), 0.0), 1.0)


def score_parts(c: Candidate, info: QuestionInfo, band: tuple[float, float]) -> tuple[float, float, float, float]:
    """The four parts of a sentence's score, each in [0, 1]: dense level, lexical coverage, figure, rank."""
    return dense_level(c.hit.dense_score, band), _lexical(c), _figure_score(c, info), 1 / (1 + c.rank)


def score(cands: Sequence[Candidate], info: QuestionInfo, weights: Weights = Weights()) -> list[Candidate]:
    """Candidates with dense and total scores, best first."""
    w = (weights.dense, weights.lexical, weights.figure, weights.rank)

    def total(c: Candidate) -> float:
        return sum(a * b for a, b in zip(w, score_parts(c, info, weights.dense_band)))

    scored = [replace(c, dense=c.hit.dense_score or 0.0, score=total(c)) for c in cands]
    return sorted(scored, key=lambda c: c.score, reverse=True)
