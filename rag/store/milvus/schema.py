"""The Milvus backend's collections as data: schema, field names, row encoding, filter expressions.

Pure functions and constants (no connection state); `rag/store/milvus/store.py` uses them against a client.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from rag.store.keyword import Tokenizer
from rag.errors import InputError
from rag.records import Chunk, Filters

TEXT_MAX_BYTES = 65_535  # Milvus's VARCHAR limit
META_MAX_BYTES = 4_096
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults, which the FAISS backend uses (Milvus's own k1 is 1.2)
# HNSW on a server (the FAISS backend's graph parameters); milvus-lite searches exactly (FLAT), as the
# FAISS backend does below its ANN threshold, so that rankings can be compared one to one.
HNSW_PARAMS = {"M": 32, "efConstruction": 80}
HNSW_EF = 128
# The analyzer of the pre-segmented `terms` field (see rag/store/milvus/store.py): it only has to split on
# spaces. `whitespace` where the server has it; milvus-lite has only `standard` (split on non-word
# characters), which gives the same tokens since each token is made of word characters.
WHITESPACE = {"tokenizer": "whitespace"}
STANDARD = {"tokenizer": "standard"}
_NON_WORD = re.compile(r"\W")
SCALAR_FIELDS = ("chunk_id", "header", "text", "speaker", "speaker_title", "unit", "meeting", "meeting_date",
                 "source", "title")
INT_FIELDS = ("speech_index", "paragraph", "part", "start", "end")


def row_key(chunk_id: str, batch: int) -> int:
    """The int64 primary key of one chunk as written by one batch (63 bits of SHA-1: no coordination
    between workers is needed, and a collision among 100M keys has probability ~5e-4, checked on add)."""
    return int.from_bytes(hashlib.sha1(f"{chunk_id}\0{batch}".encode()).digest()[:8], "big") >> 1


def field_name(model: str) -> str:
    """The vector field of one embedding model ("e5-small" → "v_e5_small").

    >>> field_name("e5-small"), field_name("BAAI/bge-m3")
    ('v_e5_small', 'v_baai_bge_m3')
    """
    return "v_" + re.sub(r"\W+", "_", model.lower()).strip("_")


def quote(value: str) -> str:
    """A Milvus string literal.

    >>> quote('a"b\\\\c')
    '"a\\\\"b\\\\\\\\c"'
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def like_substring(value: str) -> str:
    """A `like` pattern matching `value` anywhere (its own % and _ escaped)."""
    return quote("%" + re.sub(r"([%_\\])", r"\\\1", value) + "%")


def token_expr(token: str) -> str:
    """Rows whose `terms` hold this one token (a scan: Milvus exposes no document frequencies).

    >>> token_expr("亩均")
    '(terms == "亩均" or terms like "亩均 %" or terms like "% 亩均" or terms like "% 亩均 %")'
    """
    word = segmented([token])
    like = re.sub(r"([%_\\])", r"\\\1", word)
    return f"(terms == {quote(word)} or " + " or ".join(f"terms like {quote(p)}" for p in
                                                          (f"{like} %", f"% {like}", f"% {like} %")) + ")"


def segmented(tokens: Sequence[str]) -> str:
    """Tokens as the `terms` field holds them: word characters only, joined by spaces.

    >>> segmented(["亩均效益", "6.3%", "gdp"])
    '亩均效益 6_3_ gdp'
    """
    return " ".join(_NON_WORD.sub("_", t) for t in tokens)


def filter_expr(f: Filters | None) -> str:
    """The Milvus boolean expression with `rag.store.faiss.index.filter_sql`'s semantics ("" = no filter).

    >>> filter_expr(Filters(speaker="王 志杰", date_from="2023-01-01"))
    '(speaker == "王志杰") and (meeting_date >= "2023-01-01")'
    >>> filter_expr(Filters(exclude_sources=frozenset({"上传/b.txt", "a.txt"})))
    '(source not in ["a.txt", "上传/b.txt"])'
    """
    if f is None or f.is_empty():
        return ""
    parts = []
    if f.speaker:
        parts.append(f"speaker == {quote(f.speaker.replace(' ', ''))}")
    if f.unit:
        parts.append(f"unit like {like_substring(f.unit)} or speaker_title like {like_substring(f.unit)}")
    if f.meeting:
        parts.append(f"meeting like {like_substring(f.meeting)}")
    if f.source:
        parts.append(f"source == {quote(f.source)} or source_stem == {quote(f.source)}")
    if f.exclude_sources:
        parts.append(f"source not in [{', '.join(map(quote, sorted(f.exclude_sources)))}]")
    if f.date_from:  # null dates compare false: undated chunks fail a date filter
        parts.append(f"meeting_date >= {quote(f.date_from)}")
    if f.date_to:
        parts.append(f"meeting_date <= {quote(f.date_to)}")
    return " and ".join(f"({p})" for p in parts)


def is_local(uri: str) -> bool:
    """A milvus-lite file path rather than a server address."""
    return not re.match(r"^(https?|tcp|grpc)://", uri)


def chunk_row(c: Chunk, batch: int, vectors: Mapping[str, np.ndarray], i: int, tokenizer: Tokenizer) -> dict[str, Any]:
    """The row of chunk `c` (row `i` of each model's `vectors`) as written by one batch."""
    for name in ("text", "header"):
        if len(getattr(c, name).encode("utf-8")) > TEXT_MAX_BYTES - 16:
            raise InputError(f"段落过长，超出 Milvus 字段上限 {TEXT_MAX_BYTES} 字节: {c.chunk_id} — 检查该文件的分段 "
                             "(chunk too long for a Milvus VARCHAR)")
    row: dict[str, Any] = {"id": row_key(c.chunk_id, batch), "batch": batch,
                           "source_stem": Path(c.source).stem, "terms": segmented(tokenizer(c.indexed_text))}
    row.update({k: clip(getattr(c, k)) if k not in ("text", "header") else getattr(c, k) for k in SCALAR_FIELDS})
    row.update({k: int(getattr(c, k)) for k in INT_FIELDS})
    for model, array in vectors.items():
        row[field_name(model)] = np.asarray(array[i], dtype=np.float32).tolist()
    return row


def terms_analyzer(client, local: bool) -> dict[str, str]:
    """WHITESPACE if the server tokenizes with it (asked with run_analyzer), else STANDARD (milvus-lite,
    whose server does not implement run_analyzer; an old Milvus server would split Chinese into
    characters with STANDARD: use a current one)."""
    if local:
        return STANDARD
    import grpc
    from pymilvus.exceptions import MilvusException

    try:
        tokens = client.run_analyzer(["甲乙 6_3_"], analyzer_params=WHITESPACE)
    except (MilvusException, grpc.RpcError):  # milvus-lite's server: UNIMPLEMENTED
        return STANDARD
    return WHITESPACE if "甲乙" in str(tokens) else STANDARD


def create_collections(client, names: tuple[str, str, str], models: list[dict[str, Any]], local: bool,
                       record: dict[str, Any], record_key: str) -> None:
    """Create the chunks, speeches and meta collections (`names`), the meta one last with `record` in it:
    its presence says the others are complete. One FLOAT_VECTOR field per model ({name, field, dim})."""
    from pymilvus import DataType, Function, FunctionType

    chunks, speeches, meta = names
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("batch", DataType.INT64)
    schema.add_field("terms", DataType.VARCHAR, max_length=TEXT_MAX_BYTES, enable_analyzer=True,
                     analyzer_params=terms_analyzer(client, local))
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25_of_terms", function_type=FunctionType.BM25,
                                 input_field_names=["terms"], output_field_names=["bm25"]))
    for name in SCALAR_FIELDS:
        size = TEXT_MAX_BYTES if name in ("text", "header") else META_MAX_BYTES
        schema.add_field(name, DataType.VARCHAR, max_length=size, nullable=name not in ("chunk_id", "text", "header", "source"))
    schema.add_field("source_stem", DataType.VARCHAR, max_length=META_MAX_BYTES)
    for name in INT_FIELDS:
        schema.add_field(name, DataType.INT64)
    for m in models:
        schema.add_field(m["field"], DataType.FLOAT_VECTOR, dim=m["dim"])
    index = client.prepare_index_params()
    index.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                    params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    for m in models:
        if local:
            index.add_index(m["field"], index_type="FLAT", metric_type="IP")
        else:
            index.add_index(m["field"], index_type="HNSW", metric_type="IP", params=HNSW_PARAMS)
    for name in ("source", "speaker", "chunk_id"):
        index.add_index(name, index_type="INVERTED")
    client.create_collection(chunks, schema=schema, index_params=index, consistency_level="Strong")

    for name, fields in ((speeches, [("speech_id", 1024), ("source", META_MAX_BYTES)]),):
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.INT64, is_primary=True)
        s.add_field("batch", DataType.INT64)
        for fname, size in fields:
            s.add_field(fname, DataType.VARCHAR, max_length=size)
        s.add_field("data", DataType.JSON)
        s.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field; unused
        ip = client.prepare_index_params()
        ip.add_index("v", index_type="FLAT", metric_type="L2")
        client.create_collection(name, schema=s, index_params=ip, consistency_level="Strong")

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=META_MAX_BYTES)
    s.add_field("data", DataType.JSON)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    ip = client.prepare_index_params()
    ip.add_index("v", index_type="FLAT", metric_type="L2")
    client.create_collection(meta, schema=s, index_params=ip, consistency_level="Strong")
    client.insert(meta, [{"key": record_key, "v": [0.0, 0.0], "data": record}])
    client.flush(meta)


def clip(value: str | None) -> str | None:
    """A metadata value cut to META_MAX_BYTES of UTF-8 (at a character boundary)."""
    if value is None:
        return None
    data = value.encode("utf-8")
    return value if len(data) <= META_MAX_BYTES else data[:META_MAX_BYTES].decode("utf-8", "ignore")


def chunk_of(entity: Mapping[str, Any]) -> Chunk:
    """The Chunk a Milvus row (or search hit entity) holds."""
    return Chunk(**{k: entity.get(k) for k in SCALAR_FIELDS}, **{k: int(entity[k]) for k in INT_FIELDS})
