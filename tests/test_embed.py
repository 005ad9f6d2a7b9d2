"""rag.store.embed: the optional sentence-transformers path says what to install when it is missing."""

import sys

import pytest

from rag.store.embed import load_embedder
from rag.errors import ModelUnavailableError


def test_a_sentence_transformers_model_without_the_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if not installed
    with pytest.raises(ModelUnavailableError, match="sentence-transformers") as info:
        load_embedder("/some/model/folder")
    assert "e5-small" in str(info.value) and "requirements-m3e.lock" in str(info.value)
