"""Honest batch results (issue 23, probe 4): a file or sidecar that cannot be read is a warning and the
rest of the batch is indexed; a batch with nothing to index (only unsupported types, an empty folder, a
symlink loop) warns and exits 1; a `.jsonl` record holding a lone surrogate is a named input error.
No input reaches 「内部错误」.

Tests run as root, where chmod 000 does not stop a read, so the permission error is raised where the
OS would raise it (the `open` of that one file)."""

from __future__ import annotations

import builtins
import io
from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest.pipeline import ingest_paths
from rag.parse import load_file

from _index_support import FILE_A, FILE_B, run_rag


def _deny(monkeypatch, *names: str) -> None:
    """Opening a file with one of these names raises PermissionError, as chmod 000 does for a non-root user."""
    real_open = builtins.open

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and Path(file).name in names:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(io, "open", guarded)


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A, encoding="utf-8")
    (folder / "b.txt").write_text(FILE_B, encoding="utf-8")
    return folder


def test_unreadable_file_is_a_warning_and_the_rest_is_indexed(tmp_path, monkeypatch, embedder):
    folder = _corpus(tmp_path)
    _deny(monkeypatch, "b.txt")
    report = ingest_paths([folder], Settings(index_dir=tmp_path / "index"), embedders=[embedder])
    assert report.sources == ("a.txt",)
    text = "\n".join(report.warnings)
    assert "b.txt" in text and "无法读取" in text and "内部错误" not in text


def test_unreadable_sidecar_is_a_warning_and_the_rest_is_indexed(tmp_path, monkeypatch, embedder):
    folder = _corpus(tmp_path)
    (folder / "b.meta.json").write_text('{"meeting": "例会"}', encoding="utf-8")
    _deny(monkeypatch, "b.meta.json")
    report = ingest_paths([folder], Settings(index_dir=tmp_path / "index"), embedders=[embedder])
    assert report.sources == ("a.txt",)
    assert "b.meta.json" in "\n".join(report.warnings)


def test_unreadable_file_through_the_cli_is_no_internal_error(tmp_path, monkeypatch):
    folder = _corpus(tmp_path)
    _deny(monkeypatch, "a.txt", "b.txt")
    result = run_rag("ingest", str(folder), "--index", str(tmp_path / "index"))
    assert result.returncode == 1 and "内部错误" not in result.stderr
    assert "a.txt" in result.stderr and "无法读取" in result.stderr


@pytest.mark.parametrize("make", ["csv", "empty", "loop"])
def test_nothing_to_index_warns_and_exits_1(tmp_path, make):
    folder = tmp_path / "in"
    folder.mkdir()
    if make == "csv":
        (folder / "table.csv").write_text("年份,GDP\n2023,100\n", encoding="utf-8")
    elif make == "loop":
        (folder / "x.txt").symlink_to(folder / "y.txt")
        (folder / "y.txt").symlink_to(folder / "x.txt")
    target = folder / "x.txt" if make == "loop" else folder
    result = run_rag("ingest", str(target), "--index", str(tmp_path / "index"))
    assert result.returncode == 1, result.stdout
    assert "索引已是最新" not in result.stdout and "内部错误" not in result.stderr
    assert "没有可索引" in result.stderr
    assert {"csv": "table.csv", "empty": "in", "loop": "x.txt"}[make] in result.stderr


def test_nothing_to_index_beside_an_existing_index_also_exits_1(tmp_path):
    folder = _corpus(tmp_path)
    assert run_rag("ingest", str(folder / "b.txt"), "--index", str(tmp_path / "index")).returncode == 0
    (tmp_path / "empty").mkdir()
    result = run_rag("ingest", str(tmp_path / "empty"), "--index", str(tmp_path / "index"))
    assert result.returncode == 1 and "索引已是最新" not in result.stdout and "没有可索引" in result.stderr


def test_unsupported_file_in_a_folder_is_named_while_the_rest_is_indexed(tmp_path, embedder):
    folder = _corpus(tmp_path)
    (folder / "table.csv").write_text("年份,GDP\n", encoding="utf-8")
    report = ingest_paths([folder], Settings(index_dir=tmp_path / "index"), embedders=[embedder])
    assert report.sources == ("a.txt", "b.txt") and "table.csv" in "\n".join(report.warnings)


def test_lone_surrogate_in_a_record_is_a_named_input_error(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"text": "柳塘镇\\ud800新增市场主体。"}\n', encoding="utf-8")
    with pytest.raises(Exception) as err:
        load_file(path)
    assert "r.jsonl" in str(err.value) and type(err.value).__name__ == "InputError"
    result = run_rag("ingest", str(path), "--index", str(tmp_path / "index"))
    assert result.returncode == 1 and "内部错误" not in result.stderr and "r.jsonl:1" in result.stderr
