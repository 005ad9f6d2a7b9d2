"""Speech → Chunk list: one chunk per paragraph; long paragraphs become sentence-aligned windows.

Owns the splitting rules and the retrieval header only; embedding and indexing live elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from rag.parse.parser import PARSER_VERSION
from rag.records import Chunk, Paragraph, Speech
from rag.units import resolved_speech
from rag.zh import CLOSING_QUOTES, SENTENCE_ENDS

# The text pipeline's version (parser and the chunking rules below): an index built by another is
# rebuilt, never mixed. Bump the second number when the rules below or the BM25 tokens change.
CHUNKER_VERSION = f"p{PARSER_VERSION}-c6"  # c5: units resolved (rag/units.py), endless sentences cut (MAX_SENTENCE_CHARS); c6: fragment ends from rag.zh


def index_versions() -> dict[str, int | str]:
    """The versions an index records at commit and a reader requires (rag.errors.check_versions): a
    change to either means the stored chunks are not what this code would make."""
    return {"parser_version": PARSER_VERSION, "chunker_version": CHUNKER_VERSION}


# A paragraph up to this long stays whole; longer ones are windowed. Windows of 512 (the models' window)
# were measured against it on long passages and rejected on the seeds' tune part: e5 and the fusion
# fell there (docs/LONG_PASSAGES.md).
MAX_CHARS = 300
MIN_TAIL = 60  # a last window adding fewer new characters than this merges into the previous one
TINY_PARAGRAPH = 20  # shorter paragraphs not ending a sentence (headings, "各位代表：") join the next one
# A "sentence" longer than this has no end (a table dump, a page without punctuation) and is cut
# into pieces of at most this many characters, at the last comma or space before the limit when there
# is one. 512 = the embedding models' window (512 tokens; a Chinese character is about one token),
# so no piece is silently truncated by the model; the longest real sentence seen in seeds/, the genre
# documents and CMRC is 483 characters, so real sentences are never cut.
MAX_SENTENCE_CHARS = 512

_SENTENCE_END = re.compile(f"[{SENTENCE_ENDS}]+[{CLOSING_QUOTES}]*|\n")
_SOFT_BREAK = re.compile(r"[，,、：:\s]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans [start, end) covering `text`; a sentence ends after 。！？； (and closing quotes)
    or before a newline. Newlines belong to no sentence.

    >>> sentence_spans("一是甲。二是乙！丙")
    [(0, 4), (4, 8), (8, 9)]
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start() if m.group() == "\n" else m.end()
        if end > start:
            spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [piece for span in spans for piece in _cut_endless(text, span)]


def _cut_endless(text: str, span: tuple[int, int], limit: int = MAX_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """A span longer than `limit` as pieces of at most `limit`, each ending after the last soft break
    (comma, colon, space) in its second half when there is one.

    >>> _cut_endless("甲乙，丙丁戊己庚", (0, 8), limit=4)
    [(0, 3), (3, 7), (7, 8)]
    """
    start, end = span
    pieces = []
    while end - start > limit:
        cut = start + limit
        soft = [m.end() for m in _SOFT_BREAK.finditer(text, start + limit // 2, cut)]
        cut = soft[-1] if soft else cut
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def windows(text: str, max_chars: int = MAX_CHARS, min_tail: int = MIN_TAIL, overlap: int = 1) -> list[tuple[int, int]]:
    """Sentence-aligned windows [start, end) over `text`, consecutive windows sharing `overlap` sentences.

    Text up to `max_chars` is one window; a single sentence longer than `max_chars` stays whole.

    >>> windows("甲甲。乙乙。丙丙。", max_chars=6, min_tail=0)
    [(0, 6), (3, 9)]
    """
    spans = sentence_spans(text)
    if len(text) <= max_chars or len(spans) <= 1:
        return [(0, len(text))] if text else []
    out: list[tuple[int, int]] = []
    i = 0
    while True:
        j = i + 1
        while j < len(spans) and spans[j][1] - spans[i][0] <= max_chars:
            j += 1
        if out and j == len(spans) and spans[-1][1] - out[-1][1] < min_tail:
            out[-1] = (out[-1][0], spans[-1][1])  # tiny tail: extend the previous window
            break
        out.append((spans[i][0], spans[j - 1][1]))
        if j == len(spans):
            break
        i = j - overlap if j - overlap > i else j  # the overlap, unless that would not advance
    return out


def header(speech: Speech) -> str:
    """The retrieval header: unit · post · speaker | meeting.

    Paragraphs rarely repeat their own unit while questions name it, so it is indexed with every chunk.
    """
    post = speech.speaker_title or ""
    who = " ".join(x for x in (post, speech.speaker or "") if x)
    if speech.unit and speech.unit not in who:
        who = f"{speech.unit} {who}".strip()
    return "｜".join(x for x in (who, speech.meeting.name or "") if x)


@dataclass(frozen=True)
class _Group:
    """Consecutive paragraphs indexed as one text: an anchor paragraph plus tiny neighbours."""

    anchor: int
    members: tuple[int, ...]


def _groups(paragraphs: tuple[Paragraph, ...], tiny: int) -> list[_Group]:
    groups: list[_Group] = []
    pending: list[int] = []
    for i, p in enumerate(paragraphs):
        pending.append(i)
        if not _is_fragment(p.text, tiny):
            groups.append(_Group(i, tuple(pending)))
            pending = []
    if pending and groups:
        last = groups[-1]
        groups[-1] = _Group(last.anchor, last.members + tuple(pending))
    elif pending:
        groups.append(_Group(pending[0], tuple(pending)))
    return groups


def _is_fragment(text: str, tiny: int) -> bool:
    """A heading or salutation: short and not a finished sentence.

    >>> _is_fragment("各位代表：", 20), _is_fragment("新增市场主体320户。", 20)
    (True, False)
    """
    text = text.strip()
    return len(text) < tiny and not (text and text[-1] in SENTENCE_ENDS + CLOSING_QUOTES)


def _source_offset(paragraphs: list[Paragraph], local: int, is_end: bool) -> int:
    """Map an offset in the "\\n"-joined group text to the decoded source.

    Exact when a paragraph's text is a verbatim slice of the source; proportional when the parser
    normalised it (joined broken lines, dropped spaces).
    """
    pos = 0
    for k, p in enumerate(paragraphs):
        n = len(p.text)
        inside = pos <= local < pos + n or (is_end and local == pos + n)
        if inside or k == len(paragraphs) - 1:
            x = min(max(local - pos, 0), n)
            span = p.end - p.start
            return p.start + (x if span == n else round(x * span / max(n, 1)))
        pos += n + 1
    return paragraphs[-1].end if paragraphs else 0


def chunk_speech(speech: Speech, max_chars: int = MAX_CHARS, tiny: int = TINY_PARAGRAPH, overlap: int = 1) -> list[Chunk]:
    """The chunks of one speech, in reading order; the unit is resolved against the meeting (rag/units.py)."""
    speech = resolved_speech(speech)
    head = header(speech)
    chunks: list[Chunk] = []
    for group in _groups(speech.paragraphs, tiny):
        paras = [speech.paragraphs[i] for i in group.members]
        text = "\n".join(p.text for p in paras)
        for part, (a, b) in enumerate(windows(text, max_chars, overlap=overlap)):
            chunks.append(Chunk(
                chunk_id=f"{speech.source}:{speech.index}:{group.anchor}:{part}",
                text=text[a:b], header=head,
                speaker=speech.speaker, speaker_title=speech.speaker_title, unit=speech.unit,
                meeting=speech.meeting.name, meeting_date=speech.meeting.date,
                source=speech.source, speech_index=speech.index,
                paragraph=group.anchor, part=part,
                start=_source_offset(paras, a, False), end=_source_offset(paras, b, True),
                title=speech.title,
            ))
    return chunks


def chunk_speeches(speeches: Iterable[Speech], max_chars: int = MAX_CHARS) -> list[Chunk]:
    """All chunks of all speeches; ids are unique as long as (source, speech index) pairs are."""
    return [c for s in speeches for c in chunk_speech(s, max_chars)]
