"""Question → Answer, the orchestration: rewrite follow-ups, retrieve, judge answerability, then answer
extractively (rag/answer/compose.py) or with the LLM (rag/answer/llm_answer.py); both end in the citation check.

The extractive answer quotes the best-scoring sentences of the retrieved chunks (rag/answer/evidence.py),
each followed by its marker; the LLM answer is generated from numbered sources and then loses
every claim that fails the citation check (rag/answer/citations.py). Both stream through `Answerer.stream`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace

from rag.answer import answerability
from rag.answer.answerability import Evidence
from rag.answer import constraints
from rag.answer.citations import who
from rag.answer.compose import AnswerConfig, Delta, checked, end_quote, extractive, not_found, select, states_scope, topic_term
from rag.answer.evidence import Candidate, TermWeights, candidates, score, term_match
from rag.answer.injection import drop_planted
from rag.answer.llm import load_llm
from rag.answer.llm_answer import llm_answer
from rag.query_check import check_query
from rag.answer.provenance import catalogue_answer, provenance_answer
from rag.answer.split import entities, sub_questions
from rag.answer.question import QuestionInfo, analyse
from rag.places import corpus_places, place_in
from rag.labels import NOT_FOUND
from rag.records import Answer, Chunk, Citation, Filters, Hit
from rag.retrieve.retriever import Retriever
from rag.answer.rewrite import LOCAL, Lexicon, Rewriter

_MORE = re.compile(r"还|另外|其他|其它|别的|此外")
# A question about what someone said: answered from that speaker's speeches only
_SAID = re.compile(r"讲|说|提|谈|强调|指出|介绍|表示|部署|要求|汇报")
# Words that ask for a post ("担任什么职务", "什么身份"): they name nothing a passage must hold
_ASKS_POST = re.compile(r"担任|任职|职务|职位|身份|岗位|什么职")
# What a question asks a speaker for without naming a topic ("讲了哪些成绩", "说了什么"): no content term
_WHAT_SAID = re.compile(r"讲|说|提|谈|讲了|说了|提到|谈到|成绩|成效|做法|举措|措施|经验|工作|内容|观点|要求|亮点|重点|意见|讲话|发言|体会")


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
    2. a sentence is there to quote, and it states any scope the question sets ("全国") itself (the
       quoted sentences are chosen among those that do: compose.select).
    Then the calibrated model (rag/answer/answerability.py) decides from the evidence features. A refusal
    names the rarest word of the question that no retrieved chunk holds, when there is one.
    """
    if info.places and not any(c.places_ok for c in ranked):
        missing = [p for p in info.places if not any(place_in(p, c.hit.chunk.indexed_text) for c in ranked)]
        return Verdict(False, f"资料中没有提到{'、'.join(missing or info.places)}")
    unnamed = [r for r in info.regions if not any(term_match(r, h.chunk.indexed_text) for h in hits)]
    if unnamed:  # "新疆" in no retrieved passage: another region's figures are no answer
        return Verdict(False, f"资料中没有提到{'、'.join(unnamed)}")
    absent = answerability.absent_terms(info, hits, terms)
    if not chosen:
        if info.scopes and not any(states_scope(c, info) for c in ranked):
            return Verdict(False, f"资料没有{'、'.join(info.scopes)}范围的内容")
        return Verdict(False, f"资料中没有提到{absent[0]}" if absent else "检索到的段落与问题的关键内容不符")
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
    near: tuple[Candidate, ...] = ()  # refused: sentences meeting all but the year asked (another year's data)
    constraints: constraints.Constraints = constraints.Constraints()


class Answerer:
    """Answers questions over one retriever; extractive unless an LLM backend is given."""

    def __init__(self, retriever, llm=None, config: AnswerConfig | None = None, rewriter: Rewriter | None = None,
                 term_weights: TermWeights | None = None, model: answerability.Model | None = None,
                 known_places: Collection[str] = (), lexicon: Lexicon | None = None,
                 heads: Sequence[Chunk] = ()) -> None:
        """`heads`: the first chunk of every speech (the catalogue questions about speakers are answered from)."""
        self._retriever = retriever
        self._heads = tuple(heads)
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
        direct = self.direct(q, filters, history, top_k)  # about the corpus, or one question per entity
        if direct is not None:
            yield Delta(direct.answer)
            yield direct
            return
        yield Delta("正在检索…", stage=True)
        a = self.assess(q, filters, history, top_k)
        yield Delta(f"检索到 {len(a.hits)} 段，正在挑选句子并核对引用…", stage=True)
        base = Answer(question=q, answer="", answerable=False, mode=self.mode, warnings=a.planted,
                      rewritten_question=a.standalone if a.standalone != q else None)
        if a.verdict.answerable and self._llm is not None:
            yield from llm_answer(self._llm, base, a.standalone, a.info, a.hits, a.ranked, self.config)
            return
        final = self.written(base, a)
        yield Delta(final.answer)
        yield final

    def direct(self, question: str, filters: Filters | None = None, history: Sequence[Answer] = (),
               top_k: int | None = None) -> Answer | None:
        """The answer when the question is about the corpus itself (where the previous answer came from;
        a speaker's meetings or posts) or names several places or people ("A和B各…": one sub-question
        each, put together with each citation); None for an ordinary question."""
        q = check_query(question)
        about_sources = provenance_answer(q, history)  # "哪次会议上说的?": the cited chunks' metadata
        if about_sources is not None:
            return about_sources
        standalone = self._rewriter.rewrite(q, history) if history else q
        shown = standalone if standalone != q else None
        about_speaker = catalogue_answer(standalone, self._heads)
        if about_speaker is not None:
            return replace(about_speaker, question=q, rewritten_question=shown)
        regions = analyse(standalone, self._places).regions  # "重庆和甘肃代表团…"
        subs = sub_questions(standalone, entities(standalone, self._places | set(regions), self._lexicon.speakers))
        if not subs:
            return None
        parts = [self.ask(sub, filters, (), top_k) for sub in subs]
        return replace(combined(q, subs, parts, self.mode), rewritten_question=shown)

    def written(self, base: Answer, a: Assessment) -> Answer:
        """The extractive answer of an assessment, or its honest refusal — which quotes another year's
        figure as such when only that exists (「资料中只有2023年的数据：…[1]」)."""
        if a.verdict.answerable:
            return extractive(base, a.info, a.ranked, self.config, a.topic)
        refusal = not_found(base, a.hits, a.ranked, a.verdict.reason, self.config.related)
        if not a.near:
            return refusal
        c = a.near[0]
        year = constraints.other_year(c, a.constraints)
        quote = checked(replace(base, answer=f"资料中只有{year}年的数据：{who(c.hit.chunk)}：{end_quote(c.excerpt)}[1]"),
                        [Citation(1, c.hit, c.sentence)])
        if not quote.citations:
            return refusal
        head = f"{NOT_FOUND}：现有讲话资料没有直接回答这个问题（{a.verdict.reason}）。"
        return replace(quote, answer=head + "\n" + quote.answer, answerable=False, related=refusal.related)

    def assess(self, question: str, filters: Filters | None = None, history: Sequence[Answer] = (),
               top_k: int | None = None) -> Assessment:
        """Rewrite, retrieve, score sentences and judge answerability, without writing the answer."""
        q = check_query(question)
        standalone = self._rewriter.rewrite(q, history) if history else q
        info = analyse(standalone, self._places)
        if _ASKS_POST.search(standalone):  # "韩俊担任什么职务?": the sentence naming 韩俊 answers
            info = replace(info, terms=tuple(t for t in info.terms if not _ASKS_POST.search(t)))
        k = top_k or self.config.top_k
        k = max(k * 3, self.config.compare_k) if info.comparison else k
        filters = filters or Filters()
        speaker = self._speaker_asked(standalone) if not filters.speaker else None
        hits = self._retriever.search(standalone, k, replace(filters, speaker=speaker)) if speaker else []
        if not hits:
            speaker = None
            hits = self._retriever.search(standalone, k, filters)
        hits, planted = drop_planted(hits)  # a chunk instructing the assistant is never evidence
        ranked = self._evidence(hits, info, history, standalone != q)
        if speaker:  # "柳明讲了哪些成绩?": 柳明's own points, from 柳明's speeches only
            ranked = [replace(c, about_speaker=True) for c in ranked]
            info = replace(info, terms=tuple(t for t in info.terms if not _WHAT_SAID.fullmatch(t)))
        topic = topic_term(info, self._terms) if info.comparison else None
        cons = constraints.of(standalone)
        fitting = [c for c in ranked if constraints.satisfies(c, cons)] if cons else ranked
        stating = [c for c in fitting if constraints.states_year(c, cons)]  # "2025年…" before a year-less sentence
        chosen = select(fitting, info, self.config, topic)
        first = select(stating, info, self.config, topic) if cons.years else []
        if first and chosen and first[0].score >= self.config.close_ratio * chosen[0].score:
            chosen, fitting = first, stating  # as good a sentence that states the year itself
        verdict = judge(chosen, ranked, info, hits, self._terms, self._model)
        if speaker and chosen and not info.content:  # nothing asked but what the speaker said
            verdict = Verdict(True)
        near: list[Candidate] = []
        if cons and not chosen:  # nothing meets the year or the kind of figure asked
            near = select([c for c in ranked if constraints.other_year(c, cons)], info, self.config, topic)[:1]
            if near or select(ranked, info, self.config, topic):  # the words are there, not the year or figure
                verdict = Verdict(False, f"资料中没有{constraints.describe(cons, bool(near))}")
        return Assessment(standalone, info, list(hits), fitting, verdict, topic, tuple(planted), tuple(near), cons)

    def _speaker_asked(self, question: str) -> str | None:
        """The corpus speaker a question asks about what they said ("柳明讲了哪些成绩?"), if any."""
        named = [s for s in self._lexicon.speakers if len(s) >= 2 and s in question]
        return max(named, key=len) if named and _SAID.search(question) else None

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


def combined(question: str, subs: Sequence[str], parts: Sequence[Answer], mode: str) -> Answer:
    """Sub-answers put together: one block per sub-question, its markers renumbered after the
    previous blocks' (a refused part says so in one line)."""
    lines: list[str] = []
    citations: list[Citation] = []
    for sub, part in zip(subs, parts):
        offset = len(citations)
        if part.answerable:
            text = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", part.answer)
            lines.append(f"【{sub}】\n{text}")
            citations += [replace(c, marker=c.marker + offset) for c in part.citations]
        else:
            lines.append(f"【{sub}】\n{part.answer.splitlines()[0]}")
    answered = any(p.answerable for p in parts)
    text = "\n".join(lines) if answered else f"{NOT_FOUND}：" + "；".join(
        f"{sub}——{p.answer.splitlines()[0]}" for sub, p in zip(subs, parts))
    return Answer(question=question, answer=text, answerable=answered, citations=tuple(citations), mode=mode,
                  warnings=tuple(w for p in parts for w in p.warnings))


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
                    model=model, known_places=corpus_places(heads), lexicon=Lexicon.from_chunks(heads), heads=heads)
