"""The tiny input → output examples in the modules' docstrings are tests too."""

import doctest
import importlib

import pytest

MODULES = ["rag.bm25", "rag.chunk", "rag.citations", "rag.evaluate", "rag.evidence", "rag.question",
           "rag.retrieve", "rag.rewrite", "rag.vectors", "rag.ingest.decode", "rag.ingest.meeting",
           "rag.ingest.noise", "rag.ingest.normalize", "rag.ingest.parser", "rag.ingest.speaker"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
