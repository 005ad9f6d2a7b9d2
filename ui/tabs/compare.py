"""The 对比 screen: two units' statements on one topic side by side, each passage attributed and
placed (speaker, post, meeting, 全文第N段) and openable in its speech.

Retrieval is the Retriever's, once per unit with the unit filter (a district includes its departments
and towns); a passage is shown only when it names the topic (one of its words), so a unit that never
spoke about it says so instead of showing its nearest unrelated paragraph."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.errors import RagError
from rag.query_check import check_query
from rag.records import Filters, Hit
from ui.render.browse import render_compare
from ui.render.cards import esc
from ui.tabs.similar import topic_terms

log = logging.getLogger(__name__)
PER_UNIT = 3  # passages per side
FETCH = 8  # searched per side before keeping those that name the topic


@dataclass
class CompareTab:
    left: Any
    right: Any


def statements(services: Any, topic: str, unit: str, terms: list[str]) -> list[Hit]:
    """The unit's best passages on the topic that name one of its words."""
    hits = services.retriever.search(topic, FETCH, Filters(unit=unit))
    return [h for h in hits if any(t in h.chunk.text for t in terms)][:PER_UNIT]


def on_compare(services: Any, topic: str, left: str | None, right: str | None) -> str:
    topic = (topic or "").strip()
    units = [(u or "").strip() for u in (left, right)]
    if not topic or not all(units):
        gr.Warning("请选择两个单位并输入主题", title="提示")
        return gr.skip()
    try:
        check_query(topic)
        terms = topic_terms(topic)
        sides = [(unit, statements(services, topic, unit, terms)) for unit in units]
    except RagError as exc:
        gr.Warning(str(exc), title="提示")
        return f'<div class="zy-error">{esc(str(exc))}</div>'
    except Exception as exc:  # never a traceback in the page
        log.exception("compare %r failed", topic)
        return f'<div class="zy-error">内部错误（{esc(type(exc).__name__)}）</div>'
    return render_compare(topic, sides, services.catalogue().paragraph_number, terms)


def build_compare_tab(services: Any) -> CompareTab:
    units = services.catalogue().units()
    with gr.Row(elem_id="zy-cmp-row"):
        left = gr.Dropdown(units, value=None, label="单位甲", allow_custom_value=True, elem_id="zy-cmp-left",
                           scale=2, min_width=160)
        right = gr.Dropdown(units, value=None, label="单位乙", allow_custom_value=True, elem_id="zy-cmp-right",
                            scale=2, min_width=160)
        topic = gr.Textbox(label="主题", placeholder="例如：夜间经济", elem_id="zy-cmp-topic", scale=3, min_width=160)
        go = gr.Button("对比", variant="primary", elem_id="zy-cmp-go", scale=1, min_width=80)
    view = gr.HTML('<div class="zy-note">选两个单位和一个主题，两边的讲话段落并排显示。</div>', elem_id="zy-cmp-view")
    for event in (go.click, topic.submit):
        event(lambda t, a, b: on_compare(services, t, a, b), [topic, left, right], [view], api_name=False,
              concurrency_id="similar")
    return CompareTab(left, right)
