"""rag.retrieve.similar on a small in-test corpus with a keyword retriever (no model)."""

from __future__ import annotations

import pytest

from rag.errors import UsageError
from rag.records import Chunk, Filters, Hit
from rag.retrieve.similar import find_similar, is_other, looks_like_chunk_id


def chunk(source: str, speech: int, para: int, text: str, unit: str | None, speaker: str | None,
          meeting: str = "2023年第一季度例会", date: str = "2023-04-23") -> Chunk:
    return Chunk(
        chunk_id=f"{source}:{speech}:{para}:0", text=text, header="", speaker=speaker, speaker_title=None,
        unit=unit, meeting=meeting, meeting_date=date, source=source, speech_index=speech,
        paragraph=para, part=0, start=0, end=len(text),
    )


CHUNKS = [
    chunk("a.txt", 0, 0, "深化亩均效益改革，盘活低效用地", "江岸区", "张三"),
    chunk("a.txt", 0, 1, "亩均效益评价覆盖全部规上企业", "江岸区", "张三"),
    chunk("a.txt", 1, 0, "推进亩均效益综合评价", "江岸区经济信息委", "李四"),
    chunk("b.txt", 0, 0, "开展亩均效益改革试点", "江北区", "王五", "2023年第三季度例会", "2023-10-24"),
    chunk("b.txt", 1, 0, "亩均税收提升百分之十", "云溪区", "张三"),
    chunk("b.txt", 2, 0, "乡村振兴示范村建设", "白河区", "赵六"),
]


class KeywordRetriever:
    """Scores by shared characters; enough to exercise the exclusion and grouping rules."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        self.calls: list[tuple[str, int, Filters | None]] = []

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        self.calls.append((query, k, filters))
        scored = [Hit(c, len(set(query) & set(c.text)) / len(set(query))) for c in self.chunks]
        return sorted((h for h in scored if h.score > 0), key=lambda h: -h.score)[:k]


def lookup(chunk_id: str) -> Chunk | None:
    return next((c for c in CHUNKS if c.chunk_id == chunk_id), None)


def test_chunk_id_shape():
    assert looks_like_chunk_id("000_6c1a.txt:0:3:0")
    assert looks_like_chunk_id("dir:with:colon.txt:1:2:0")
    assert not looks_like_chunk_id("亩均效益")
    assert not looks_like_chunk_id("a.txt:0:3")


def test_topic_returns_top_hits_grouped_by_unit():
    retriever = KeywordRetriever(CHUNKS)
    result = find_similar(retriever, "亩均效益改革", get_chunk=lookup, top_k=3)
    assert result.origin is None
    assert len(result.hits) == 3
    assert retriever.calls[0][0] == "亩均效益改革"
    groups = result.groups()
    assert sum(len(v) for v in groups.values()) == 3
    assert list(groups)[0] == result.hits[0].chunk.unit


def test_chunk_id_excludes_same_speech_unit_and_speaker():
    origin = CHUNKS[0]
    result = find_similar(KeywordRetriever(CHUNKS), origin.chunk_id, get_chunk=lookup, top_k=10)
    assert result.origin == origin
    ids = {h.chunk.chunk_id for h in result.hits}
    assert CHUNKS[1].chunk_id not in ids  # same speech
    assert CHUNKS[4].chunk_id not in ids  # same speaker, other unit
    assert CHUNKS[3].chunk_id in ids and CHUNKS[2].chunk_id in ids
    for hit in result.hits:
        assert is_other(hit, origin)
    assert result.to_json()["origin"] == origin.chunk_id


def test_query_text_of_a_chunk_is_its_text_not_its_id():
    retriever = KeywordRetriever(CHUNKS)
    find_similar(retriever, CHUNKS[3].chunk_id, get_chunk=lookup, top_k=2)
    assert retriever.calls[0][0] == CHUNKS[3].text
    assert retriever.calls[0][1] >= 8  # over-fetch before excluding


def test_filters_are_passed_to_retrieval():
    retriever = KeywordRetriever(CHUNKS)
    find_similar(retriever, "亩均", get_chunk=lookup, filters=Filters(unit="江北"))
    assert retriever.calls[0][2] == Filters(unit="江北")


def test_overview_counts_unit_by_meeting():
    result = find_similar(KeywordRetriever(CHUNKS), "亩均效益", get_chunk=lookup, top_k=5)
    units, meetings, counts = result.overview()
    assert "江北区" in units
    assert [m[1] for m in meetings] == sorted(m[1] for m in meetings)
    assert counts[("江岸区", "2023年第一季度例会")] == 2
    assert counts[("江北区", "2023年第三季度例会")] == 1


def test_overview_shows_only_the_listed_units_and_never_the_origin():
    result = find_similar(KeywordRetriever(CHUNKS), "a.txt:0:0:0", get_chunk=lookup, top_k=2)
    units, _, counts = result.overview()
    assert units == list(result.groups())  # the matrix rows are the list's units
    assert "江岸区" not in units and all(unit in units for unit, _ in counts)


def test_groups_put_a_district_before_its_departments():
    result = find_similar(KeywordRetriever(CHUNKS), "亩均效益改革", get_chunk=lookup, top_k=6)
    order = list(result.groups())
    assert order.index("江岸区") + 1 == order.index("江岸区经济信息委")


@pytest.mark.parametrize("arg", ["", "   "])
def test_empty_argument_is_usage_error(arg):
    with pytest.raises(UsageError):
        find_similar(KeywordRetriever(CHUNKS), arg, get_chunk=lookup)


def test_unknown_chunk_id_is_usage_error():
    with pytest.raises(UsageError, match="nope.txt:0:0:0"):
        find_similar(KeywordRetriever(CHUNKS), "nope.txt:0:0:0", get_chunk=lookup)


def test_bad_top_k_is_usage_error():
    with pytest.raises(UsageError):
        find_similar(KeywordRetriever(CHUNKS), "亩均", get_chunk=lookup, top_k=0)
