"""Question → Answer: rewrite follow-ups, retrieve, judge answerability, answer (extractive or LLM), check citations.

The extractive answer quotes the best-scoring sentences of the retrieved chunks (rag/evidence.py),
each followed by its marker; the LLM answer is generated from numbered sources and then loses
every claim that fails the citation check (rag/citations.py). Both stream through `Answerer.stream`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from rag.citations import check, first_use_order, renumber, who
from rag.errors import UsageError
from rag.evidence import Candidate, SentenceVectors, TermWeights, Weights, candidates, score, term_match
from rag.provenance import provenance_answer
from rag.question import QuestionInfo, analyse, noun_runs, place_in
from rag.records import Answer, Citation, Filters, Hit
from rag.rewrite import LOCAL, Lexicon, Rewriter
from rag.units import hierarchy_key, resolve_chunk

NOT_FOUND = "资料中未找到"
_MORE = re.compile(r"还|另外|其他|其它|别的|此外")
# A comparison bullet must hold the topic term whole, or all its sub-words (evidence.term_match scale).
TOPIC_MATCH = 0.8
# A sentence stating a difficulty is no practice to list in a comparison ("面临一些困难和问题").
_PROBLEM = re.compile(r"面临|存在.{0,8}(?:问题|困难|不足|短板)|困难和问题|问题和困难|仍需|有待|还不够|短板|瓶颈")


@dataclass(frozen=True)
class AnswerConfig:
    """Answer sizes and the answerability threshold (calibrated on eval/; see docs/ANSWERS.md)."""

    top_k: int = 8  # chunks retrieved for a fact question
    compare_k: int = 24  # … for a comparison ("各地", "哪些区县"), to reach several speakers
    max_sentences: int = 3
    max_groups: int = 5
    close_ratio: float = 0.9  # a further sentence joins the answer when it scores this close to the best
    min_score: float = 0.60  # best sentence score below this → not answerable
    min_coverage: float = 0.40  # rarity-weighted share of question terms in the best sentence
    min_focus: float = 0.30  # … in the clause holding the figure (figure questions)
    group_min_score: float = 0.50  # a speaker joins a comparison answer above this
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


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    reason: str = ""


def judge(chosen: Sequence[Candidate], ranked: Sequence[Candidate], info: QuestionInfo,
          config: AnswerConfig) -> Verdict:
    """The answerability rule, general on purpose (no per-question cases). The best sentence the
    answer would quote must:
    1. come from a chunk where every place the question names occurs (text or metadata), and
       state any scope the question sets ("全国") itself;
    2. score at least `min_score` (embedding similarity + term overlap + figure);
    3. contain at least `min_coverage` of the question's terms, weighted by rarity in the corpus;
    4. for a question asking for a figure, hold a number in a clause covering `min_focus` of the terms.
    """
    if info.places and not any(c.places_ok for c in ranked):
        missing = [p for p in info.places if not any(place_in(p, c.hit.chunk.indexed_text) for c in ranked)]
        return Verdict(False, f"资料中没有提到{'、'.join(missing or info.places)}")
    if not chosen:
        return Verdict(False, "检索到的段落与问题的关键内容不符")
    best = chosen[0]
    if not all(s in best.sentence for s in info.scopes):
        return Verdict(False, f"资料没有{'、'.join(info.scopes)}范围的内容")
    if best.about_speaker and not info.wants_figure:
        return Verdict(True)  # the question names only who spoke; the metadata matches it
    if best.score < config.min_score or best.coverage < config.min_coverage:
        return Verdict(False, "检索到的段落与问题的关键内容不符")
    if info.wants_figure and (not best.has_figure or best.focus < config.min_focus):
        return Verdict(False, "资料中没有所问的数字")
    return Verdict(True)


class Answerer:
    """Answers questions over one retriever; extractive unless an LLM backend is given."""

    def __init__(self, retriever, embedder, llm=None, config: AnswerConfig | None = None,
                 rewriter: Rewriter | None = None, term_weights: TermWeights | None = None,
                 lexicon: Lexicon | None = None) -> None:
        self._retriever = retriever
        self._terms = term_weights or TermWeights()
        if rewriter is None:
            rewriter = Rewriter(llm, known=self._terms.known, lexicon=lexicon)
        self._lexicon = lexicon or Lexicon()
        self._vectors = SentenceVectors(embedder)
        self._llm = llm
        self.config = config or AnswerConfig()
        self._rewriter = rewriter

    @property
    def retriever(self):
        return self._retriever

    @property
    def mode(self) -> str:
        return "llm" if self._llm is not None else "extractive"

    def ask(self, question: str, filters: Filters | None = None, history: Sequence[Answer] = (),
            top_k: int | None = None) -> Answer:
        """The checked answer (the last event of `stream`)."""
        answer = None
        for event in self.stream(question, filters, history, top_k):
            if isinstance(event, Answer):
                answer = event
        return answer  # type: ignore[return-value]

    def stream(self, question: str, filters: Filters | None = None, history: Sequence[Answer] = (),
               top_k: int | None = None) -> Iterator[Delta | Answer]:
        """Yields Delta pieces as the answer is written, then the final Answer. The final text may
        differ from the streamed one (claims dropped by the citation check): show `Answer.answer`."""
        q = question.strip()
        if not q:
            raise UsageError("问题为空 — 请输入一个问题 (empty question)")
        about_sources = provenance_answer(q, history)  # "哪次会议上说的?": the cited chunks' metadata
        if about_sources is not None:
            yield Delta(about_sources.answer)
            yield about_sources
            return
        standalone = self._rewriter.rewrite(q, history) if history else q
        info = analyse(standalone)
        k = top_k or self.config.top_k
        yield Delta("正在检索…", stage=True)
        hits = self._retriever.search(standalone, max(k * 3, self.config.compare_k) if info.comparison else k,
                                      filters or Filters())
        yield Delta(f"检索到 {len(hits)} 段，正在挑选句子并核对引用…", stage=True)
        ranked = self._evidence(hits, info, history, standalone != q)
        topic = topic_term(info, self._terms) if info.comparison else None
        verdict = judge(select(ranked, info, self.config, topic), ranked, info, self.config)
        base = Answer(question=q, answer="", answerable=False, mode=self.mode,
                      rewritten_question=standalone if standalone != q else None)
        if not verdict.answerable:
            final = not_found(base, hits, ranked, verdict.reason, self.config.related)
            yield Delta(final.answer)
            yield final
            return
        if self._llm is not None:
            from rag.llm_answer import llm_answer

            yield from llm_answer(self._llm, base, standalone, info, hits, ranked, self.config)
            return
        final = extractive(base, info, ranked, self.config, topic)
        yield Delta(final.answer)
        yield final

    def _evidence(self, hits: Sequence[Hit], info: QuestionInfo, history: Sequence[Answer],
                  follow_up: bool) -> list[Candidate]:
        cands = candidates(hits, info, self._terms)
        named = self._lexicon.names_of(info.text, LOCAL)
        if named and not info.comparison:  # "…招商投资局…" is answered from that department's chunks
            cands = [c for c in cands if all(n in c.hit.chunk.indexed_text for n in named)] or cands
        if follow_up and history and _MORE.search(info.text):
            said = {c.sentence for c in history[-1].citations}
            cands = [c for c in cands if not any(c.sentence in s for s in said)] or cands
        return score(cands, info, self._vectors, self.config.weights)


def select(ranked: Sequence[Candidate], info: QuestionInfo, config: AnswerConfig,
           topic: str | None = None) -> list[Candidate]:
    """The sentences an extractive answer quotes: the best few, or for a comparison the best of every
    unit whose sentence carries the `topic` term (see `topic_term`) and states no problem."""
    if info.comparison and topic:  # the topic term itself is the relevance gate: every unit saying it
        return _per_unit([c for c in ranked if c.places_ok and term_match(topic, c.sentence) >= TOPIC_MATCH
                          and not _PROBLEM.search(c.sentence)], 0.0)
    usable = [c for c in ranked if c.places_ok and (c.about_speaker or c.context_coverage >= config.min_coverage * 0.5)]
    if info.wants_figure:
        usable = [c for c in usable if c.has_unit] or [c for c in usable if c.has_figure] or usable
    if not usable:
        return []
    if info.comparison:
        return _per_unit(usable, config.group_min_score) or usable[:1]
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
        if len(chosen) >= config.max_sentences or c.score < max(config.min_score, best.score * config.close_ratio):
            break
        chosen.append(c)
    return chosen


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


def extractive(base: Answer, info: QuestionInfo, ranked: Sequence[Candidate], config: AnswerConfig,
               topic: str | None = None) -> Answer:
    """Compose quoted sentences with one marker per chunk; speaker labels come from each chunk's metadata."""
    chosen = select(ranked, info, config, topic)
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
        quote = "".join(f"{_end(_excerpt(c, topic))}[{marker}]" for c in group)
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


def open_answerer(settings, use_llm: bool = True, config: AnswerConfig | None = None) -> Answerer:
    """An Answerer over the index at `settings.index_dir` (see `answerer_for`)."""
    from rag.retrieve import Retriever

    return answerer_for(Retriever.open(settings), settings, use_llm, config)


def answerer_for(retriever, settings, use_llm: bool = True, config: AnswerConfig | None = None) -> Answerer:
    """An Answerer on an open Retriever, sharing its embedding model (e5-small when the index has it)
    for sentence scoring and its chunks for term weights, with the LLM from settings when configured
    and `use_llm`."""
    from rag.llm import load_llm

    embedders = retriever.embedders
    embedder = embedders.get("e5-small") or next(iter(embedders.values()))
    llm = load_llm(settings) if use_llm else None
    terms = TermWeights([c.indexed_text for c in retriever.index.chunks])
    return Answerer(retriever, embedder, llm=llm, config=config, term_weights=terms,
                    lexicon=Lexicon.from_chunks(retriever.index.chunks))
