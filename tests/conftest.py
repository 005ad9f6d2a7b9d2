"""Shared test set-up: offline model loading, the project paths, and the storage backend under test."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return ROOT / "seeds"


BACKENDS = ("faiss", "milvus")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """The storage backend (rag/store.py) under test: a test taking it runs once per backend, Milvus
    as embedded milvus-lite (a local file, no server)."""
    return request.param


@pytest.fixture(autouse=True)
def _backend_env(request, monkeypatch):
    """`rag …` subprocesses of a test that takes `backend` use that backend."""
    if "backend" in request.fixturenames:
        monkeypatch.setenv("RAG_VECTOR_STORE", request.getfixturevalue("backend"))
