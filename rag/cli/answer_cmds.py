"""`rag ask` and `rag chat`: argument parsing and output only; answering lives in rag/answer/answerer.py."""

from __future__ import annotations

import itertools
import json
import sys
from typing import Optional

import typer

from rag.answer.answerer import open_answerer
from rag.answer.citations import source_line
from rag.cli import options
from rag.answer.compose import Delta
from rag.query_check import check_query
from rag.records import Answer, Filters

_TOP_K = typer.Option(None, "--top-k", "-k", min=1, help="检索的段落数（默认 8；比较类问题会多取）")
_NO_LLM = typer.Option(False, "--no-llm", help="即使配置了 LLM 也只用抽取式回答")


def _answerer(where: options.IndexChoice, no_llm: bool):
    return open_answerer(where.settings(), use_llm=not no_llm)


def render(answer: Answer) -> str:
    """Plain output: the answer, then the numbered sources (speaker · post · meeting · date, cited sentence)."""
    lines = []
    if answer.rewritten_question:
        lines.append(f"（改写为：{answer.rewritten_question}）")
    lines.append(answer.answer)
    if answer.citations:
        lines.append("")
        lines.append("来源：")
        lines.extend(source_line(c.marker, c.hit, c.sentence) for c in answer.citations)
    for w in answer.warnings:
        lines.append(f"注意: {w}")
    return "\n".join(lines)


def _stream_plain(answerer, question: str, filters: Filters, history, top_k) -> Answer:
    """Print LLM text as it arrives, then the checked answer when it differs."""
    streamed, final = [], None
    live = answerer.mode == "llm" and sys.stdout.isatty()
    for event in answerer.stream(question, filters, history, top_k):
        if isinstance(event, Delta):
            if event.stage:
                continue
            streamed.append(event.text)
            if live:
                typer.echo(event.text, nl=False)
        else:
            final = event
    if live:
        typer.echo("\n" + "─" * 20)
    typer.echo(render(final))
    return final


@options.with_index
@options.with_filters
def ask(
    question: str = typer.Argument(..., help="问题；`-` 表示从标准输入逐行读取，每行输出一个 JSON"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    top_k: Optional[int] = _TOP_K,
    filters: Filters = None,  # the filter options (options.with_filters)
    where: options.IndexChoice = None,  # --index, --store, --milvus-uri (options.with_index)
    no_llm: bool = _NO_LLM,
) -> None:
    """带引用的回答：每句附来源编号，资料不能回答时明确说“资料中未找到”。"""
    if question != "-":
        question = check_query(question)  # before loading the index and model: a bad question fails fast
    answerer = _answerer(where, no_llm)
    if question == "-":
        lines = options.StdinQueries()
        for line in lines:
            typer.echo(json.dumps(answerer.ask(line, filters, top_k=top_k).to_json(), ensure_ascii=False))
        lines.exit_status()
        return
    if as_json:
        typer.echo(json.dumps(answerer.ask(question, filters, top_k=top_k).to_json(), ensure_ascii=False, indent=2))
        return
    _stream_plain(answerer, question, filters, (), top_k)


@options.with_index
@options.with_filters
def chat(
    as_json: bool = typer.Option(False, "--json", help="每轮输出一个 JSON 对象"),
    top_k: Optional[int] = _TOP_K,
    filters: Filters = None,  # the filter options (options.with_filters)
    where: options.IndexChoice = None,  # --index, --store, --milvus-uri (options.with_index)
    no_llm: bool = _NO_LLM,
) -> None:
    """多轮问答：追问（“那铜梁呢？”“他还提到了什么？”）先改写为完整问题再检索。空行或 exit 结束。"""
    answerer = _answerer(where, no_llm)
    interactive = sys.stdin.isatty()
    lines = options.StdinQueries()
    history: list[Answer] = []
    if interactive:
        typer.echo("政言问答（输入问题；空行或 exit 退出）")
    for number in itertools.count(1):
        if interactive:
            typer.echo("问> ", nl=False)
        failed = lines.failed
        line = lines.readline(number)
        blank = line == "" and lines.failed == failed
        if line is None or line in ("exit", "quit", "退出") or (interactive and blank):
            break
        if not line:
            continue  # blank (non-interactive) or rejected with a message: the conversation goes on
        if as_json:
            answer = answerer.ask(line, filters, history, top_k)
            typer.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            answer = _stream_plain(answerer, line, filters, history, top_k)
            typer.echo("")
        history.append(answer)
    lines.exit_status()
