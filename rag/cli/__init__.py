"""The `rag` console script: the command table, argument parsing and error translation (exit 1 runtime, 2 usage).

Each command is a plain function in its group's module; this table is the one place that names them.
"""

from __future__ import annotations

import os
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


def main(argv: list[str] | None = None) -> None:
    """Run the app; click reports usage errors (exit 2), RagError becomes a message and exit 1.

    No traceback reaches a user: anything else is a defect, reported as one line (RAG_DEBUG=1 shows
    the traceback). Output never fails on a file name with undecodable bytes.
    """
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        app(args=argv)
    except UsageError as exc:
        typer.echo(f"用法错误: {exc}", err=True)
        sys.exit(2)
    except RagError as exc:
        typer.echo(f"错误: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("已中断 (interrupted)", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("RAG_DEBUG"):
            raise
        typer.echo(f"内部错误: {type(exc).__name__}: {exc} — 这是程序缺陷，不是您的输入有误；请重试，"
                   "若重复出现请连同命令一起报告（设置 RAG_DEBUG=1 可看到详细信息）", err=True)
        sys.exit(1)
