"""Question → Answer, the orchestration: rewrite follow-ups, retrieve, judge answerability, then answer
extractively (rag/compose.py) or with the LLM (rag/llm_answer.py); both end in the citation check.

The extractive answer quotes the best-scoring sentences of the retrieved chunks (rag/evidence.py),
each followed by its marker; the LLM answer is generated from numbered sources and then loses
every claim that fails the citation check (rag/citations.py). Both stream through `Answerer.stream`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rag.compose import AnswerConfig, Delta, extractive, not_found, select, topic_term
from rag.evidence import Candidate, SentenceVectors, TermWeights, candidates, score
from rag.injection import drop_planted
from rag.llm import load_llm
from rag.llm_answer import llm_answer
from rag.query_check import check_query
from rag.question import QuestionInfo, analyse, place_in
from rag.provenance import provenance_answer
from rag.records import Answer, Filters, Hit
from rag.retrieve import Retriever
from rag.rewrite import LOCAL, Lexicon, Rewriter

_MORE = re.compile(r"还|另外|其他|其它|别的|此外")


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
        self._lexicon = lexicon or Lexicon()
        if rewriter is None:
            rewriter = Rewriter(llm, known=self._terms.known, lexicon=self._lexicon)
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
        q = check_query(question)
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
        hits, planted = drop_planted(hits)  # a chunk instructing the assistant is never evidence
        yield Delta(f"检索到 {len(hits)} 段，正在挑选句子并核对引用…", stage=True)
        ranked = self._evidence(hits, info, history, standalone != q)
        topic = topic_term(info, self._terms) if info.comparison else None
        verdict = judge(select(ranked, info, self.config, topic), ranked, info, self.config)
        base = Answer(question=q, answer="", answerable=False, mode=self.mode, warnings=planted,
                      rewritten_question=standalone if standalone != q else None)
        if not verdict.answerable:
            final = not_found(base, hits, ranked, verdict.reason, self.config.related)
            yield Delta(final.answer)
            yield final
            return
        if self._llm is not None:
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


def open_answerer(settings, use_llm: bool = True, config: AnswerConfig | None = None) -> Answerer:
    """An Answerer over the index at `settings.index_dir` (see `answerer_for`)."""
    return answerer_for(Retriever.open(settings), settings, use_llm, config)


def answerer_for(retriever, settings, use_llm: bool = True, config: AnswerConfig | None = None) -> Answerer:
    """An Answerer on an open Retriever, sharing its embedding model (e5-small when the index has it)
    for sentence scoring and its chunks for term weights, with the LLM from settings when configured
    and `use_llm`."""
    embedders = retriever.embedders
    embedder = embedders.get("e5-small") or next(iter(embedders.values()))
    llm = load_llm(settings) if use_llm else None
    chunks = retriever.index.chunks
    terms = TermWeights([c.indexed_text for c in chunks])
    return Answerer(retriever, embedder, llm=llm, config=config, term_weights=terms,
                    lexicon=Lexicon.from_chunks(chunks))
