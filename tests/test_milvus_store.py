"""The Milvus backend on embedded milvus-lite: incremental ingest, replacing and re-reading a source,
filter expressions, and the errors a user can act on. (Search behaviour shared with FAISS is tested
on both backends in test_retrieve.py and the CLI tests.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # milvus-lite starts a server process for each connection

from _index_support import FILE_A, FILE_B, CountingEmbedder, HashEmbedder
from rag.store.keyword import Tokenizer, user_terms
from rag.config import Settings
from rag.errors import IndexCorruptError, IndexMissingError
from rag.ingest.pipeline import ingest_paths
from rag.store.milvus.schema import field_name, filter_expr, is_local, segmented
from rag.store.milvus.store import MilvusStore
from rag.records import Chunk, Filters
from rag.store.base import open_store


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """Two files ingested into milvus-lite, then a third added, then the first changed."""
    root = tmp_path_factory.mktemp("milvus")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(FILE_A, encoding="utf-8")
    (corpus / "b.txt").write_text(FILE_B, encoding="utf-8")
    settings = Settings(index_dir=root / "index", embed_model="e5-small", vector_store="milvus")
    e5 = CountingEmbedder(HashEmbedder())
    reports = [ingest_paths([corpus], settings, embedders=[e5])]
    reports.append(ingest_paths([corpus], settings, embedders=[e5]))
    (corpus / "c.txt").write_text(FILE_B.replace("云溪区", "长寿区").replace("陈国栋", "赵世庆"), encoding="utf-8")
    before_add = e5.passages
    reports.append(ingest_paths([corpus], settings, embedders=[e5]))
    added_embeddings = e5.passages - before_add
    changed = FILE_A.replace("桂山镇完成老旧小区改造4个，惠及居民860户。", "桂山镇完成老旧小区改造6个，惠及居民1200户。")
    (corpus / "a.txt").write_text(changed, encoding="utf-8")
    before_change = e5.passages
    reports.append(ingest_paths([corpus], settings, embedders=[e5]))
    return settings, reports, added_embeddings, e5.passages - before_change


def test_ingest_is_incremental_by_file(ingested):
    _, (first, again, added, changed), added_embeddings, changed_embeddings = ingested
    assert first.total_chunks == 6 and first.embedded == 6
    assert again.unchanged and again.embedded == 0
    assert added.sources == ("c.txt",) and added.added == 2 and added_embeddings == 2 and added.total_chunks == 8
    assert changed.sources == ("a.txt",) and changed.removed == 4 and changed.added == 4
    assert changed_embeddings == 1 and changed.reused == 7 and changed.total_chunks == 8


def test_replaced_source_answers_with_its_new_text_only(ingested):
    settings = ingested[0]
    store = open_store(settings)
    rows, _ = store.keyword_search("老旧小区改造", 10)
    texts = [store.chunk(r).text for r in rows]
    assert any("1200户" in t for t in texts) and not any("860户" in t for t in texts)
    assert len({c.chunk_id for c in store.chunks}) == len(store.chunks) == 8
    assert {s.speaker for s in store.speeches()} == {"林晓", "何峰", "陈国栋", "赵世庆"}
    info = store.info()
    assert info["backend"] == "milvus" and info["sources"] == ["a.txt", "b.txt", "c.txt"]
    assert set(store.manifest["inputs"]) == {str(p.resolve()) for p in (Path(settings.index_dir).parent / "corpus").iterdir()}
    found = store.find("c.txt:0:0:0")
    assert found is not None and found.speaker == "赵世庆" and store.find("nope:0:0:0") is None
    q = HashEmbedder().encode_queries(["长寿区数字化转型"])[0]
    rows, scores = store.dense_search("e5-small", q, 3, Filters(source="c"))
    assert {store.chunk(r).source for r in rows} == {"c.txt"} and 0 < scores[0] <= 1.0001
    rows, _ = store.dense_search("e5-small", q, 3, Filters(exclude_sources=frozenset({"c.txt"})))
    assert len(rows) and "c.txt" not in {store.chunk(r).source for r in rows}  # e.g. uploads left out


def test_filter_expressions_follow_the_faiss_semantics():
    assert filter_expr(None) == "" and filter_expr(Filters()) == ""
    expr = filter_expr(Filters(unit='柳塘"镇', meeting="50%_", source="a.txt", date_to="2023-05-01"))
    assert 'unit like "%柳塘\\"镇%" or speaker_title like "%柳塘\\"镇%"' in expr
    assert 'meeting like "%50\\\\%\\\\_%"' in expr  # % and _ in the user's text are literal
    assert '(source == "a.txt" or source_stem == "a.txt")' in expr and 'meeting_date <= "2023-05-01"' in expr
    assert filter_expr(Filters(exclude_sources=frozenset({"b.md", "a.txt"}))) == '(source not in ["a.txt", "b.md"])'
    excluded = filter_expr(Filters(exclude_sources=frozenset({'上传"1.txt', "b.txt"})))
    assert excluded == '(source not in ["b.txt", "上传\\"1.txt"])'  # an uploaded file's name is quoted too
    assert field_name("m3e-small") == "v_m3e_small"
    assert is_local("./zhengyan.db") and not is_local("http://milvus:19530")


def test_a_second_process_on_the_same_lite_file_is_told_what_to_do(ingested):
    import subprocess
    import sys

    uri = ingested[0].index_dir / "zhengyan.db"
    code = ("from rag.store.milvus.store import MilvusStore\n"
            f"MilvusStore.connect({str(uri)!r})")
    holder = MilvusStore.connect(str(uri))  # this process holds the milvus-lite lock
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    finally:
        holder.close()
    assert result.returncode != 0 and "milvus-lite server" in result.stderr


def test_missing_collection_is_refused_and_rebuild_recreates(tmp_path, ingested):
    with pytest.raises(IndexMissingError, match="rag ingest"):
        open_store(Settings(index_dir=tmp_path, vector_store="milvus"))
    settings = ingested[0]
    e5 = CountingEmbedder(HashEmbedder())
    report = ingest_paths([Path(settings.index_dir).parent / "corpus"], settings, rebuild=True, embedders=[e5])
    assert report.total_chunks == 8 and e5.passages == 0  # vectors from the local embedding cache
    assert open_store(settings).info()["sources"] == ["a.txt", "b.txt", "c.txt"]


def test_verify_catches_a_lost_row(tmp_path):
    """`verify()` (what `rag info --check` and every writer run) checks each source's rows against the
    fingerprint its commit recorded."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(FILE_A, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", embed_model="e5-small", vector_store="milvus")
    ingest_paths([corpus], settings, embedders=[HashEmbedder()])
    store = open_store(settings, verify=True)
    store._client.delete(store._chunks, filter='chunk_id == "a.txt:0:1:0"')
    with pytest.raises(IndexCorruptError, match="a.txt: 3 rows") as damaged:
        open_store(settings, verify=True)
    assert damaged.value.location.endswith("_chunks")
    store.close()


def _chunk(source: str, text: str, unit: str) -> Chunk:
    return Chunk(chunk_id=f"{source}:0:0:0", text=text, header=unit, speaker=None, speaker_title=None, unit=unit,
                 meeting="例会", meeting_date=None, source=source, speech_index=0, paragraph=0, part=0, start=0,
                 end=len(text))


def test_two_writers_at_once_segment_as_one_process(tmp_path):
    """Each ingest worker knows only its own files' dictionary terms when it writes; the commits re-segment
    rows holding terms learnt meanwhile, so every row ends as one process would have segmented it."""
    first = _chunk("a.txt", "今年桂溪湾新城完成投资12亿元，桂溪湾新城路网基本成形。", "江岸区发展改革委")
    second = _chunk("b.txt", "推进“桂溪湾新城”建设，引进项目8个。", "江岸区桂溪湾新城管委会")
    alone, together = Tokenizer(user_terms([first])), Tokenizer(user_terms([first, second]))
    assert alone(first.indexed_text) != together(first.indexed_text)  # the second file's term changes the first
    settings = Settings(index_dir=tmp_path / "index", embed_model="e5-small", vector_store="milvus")
    a = MilvusStore.create(settings, [("e5-small", 384)], replace=True)
    b = MilvusStore(a._client, a.uri, a.prefix)  # a second writer on the same collections
    vectors = {"e5-small": np.full((1, 384), 384 ** -0.5, np.float32)}
    a.add([first], vectors)
    b.add([second], vectors)  # both write before either commits: neither knows the other's terms
    a.commit({"source_files": {"a.txt": "a.txt"}, "inputs": {"a.txt": "1"}})
    b.commit({"source_files": {"b.txt": "b.txt"}, "inputs": {"b.txt": "2"}})
    assert b.resegmented == 1  # the first file's row, which lacked “桂溪湾新城”
    rows = a._client.query(a._chunks, filter="", output_fields=["source", "terms"], limit=10)
    assert {r["source"]: r["terms"] for r in rows} == {
        c.source: segmented(together(c.indexed_text)) for c in (first, second)}
    hits, _ = a.keyword_search("桂溪湾新城", 5)
    assert len(hits) == 2
    a.close()
