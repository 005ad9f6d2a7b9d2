"""Options shared by several commands: the index folder and the metadata filters."""

from __future__ import annotations

import datetime

import typer

from rag.errors import UsageError
from rag.records import Filters

INDEX = typer.Option(None, "--index", help="索引目录（默认 embeddings/ 或 RAG_INDEX_DIR）")
STORE = typer.Option(None, "--store", help="存储后端 faiss 或 milvus（默认 RAG_VECTOR_STORE 或 faiss）")
MILVUS_URI = typer.Option(None, "--milvus-uri", help="Milvus 地址 http://host:19530 或 milvus-lite 文件（默认 RAG_MILVUS_URI 或 <索引目录>/zhengyan.db）")
SPEAKER = typer.Option(None, "--speaker", help="讲话人（全名）")
UNIT = typer.Option(None, "--unit", help="单位（子串）")
MEETING = typer.Option(None, "--meeting", help="会议（子串）")
SOURCE = typer.Option(None, "--source", help="来源文件名")
DATE_FROM = typer.Option(None, "--date-from", help="会议日期下限 YYYY-MM-DD")
DATE_TO = typer.Option(None, "--date-to", help="会议日期上限 YYYY-MM-DD")


def filters_from(speaker: str | None, unit: str | None, meeting: str | None, source: str | None,
                 date_from: str | None, date_to: str | None) -> Filters:
    """Filters from the command line; a date that is not a real YYYY-MM-DD day is a UsageError."""
    for day in (date_from, date_to):
        if day is not None and not _is_iso_date(day):
            raise UsageError(f"日期格式应为 YYYY-MM-DD: {day!r} (bad date)")
    return Filters(speaker, unit, meeting, source, date_from, date_to)


def _is_iso_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
