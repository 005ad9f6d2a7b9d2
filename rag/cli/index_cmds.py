"""`rag ingest`, `rag search`, `rag info`, `rag eval`: argument parsing and output only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rich.console import Console
from rich.progress import Progress

from rag.cli import options
from rag.config import DEFAULT_SEEDS, Settings
from rag.library import Library
from rag.errors import UsageError
from rag.eval.sets import DOMAINS
from rag.eval.run import run_eval, summary
from rag.eval.parse import run_parse_eval, table as parse_table
from rag.ingest.pipeline import ingest_paths
from rag.labels import UNKNOWN_SPEAKER, cell
from rag.query_check import check_query
from rag.records import Filters
from rag.retrieve.retriever import Retriever
from rag.store.base import open_store


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
        report = Library(settings).add(paths or [DEFAULT_SEEDS], progress=progress, rebuild=rebuild)
    for warning in report.warnings:
        typer.echo(f"警告: {warning}", err=True)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    elif report.unchanged:
        typer.echo(f"索引已是最新: {report.index_dir}（{report.total_chunks} 块）")
    else:
        typer.echo(f"已索引 {len(report.sources)} 个来源，新增 {report.added} 块，替换 {report.removed} 块，"
                   f"新嵌入 {report.embedded}，复用 {report.reused}；共 {report.total_chunks} 块 → {report.index_dir}")


@options.with_filters
def search(
    query: str = typer.Argument(..., help="查询；`-` 表示从标准输入逐行读取，每行输出一个 JSON"),
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", min=1, help="返回条数（默认 5）"),
    filters: Filters = None,  # the filter options (options.with_filters)
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    index: Optional[Path] = options.INDEX,
    store: Optional[str] = options.STORE,
    milvus_uri: Optional[str] = options.MILVUS_URI,
) -> None:
    """混合检索（向量 + BM25，各自分数归一后加权融合），过滤条件在检索内部生效。"""
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
        typer.echo(f"[{rank}] {h.score:.4f}  {c.speaker or cell(UNKNOWN_SPEAKER)} · {c.speaker_title or ''} · "
                   f"{c.meeting or ''} {c.meeting_date or ''}  ({c.chunk_id})\n    {c.text}\n")


def info(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    index: Optional[Path] = options.INDEX,
    store: Optional[str] = options.STORE,
    milvus_uri: Optional[str] = options.MILVUS_URI,
    check: bool = typer.Option(False, "--check", help="逐块核对索引完整性（读取全部块；平时只核对读到的块）"),
) -> None:
    """索引概况：存储后端、模型、维度、块数、讲话数、来源、构建时间；--check 另核对每一块。"""
    settings = Settings.from_env(index_dir=index, vector_store=store, milvus_uri=milvus_uri)
    data = Library(settings).info()
    if check:  # damage raises IndexMismatchError with the fix
        checked = open_store(settings, verify=True)
        data["integrity"] = "ok" if checked.backend == "faiss" else "not checked (the Milvus backend keeps no row hashes)"
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


def eval_cmd(
    domain: list[str] = typer.Option(["seeds", "cmrc"], "--domain", "-d",
                                     help="评测领域：seeds（种子讲话）、cmrc（CMRC 2018 公开集）、real（真实体裁文档，按问题类型计分），可重复"),
    fit: bool = typer.Option(False, "--fit", help="在两个领域的 tune 部分重新拟合可答性模型并写入 rag/answer/answerability.json"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="每个部分、每类问题只取按哈希固定的前 N 个（快速检查用，不是报告数字）"),
    tune_limit: Optional[int] = typer.Option(None, "--tune-limit", min=1,
                                             help="tune 部分每类问题只取按哈希固定的前 N 个（report 部分完整）"),
    no_answers: bool = typer.Option(False, "--no-answers", help="只评检索"),
    out: Optional[Path] = typer.Option(None, "--out", help="结果 JSON（默认 eval/results/eval-<时间>.json）"),
    parse: bool = typer.Option(False, "--parse", help="只评测解析器：eval/genre*/ 的讲话人、会议、日期（不需索引）"),
) -> None:
    """评测：各领域 tune/report 两部分的检索（BM25、各向量模型、各融合）、回答准确率与拒答精确率/召回率；--parse 只评解析器。"""
    if parse:
        data, path = run_parse_eval(out=out)
        typer.echo(parse_table(data))
        typer.echo(f"结果已保存: {path}")
        return
    unknown = [d for d in domain if d not in DOMAINS]
    if unknown:
        raise UsageError(f"未知评测领域 {unknown} — 可选: {', '.join(DOMAINS)} (unknown domain)")
    domains = [DOMAINS[d]() for d in dict.fromkeys(domain)]
    with _progress_bar() as progress:
        result, path = run_eval(domains, out, limit=limit, fit=fit, answers=not no_answers, progress=progress,
                                log=lambda m: typer.echo(m, err=True), tune_limit=tune_limit)
    typer.echo(summary(result))
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
