"""`rag ingest`, `rag search`, `rag info`, `rag eval`: argument parsing and output only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rich.console import Console
from rich.progress import Progress

from rag.cli import options
from rag.config import DEFAULT_SEEDS, PROJECT_ROOT, Settings
from rag.errors import UsageError
from rag.evaluate import run_eval
from rag.evaluate_parse import run_parse_eval, table as parse_table
from rag.ingest import ingest_paths
from rag.query_check import check_query
from rag.retrieve import Retriever
from rag.store import open_store


def ingest(
    paths: Optional[list[Path]] = typer.Argument(None, help="文件或目录，默认 seeds/"),
    index: Optional[Path] = options.INDEX,
    rebuild: bool = typer.Option(False, "--rebuild", help="丢弃旧索引，全部重建"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 报告"),
    store: Optional[str] = options.STORE,
    milvus_uri: Optional[str] = options.MILVUS_URI,
) -> None:
    """解析文件并加入索引；未变化的文件不会重新嵌入。"""
    settings = Settings.from_env(index_dir=index, vector_store=store, milvus_uri=milvus_uri)
    with _progress_bar() as progress:
        report = ingest_paths(paths or [DEFAULT_SEEDS], settings, progress=progress, rebuild=rebuild)
    for warning in report.warnings:
        typer.echo(f"警告: {warning}", err=True)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    elif report.unchanged:
        typer.echo(f"索引已是最新: {report.index_dir}（{report.total_chunks} 块）")
    else:
        typer.echo(f"已索引 {len(report.sources)} 个来源，新增 {report.added} 块，替换 {report.removed} 块，"
                   f"新嵌入 {report.embedded}，复用 {report.reused}；共 {report.total_chunks} 块 → {report.index_dir}")


def search(
    query: str = typer.Argument(..., help="查询；`-` 表示从标准输入逐行读取，每行输出一个 JSON"),
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", min=1, help="返回条数（默认 5）"),
    speaker: Optional[str] = options.SPEAKER,
    unit: Optional[str] = options.UNIT,
    meeting: Optional[str] = options.MEETING,
    source: Optional[str] = options.SOURCE,
    date_from: Optional[str] = options.DATE_FROM,
    date_to: Optional[str] = options.DATE_TO,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    index: Optional[Path] = options.INDEX,
    store: Optional[str] = options.STORE,
    milvus_uri: Optional[str] = options.MILVUS_URI,
) -> None:
    """混合检索（向量 + BM25，RRF 融合），过滤条件在检索内部生效。"""
    filters = options.filters_from(speaker, unit, meeting, source, date_from, date_to)
    if query != "-":
        check_query(query)  # before loading the index and model: a bad query fails fast
    settings = Settings.from_env(index_dir=index, top_k=top_k, vector_store=store, milvus_uri=milvus_uri)
    retriever = Retriever.open(settings)
    if query == "-":
        lines = options.StdinQueries()
        for line in lines:
            hits = retriever.search(line, settings.top_k, filters)
            typer.echo(json.dumps({"query": line, "hits": [h.to_json() for h in hits]}, ensure_ascii=False))
        lines.exit_status()
        return
    query = check_query(query)
    hits = retriever.search(query, settings.top_k, filters)
    if as_json:
        typer.echo(json.dumps({"query": query, "hits": [h.to_json() for h in hits]}, ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("没有符合条件的结果")
    for rank, h in enumerate(hits, 1):
        c = h.chunk
        typer.echo(f"[{rank}] {h.score:.4f}  {c.speaker or '（未知）'} · {c.speaker_title or ''} · "
                   f"{c.meeting or ''} {c.meeting_date or ''}  ({c.chunk_id})\n    {c.text}\n")


def info(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    index: Optional[Path] = options.INDEX,
    store: Optional[str] = options.STORE,
    milvus_uri: Optional[str] = options.MILVUS_URI,
) -> None:
    """索引概况：存储后端、模型、维度、块数、讲话数、来源、构建时间。"""
    settings = Settings.from_env(index_dir=index, vector_store=store, milvus_uri=milvus_uri)
    data = {**open_store(settings).info(), "index_dir": str(settings.index_dir)}
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


def eval_cmd(
    dev_dir: Path = typer.Option(PROJECT_ROOT / "eval", "--dev", help="含 dev_*.jsonl 的目录"),
    seeds: Path = typer.Option(DEFAULT_SEEDS, "--seeds", help="评测语料"),
    index: Path = typer.Option(PROJECT_ROOT / "eval" / ".index", "--index", help="评测专用索引目录（含全部模型）"),
    out: Optional[Path] = typer.Option(None, "--out", help="结果 JSON（默认 eval/results/eval-<时间>.json）"),
    parse: bool = typer.Option(False, "--parse", help="只评测解析器：eval/genre*/ 的讲话人、会议、日期（不需索引）"),
) -> None:
    """检索评测：BM25、各向量模型及其融合的 hit@1/hit@5/MRR@5 与多讲话人覆盖。"""
    if parse:
        data, path = run_parse_eval(out=out)
        typer.echo(parse_table(data))
        typer.echo(f"结果已保存: {path}")
        return
    result, path = run_eval(dev_dir, seeds, index, out)
    typer.echo(json.dumps(result["summary"], ensure_ascii=False, indent=2))
    if isinstance(result.get("answers"), dict) and "summary" in result["answers"]:
        typer.echo(result["answers"]["summary"])
    typer.echo(f"结果已保存: {path}")


class _progress_bar:
    """A rich progress bar on stderr fed by ingest's (done, total, what) callback."""

    def __enter__(self):
        self._bar = Progress(transient=True, console=Console(stderr=True))
        self._task = None
        self._bar.start()
        return self

    def __call__(self, done: int, total: int, what: str) -> None:
        if self._task is None:
            self._task = self._bar.add_task(what, total=total)
        self._bar.update(self._task, completed=done, total=total, description=what)
        if done >= total:
            self._bar.remove_task(self._task)
            self._task = None

    def __exit__(self, *exc) -> None:
        self._bar.stop()
