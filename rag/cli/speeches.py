"""`rag speeches`: show what the parser finds in files, or what an index holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rich.console import Console
from rich.table import Table

from rag.cli import options
from rag.config import DEFAULT_SEEDS
from rag.library import Library
from rag.errors import RagError, UsageError
from rag.labels import UNKNOWN_SPEAKER, cell
from rag.parse import load_corpus


@options.with_index
def speeches(
    paths: Optional[list[Path]] = typer.Argument(None, help="文件或目录（.txt/.md/.jsonl/.docx/.pdf），默认 seeds/"),
    where: options.IndexChoice = None,  # --index, --store, --milvus-uri: list the index's speeches instead
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 数组"),
) -> None:
    """列出每篇讲话：会议、日期、讲话人、职务、单位、段落数（解析文件，或读 --index/--store 给出的索引）。"""
    if where != options.IndexChoice():
        if paths:
            raise UsageError("给出文件/目录或 --index/--store 之一，不要同时给出 (paths or an index, not both)")
        found = Library(where.settings()).speeches()
    else:
        corpus = load_corpus(paths or [DEFAULT_SEEDS])
        for warning in corpus.warnings:
            typer.echo(f"警告: {warning}", err=True)
        found = corpus.speeches
    if not found:
        raise RagError("没有任何讲话 (no speech found) — 请检查上面的警告和输入路径")
    if as_json:
        typer.echo(json.dumps([s.to_json() for s in found], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(found)} 篇讲话")
    for column in ("来源", "会议", "日期", "讲话人", "职务", "单位", "段落"):
        table.add_column(column)
    for s in found:
        table.add_row(
            s.source, s.meeting.name or "—", s.meeting.date or "—", s.speaker or cell(UNKNOWN_SPEAKER),
            s.speaker_title or "—", s.unit or "—", str(len(s.paragraphs)),
        )
    Console(width=200).print(table)
