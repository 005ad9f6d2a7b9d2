"""`rag speeches`: show what the parser found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rich.console import Console
from rich.table import Table

from rag.config import DEFAULT_SEEDS
from rag.errors import RagError
from rag.parse import load_corpus


def speeches(
    paths: Optional[list[Path]] = typer.Argument(None, help="文件或目录（.txt/.md/.jsonl/.docx/.pdf），默认 seeds/"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 数组"),
) -> None:
    """列出解析出的每篇讲话：会议、日期、讲话人、职务、单位、段落数。"""
    corpus = load_corpus(paths or [DEFAULT_SEEDS])
    for warning in corpus.warnings:
        typer.echo(f"警告: {warning}", err=True)
    if not corpus.speeches:
        raise RagError("没有解析出任何讲话 (no speech found) — 请检查上面的警告和输入路径")
    if as_json:
        typer.echo(json.dumps([s.to_json() for s in corpus.speeches], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(corpus.speeches)} 篇讲话")
    for column in ("来源", "会议", "日期", "讲话人", "职务", "单位", "段落"):
        table.add_column(column)
    for s in corpus.speeches:
        table.add_row(
            s.source, s.meeting.name or "—", s.meeting.date or "—", s.speaker or "（未知）",
            s.speaker_title or "—", s.unit or "—", str(len(s.paragraphs)),
        )
    Console(width=200).print(table)
