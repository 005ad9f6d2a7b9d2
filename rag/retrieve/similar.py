"""Similar initiatives: paragraphs from other units and speakers close to a topic or to an indexed chunk.

Retrieval itself is the Retriever's; this module only chooses the query, over-fetches, drops the
origin's own speech/unit/speaker, and summarises where the topic appears (unit × meeting).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rag.errors import UsageError
from rag.labels import UNKNOWN_MEETING, UNKNOWN_UNIT, cell
from rag.query_check import check_query
from rag.records import Chunk, Filters, Hit
from rag.units import hierarchy_key, resolve_chunk

# "{source}:{speech}:{paragraph}:{part}" — the source name itself may contain ':'
_CHUNK_ID = re.compile(r"^.+:\d+:\d+:\d+$")


class SearchesChunks(Protocol):
    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


@dataclass(frozen=True)
class SimilarResult:
    query: str
    origin: Chunk | None  # the chunk asked about, when the argument was a chunk id
    hits: tuple[Hit, ...]

    def groups(self) -> dict[str, list[Hit]]:
        """Hits grouped by (resolved) unit: by district in order of its best hit, the district itself
        before its departments and towns."""
        grouped: dict[str, list[Hit]] = {}
        keys: dict[str, tuple[str, str]] = {}
        for hit in self.hits:
            unit = hit.chunk.unit or cell(UNKNOWN_UNIT)
            grouped.setdefault(unit, []).append(hit)
            keys.setdefault(unit, hierarchy_key(resolve_chunk(hit.chunk)))
        district_rank: dict[str, int] = {}
        for unit in grouped:
            district_rank.setdefault(keys[unit][0], len(district_rank))
        order = sorted(grouped, key=lambda u: (district_rank[keys[u][0]], keys[u][1]))
        return {unit: grouped[unit] for unit in order}

    def overview(self) -> tuple[list[str], list[tuple[str, str | None]], dict[tuple[str, str], int]]:
        """(units, meetings as (name, date), counts[(unit, meeting)]): the units and paragraphs the list
        shows (so never the origin's, and a cell counts exactly the cards listed under its unit and
        meeting); meetings by date."""
        counts: Counter[tuple[str, str]] = Counter()
        units = list(self.groups())
        meetings: dict[str, str | None] = {}
        for hit in self.hits:
            unit = hit.chunk.unit or cell(UNKNOWN_UNIT)
            meeting = hit.chunk.meeting or cell(UNKNOWN_MEETING)
            meetings.setdefault(meeting, hit.chunk.meeting_date)
            counts[(unit, meeting)] += 1
        ordered = sorted(meetings.items(), key=lambda m: (m[1] or "9999", m[0]))
        return units, ordered, dict(counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "origin": self.origin.chunk_id if self.origin else None,
            "hits": [h.to_json() for h in self.hits],
        }


def looks_like_chunk_id(text: str) -> bool:
    """`looks_like_chunk_id('a.txt:0:3:0')` → True; `looks_like_chunk_id('亩均效益')` → False."""
    return bool(_CHUNK_ID.match(text.strip()))


def is_other(hit: Hit, origin: Chunk) -> bool:
    """True when `hit` comes from another speech, unit and speaker than `origin` (unknowns do not match)."""
    c = hit.chunk
    if c.speech_id == origin.speech_id:
        return False
    if origin.unit and c.unit == origin.unit:
        return False
    return not (origin.speaker and c.speaker == origin.speaker)


def find_similar(
    retriever: SearchesChunks,
    text_or_chunk_id: str,
    *,
    get_chunk: Callable[[str], Chunk | None],
    top_k: int = 8,
    filters: Filters | None = None,
    pool_k: int = 40,
) -> SimilarResult:
    """Similar paragraphs for a topic, or for the indexed chunk whose id is given.

    For a chunk id the chunk's own speech, unit and speaker are excluded; an unknown id is a UsageError.
    """
    query = text_or_chunk_id.strip()
    if not query:
        raise UsageError("相似举措需要一个主题或段落编号（chunk_id），例如: rag similar 亩均效益")
    if top_k < 1:
        raise UsageError(f"--top-k 必须大于 0，收到 {top_k}")
    origin = get_chunk(query) if looks_like_chunk_id(query) else None
    if looks_like_chunk_id(query) and origin is None:
        raise UsageError(f"索引中没有段落 {query} — 用 `rag search` 或 `rag similar 主题文字` 查找")
    search_text = origin.text if origin else check_query(query)
    pool = retriever.search(search_text, max(pool_k, top_k * 4), filters or Filters())
    if origin is None:
        hits = pool[:top_k]
    else:
        hits = [h for h in pool if is_other(h, origin)][:top_k]
    return SimilarResult(query=query, origin=origin, hits=tuple(hits))
