"""`rag serve` (the Gradio app) and `rag similar`: argument parsing and output only."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Optional

import typer

from rag.cli import options
from rag.config import DEFAULT_MAX_UPLOAD_MB
from rag.errors import UsageError
from rag.labels import attribution
from rag.retrieve.retriever import Retriever
from rag.retrieve.similar import find_similar


@options.with_index
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只对本机开放；其他地址需 --auth 或 --no-auth）"),
    port: int = typer.Option(7860, "--port", min=1, max=65535, envvar="PORT", help="端口（也可用环境变量 PORT）"),
    where: options.IndexChoice = None,  # --index, --store, --milvus-uri (options.with_index)
    auth: Optional[str] = typer.Option(None, "--auth", help="登录 用户名:密码（多个用逗号分隔；也可用 RAG_AUTH）"),
    auth_file: Optional[Path] = typer.Option(None, "--auth-file", help="登录文件：每行一个 用户名:密码"),
    no_auth: bool = typer.Option(False, "--no-auth", help="在非本机地址上明确不设登录（会警告）"),
    allow_upload: bool = typer.Option(False, "--allow-upload", help="提供上传页（非本机地址需同时设置登录）"),
    max_upload_mb: int = typer.Option(DEFAULT_MAX_UPLOAD_MB, "--max-upload-mb", min=1, max=1024,
                                      help="单个上传文件的大小上限（MB）"),
    uploads: Optional[Path] = typer.Option(None, "--uploads", help="上传文件目录（默认 data/uploads/）"),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=64, help="同时处理的请求数"),
    open_browser: bool = typer.Option(False, "--open", help="启动后在本机浏览器中打开"),
) -> None:
    """启动网页界面：问答、相似举措、资料库（上传页需 --allow-upload）。没有索引时先用 seeds/ 建索引。"""
    from ui.access import check_port, port_error, resolve_access  # the app's modules load only for `rag serve`

    access = resolve_access(host, auth=auth, auth_file=auth_file, no_auth=no_auth, allow_upload=allow_upload,
                            max_upload_mb=max_upload_mb, env_auth=os.environ.get("RAG_AUTH"))
    for warning in access.warnings:
        typer.echo(warning, err=True)
    check_port(host, port)  # before the index and models load: a taken port fails in a second
    # The app imports gradio (seconds); only `rag serve` pays for it, not every `rag` command.
    from ui.app import launch_app
    from ui.tempfiles import exit_on_sigterm
    from ui.wiring import DEFAULT_UPLOADS, create_app

    exit_on_sigterm()  # `kill` runs the clean-up of temporary folders, as Ctrl+C does

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = where.settings()
    demo = create_app(settings, uploads or DEFAULT_UPLOADS, allow_upload=access.allow_upload,
                      max_upload_mb=access.max_upload_mb)
    typer.echo(f"政言 已启动: http://{host}:{port}  (Ctrl+C 退出)", err=True)
    try:
        launch_app(demo, host, port, concurrency=concurrency, block=True, inbrowser=open_browser,
                   auth=access.auth, max_upload_mb=access.max_upload_mb, allow_upload=access.allow_upload)
    except OSError as exc:  # taken between the check and the launch (Gradio says "Cannot find empty port")
        raise port_error(host, port, exc) from exc


@options.with_index
def similar(
    text_or_chunk_id: str = typer.Argument(..., help="主题文字，或段落编号（如 001_215da853636daeab.txt:3:2:0）"),
    top_k: int = typer.Option(8, "--top-k", "-k", help="返回条数"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON（字段同 rag search）"),
    where: options.IndexChoice = None,  # --index, --store, --milvus-uri (options.with_index)
) -> None:
    """相似举措：与主题或某段落相近、来自其他单位和讲话人的段落（排除同一讲话）。"""
    if top_k < 1:
        raise UsageError(f"--top-k 必须大于 0，收到 {top_k}")
    retriever = Retriever.open(where.settings())
    result = find_similar(retriever, text_or_chunk_id, get_chunk=retriever.index.find, top_k=top_k)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    if result.origin is not None:
        o = result.origin
        typer.echo(f"原段落: {' · '.join(attribution(o))}\n    {o.text}\n")
    if not result.hits:
        typer.echo("没有找到其他单位的相似段落")
    for unit, hits in result.groups().items():
        typer.echo(f"== {unit} ==")
        for h in hits:
            c = h.chunk
            typer.echo(f"  {h.score:.4f}  {' · '.join(attribution(c))}  ({c.chunk_id})\n      {c.text}")
