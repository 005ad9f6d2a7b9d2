"""The speech reader: a cited or listed paragraph opened in its whole speech, that paragraph
highlighted and scrolled into view. It covers the page (a side panel on wide screens, the whole
screen on phones) and closing it returns to exactly where the reader was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui.render.browse import render_reader
from ui.static import static_text

# 阅读全文 buttons anywhere fill the hidden target box and press the hidden trigger; the rendered
# reader scrolls its highlighted paragraph into view; ← 返回 / Esc close it and give focus back.
READER_JS = static_text("reader.js")


@dataclass
class Reader:
    view: Any


def reader_html(services: Any, chunk_id: str) -> str:
    """The reader for one chunk id: its speech from the catalogue, the paragraph numbered through the document."""
    chunk_id = (chunk_id or "").strip()
    chunk = services.get_chunk(chunk_id) if chunk_id else None
    store = services.catalogue()
    speech = store.find(chunk.speech_id) if chunk else None
    if chunk is None or speech is None:
        return render_reader(chunk_id, None)
    first = (store.paragraphs_before(speech.source, speech.index) or 0) + 1
    return render_reader(chunk_id, speech, first, first + chunk.paragraph)


def build_reader(services: Any) -> Reader:
    """The overlay and its hidden bridge; build it once, outside the tabs, so every screen can open it."""
    view = gr.HTML("", elem_id="zy-reader", js_on_load=READER_JS)
    target = gr.Textbox(visible="hidden", elem_id="zy-read-target")
    trigger = gr.Button("read", visible="hidden", elem_id="zy-read-trigger")
    trigger.click(lambda chunk_id: reader_html(services, chunk_id), [target], [view], api_name=False, queue=False)
    return Reader(view)
