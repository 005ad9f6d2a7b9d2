"""Options and input shared by several commands: the index (folder, backend, Milvus URI), the metadata
filters, stdin queries."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Optional

import typer

from rag.config import Settings
from rag.errors import UsageError
from rag.query_check import check_query
from rag.records import Filters

INDEX = typer.Option(None, "--index", help="索引目录（默认 embeddings/ 或 RAG_INDEX_DIR）")
STORE = typer.Option(None, "--store", help="存储后端 faiss 或 milvus（默认 RAG_VECTOR_STORE 或 faiss）")
MILVUS_URI = typer.Option(None, "--milvus-uri", help="Milvus 地址 http://host:19530 或 milvus-lite 文件（默认 RAG_MILVUS_URI 或 <索引目录>/zhengyan.db）")
SPEAKER = typer.Option(None, "--speaker", help="讲话人（全名）")
UNIT = typer.Option(None, "--unit", help="单位（子串）")
MEETING = typer.Option(None, "--meeting", help="会议（子串）")
SOURCE = typer.Option(None, "--source", help="来源文件名")
DATE_FROM = typer.Option(None, "--date-from", help="会议日期下限（2023-07-28、2023-07 或 2023）")
DATE_TO = typer.Option(None, "--date-to", help="会议日期上限（2023-07-28、2023-07 或 2023）")


@dataclass(frozen=True)
class IndexChoice:
    """Which index a command opens: --index, --store, --milvus-uri (each None: the environment's, as
    `Settings.from_env` reads it)."""

    index: Optional[Path] = None
    store: Optional[str] = None
    milvus_uri: Optional[str] = None

    def settings(self, **overrides) -> Settings:
        return Settings.from_env(index_dir=self.index, vector_store=self.store, milvus_uri=self.milvus_uri, **overrides)


_FILTERS = {"speaker": SPEAKER, "unit": UNIT, "meeting": MEETING, "source": SOURCE, "date_from": DATE_FROM,
            "date_to": DATE_TO}
_INDEX = {"index": (INDEX, Optional[Path]), "store": (STORE, Optional[str]), "milvus_uri": (MILVUS_URI, Optional[str])}


def _option_group(param: str, options: dict[str, tuple[Any, Any]], build: Callable[..., Any]) -> Callable:
    """A decorator declaring several options once: a command takes one parameter `param`, and Typer sees
    `options` (name → (option, type)) in its place, read into one value by `build(**values)`."""

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        parameters = []
        for p in signature.parameters.values():
            parameters += [inspect.Parameter(name, p.POSITIONAL_OR_KEYWORD, default=option, annotation=kind)
                           for name, (option, kind) in options.items()] if p.name == param else [p]

        @functools.wraps(command)
        def wrapper(**kwargs):
            value = build(**{name: kwargs.pop(name) for name in options})
            return command(**{param: value}, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=parameters)
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate


# The metadata-filter options (--speaker … --date-to): a command takes `filters: Filters`, read by
# `Filters.parse` (the app's form uses it too: a bad date or a start after the end is a UsageError).
with_filters = _option_group("filters", {k: (v, Optional[str]) for k, v in _FILTERS.items()}, Filters.parse)
# The index options (--index, --store, --milvus-uri) of every command that opens an index: a command
# takes `where: IndexChoice`, so `rag ingest --store milvus` and `rag ask --store milvus` name one index.
with_index = _option_group("where", _INDEX, IndexChoice)


class StdinQueries:
    """Queries from standard input, one per line, each through `check_query`.

    A line that is not valid UTF-8, too long or without content is reported on stderr with its line
    number and skipped; the rest goes on, and `failed` tells the command to exit 2 at the end.
    """

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin.buffer
        self.failed = 0

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self._stream, start=1):
            query = self.decode(raw, number)
            if query:
                yield query

    def readline(self, number: int) -> str | None:
        """The next line decoded and checked ("" when it was rejected or blank), None at end of input."""
        raw = self._stream.readline()
        return None if not raw else self.decode(raw, number)

    def decode(self, raw: bytes, number: int) -> str:
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            return self._reject(number, f"不是有效的 UTF-8（第 {exc.start + 1} 个字节）— 请以 UTF-8 编码输入")
        if not text:
            return ""
        try:
            return check_query(text)
        except UsageError as exc:
            return self._reject(number, str(exc))

    def _reject(self, number: int, why: str) -> str:
        self.failed += 1
        typer.echo(f"用法错误: 标准输入第 {number} 行{why}（已跳过）", err=True)
        return ""

    def exit_status(self) -> None:
        """Exit 2 when any line was rejected (after all the others were answered)."""
        if self.failed:
            raise typer.Exit(2)
