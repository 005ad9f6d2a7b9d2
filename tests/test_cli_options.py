"""The option groups every command shares (rag/cli/options.py): the index options on each command that
opens an index, and the filters read by `Filters.parse` before anything is loaded."""

from __future__ import annotations

import pytest

from _index_support import run_rag as rag
from rag.cli import app

INDEX_OPTIONS = {"--index", "--store", "--milvus-uri"}
OPENS_AN_INDEX = ("ingest", "search", "info", "ask", "chat", "similar", "serve", "speeches")


@pytest.mark.parametrize("name", OPENS_AN_INDEX)
def test_every_command_that_opens_an_index_takes_the_index_options(name):
    command = next(c for c in app.registered_commands if c.callback.__name__ == name)
    result = rag(command.name or name, "--help")
    assert result.returncode == 0
    assert all(option in result.stdout for option in INDEX_OPTIONS), result.stdout


@pytest.mark.parametrize("args", [("search", "营商环境"), ("ask", "营商环境怎么样?"), ("chat",)])
def test_a_start_after_the_end_is_a_usage_error_everywhere(tmp_path, args):
    result = rag(*args, "--date-from", "2024", "--date-to", "2023-06", "--index", str(tmp_path / "none"))
    assert result.returncode == 2 and "晚于" in result.stderr and "2024-01-01" in result.stderr


def test_eval_takes_the_backend_of_its_domain_indexes():
    """`rag eval` builds one index per domain in eval/.cache, so it takes --store but no --index."""
    result = rag("eval", "--help")
    assert result.returncode == 0 and "--store" in result.stdout and "--index" not in result.stdout
