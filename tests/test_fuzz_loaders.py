"""Fuzz the loaders and the parser (hypothesis): whatever the bytes, only the project's own RagError
comes out, and what does come out chunks without error.

Kept fast for `make test`: small inputs, a fixed example budget, no deadline (the machine is shared).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.chunk import chunk_speeches
from rag.errors import RagError
from rag.parse import load_corpus, load_file
from rag.parse.decode import decode_bytes, parse_json
from rag.parse.documents import check_docx
from rag.parse.parser import parse_text
from rag.parse.records_jsonl import parse_jsonl

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Text that looks like the corpus: speech words, posts, dates, punctuation, odd whitespace and controls.
_PIECES = ["区委书记", "区长", "同志们", "会议", "2023年7月28日", "例会", "。", "，", "：", "\n", "\n\n", " ", "\u3000",
           "“", "”", "（", "）", "一是", "新增", "万元", "12%", "讲话", "\t", "\x00", "\ufeff", "[", "{", "}", "]",
           '"text": ', '"speaker": ', "永川区", "双石镇党委书记 刘佳", "—", "·", "\r\n", "😀"]
corpus_like = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=60).map("".join)


def _only_rag_errors(call, *args):
    try:
        return call(*args)
    except RagError:
        return None


@FUZZ
@given(st.binary(max_size=4096))
def test_decode_any_bytes(data):
    text = _only_rag_errors(decode_bytes, data, "f.txt")
    assert text is None or isinstance(text, str)


@FUZZ
@given(st.one_of(corpus_like, st.text(max_size=300)))
def test_parse_json_any_text(text):
    _only_rag_errors(parse_json, text, "f.jsonl:1")


@FUZZ
@given(st.lists(st.one_of(
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                 max_leaves=40).map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.fixed_dictionaries({"text": corpus_like}, optional={"speaker": st.text(max_size=6), "date": corpus_like})
    .map(lambda v: json.dumps(v, ensure_ascii=False)),
    corpus_like), max_size=8).map("\n".join))
def test_parse_jsonl_any_lines(text):
    result = _only_rag_errors(parse_jsonl, text, "f.jsonl")
    if result is not None:
        chunk_speeches(result[0])


@FUZZ
@given(corpus_like)
def test_parse_text_never_raises_and_chunks(text):
    speeches = _only_rag_errors(parse_text, text, "f.txt", {})
    if speeches:
        chunk_speeches(speeches)


@FUZZ
@given(st.binary(max_size=2048))
def test_docx_header_check_any_bytes(data):
    _only_rag_errors(check_docx, data, "f.docx")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from([".txt", ".md", ".jsonl", ".docx", ".pdf"]),
       st.one_of(st.binary(max_size=2048), corpus_like.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_load_file_any_content_any_type(suffix, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        result = _only_rag_errors(load_file, path)
        if result is not None:
            chunk_speeches(result[0])
        corpus = load_corpus([path])  # the batch entry point never raises for a file
        assert corpus.files or corpus.warnings  # indexed, or a warning says why not
