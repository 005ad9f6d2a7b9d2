"""The `rag` console script: argument parsing and error translation only (exit 1 runtime, 2 usage)."""

from __future__ import annotations

import sys

import typer

from rag.errors import RagError, UsageError

app = typer.Typer(
    name="rag",
    help="政言 Zhengyan — 政府讲话语义问答：解析、索引、检索、带引用回答。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    # Each command group lives in its own module; importing it registers its commands on `app`.
    from rag.cli import answer_cmds, index_cmds, speeches, ui_cmds  # noqa: F401


def main() -> None:
    """Run the app; click reports usage errors (exit 2), RagError becomes a message and exit 1."""
    _register_commands()
    try:
        app()
    except UsageError as exc:
        typer.echo(f"用法错误: {exc}", err=True)
        sys.exit(2)
    except RagError as exc:
        typer.echo(f"错误: {exc}", err=True)
        sys.exit(1)
