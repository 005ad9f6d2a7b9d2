"""`rag ask` and `rag chat` as a user runs them, over a real index (real e5 model) of two tiny files."""

from __future__ import annotations

import json

import pytest

from _index_support import run_rag as rag

CITATION_KEYS = {"marker", "chunk_id", "text", "score", "speaker", "speaker_title", "unit", "meeting",
                 "meeting_date", "source", "paragraph"}


@pytest.fixture(scope="module")
def index(built) -> str:
    return str(built / "index")


def test_ask_json(index):
    result = rag("ask", "云溪区一季度规上工业增加值增长多少?", "--json", "--index", index)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) >= {"question", "answer", "answerable", "citations", "warnings", "mode"}
    assert out["answerable"] is True and out["mode"] == "extractive"
    assert "8.6%" in out["answer"] and "[1]" in out["answer"]
    cite = out["citations"][0]
    assert CITATION_KEYS <= set(cite)
    assert cite["marker"] == 1 and cite["speaker"] == "陈国栋" and cite["meeting_date"] == "2023-04-23"
    assert "8.6%" in cite["text"]


def test_ask_plain_prints_answer_then_numbered_sources(index):
    result = rag("ask", "桂山镇协议引资多少?", "--index", index)
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("来源：")
    assert "26亿元" in answer and "[1]" in answer
    assert "[1] 何峰 · 江岸区桂山镇党委书记 · " in sources and "2023-07-28" in sources


def test_ask_not_answerable(index):
    result = rag("ask", "广州市东港区如何发展夜间经济?", "--json", "--index", index)
    out = json.loads(result.stdout)
    assert out["answerable"] is False and out["citations"] == []
    assert out["answer"].startswith("资料中未找到") and "相关但未直接回答" in out["answer"]


def test_ask_reads_questions_from_stdin(index):
    result = rag("ask", "-", "--index", index, stdin="桂山镇协议引资多少?\n\n柳塘镇新增市场主体多少户?\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["question"] for x in lines] == ["桂山镇协议引资多少?", "柳塘镇新增市场主体多少户?"]
    assert "320户" in lines[1]["answer"] and lines[1]["citations"][0]["speaker"] == "林晓"


def test_ask_speaker_filter(index):
    result = rag("ask", "新增市场主体多少户?", "--json", "--speaker", "陈国栋", "--index", index)
    out = json.loads(result.stdout)
    assert {c["speaker"] for c in out["citations"]} <= {"陈国栋"}


def test_chat_rewrites_follow_ups(index):
    result = rag("chat", "--json", "--index", index, stdin="桂山镇协议引资多少?\n那柳塘镇呢?\n")
    assert result.returncode == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert second["question"] == "那柳塘镇呢?"
    assert second["rewritten_question"] == "柳塘镇协议引资多少?"


def test_chat_plain_shows_the_rewritten_question(index):
    result = rag("chat", "--index", index, stdin="桂山镇协议引资多少?\n那柳塘镇呢?\n")
    assert "（改写为：柳塘镇协议引资多少?）" in result.stdout


@pytest.mark.parametrize("args", [
    ("ask", "问题", "--date-from", "2023-02-31"),
    ("ask", "  "),
    ("ask", "问题", "--top-k", "0"),
])
def test_usage_errors_exit_2(index, args):
    result = rag(*args, "--index", index)
    assert result.returncode == 2


def test_missing_index_exit_1_with_hint(tmp_path):
    result = rag("ask", "问题", "--index", str(tmp_path / "nothing"))
    assert result.returncode == 1 and "rag ingest" in result.stderr


def test_configured_but_unreachable_llm_still_answers(index, tmp_path):
    result = rag("ask", "桂山镇协议引资多少?", "--json", "--index", index,
                 env={"RAG_LLM_BASE_URL": "http://127.0.0.1:9/v1", "RAG_LLM_MODEL": "m"})
    out = json.loads(result.stdout)
    assert out["mode"] == "extractive" and "26亿元" in out["answer"]
    assert any("RAG_LLM_BASE_URL" in w for w in out["warnings"])


def test_the_store_option_names_the_index_ingest_wrote(built, backend):
    """`rag ingest --store milvus` then `rag ask --store milvus`: the option wins over RAG_VECTOR_STORE."""
    other = "faiss" if backend == "milvus" else "milvus"
    result = rag("ask", "桂山镇协议引资多少?", "--json", "--index", str(built / "index"), "--store", backend,
                 env={"RAG_VECTOR_STORE": other})
    assert result.returncode == 0, result.stderr
    assert "26亿元" in json.loads(result.stdout)["answer"]
