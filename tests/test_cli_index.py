"""`rag ingest/search/info` as a user runs them: arguments, stdin, JSON shapes, messages and exit codes."""

from __future__ import annotations

import json
import shutil

import pytest


from _index_support import run_rag as rag

HIT_KEYS = {"chunk_id", "text", "score", "speaker", "speaker_title", "unit", "meeting", "meeting_date", "source", "paragraph"}


def test_second_ingest_is_a_no_op(built):
    result = rag("ingest", str(built / "corpus"), "--index", str(built / "index"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["unchanged"] is True and report["embedded"] == 0 and report["total_chunks"] == 6


def test_speeches_lists_an_index_without_its_raw_files(built, tmp_path):
    moved = tmp_path / "index"
    shutil.copytree(built / "index", moved)  # an index copied elsewhere: its raw files are not beside it
    result = rag("speeches", "--index", str(moved), "--json")
    table = rag("speeches", "--index", str(moved))
    assert result.returncode == 0, result.stderr
    speeches = json.loads(result.stdout)
    assert [(s["source"], s["speaker"]) for s in speeches] == [("a.txt", "林晓"), ("a.txt", "何峰"), ("b.txt", "陈国栋")]
    assert table.returncode == 0 and "陈国栋" in table.stdout and "3 篇讲话" in table.stdout
    both = rag("speeches", str(built / "corpus"), "--index", str(built / "index"))
    assert both.returncode == 2


def test_search_json_shape_and_filters(built):
    result = rag("search", "桂山镇协议引资多少亿元？", "--json", "--top-k", "2", index=built / "index")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["query"] == "桂山镇协议引资多少亿元？" and len(data["hits"]) == 2
    assert HIT_KEYS <= set(data["hits"][0]) and data["hits"][0]["speaker"] == "何峰"
    result = rag("search", "桂山镇协议引资", "--json", "--speaker", "陈国栋", "--index", str(built / "index"))
    assert {h["speaker"] for h in json.loads(result.stdout)["hits"]} == {"陈国栋"}
    result = rag("search", "市场主体", "--json", "--unit", "柳塘镇", "--date-from", "2023-07-01",
                 "--date-to", "2023-07-31", "--meeting", "第二季度", "--source", "a.txt", index=built / "index")
    assert {h["speaker"] for h in json.loads(result.stdout)["hits"]} == {"林晓"}


def test_search_reads_queries_from_stdin(built):
    result = rag("search", "-", "--top-k", "1", stdin="桂山镇协议引资\n\n云溪区数字化转型\n", index=built / "index")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["query"] for x in lines] == ["桂山镇协议引资", "云溪区数字化转型"]
    assert [x["hits"][0]["speaker"] for x in lines] == ["何峰", "陈国栋"]


def test_search_plain_text_output(built):
    result = rag("search", "亩均效益", index=built / "index")
    assert result.returncode == 0 and "[1]" in result.stdout and "林晓" in result.stdout


def test_info_json(built, backend):
    result = rag("info", "--json", "--index", str(built / "index"))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["backend"] == backend
    assert info["embedding_model"] == "e5-small" and info["dim"] == 384
    assert (info["chunks"], info["speeches"], info["sources"]) == (6, 3, ["a.txt", "b.txt"])
    assert info["built_at"].endswith("Z")
    checked = rag("info", "--json", "--check", "--index", str(built / "index"))
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["integrity"] == "ok"


def test_missing_index_exit_1_with_hint(tmp_path):
    for args in (("search", "营商环境"), ("info",)):
        result = rag(*args, "--index", str(tmp_path / "none"))
        assert result.returncode == 1
        assert "索引不存在" in result.stderr and "rag ingest" in result.stderr


def test_corrupt_manifest_exit_1_with_hint(tmp_path):
    (tmp_path / "manifest.json").write_text("{oops", encoding="utf-8")
    result = rag("search", "营商环境", "--index", str(tmp_path))
    assert result.returncode == 1 and "rag ingest --rebuild" in result.stderr


def test_usage_errors_exit_2(built):
    assert rag("search", "营商环境", "--date-from", "2023-02-31", index=built / "index").returncode == 2
    assert rag("search", "营商环境", "--top-k", "0", index=built / "index").returncode == 2
    assert rag("search", index=built / "index").returncode == 2


@pytest.mark.slow  # `rag ingest` loads the model before it reads the inputs
def test_missing_input_file_exit_1(tmp_path):
    result = rag("ingest", str(tmp_path / "nope.txt"), "--index", str(tmp_path / "index"))
    assert result.returncode == 1 and "nope.txt" in result.stderr


def test_help_lists_the_commands():
    result = rag("--help")
    assert result.returncode == 0
    assert all(cmd in result.stdout for cmd in ("ingest", "search", "info", "eval"))


@pytest.mark.slow  # `rag ingest` loads the model before it reads the inputs
def test_ingest_of_only_bad_files_says_why_and_writes_nothing(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    result = rag("ingest", str(tmp_path / "empty.txt"), str(tmp_path / "binary.txt"), "--index", str(tmp_path / "idx"))
    assert result.returncode == 1
    assert "empty.txt" in result.stderr and "binary.txt" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "idx" / "manifest.json").exists()
