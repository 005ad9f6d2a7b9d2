"""Several conversations: 新对话 asks before putting the current one aside, and a list of the past
conversations (kept in this browser, like the current one) opens any of them again."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.records import Answer
from ui import history
from ui.static import static_text
from ui.tabs.chat import ChatTab, shown

ARCHIVE_KEY = "zhengyan-past-conversations"
CONFIRM = (
    '<div id="zy-clear-confirm" role="alertdialog" aria-label="开始新对话" hidden>'
    "当前对话会移到下方“以前的对话”里，随时可以回来。开始新对话？"
    '<button type="button" class="zy-clear-yes">开始新对话</button>'
    '<button type="button" class="zy-clear-no">取消</button></div>'
)
# 新对话 on an empty conversation does nothing; otherwise it shows the confirmation bar.
ASK_FIRST_JS = """() => {
  if (!document.querySelector('#zy-conv .zy-bot')) return;
  const bar = document.getElementById('zy-clear-confirm');
  bar.hidden = false; bar.querySelector('.zy-clear-yes').focus();
}"""


@dataclass
class Conversations:
    archive: Any  # the past conversations in the browser's local storage
    past: Any  # the list to pick one from


def now() -> str:
    return time.strftime("%m-%d %H:%M")


def past_choices(archive: Any) -> Any:
    return gr.Dropdown(choices=[(p.label(), p.key) for p in history.past_list(archive)], value=None)


def on_new(services: Any, answers: list[Answer], archive: Any) -> tuple:
    """The current conversation goes into the list; an empty one takes its place."""
    archive = history.put_aside(archive, answers or [], now())
    return (*shown(services, []), archive, past_choices(archive))


def on_open(services: Any, key: str | None, answers: list[Answer], archive: Any) -> tuple:
    """Open a past conversation; the current one (if any) goes into the list in its place."""
    found, rest = history.take(archive, key)
    if found is None:
        return (*(gr.skip() for _ in range(7)), gr.skip(), past_choices(archive))
    rest = history.put_aside(rest, answers or [], now())
    return (*shown(services, history.load(found.conversation, services.get_chunk)), rest, past_choices(rest))


def build_conversations(services: Any, chat: ChatTab) -> Conversations:
    """Adds the confirmation bar and the list under the conversation, and wires 新对话."""
    with chat.column:
        gr.HTML(CONFIRM, elem_id="zy-clear-bar", js_on_load=static_text("new_conversation.js"))
        past = gr.Dropdown([], value=None, label="以前的对话（保存在本浏览器）", elem_id="zy-past", interactive=True)
    go = gr.Button("new", visible="hidden", elem_id="zy-clear-go")
    archive = gr.BrowserState([], storage_key=ARCHIVE_KEY)
    outputs = [*chat.outputs(), archive, past]
    chat.clear.click(None, None, None, js=ASK_FIRST_JS, api_name=False)
    go.click(lambda answers, kept: on_new(services, answers, kept), [chat.answers, archive], outputs,
             api_name=False, queue=False)
    past.select(lambda key, answers, kept: on_open(services, key, answers, kept), [past, chat.answers, archive],
                outputs, api_name=False, queue=False)
    return Conversations(archive, past)
