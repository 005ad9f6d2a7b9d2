"""`rag similar`: JSON shape, exclusion of the origin's speech, usage errors (retriever stubbed, no model)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.test_similar import CHUNKS, KeywordRetriever


@pytest.fixture
def run(monkeypatch, capsys):
    import rag.retrieve.retriever
    from rag.cli import main

    def fake_open(settings, *args, **kwargs):
        retriever = KeywordRetriever(CHUNKS)
        retriever.index = SimpleNamespace(chunks=CHUNKS, find={c.chunk_id: c for c in CHUNKS}.get)
        return retriever

    monkeypatch.setattr(rag.retrieve.retriever.Retriever, "open", staticmethod(fake_open))

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["rag", "similar", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        out = capsys.readouterr()
        return exit_info.value.code, out.out, out.err

    return invoke


def test_json_output_has_search_hit_fields(run):
    code, out, _ = run(CHUNKS[0].chunk_id, "--json", "--top-k", "3")
    assert code in (0, None)
    data = json.loads(out)
    assert data["origin"] == CHUNKS[0].chunk_id
    assert 0 < len(data["hits"]) <= 3
    hit = data["hits"][0]
    for key in ("chunk_id", "text", "score", "speaker", "unit", "meeting", "meeting_date", "source"):
        assert key in hit
    assert all(not h["chunk_id"].startswith("a.txt:0:") for h in data["hits"])


def test_text_output_groups_by_unit(run):
    code, out, _ = run("亩均效益")
    assert code in (0, None)
    assert "== " in out and "亩均" in out


def test_unknown_chunk_id_is_usage_error(run):
    code, _, err = run("missing.txt:0:0:0")
    assert code == 2 and "missing.txt:0:0:0" in err


def test_bad_top_k_is_usage_error(run):
    code, _, _ = run("亩均", "--top-k", "0")
    assert code == 2
