"""Builds the Gradio Blocks app from injected retriever/answerer/store objects; no retrieval logic here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.records import Chunk
from ui.tabs.chat import ChatTab, build_chat_tab, on_restore
from ui.tabs.compare import CompareTab, build_compare_tab
from ui.tabs.conversations import build_conversations, past_choices
from ui.tabs.reader import build_reader
from ui.tabs.library import LibraryTab, build_library_tab, overview_html
from ui.tabs.similar import SIMILAR_JS, build_similar_tab, wire_similar_bridge
from rag.library import Catalogue
from ui.static import STATIC
from ui.guard import Guard
from ui.upload import UploadManager
from ui.tabs.upload import build_upload_tab

CSS_PATH = STATIC / "style.css"
ARIA_JS_PATH = STATIC / "aria_zh.js"  # Gradio's English ARIA labels → Chinese
TITLE = "政言 · 政府讲话语义问答"


@dataclass
class Services:
    """What the screens call: the same objects the CLI uses, passed in by the caller."""

    retriever: Any  # .search(query, k, filters) -> list[Hit]
    answerer: Any  # .ask(question, filters, history) -> Answer; optional .stream(...)
    catalogue: Callable[[], Catalogue]  # what the index holds now (Library.catalogue)
    get_chunk: Callable[[str], Chunk | None]
    uploads: UploadManager | None = None
    similar_js: str = SIMILAR_JS


def build_app(
    retriever: Any,
    answerer: Any,
    catalogue: Callable[[], Catalogue],
    *,
    get_chunk: Callable[[str], Chunk | None],
    uploads: UploadManager | None = None,
) -> Any:
    """The app's screens (问答, 相似举措, 对比, 资料库, 上传). Serve it with `launch_app`."""
    return build_app_from(Services(retriever, answerer, catalogue, get_chunk, uploads))


def build_app_from(services: Services) -> Any:
    """As `build_app`; handlers read `services` on every call, so its answerer may be replaced later."""
    # Gradio's copies of uploads and exports are deleted after an hour (checked every 10 minutes).
    with gr.Blocks(title=TITLE, delete_cache=(600, 3600)) as demo:
        gr.HTML(
            '<div class="zy-header"><h1>政言</h1><span>政府讲话语义问答 · 每个回答都注明讲话人、会议和原文段落</span></div>',
            elem_id="zy-header",
        )
        with gr.Tabs(elem_id="zy-tabs") as tabs:
            with gr.Tab("问答", id="chat", elem_id="zy-tab-chat"):
                chat = build_chat_tab(services)
                conversations = build_conversations(services, chat)
            with gr.Tab("相似举措", id="similar", elem_id="zy-tab-similar"):
                similar = build_similar_tab(services)
            with gr.Tab("对比", id="compare", elem_id="zy-tab-compare"):
                compare = build_compare_tab(services)
            with gr.Tab("资料库", id="library", elem_id="zy-tab-library") as library_tab:
                library = build_library_tab(services)
            upload = None
            if services.uploads is not None:
                with gr.Tab("上传", id="upload", elem_id="zy-tab-upload"):
                    upload = build_upload_tab(services)
        build_reader(services)
        wire_similar_bridge(services, tabs, similar, "similar")
        refresh = _wire_refresh(services, chat, compare, library, library_tab, upload)
        demo.load(lambda stored, past: (*on_restore(services, stored), past_choices(past)),
                  [chat.stored, conversations.archive], [*chat.restore_outputs(), conversations.past],
                  api_name=False, queue=False)
        refresh(demo.load)  # a reload lists what was added since the app was built (uploads)
    return demo


def _wire_refresh(services: Services, chat: ChatTab, compare: CompareTab, library: LibraryTab, library_tab: Any,
                  upload: Any) -> Callable[[Any], Any]:
    """After an upload (or on opening the library) the overview and dropdowns list the new meetings and
    speakers; returns the refresh as a listener for other events (the page load)."""
    def choices() -> tuple:
        store = services.catalogue()
        return (
            gr.Dropdown(choices=store.meetings()),
            gr.Dropdown(choices=store.units()),
            gr.Dropdown(choices=store.speaker_choices()),
            gr.Dropdown(choices=store.meetings()),
            gr.Dropdown(choices=store.speaker_choices()),
            overview_html(store),
            gr.Dropdown(choices=store.units()),
            gr.Dropdown(choices=store.units()),
        )

    targets = [chat.filters[0], chat.filters[1], chat.filters[2], library.meeting, library.speaker, library.overview,
               compare.left, compare.right]
    library_tab.select(choices, None, targets, api_name=False, queue=False)
    if upload is not None:
        upload.commit.then(choices, None, targets, api_name=False, queue=False)
    return lambda event: event(choices, None, targets, api_name=False, queue=False)


def launch_app(demo: Any, host: str = "127.0.0.1", port: int = 7860, *, concurrency: int = 4, block: bool = True,
               inbrowser: bool = False, auth: Sequence[tuple[str, str]] = (), max_upload_mb: int = 20,
               allow_upload: bool = True) -> Any:
    """Queue (bounded concurrency, so 10+ sessions wait instead of failing) and serve; with `auth`,
    every page and route needs a login, and login attempts are limited per client (ui/guard.py). With
    `allow_upload` off, the upload route refuses every request. Gradio serves files only from its own
    cache folder."""
    from starlette.middleware import Middleware

    demo.queue(default_concurrency_limit=concurrency, max_size=256)
    return demo.launch(
        app_kwargs={"middleware": [Middleware(Guard, allow_upload=allow_upload)]},
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        inbrowser=inbrowser,
        show_error=False,
        quiet=True,
        auth=list(auth) or None,
        max_file_size=f"{max_upload_mb}mb",
        footer_links=[],
        css=CSS_PATH.read_text(encoding="utf-8"),
        head=f"<script>{ARIA_JS_PATH.read_text(encoding='utf-8')}</script>",
        theme=gr.themes.Soft(
            primary_hue="red",
            font=["Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
            font_mono=["Noto Sans Mono CJK SC", "monospace"],
        ),
        ssr_mode=False,
    )
