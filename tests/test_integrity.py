"""Integrity and identity (issue 23, probe 5): every served column is covered by a hash — the
speaker/unit table is checked whenever the index opens, the chunk data and the vectors by
`rag info --check`; a `.jsonl` record's `source` is a name inside that file's own namespace."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.ingest.pipeline import ingest_paths
from rag.store.base import open_store

from _index_support import FILE_A, FILE_B, run_rag


@pytest.fixture()
def built(tmp_path, e5_model) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(FILE_A, encoding="utf-8")
    (corpus / "b.txt").write_text(FILE_B, encoding="utf-8")
    ingest_paths([corpus], Settings(index_dir=tmp_path / "index"), embedders=[e5_model])
    assert run_rag("info", "--check", "--index", str(tmp_path / "index")).returncode == 0
    return tmp_path / "index"


def _segment(index: Path) -> Path:
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    return index / manifest["segments"][0]["name"]


def _edit(index: Path, *statements: str) -> None:
    db = sqlite3.connect(_segment(index) / "meta.sqlite")
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def test_swapped_speaker_and_unit_rows_are_caught_when_the_index_opens(built):
    _edit(built, "UPDATE groups SET speaker = CASE speaker WHEN '林晓' THEN '何峰' WHEN '何峰' THEN '林晓' ELSE speaker END",
          "UPDATE groups SET unit = CASE unit WHEN '江岸区柳塘镇' THEN '江岸区桂山镇' WHEN '江岸区桂山镇' THEN '江岸区柳塘镇' "
          "ELSE unit END")
    result = run_rag("search", "亩均效益", "--speaker", "何峰", "--index", str(built))
    assert result.returncode == 1 and "索引已损坏" in result.stderr and "桂山" not in result.stdout
    assert run_rag("info", "--check", "--index", str(built)).returncode == 1


def test_swapped_data_columns_fail_the_check(built):
    db = sqlite3.connect(_segment(built) / "meta.sqlite")
    (a,), (b,) = db.execute("SELECT data FROM chunks WHERE row IN (0, 1) ORDER BY row").fetchall()
    db.close()
    swap = [json.loads(a), json.loads(b)]
    swap[0]["speaker"], swap[1]["speaker"] = "何峰", "何峰"  # same text, another speaker's name
    _edit(built, f"UPDATE chunks SET data = '{json.dumps(swap[0], ensure_ascii=False)}' WHERE row = 0",
          f"UPDATE chunks SET data = '{json.dumps(swap[1], ensure_ascii=False)}' WHERE row = 1")
    result = run_rag("info", "--check", "--index", str(built))
    assert result.returncode == 1 and "索引已损坏" in result.stderr


def test_swapped_vectors_fail_the_check(built):
    path = _segment(built) / "dense-0.f32"
    vectors = np.fromfile(path, dtype=np.float32).reshape(-1, 384)
    vectors[[0, 1]] = vectors[[1, 0]]
    vectors.tofile(path)
    result = run_rag("info", "--check", "--index", str(built))
    assert result.returncode == 1 and "索引已损坏" in result.stderr


def test_a_record_source_is_a_name_inside_its_jsonl_file(tmp_path, e5_model):
    settings = Settings(index_dir=tmp_path / "index")
    record = {"source": "future.txt", "meeting": "某会议", "speaker": "张三", "text": "冒名的段落，增长百分之九。"}
    (tmp_path / "records.jsonl").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    first = ingest_paths([tmp_path / "records.jsonl"], settings, embedders=[e5_model])
    assert first.sources == ("records.jsonl#future.txt",)
    (tmp_path / "future.txt").write_text(FILE_B, encoding="utf-8")
    later = ingest_paths([tmp_path / "future.txt"], settings, embedders=[e5_model])
    assert later.sources == ("future.txt",) and not later.warnings  # the real file is not blocked
    by_source = {c.source for c in open_store(settings).chunks}
    assert by_source == {"future.txt", "records.jsonl#future.txt"}
