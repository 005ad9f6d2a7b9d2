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
from rag.parse.decode import read_text
from rag.parse.review import line_roles


@options.with_index
def speeches(
    paths: Optional[list[Path]] = typer.Argument(None, help="文件或目录（.txt/.md/.jsonl/.docx/.pdf），默认 seeds/"),
    where: options.IndexChoice = None,  # --index, --store, --milvus-uri: list the index's speeches instead
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 数组"),
    review: Optional[Path] = typer.Option(None, "--review", help="逐行列出该文件每个非空行及解析器给出的角色（speaker/heading/body/noise），供标注校对"),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="与 --review 同用：输出预填的 gold_lines.jsonl 记录"),
) -> None:
    """列出每篇讲话：会议、日期、讲话人、职务、单位、段落数（解析文件，或读 --index/--store 给出的索引）。"""
    from_index = where != options.IndexChoice()
    if review is not None:
        if paths or from_index:
            raise UsageError("--review 只接受一个文件，不与文件/目录或 --index 同用 (--review FILE alone)")
        _print_review(review, as_jsonl)
        return
    if as_jsonl:
        raise UsageError("--jsonl 只与 --review 同用 (--jsonl needs --review FILE)")
    if from_index:
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


def _print_review(path: Path, as_jsonl: bool) -> None:
    """Each non-blank line of one file with the parser's role (tab-separated, or gold_lines records)."""
    if not path.is_file():
        raise UsageError(f"文件不存在: {path} — 请检查路径 (--review needs an existing text file)")
    rows = line_roles(read_text(path))
    doc = path.stem.split("_")[0]
    for row in rows:
        if as_jsonl:
            typer.echo(json.dumps(row.record(doc, path.name), ensure_ascii=False))
        else:
            who = f"\t{row.post} | {row.name}" if row.role == "speaker" else ""
            typer.echo(f"{row.i}\t{row.role}\t{row.text}{who}")
