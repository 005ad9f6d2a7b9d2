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
from rag import answerability
from rag.answerability import Evidence
from rag.evidence import Candidate, TermWeights, Weights, candidates, score
from rag.question import QuestionInfo, analyse, place_in
from rag.records import Answer, Citation, Filters, Hit
from rag.rewrite import Rewriter

NOT_FOUND = "资料中未找到"
_MORE = re.compile(r"还|另外|其他|其它|别的|此外")


@dataclass(frozen=True)
class AnswerConfig:
    """Answer sizes and the answerability threshold (calibrated on eval/; see docs/ANSWERS.md)."""

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


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    reason: str = ""
    probability: float | None = None  # the answerability model's, when it decided
    evidence: Evidence | None = None  # what the model saw (None when a rule decided)


def judge(chosen: Sequence[Candidate], ranked: Sequence[Candidate], info: QuestionInfo, hits: Sequence[Hit],
          terms: TermWeights, model: answerability.Model) -> Verdict:
    """Answerable or not, and why. Rules first, general on purpose (no per-question cases):
    1. every place the question names occurs in some retrieved chunk (text or metadata), and only
       such chunks are quoted: 成都 is never answered from 重庆, nor a district of another city;
    2. a sentence is there to quote, and it states any scope the question sets ("全国") itself.
    Then the calibrated model (rag/answerability.py) decides from the evidence features. A refusal
    names the rarest word of the question that no retrieved chunk holds, when there is one.
    """
    if info.places and not any(c.places_ok for c in ranked):
        missing = [p for p in info.places if not any(place_in(p, c.hit.chunk.indexed_text) for c in ranked)]
        return Verdict(False, f"资料中没有提到{'、'.join(missing or info.places)}")
    if not chosen:
        return Verdict(False, "检索到的段落与问题的关键内容不符")
    best = chosen[0]
    if not all(s in best.sentence for s in info.scopes):
        return Verdict(False, f"资料没有{'、'.join(info.scopes)}范围的内容")
    evidence = answerability.evidence_of(info, hits, chosen, terms)
    ok, p = model.answerable(evidence)
    if ok:
        return Verdict(True, "", p, evidence)
    absent = answerability.absent_terms(info, hits, terms)
    if evidence.figure_missing:
        reason = "资料中没有所问的数字"
    elif absent:
        reason = f"资料中没有提到{absent[0]}"
    else:
        reason = "检索到的段落与问题的关键内容不符"
    return Verdict(False, reason, p, evidence)


@dataclass(frozen=True)
class Assessment:
    """Everything decided before an answer is written: the standalone question, what it asks, the
    retrieved hits, the scored sentences and the verdict."""

    standalone: str
    info: QuestionInfo
    hits: list[Hit]
    ranked: list[Candidate]
    verdict: Verdict


class Answerer:
    """Answers questions over one retriever; extractive unless an LLM backend is given."""

    def __init__(self, retriever, llm=None, config: AnswerConfig | None = None, rewriter: Rewriter | None = None,
                 term_weights: TermWeights | None = None, model: answerability.Model | None = None) -> None:
        self._retriever = retriever
        self._terms = term_weights or TermWeights()
        if rewriter is None:
            rewriter = Rewriter(llm, known=self._terms.known)
        self._model = model or answerability.load()
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
        a = self.assess(q, filters, history, top_k)
        standalone, info, hits, ranked, verdict = a.standalone, a.info, a.hits, a.ranked, a.verdict
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
        final = extractive(base, info, ranked, self.config)
        yield Delta(final.answer)
        yield final

    def assess(self, question: str, filters: Filters | None = None, history: Sequence[Answer] = (),
               top_k: int | None = None) -> Assessment:
        """Rewrite, retrieve, score sentences and judge answerability, without writing the answer."""
        q = question.strip()
        if not q:
            raise UsageError("问题为空 — 请输入一个问题 (empty question)")
        standalone = self._rewriter.rewrite(q, history) if history else q
        info = analyse(standalone)
        k = top_k or self.config.top_k
        hits = self._retriever.search(standalone, max(k * 3, self.config.compare_k) if info.comparison else k,
                                      filters or Filters())
        ranked = self._evidence(hits, info, history, standalone != q)
        verdict = judge(select(ranked, info, self.config), ranked, info, hits, self._terms, self._model)
        return Assessment(standalone, info, list(hits), ranked, verdict)

    def _evidence(self, hits: Sequence[Hit], info: QuestionInfo, history: Sequence[Answer],
                  follow_up: bool) -> list[Candidate]:
        cands = candidates(hits, info, self._terms)
        if follow_up and history and _MORE.search(info.text):
            said = {c.sentence for c in history[-1].citations}
            cands = [c for c in cands if not any(c.sentence in s for s in said)] or cands
        return score(cands, info, self.config.weights)


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


def open_answerer(settings, use_llm: bool = True, config: AnswerConfig | None = None) -> Answerer:
    """An Answerer over the index at `settings.index_dir` (see `answerer_for`)."""
    from rag.retrieve import Retriever

    return answerer_for(Retriever.open(settings), settings, use_llm, config)


def answerer_for(retriever, settings, use_llm: bool = True, config: AnswerConfig | None = None) -> Answerer:
    """An Answerer on an open Retriever, sharing its embedding model (e5-small when the index has it)
    for sentence scoring and its chunks for term weights, with the LLM from settings when configured
    and `use_llm`."""
    from rag.llm import load_llm

    llm = load_llm(settings) if use_llm else None
    terms = TermWeights([c.indexed_text for c in retriever.index.chunks])
    return Answerer(retriever, llm=llm, config=config, term_weights=terms)
