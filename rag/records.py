"""Typed records passed between pipeline stages (parse → chunk → index → retrieve → answer)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rag.dates import range_bound
from rag.errors import UsageError


@dataclass(frozen=True)
class Meeting:
    """A meeting (or report session) at which speeches were given."""

    name: str | None
    level: str | None = None  # "市" or "区" (区/县 level); None when the text does not say
    date: str | None = None  # ISO YYYY-MM-DD, or None when the text does not allow it
    publication: str | None = None  # e.g. "重庆日报，2023年10月24日"


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a speech, with its character span [start, end) in the decoded source."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Speech:
    """One speaker's contribution to a meeting, as parsed from one source file."""

    meeting: Meeting
    speaker: str | None  # name without spaces; None when the text names nobody
    speaker_title: str | None  # the post, e.g. "永川区发展改革委党组书记、主任"
    unit: str | None  # the speaking unit, e.g. "永川区发展改革委"
    title: str | None
    paragraphs: tuple[Paragraph, ...]
    source: str  # file name
    index: int = 0  # position of the speech within its source file

    @property
    def speech_id(self) -> str:
        return f"{self.source}:{self.index}"

    def to_json(self) -> dict[str, Any]:
        """The `rag speeches --json` shape."""
        return {
            "source": self.source,
            "meeting": self.meeting.name,
            "meeting_date": self.meeting.date,
            "meeting_level": self.meeting.level,
            "speaker": self.speaker,
            "speaker_title": self.speaker_title,
            "unit": self.unit,
            "title": self.title,
            "paragraphs": [p.text for p in self.paragraphs],
            "offsets": [[p.start, p.end] for p in self.paragraphs],
        }

    def stored_json(self) -> dict[str, Any]:
        """What a store keeps of a speech (both backends): `to_json` plus its index and publication."""
        return {**self.to_json(), "index": self.index, "publication": self.meeting.publication}

    @classmethod
    def from_stored(cls, d: dict[str, Any]) -> "Speech":
        """The inverse of `stored_json`.

        >>> s = Speech(Meeting("全会", "市", "2023-07-28"), "刘佳", None, None, None, (Paragraph("正文。", 0, 3),), "a.txt", 1)
        >>> Speech.from_stored(s.stored_json()) == s
        True
        """
        meeting = Meeting(d["meeting"], d.get("meeting_level"), d.get("meeting_date"), d.get("publication"))
        paragraphs = tuple(Paragraph(t, a, b) for t, (a, b) in zip(d["paragraphs"], d["offsets"]))
        return cls(meeting, d["speaker"], d["speaker_title"], d["unit"], d["title"], paragraphs, d["source"],
                   d.get("index", 0))


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval: a paragraph, or a sentence-aligned window of a long one."""

    chunk_id: str  # "{source}:{speech}:{paragraph}:{part}"
    text: str  # what is displayed and cited
    header: str  # unit · post · speaker | meeting — prepended for embedding and BM25 only
    speaker: str | None
    speaker_title: str | None
    unit: str | None
    meeting: str | None
    meeting_date: str | None
    source: str
    speech_index: int
    paragraph: int
    part: int
    start: int  # character offsets of `text` in the decoded source file
    end: int
    title: str | None = None

    @property
    def indexed_text(self) -> str:
        return f"{self.header}｜{self.text}" if self.header else self.text

    @property
    def speech_id(self) -> str:
        return f"{self.source}:{self.speech_index}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Filters:
    """Metadata filters applied inside retrieval. Empty fields do not filter."""

    speaker: str | None = None
    unit: str | None = None  # substring
    meeting: str | None = None  # substring
    source: str | None = None
    date_from: str | None = None  # ISO, inclusive
    date_to: str | None = None
    exclude_sources: frozenset[str] = frozenset()  # files left out, e.g. uploaded documents

    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    @classmethod
    def parse(cls, speaker: str | None = None, unit: str | None = None, meeting: str | None = None,
              source: str | None = None, date_from: str | None = None, date_to: str | None = None,
              exclude_sources: frozenset[str] = frozenset()) -> "Filters":
        """Filters from text fields, the CLI's options and the app's form alike: blank fields do not
        filter; dates are range bounds (`rag.dates.range_bound`: a day, month or year). A bad date, or
        a start after the end, is a UsageError.

        >>> Filters.parse(speaker=" 林晓 ", date_from="2023", date_to="2023-07")
        Filters(speaker='林晓', unit=None, meeting=None, source=None, date_from='2023-01-01', date_to='2023-07-31', exclude_sources=frozenset())
        >>> Filters.parse(date_from="2024", date_to="2023")
        Traceback (most recent call last):
        ...
        rag.errors.UsageError: 起始日期 2024-01-01 晚于结束日期 2023-12-31 — 请交换两者 (start after end)
        """
        lo, hi = range_bound(date_from, end=False), range_bound(date_to, end=True)
        if lo and hi and lo > hi:
            raise UsageError(f"起始日期 {lo} 晚于结束日期 {hi} — 请交换两者 (start after end)")
        text = [(v or "").strip() or None for v in (speaker, unit, meeting, source)]
        return cls(*text, lo, hi, frozenset(exclude_sources))


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score."""

    chunk: Chunk
    score: float
    # Raw component scores when the chunk was in that ranking (None otherwise): cosine of the best
    # dense model, and BM25. Rank-based fused scores say nothing absolute; these can (answerability).
    dense_score: float | None = None
    bm25_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "chunk_id": c.chunk_id,
            "text": c.text,
            "score": round(float(self.score), 6),
            "speaker": c.speaker,
            "speaker_title": c.speaker_title,
            "unit": c.unit,
            "meeting": c.meeting,
            "meeting_date": c.meeting_date,
            "source": c.source,
            "paragraph": c.paragraph,
            "title": c.title,
            "start": c.start,
            "end": c.end,
        }


@dataclass(frozen=True)
class Citation:
    """A numbered source in an answer: the hit it rests on and the sentence it supports."""

    marker: int
    hit: Hit
    sentence: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"marker": self.marker, **self.hit.to_json(), "sentence": self.sentence}


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    answerable: bool
    citations: tuple[Citation, ...] = ()
    warnings: tuple[str, ...] = ()
    mode: str = "extractive"
    rewritten_question: str | None = None
    related: tuple[Hit, ...] = field(default=())  # nearest passages when not answerable

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "citations": [c.to_json() for c in self.citations],
            "warnings": list(self.warnings),
            "mode": self.mode,
            "rewritten_question": self.rewritten_question,
            "related": [h.to_json() for h in self.related],
        }
