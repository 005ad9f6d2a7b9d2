"""The LLM answer path: numbered sources → streamed generation → citation check → Answer.

Falls back to the extractive answer (with a warning) when the model fails or no claim survives
the check, so a configured but broken model never yields an uncited answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from rag.answer.compose import AnswerConfig, Delta, checked, extractive, not_found, select
from rag.answer.citations import check, claims, markers, numbers, strip_markers
from rag.answer.evidence import Candidate
from rag.labels import NOT_FOUND
from rag.answer.llm import ChatLLM, LLMError, Source, answer_messages
from rag.answer.question import QuestionInfo
from rag.records import Answer, Citation, Hit

MAX_TOKENS = 200


def pick_sources(ranked: Sequence[Candidate], n: int, info: QuestionInfo | None = None,
                 config: AnswerConfig | None = None) -> list[Hit]:
    """The chunks holding the best sentences, best first, at most n, each once; for a comparison,
    the chunks of the sentences the extractive answer would quote (one per speaker)."""
    out: list[Hit] = []
    if info is not None and info.comparison and config is not None:
        for c in select(ranked, info, config)[:n]:
            if all(h.chunk.chunk_id != c.hit.chunk.chunk_id for h in out):
                out.append(c.hit)
        if out:
            return out
    for c in ranked:
        if c.places_ok and all(h.chunk.chunk_id != c.hit.chunk.chunk_id for h in out):
            out.append(c.hit)
        if len(out) == n:
            break
    return out


def source_text(hit: Hit, ranked: Sequence[Candidate], limit: int) -> str:
    """The chunk's best sentences (long ones cut to their relevant clauses), best first until
    `limit` characters, shown in reading order: the prompt stays short and keeps the answer in it."""
    own = [c for c in ranked if c.hit.chunk.chunk_id == hit.chunk.chunk_id]
    chosen: list[Candidate] = []
    for c in own:
        if chosen and sum(len(x.excerpt) for x in chosen) + len(c.excerpt) > limit:
            continue
        chosen.append(c)
    text = "".join(c.excerpt for c in sorted(chosen, key=lambda c: c.position))
    return text or hit.chunk.text[:limit]


def supporting_sentence(marker: int, hit: Hit, answer: str, ranked: Sequence[Candidate]) -> str:
    """The sentence of the cited chunk that best supports the claims citing it: most shared numbers, then score."""
    said = [strip_markers(c) for c in claims(answer) if marker in markers(c)]
    wanted = {n for claim in said for n in numbers(claim)}
    own = [c for c in ranked if c.hit.chunk.chunk_id == hit.chunk.chunk_id]
    if not own:
        return hit.chunk.text
    best = max(own, key=lambda c: (sum(n in c.sentence for n in wanted), c.score))
    return best.sentence


def llm_answer(llm: ChatLLM, base: Answer, question: str, info: QuestionInfo, hits: Sequence[Hit],
               ranked: Sequence[Candidate], config: AnswerConfig) -> Iterator[Delta | Answer]:
    n = config.max_groups if info.comparison else config.llm_sources
    limit = config.llm_source_chars
    sources = pick_sources(ranked, n, info, config)
    prompt = [Source(i + 1, h.chunk.speaker, h.chunk.speaker_title or h.chunk.unit, h.chunk.meeting,
                     h.chunk.meeting_date, source_text(h, ranked, limit))
              for i, h in enumerate(sources)]
    pieces: list[str] = []
    gate = CheckedStream(sources)
    try:
        for piece in llm.stream(answer_messages(question, prompt, info.comparison), max_tokens=MAX_TOKENS):
            pieces.append(piece)
            passed = gate.feed(piece)
            if passed:
                yield Delta(passed)
    except LLMError as exc:
        yield _fallback(base, info, ranked, config, f"{exc}；已改用抽取式回答")
        return
    truncated = getattr(llm, "finish_reason", None) == "length"
    rest = gate.close(truncated)
    if rest:
        yield Delta(rest)
    text = "".join(pieces).strip()
    if NOT_FOUND in text and not markers(text):
        yield not_found(base, hits, ranked, "模型判断所给资料不能回答", config.related)
        return
    citations = [Citation(i + 1, h, supporting_sentence(i + 1, h, text, ranked)) for i, h in enumerate(sources)]
    answer = checked(replace(base, answer=text, answerable=True), citations, truncated)
    if not answer.citations:
        yield _fallback(base, info, ranked, config, "LLM 回答没有一句通过引用核对；已改用抽取式回答",
                        answer.warnings)
        return
    yield answer


def _fallback(base: Answer, info: QuestionInfo, ranked: Sequence[Candidate], config: AnswerConfig,
              why: str, earlier: Sequence[str] = ()) -> Answer:
    warnings = tuple(dict.fromkeys((*base.warnings, *earlier, why)))
    return extractive(replace(base, mode="extractive", warnings=warnings), info, ranked, config)


class CheckedStream:
    """Generated text → the claims that pass the citation check, as soon as each is complete.

    Nothing unchecked is shown while the model writes: a claim is released only once the text after
    it has begun (its markers may follow its full stop), and only if `check` keeps it. The final
    answer is still built from the whole text (re-attribution, renumbering), so it may differ.
    """

    def __init__(self, sources: Sequence[Hit]) -> None:
        self._sources = sources
        self._text = ""
        self._line = 0  # the first line not yet finished
        self._released = 0  # claims of that line already checked
        self._shown = False  # whether any claim of that line passed

    def feed(self, piece: str) -> str:
        self._text += piece
        return self._release(final=False)

    def close(self, truncated: bool = False) -> str:
        """The rest once the model has stopped; with `truncated`, an unfinished last claim is dropped."""
        return self._release(final=True, truncated=truncated)

    def _release(self, final: bool, truncated: bool = False) -> str:
        lines = self._text.split("\n")
        out = ""
        while self._line < len(lines):
            finished = final or self._line < len(lines) - 1
            parts = claims(lines[self._line])
            ready = parts if finished else parts[:-1]
            last_line = self._line == len(lines) - 1
            for i, claim in enumerate(ready[self._released:], start=self._released):
                cut = truncated and last_line and i == len(ready) - 1
                kept = check(claim, self._sources, truncated=cut).text
                out += kept
                self._shown = self._shown or bool(kept)
            self._released = max(self._released, len(ready))
            if not finished:
                break
            out += "\n" if self._shown and not final else ""
            self._line, self._released, self._shown = self._line + 1, 0, False
        return out
