"""The 相似举措 screen: a topic or a cited chunk id → similar paragraphs from other units, plus an overview."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.answer.question import tokens
from rag.retrieve.similar import SimilarResult, find_similar
from rag.zh import QUESTION_STOPWORDS
from ui.render.cards import esc, topic_label
from ui.render.browse import render_overview, render_similar
from ui.static import static_text

log = logging.getLogger(__name__)

# Bridge from "找相似" buttons inside rendered HTML to a Gradio event: fill the hidden target box, click the
# hidden trigger. Used as js_on_load of every HTML panel that shows passages.
SIMILAR_JS = static_text("similar.js")


@dataclass
class SimilarTab:
    topic: Any
    results: Any
    overview: Any


def run_similar(services: Any, text: str, top_k: float) -> SimilarResult | None:
    """find_similar with the UI's collaborators; RagError propagates for the caller to show."""
    return find_similar(services.retriever, text, get_chunk=services.get_chunk, top_k=int(top_k))


def on_similar(services: Any, text: str, top_k: float) -> tuple:
    text = (text or "").strip()
    if not text:
        gr.Warning("请输入主题，或在引用段落上点“找相似”", title="提示")
        return gr.skip(), gr.skip()
    try:
        result = run_similar(services, text, top_k)
    except RagError as exc:
        gr.Warning(str(exc), title="提示")
        return f'<div class="zy-error">{esc(str(exc))}</div>', ""
    except Exception as exc:  # never a traceback in the page
        log.exception("similar %r failed", text)
        gr.Warning("查找相似举措时发生内部错误。", title="提示")
        return f'<div class="zy-error">内部错误（{esc(type(exc).__name__)}）</div>', ""
    terms = topic_terms(result.query) if result.origin is None else ()
    return render_similar(result, services.catalogue().paragraph_number, terms), render_overview(result)


def topic_terms(topic: str) -> list[str]:
    """The words of a typed topic to mark in the results: the topic itself and its jieba words,
    question words and single characters left out. `topic_terms('夜间经济')` → ['夜间经济', '夜间', '经济']"""
    words = [t for t in tokens(topic) if len(t) > 1 and t not in QUESTION_STOPWORDS]
    return list(dict.fromkeys([topic.strip(), *words]))


def build_similar_tab(services: Any) -> SimilarTab:
    """Components of the 相似举措 tab plus the hidden bridge used by the 找相似 buttons."""
    with gr.Row(elem_id="zy-sim-row"):
        topic = gr.Textbox(
            label="主题", placeholder="例如：智慧路灯；或在问答页的引用上点“找相似”",
            elem_id="zy-sim-topic", scale=5, min_width=200,
        )
        top_k = gr.Slider(3, 20, value=8, step=1, label="数量", scale=1, elem_id="zy-sim-k", min_width=120)
        go = gr.Button("找相似", variant="primary", elem_id="zy-sim-go", scale=1, min_width=80)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            results = gr.HTML(render_similar(None), elem_id="zy-sim-results", js_on_load=SIMILAR_JS)
        with gr.Column(scale=2, min_width=280):
            overview = gr.HTML("", elem_id="zy-sim-overview")

    def handler(text: str, k: float) -> tuple:
        return on_similar(services, text, k)

    go.click(handler, [topic, top_k], [results, overview], api_name="similar", concurrency_id="similar")
    topic.submit(handler, [topic, top_k], [results, overview], api_name=False, concurrency_id="similar")
    return SimilarTab(topic, results, overview)


def wire_similar_bridge(services: Any, tabs: Any, tab: SimilarTab, tab_id: str) -> None:
    """Hidden target/trigger pair: a 找相似 click anywhere opens this tab with the chunk's similar paragraphs;
    the topic box then names the paragraph (title or first words), never its internal id."""
    target = gr.Textbox(visible="hidden", elem_id="zy-sim-target")
    trigger = gr.Button("bridge", visible="hidden", elem_id="zy-sim-trigger")

    def open_similar(chunk_id: str, k: float = 8) -> tuple:
        results, overview = on_similar(services, chunk_id, k)
        chunk = services.get_chunk(chunk_id)
        return gr.Tabs(selected=tab_id), topic_label(chunk) if chunk else "", results, overview

    trigger.click(
        open_similar, [target], [tabs, tab.topic, tab.results, tab.overview],
        api_name=False, concurrency_id="similar",
    )
