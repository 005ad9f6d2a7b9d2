"""Question → Answer, the orchestration: rewrite follow-ups, retrieve, judge answerability, then answer
extractively (rag/answer/compose.py) or with the LLM (rag/answer/llm_answer.py); both end in the citation check.

The extractive answer quotes the best-scoring sentences of the retrieved chunks (rag/answer/evidence.py),
each followed by its marker; the LLM answer is generated from numbered sources and then loses
every claim that fails the citation check (rag/answer/citations.py). Both stream through `Answerer.stream`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from rag.answer import answerability
from rag.answer.answerability import Evidence
from rag.answer.compose import AnswerConfig, Delta, extractive, not_found, select, topic_term
from rag.answer.evidence import Candidate, TermWeights, candidates, score
from rag.answer.injection import drop_planted
from rag.answer.llm import load_llm
from rag.answer.llm_answer import llm_answer
from rag.query_check import check_query
from rag.answer.provenance import provenance_answer
from rag.answer.question import QuestionInfo, analyse
from rag.places import corpus_places, place_in
from rag.records import Answer, Filters, Hit
from rag.retrieve.retriever import Retriever
from rag.answer.rewrite import LOCAL, Lexicon, Rewriter

_MORE = re.compile(r"还|另外|其他|其它|别的|此外")


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
    Then the calibrated model (rag/answer/answerability.py) decides from the evidence features. A refusal
    names the rarest word of the question that no retrieved chunk holds, when there is one.
    """
    if info.places and not any(c.places_ok for c in ranked):
        missing = [p for p in info.places if not any(place_in(p, c.hit.chunk.indexed_text) for c in ranked)]
        return Verdict(False, f"资料中没有提到{'、'.join(missing or info.places)}")
    absent = answerability.absent_terms(info, hits, terms)
    if not chosen:
        return Verdict(False, f"资料中没有提到{absent[0]}" if absent else "检索到的段落与问题的关键内容不符")
    best = chosen[0]
    if not all(s in best.sentence for s in info.scopes):
        return Verdict(False, f"资料没有{'、'.join(info.scopes)}范围的内容")
    evidence = answerability.evidence_of(info, hits, chosen, terms, absent)
    ok, p = model.answerable(evidence)
    if ok:
        return Verdict(True, "", p, evidence)
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
    topic: str | None = None  # a comparison's topic word (rag/answer/compose.py topic_term)
    planted: tuple[str, ...] = ()  # warnings about retrieved chunks dropped as planted instructions


class Answerer:
    """Answers questions over one retriever; extractive unless an LLM backend is given."""

    def __init__(self, retriever, llm=None, config: AnswerConfig | None = None, rewriter: Rewriter | None = None,
                 term_weights: TermWeights | None = None, model: answerability.Model | None = None,
                 known_places: Collection[str] = (), lexicon: Lexicon | None = None) -> None:
        self._retriever = retriever
        self._places = frozenset(known_places)
        self._terms = term_weights or TermWeights()
        self._lexicon = lexicon or Lexicon()
        if rewriter is None:
            rewriter = Rewriter(llm, known=self._terms.known, lexicon=self._lexicon)
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
        q = check_query(question)
        about_sources = provenance_answer(q, history)  # "哪次会议上说的?": the cited chunks' metadata
        if about_sources is not None:
            yield Delta(about_sources.answer)
            yield about_sources
            return
        yield Delta("正在检索…", stage=True)
        a = self.assess(q, filters, history, top_k)
        standalone, info, hits, ranked, verdict = a.standalone, a.info, a.hits, a.ranked, a.verdict
        yield Delta(f"检索到 {len(hits)} 段，正在挑选句子并核对引用…", stage=True)
        base = Answer(question=q, answer="", answerable=False, mode=self.mode, warnings=a.planted,
                      rewritten_question=standalone if standalone != q else None)
        if not verdict.answerable:
            final = not_found(base, hits, ranked, verdict.reason, self.config.related)
            yield Delta(final.answer)
            yield final
            return
        if self._llm is not None:
            yield from llm_answer(self._llm, base, standalone, info, hits, ranked, self.config)
            return
        final = extractive(base, info, ranked, self.config, a.topic)
        yield Delta(final.answer)
        yield final

    def assess(self, question: str, filters: Filters | None = None, history: Sequence[Answer] = (),
               top_k: int | None = None) -> Assessment:
        """Rewrite, retrieve, score sentences and judge answerability, without writing the answer."""
        q = check_query(question)
        standalone = self._rewriter.rewrite(q, history) if history else q
        info = analyse(standalone, self._places)
        k = top_k or self.config.top_k
        hits = self._retriever.search(standalone, max(k * 3, self.config.compare_k) if info.comparison else k,
                                      filters or Filters())
        hits, planted = drop_planted(hits)  # a chunk instructing the assistant is never evidence
        ranked = self._evidence(hits, info, history, standalone != q)
        topic = topic_term(info, self._terms) if info.comparison else None
        verdict = judge(select(ranked, info, self.config, topic), ranked, info, hits, self._terms, self._model)
        return Assessment(standalone, info, list(hits), ranked, verdict, topic, tuple(planted))

    def _evidence(self, hits: Sequence[Hit], info: QuestionInfo, history: Sequence[Answer],
                  follow_up: bool) -> list[Candidate]:
        cands = candidates(hits, info, self._terms)
        named = self._lexicon.names_of(info.text, LOCAL)
        if named and not info.comparison:  # "…招商投资局…" is answered from that department's chunks
            cands = [c for c in cands if all(n in c.hit.chunk.indexed_text for n in named)] or cands
        if follow_up and history and _MORE.search(info.text):
            said = {c.sentence for c in history[-1].citations}
            cands = [c for c in cands if not any(c.sentence in s for s in said)] or cands
        return score(cands, info, self.config.weights)


def open_answerer(settings, use_llm: bool = True, config: AnswerConfig | None = None) -> Answerer:
    """An Answerer over the index at `settings.index_dir` (see `answerer_for`)."""
    return answerer_for(Retriever.open(settings), settings, use_llm, config)


def answerer_for(retriever, settings=None, use_llm: bool = True, config: AnswerConfig | None = None,
                 model: answerability.Model | None = None) -> Answerer:
    """The one way to build an Answerer on an open Retriever (the CLI, the app, `rag eval` and the
    benches alike): the index's term statistics for term weights, its speeches' first chunks for
    known places and names (no chunk text is read: this scales to millions of chunks), the shipped
    answerability model unless `model` is given (`rag eval --fit` measures others), and the LLM from
    `settings` when configured and `use_llm` (no settings: extractive)."""
    llm = load_llm(settings) if use_llm and settings is not None else None
    heads = retriever.index.speech_heads()
    return Answerer(retriever, llm=llm, config=config, term_weights=TermWeights(stats=retriever.index.term_stats()),
                    model=model, known_places=corpus_places(heads), lexicon=Lexicon.from_chunks(heads))
