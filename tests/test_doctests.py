"""The tiny input → output examples in the modules' docstrings are tests too."""

import doctest
import importlib

import pytest

MODULES = ["rag.bm25", "rag.chunk", "rag.citations", "rag.evaluate", "rag.evidence", "rag.question",
           "rag.fusion", "rag.answerability", "rag.eval_sets", "rag.evaluate_answers", "rag.rewrite", "rag.vectors",
           "rag.milvus_schema", "rag.parse.decode", "rag.parse.meeting",
           "rag.parse.noise", "rag.parse.normalize", "rag.parse.parser", "rag.parse.speaker"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
