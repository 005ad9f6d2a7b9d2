"""The 问答 screen: answers shown stage by stage, sources panel with [n] popovers, filters with chips,
conversations kept in the browser, and the whole conversation as Markdown."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer.compose import Delta
from rag.errors import RagError, UsageError
from rag.query_check import MAX_QUERY_CHARS
from rag.records import Answer, Filters
from rag.library import Catalogue
from ui import history
from ui.followups import follow_ups
from ui.tempfiles import process_folder, remove_older_than
from ui.render.cards import (
    Numbering,
    conversation_markdown,
    esc,
    pending_body,
    render_answer_body,
    render_chips,
    render_conversation,
    render_sources,
)
from ui.static import static_text

log = logging.getLogger(__name__)
EXPORT_PREFIX = "zhengyan-export-"  # + pid: a dead server's folder is removed at the next start
EXPORT_MAX_AGE = 600  # seconds an exported conversation stays on disk (Gradio has copied it by then)

# Written for the app (not taken from any evaluation set).
EXAMPLES = [
    "永川区交通局上半年完成了多少投资?",
    "哪些地方在推进亩均效益改革?",
    "各地在招商引资方面有哪些做法?",
    "双石镇签约了几个招商项目?",
]
STORAGE_KEY = "zhengyan-conversation"
NOTICE = "提示"  # toast title
# Keep the newest message in view; [n] opens a popover (desktop) or a bottom sheet (narrow screens) with
# the cited sentence; "修改后重问" puts the understood question back into the box for editing.
CONVERSATION_JS = static_text("conversation.js")
NO_UPLOADS = "不用上传的文档作答"  # the checkbox leaving every uploaded document out of answers


def form_filters(services: Any, meeting: str | None, unit: str | None, speaker: str | None, date_from: str | None,
                 date_to: str | None, no_uploads: bool = False) -> Filters:
    """The chat form's filters (`Filters.parse`, as the CLI reads its options); with `no_uploads` ticked, the uploaded documents (upload ledger) are left out."""
    uploads = services.uploads if no_uploads else None
    return Filters.parse(speaker, unit, meeting, date_from=date_from, date_to=date_to,
                         exclude_sources=uploads.uploaded_sources() if uploads is not None else frozenset())


def turns_of(answers: list[Answer], catalogue: Catalogue | None = None) -> list[tuple[str, str]]:
    """(question, bubble) pairs; with the `catalogue`, the latest answer offers next questions."""
    last = len(answers) - 1
    return [(a.question, render_answer_body(a, i, follow_ups(a, catalogue) if catalogue and i == last else ()))
            for i, a in enumerate(answers)]


def write_markdown(answers: list[Answer], folder: Path | None = None, number: Numbering | None = None) -> str | None:
    """The whole conversation as a .md file for download (Gradio copies it into its cache).

    All exports of this process share one folder, removed at exit; exports older than EXPORT_MAX_AGE
    are deleted at each write, so a long-running server does not collect one folder per answer.
    """
    if not answers:
        return None
    folder = folder or _export_folder()
    remove_older_than(folder, EXPORT_MAX_AGE)
    path = folder / uuid.uuid4().hex[:12] / "conversation.md"  # the name the user downloads
    path.parent.mkdir()
    path.write_text(conversation_markdown(answers, number), encoding="utf-8")
    return str(path)


@functools.cache
def _export_folder() -> Path:
    return process_folder(EXPORT_PREFIX)


def error_answer(question: str, message: str) -> Answer:
    return Answer(question=question, answer=f"出错了：{message}", answerable=False, mode="error")


@dataclass
class ChatTab:
    question: Any
    ask: Any
    conversation: Any
    sources: Any
    answers: Any
    filters: list[Any]
    chips: Any
    markdown: Any
    download: Any
    stored: Any  # the conversation in the browser's local storage
    clear: Any  # 新对话 (ui/tabs/conversations.py asks before putting the conversation aside)
    column: Any  # the column holding the conversation (ui/tabs/conversations.py adds its list there)

    def restore_outputs(self) -> list[Any]:
        return [self.conversation, self.sources, self.answers, self.markdown, self.download]

    def outputs(self) -> list[Any]:
        """What `on_ask` fills: the shown conversation, the question box, the stored conversation."""
        return [self.conversation, self.sources, self.answers, self.question, self.markdown, self.download,
                self.stored]


def stream_answer(services: Any, question: str, filters: Filters, past: list[Answer]) -> Iterator[tuple[str, str, Answer | None]]:
    """Yield (text so far, stage, None) while the answer comes in, then ("", "", final Answer).

    Uses `answerer.stream` (Delta pieces — stage notes or answer text — then the Answer) when there is
    one, else `answerer.ask`.
    """
    answerer = services.answerer
    past = [a for a in past if a.mode != "error"]  # failed turns are no context for follow-ups
    stream = getattr(answerer, "stream", None)
    if stream is None:
        yield "", "", answerer.ask(question, filters, past)
        return
    text, stage = "", ""
    for event in stream(question, filters, past):
        if isinstance(event, Answer):
            yield "", "", event
            return
        if isinstance(event, Delta) and event.stage:
            stage = event.text
        else:
            text += getattr(event, "text", event if isinstance(event, str) else "")
        yield text, stage, None


def warn(message: str) -> None:
    gr.Warning(message, title=NOTICE)


def on_ask(services: Any, question: str, answers: list[Answer], *form: str) -> Iterator[tuple]:
    """Outputs: conversation, sources, answers, question box, markdown, download, stored conversation."""
    skip = tuple(gr.skip() for _ in range(7))
    answers = list(answers or [])
    question = (question or "").strip()
    if not question:
        warn("请输入问题")
        yield skip
        return
    try:
        filters = form_filters(services, *form)
    except UsageError as exc:
        warn(str(exc))
        yield skip
        return
    done = turns_of(answers)
    yield (render_conversation(done + [(question, pending_body("", "正在检索…"))]), gr.skip(), gr.skip(), "",
           gr.skip(), gr.skip(), gr.skip())
    final: Answer | None = None
    try:
        for partial, stage, answer in stream_answer(services, question, filters, answers):
            if answer is not None:
                final = answer
                break
            yield (render_conversation(done + [(question, pending_body(partial, stage))]), *skip[1:])
    except RagError as exc:
        warn(str(exc))
        final = error_answer(question, str(exc))
    except Exception as exc:  # never show a traceback in the page
        log.exception("answering %r failed", question)
        warn("回答时发生内部错误，请稍后重试。")
        final = error_answer(question, f"内部错误（{type(exc).__name__}）")
    answers.append(final or error_answer(question, "没有得到回答"))
    yield shown(services, answers, "")


def shown(services: Any, answers: list[Answer], question: Any = "") -> tuple:
    """Outputs of `ChatTab.outputs` for a conversation: rendered, exported and stored."""
    catalogue = services.catalogue()
    number = catalogue.paragraph_number
    return (render_conversation(turns_of(answers, catalogue)), render_sources(answers, number), answers, question,
            conversation_markdown(answers, number) if answers else "", write_markdown(answers, number=number),
            history.dump(answers))


def on_restore(services: Any, stored: Any) -> tuple:
    """On page load: the conversation kept in this browser, re-read against the current index."""
    answers = history.load(stored, services.get_chunk)
    if not answers:
        return gr.skip(), gr.skip(), [], gr.skip(), gr.skip()
    conversation, sources, answers, _, markdown, download, _ = shown(services, answers)
    return conversation, sources, answers, markdown, download


def on_filters(services: Any, *form: Any) -> str:
    """Chips for the active filters; a bad date shows as a chip-line error right away."""
    try:
        return render_chips(form_filters(services, *form))
    except UsageError as exc:
        return f'<div class="zy-chips zy-error" role="alert">{esc(str(exc))}</div>'


def build_chat_tab(services: Any) -> ChatTab:
    """Create the 问答 components inside the current Blocks/Tab context and wire their events."""
    store = services.catalogue()
    with gr.Row(equal_height=False, elem_id="zy-chat-row"):
        with gr.Column(scale=3, min_width=300) as conversation_column:
            chips = gr.HTML(render_chips(None), elem_id="zy-chips")
            conversation = gr.HTML(render_conversation([]), elem_id="zy-conv", js_on_load=CONVERSATION_JS)
            with gr.Row(elem_id="zy-ask-row"):
                question = gr.Textbox(
                    label="输入问题", show_label=False, placeholder="输入问题，例如：某区某部门上半年完成了多少投资？",
                    elem_id="zy-question", scale=6, lines=1, max_lines=4, min_width=200, max_length=MAX_QUERY_CHARS,
                )
                ask = gr.Button("提问", variant="primary", elem_id="zy-ask", scale=1, min_width=64)
                clear = gr.Button("新对话", elem_id="zy-clear", scale=1, min_width=64)
            gr.Examples(EXAMPLES, inputs=[question], label="示例问题", elem_id="zy-examples")
            with gr.Accordion("筛选（会议、单位、讲话人、日期）", open=False, elem_id="zy-filters"):
                with gr.Row():
                    meeting = gr.Dropdown(store.meetings(), value=None, label="会议", allow_custom_value=True,
                                          elem_id="zy-f-meeting", min_width=160)
                    unit = gr.Dropdown(store.units(), value=None, label="单位/区县（含下属部门、镇街）",
                                       allow_custom_value=True, elem_id="zy-f-unit", min_width=160)
                    speaker = gr.Dropdown(store.speaker_choices(), value=None, label="讲话人",
                                          allow_custom_value=True, elem_id="zy-f-speaker", min_width=160)
                with gr.Row():
                    date_from = gr.Textbox(label="起始日期", placeholder="2023-01-01", elem_id="zy-f-from", min_width=120)
                    date_to = gr.Textbox(label="结束日期", placeholder="2024-12-31", elem_id="zy-f-to", min_width=120)
                no_uploads = gr.Checkbox(False, label=NO_UPLOADS, elem_id="zy-f-no-uploads",
                                         info="只用建库时的讲话作答，网页上传的文件不参与检索",
                                         visible=services.uploads is not None)
            with gr.Accordion("导出整段对话（Markdown）", open=False, elem_id="zy-export"):
                markdown = gr.Textbox(label="整段对话（含来源）", lines=8, buttons=["copy"], elem_id="zy-markdown")
                download = gr.DownloadButton("下载 .md", value=None, elem_id="zy-download")
        with gr.Column(scale=2, min_width=280):
            gr.Markdown("#### 来源")
            sources = gr.HTML(render_sources([]), elem_id="zy-sources", js_on_load=services.similar_js)
    answers = gr.State([])
    stored = gr.BrowserState(history.dump([]), storage_key=STORAGE_KEY)
    filters = [meeting, unit, speaker, date_from, date_to]
    form = [*filters, no_uploads]
    tab = ChatTab(question, ask, conversation, sources, answers, filters, chips, markdown, download, stored, clear,
                  conversation_column)
    outputs = tab.outputs()

    def handler(question_text: str, past: list[Answer], *form: str) -> Iterator[tuple]:
        yield from on_ask(services, question_text, past, *form)

    inputs = [question, answers, *form]
    ask.click(handler, inputs, outputs, api_name="ask", concurrency_id="ask")
    question.submit(handler, inputs, outputs, api_name=False, concurrency_id="ask")
    for box in form:
        box.change(functools.partial(on_filters, services), form, [chips], api_name=False, queue=False)
    return tab
