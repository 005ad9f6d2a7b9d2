"""One Settings record, built from explicit arguments and RAG_* environment variables at the edge (CLI/UI)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import UsageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS = PROJECT_ROOT / "seeds"
DEFAULT_INDEX = PROJECT_ROOT / "embeddings"
DEFAULT_MAX_UPLOAD_MB = 20  # the app's upload size limit unless `rag serve --max-upload-mb` says otherwise
# Chunks one input file may produce. The largest real document seen (a 2-page newspaper digest, a
# year's work report) gives a few hundred; 20k chunks is minutes of embedding, 121k (a 20 MB .txt) hours.
MAX_CHUNKS_PER_FILE = 20_000


@dataclass(frozen=True)
class Settings:
    index_dir: Path = DEFAULT_INDEX
    embed_model: str = "e5-small"  # "e5-small", "m3e-small", "hybrid-e5-m3e", or a sentence-transformers path/name
    top_k: int = 5
    vector_store: str = "faiss"  # storage backend (rag/store/base.py): "faiss" (files in index_dir) or "milvus"
    milvus_uri: str | None = None  # http://host:19530 (a Milvus server) or a milvus-lite path; default index_dir/zhengyan.db
    milvus_token: str | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_gguf: str | None = None
    max_chunks_per_file: int = MAX_CHUNKS_PER_FILE  # `rag ingest --max-chunks`, RAG_MAX_CHUNKS_PER_FILE

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from RAG_* variables; explicit non-None overrides win."""
        env = os.environ
        base = cls(
            index_dir=Path(env.get("RAG_INDEX_DIR", str(DEFAULT_INDEX))),
            embed_model=env.get("RAG_EMBED_MODEL", cls.embed_model),
            vector_store=env.get("RAG_VECTOR_STORE", cls.vector_store),
            milvus_uri=env.get("RAG_MILVUS_URI") or None,
            milvus_token=env.get("RAG_MILVUS_TOKEN") or None,
            llm_base_url=env.get("RAG_LLM_BASE_URL") or None,
            llm_model=env.get("RAG_LLM_MODEL") or None,
            llm_api_key=env.get("RAG_LLM_API_KEY") or None,
            llm_gguf=env.get("RAG_LLM_GGUF") or None,
            max_chunks_per_file=_positive_int(env, "RAG_MAX_CHUNKS_PER_FILE", MAX_CHUNKS_PER_FILE),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "index_dir" in given:
            given["index_dir"] = Path(given["index_dir"])  # type: ignore[arg-type]
        return replace(base, **given)  # type: ignore[arg-type]


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    """An environment variable holding a whole number above zero (UsageError otherwise).

    >>> _positive_int({"N": "300"}, "N", 5), _positive_int({}, "N", 5)
    (300, 5)
    """
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(f"环境变量 {name}={raw!r} 应为正整数 (positive whole number expected)")
    return int(raw)
