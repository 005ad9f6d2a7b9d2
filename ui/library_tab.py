"""The 资料库 screen (meetings → speeches → paragraphs; speaker pages) and the 上传 screen."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rag.errors import RagError
from ui.render import esc
from ui.render_browse import render_meeting, render_preview, render_speaker, render_speech, speech_label
from ui.upload import ALLOWED_SUFFIXES, Staged

log = logging.getLogger(__name__)
# Staging runs beside the Gradio worker so the handler can report progress and notice a departed page.
_PARSERS = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="zhengyan-stage")
_PARSE_POLL = 0.5


@dataclass
class LibraryTab:
    meeting: Any
    speaker: Any


def speech_choices(store: Any, meeting: str | None) -> list[tuple[str, str]]:
    return [(speech_label(s), s.speech_id) for s in store.speeches_in(meeting)]


def build_library_tab(services: Any) -> LibraryTab:
    import gradio as gr

    store = services.store
    with gr.Tabs():
        with gr.Tab("按会议", id="by-meeting"):
            with gr.Row():
                meeting = gr.Dropdown(store.meetings(), value=None, label="会议", elem_id="zy-lib-meeting", scale=3)
                speech = gr.Dropdown([], value=None, label="讲话", elem_id="zy-lib-speech", scale=3)
            meeting_view = gr.HTML("", elem_id="zy-lib-meeting-view")
            speech_view = gr.HTML(render_speech(None), elem_id="zy-lib-view")
        with gr.Tab("按讲话人", id="by-speaker"):
            speaker = gr.Dropdown(store.speakers(), value=None, label="讲话人", elem_id="zy-lib-speaker")
            speaker_view = gr.HTML(render_speaker(None, []), elem_id="zy-lib-speaker-view")

    def pick_meeting(name: str | None) -> tuple:
        choices = speech_choices(store, name)
        first = choices[0][1] if choices else None
        overview = render_meeting(name, store.speeches_in(name))
        return gr.Dropdown(choices=choices, value=first), overview, render_speech(store.find(first))

    meeting.change(pick_meeting, [meeting], [speech, meeting_view, speech_view], api_name=False)
    speech.change(lambda sid: render_speech(store.find(sid)), [speech], [speech_view], api_name=False)
    speaker.change(lambda n: render_speaker(n, store.speeches_by(n)), [speaker], [speaker_view], api_name=False)
    return LibraryTab(meeting, speaker)


@dataclass
class UploadTab:
    status: Any
    commit: Any


def on_parse(services: Any, files: list[str] | None, previous: Staged | None) -> Iterator[tuple]:
    """Parse in the background (a limited worker process per file), showing progress; when the page
    goes away Gradio stops this generator and the `finally` cancels the parse."""
    import gradio as gr

    uploads = services.uploads
    uploads.discard(previous)
    if not files:
        gr.Warning("请先选择文件")
        yield '<div class="zy-note">请先选择文件。</div>', None, gr.Button(interactive=False)
        return
    cancel = threading.Event()
    job = _PARSERS.submit(uploads.stage, files, cancel)
    try:
        started = time.monotonic()
        while not job.done():
            yield (f'<div class="zy-note">解析中…（{time.monotonic() - started:.0f} 秒）</div>', None,
                   gr.Button(interactive=False))
            concurrent.futures.wait([job], timeout=_PARSE_POLL)
        staged = job.result()
    except Exception as exc:  # a broken file must never leave a traceback in the page
        log.exception("staging uploads failed")
        yield f'<div class="zy-error">解析失败：{esc(exc)}</div>', None, gr.Button(interactive=False)
        return
    finally:
        if not job.done():
            cancel.set()
    ok = bool(staged.speeches)
    yield render_preview(staged.speeches, staged.warnings, staged.errors), staged, gr.Button(interactive=ok)


def uploader_of(request: Any) -> str:
    """Who uploads: the login name, or the client address when the app runs without logins."""
    name = getattr(request, "username", None)
    if name:
        return str(name)
    client = getattr(request, "client", None)
    return f"未登录（{getattr(client, 'host', '未知地址')}）"


def on_commit(services: Any, staged: Staged | None, progress: Any, uploader: str = "") -> tuple:
    import gradio as gr

    if not staged or not staged.speeches:
        gr.Warning("没有待加入的讲话 — 先上传并解析文件")
        return gr.skip(), None, gr.Button(interactive=False)
    progress(0.0, desc="准备索引…")
    try:
        added = services.uploads.commit(staged, lambda f, msg: progress(f, desc=msg), uploader)
    except RagError as exc:
        gr.Warning(str(exc))
        return f'<div class="zy-error">未加入索引：{esc(exc)}（原索引未改动）</div>', None, gr.Button(interactive=False)
    except Exception as exc:
        log.exception("indexing uploads failed")
        gr.Warning("加入索引时发生内部错误，原索引未改动。")
        return f'<div class="zy-error">内部错误（{esc(type(exc).__name__)}），原索引未改动。</div>', None, gr.Button(interactive=False)
    services.store.add(staged.speeches)
    names = "、".join(sorted({s.source for s in staged.speeches}))
    gr.Info(f"已加入索引：{names}")
    return (
        f'<div class="zy-ok">✓ 已加入索引：{esc(names)}（{len(staged.speeches)} 篇讲话，{added} 个段落块）。'
        "现在可以在问答页提问。</div>",
        None,
        gr.Button(interactive=False),
    )


def build_upload_tab(services: Any) -> UploadTab:
    import gradio as gr

    gr.Markdown(
        "上传 `.txt` `.md` `.jsonl` `.docx` `.pdf` 文件：先解析预览（会议、讲话人、段落数），确认后再加入索引。"
        "解析失败的文件不会进入索引。"
    )
    files = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), label="文件", elem_id="zy-up-files")
    with gr.Row():
        parse = gr.Button("解析预览", elem_id="zy-up-parse")
        commit = gr.Button("加入索引", variant="primary", interactive=False, elem_id="zy-up-commit")
    status = gr.HTML('<div class="zy-note">尚未选择文件。</div>', elem_id="zy-up-status")
    staged = gr.State(None)

    def parse_handler(paths: list[str] | None, previous: Staged | None) -> Iterator[tuple]:
        yield from on_parse(services, paths, previous)

    def commit_handler(current, request, progress=gr.Progress()):
        return on_commit(services, current, progress, uploader_of(request))

    # Gradio finds its Request parameter by type hint. Hints in this module are strings (postponed
    # evaluation) naming a gradio imported inside this function, so they would not resolve: the
    # handler's hints are the classes themselves.
    commit_handler.__annotations__ = {"current": Staged | None, "request": gr.Request, "return": tuple}

    parse.click(parse_handler, [files, staged], [status, staged, commit], api_name=False, concurrency_id="upload")
    done = commit.click(commit_handler, [staged], [status, staged, commit], api_name=False, concurrency_id="upload")
    return UploadTab(status, done)
