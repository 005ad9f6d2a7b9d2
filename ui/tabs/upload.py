"""The 上传 screen: files are parsed as soon as they are chosen; the preview table (meeting, date,
speaker, post per speech) can be corrected — the corrections become the file's sidecar
`NAME.meta.json` — then 加入索引 indexes them with progress (chunks per second)."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.parse import SUPPORTED
from ui.render.cards import esc
from ui.render.browse import render_preview
from ui.static import static_text
from ui.upload import PREVIEW_COLUMNS, Staged, preview_rows

log = logging.getLogger(__name__)
NOTICE = "提示"
# Staging runs beside the Gradio worker so the handler can report progress and notice a departed page.
_PARSERS = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="zhengyan-stage")
_PARSE_POLL = 0.5
WAITING = '<div class="zy-note">选择文件后会立即解析并在下方预览。</div>'


@dataclass
class UploadTab:
    status: Any
    commit: Any  # the commit event, for refreshing other screens after it


def _empty_table() -> Any:
    return gr.Dataframe(value=[], visible=False)


def on_select(services: Any, files: list[str] | None, previous: Staged | None) -> Iterator[tuple]:
    """Outputs: status, preview table, staged state, commit button.

    Parsing runs beside the handler (a limited worker process per file) while the status shows the
    seconds spent; when the page goes away Gradio stops this generator and `finally` cancels the parse.
    """
    uploads = services.uploads
    uploads.discard(previous)
    if not files:
        yield WAITING, _empty_table(), None, gr.Button(interactive=False)
        return
    cancel = threading.Event()
    job = _PARSERS.submit(uploads.stage, files, cancel)
    try:
        started = time.monotonic()
        while not job.done():
            yield (f'<div class="zy-note">解析中…（{time.monotonic() - started:.0f} 秒）</div>', gr.skip(), None,
                   gr.Button(interactive=False))
            concurrent.futures.wait([job], timeout=_PARSE_POLL)
        staged = job.result()
    except Exception as exc:  # a broken file must never leave a traceback in the page
        log.exception("staging uploads failed")
        yield f'<div class="zy-error">解析失败：{esc(exc)}</div>', _empty_table(), None, gr.Button(interactive=False)
        return
    finally:
        if not job.done():
            cancel.set()
    ok = bool(staged.speeches)
    table = gr.Dataframe(value=preview_rows(staged.speeches), visible=ok)
    yield render_preview(staged.speeches, staged.warnings, staged.errors), table, staged, gr.Button(interactive=ok)


def uploader_of(request: Any) -> str:
    """Who uploads: the login name, or the client address when the app runs without logins."""
    name = getattr(request, "username", None)
    if name:
        return str(name)
    client = getattr(request, "client", None)
    return f"未登录（{getattr(client, 'host', '未知地址')}）"


def on_commit(services: Any, staged: Staged | None, rows: Any, progress: Any, uploader: str = "") -> tuple:
    """Outputs: status, staged state, commit button, file list, preview table."""
    keep = (gr.skip(), gr.skip())
    if not staged or not staged.speeches:
        gr.Warning("没有待加入的讲话 — 先选择文件", title=NOTICE)
        return gr.skip(), None, gr.Button(interactive=False), *keep
    values = rows.values.tolist() if hasattr(rows, "values") else list(rows or [])
    progress(0.0, desc="准备索引…")
    try:
        staged = services.uploads.correct(staged, values)
        added = services.uploads.commit(staged, lambda f, msg: progress(f, desc=msg), uploader)
    except RagError as exc:
        gr.Warning(str(exc), title=NOTICE)
        return f'<div class="zy-error">未加入索引：{esc(exc)}（原索引未改动）</div>', staged, gr.skip(), *keep
    except Exception as exc:
        log.exception("indexing uploads failed")
        gr.Warning("加入索引时发生内部错误，原索引未改动。", title=NOTICE)
        return (f'<div class="zy-error">内部错误（{esc(type(exc).__name__)}），原索引未改动。</div>', None,
                gr.Button(interactive=False), *keep)
    names = "、".join(sorted({s.source for s in staged.speeches}))
    gr.Info(f"已加入索引：{names}", title=NOTICE)
    return (
        f'<div class="zy-ok">✓ 已加入索引：{esc(names)}（{len(staged.speeches)} 篇讲话，{added} 个段落块）。'
        "现在可以在问答页提问。</div>",
        None,
        gr.Button(interactive=False),
        None,  # the file list clears: a second commit cannot re-send the same file
        _empty_table(),
    )


def build_upload_tab(services: Any) -> UploadTab:
    gr.Markdown(
        "上传 `.txt` `.md` `.jsonl` `.docx` `.pdf` 讲话稿：选择后立即解析。可在预览表中改正会议、日期、讲话人和职务"
        "（保存为同名 `.meta.json`），确认后点击“加入索引”。解析失败的文件不会进入索引。"
    )
    files = gr.File(file_count="multiple", file_types=list(SUPPORTED), label="文件", elem_id="zy-up-files")
    size_check = static_text("upload.js").replace("__MAX_BYTES__", str(services.uploads.max_bytes), 1)
    status = gr.HTML(WAITING, elem_id="zy-up-status", js_on_load=size_check)
    table = gr.Dataframe(headers=PREVIEW_COLUMNS, value=[], interactive=True, visible=False, wrap=True,
                         static_columns=[0, 1, 6], label="解析预览（可改正）", elem_id="zy-up-table")
    commit = gr.Button("加入索引", variant="primary", interactive=False, elem_id="zy-up-commit")
    staged = gr.State(None)

    def select_handler(paths: list[str] | None, previous: Staged | None) -> Iterator[tuple]:
        yield from on_select(services, paths, previous)

    def commit_handler(current: Staged | None, rows: Any, request: gr.Request,
                       progress: gr.Progress = gr.Progress()) -> tuple:
        return on_commit(services, current, rows, progress, uploader_of(request))

    # upload/clear are the user's own actions; the list emptied after a commit triggers neither
    for event in (files.upload, files.clear):
        event(select_handler, [files, staged], [status, table, staged, commit], api_name=False,
              concurrency_id="upload")
    done = commit.click(commit_handler, [staged, table], [status, staged, commit, files, table], api_name=False,
                        concurrency_id="upload")
    return UploadTab(status, done)
