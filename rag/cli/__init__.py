"""The `rag` console script: the command table, argument parsing and error translation (exit 1 runtime, 2 usage).

Each command is a plain function in its group's module; this table is the one place that names them.
"""

from __future__ import annotations

import sys

import typer

from rag.cli import answer_cmds, index_cmds, speeches, ui_cmds
from rag.errors import RagError, UsageError

app = typer.Typer(
    name="rag",
    help="政言 Zhengyan — 政府讲话语义问答：解析、索引、检索、带引用回答。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(index_cmds.ingest)
app.command()(speeches.speeches)
app.command()(index_cmds.search)
app.command()(answer_cmds.ask)
app.command()(answer_cmds.chat)
app.command()(ui_cmds.similar)
app.command()(ui_cmds.serve)
app.command()(index_cmds.info)
app.command(name="eval")(index_cmds.eval_cmd)


def main() -> None:
    """Run the app; click reports usage errors (exit 2), RagError becomes a message and exit 1."""
    try:
        app()
    except UsageError as exc:
        typer.echo(f"用法错误: {exc}", err=True)
        sys.exit(2)
    except RagError as exc:
        typer.echo(f"错误: {exc}", err=True)
        sys.exit(1)
