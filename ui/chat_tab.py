"""The 问答 screen: streaming cited answers, sources panel, filters, examples and Markdown export."""

from __future__ import annotations

import atexit
import functools
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.errors import RagError, UsageError
from rag.records import Answer, Filters
from ui.render import (
    answer_markdown,
    pending_body,
    render_answer_body,
    render_conversation,
    render_sources,
)

log = logging.getLogger(__name__)

EXAMPLES = [
    "九龙坡区一季度新增城镇就业多少人?",
    "永川区发展改革委争取到了多少中央和市级资金?",
    "各地在优化营商环境方面有哪些做法?",
    "哪些区县也在做类似'亩均效益'改革的事?",
    "2024年永川区粮食产量是多少?",
]
# Keep the newest message in view as the conversation grows or streams.
SCROLL_JS = "watch('value', () => { const c = element.querySelector('.zy-chat'); if (c) c.scrollTop = c.scrollHeight; });"
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
EXPORT_MAX_AGE = 600  # seconds an exported answer stays on disk (Gradio has copied it by then)


def parse_date(text: str | None, end: bool) -> str | None:
    """Lenient ISO date for a range bound: `parse_date('2023', end=True)` → '2023-12-31'; '' → None."""
    text = (text or "").strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    m = _DATE.match(text)
    if not m:
        raise UsageError(f"日期格式不对: {text!r} — 请写成 2023-07-28、2023-07 或 2023")
    year, month, day = m.group(1), m.group(2), m.group(3)
    month = month.zfill(2) if month else ("12" if end else "01")
    day = day.zfill(2) if day else ("31" if end else "01")
    return f"{year}-{month}-{day}"


def make_filters(meeting: str | None, unit: str | None, speaker: str | None, date_from: str | None, date_to: str | None) -> Filters:
    """Filters from the form; blank fields do not filter. Bad dates raise UsageError."""
    lo, hi = parse_date(date_from, end=False), parse_date(date_to, end=True)
    if lo and hi and lo > hi:
        raise UsageError(f"起始日期 {lo} 晚于结束日期 {hi}")
    return Filters(
        meeting=(meeting or "").strip() or None,
        unit=(unit or "").strip() or None,
        speaker=(speaker or "").strip() or None,
        date_from=lo,
        date_to=hi,
    )


def turns_of(answers: list[Answer]) -> list[tuple[str, str]]:
    return [(a.question, render_answer_body(a, i)) for i, a in enumerate(answers)]


def write_markdown(answers: list[Answer], folder: Path | None = None) -> str | None:
    """The latest answer as a .md file for download (Gradio copies it into its cache).

    All exports of this process share one folder, removed at exit; files older than EXPORT_MAX_AGE
    are deleted at each write, so a long-running server does not collect one file per answer.
    """
    if not answers:
        return None
    folder = folder or _export_folder()
    now = time.time()
    for old in folder.iterdir():
        try:
            if now - old.stat().st_mtime > EXPORT_MAX_AGE:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    path = folder / uuid.uuid4().hex[:12] / "answer.md"  # the name the user downloads
    path.parent.mkdir()
    path.write_text(answer_markdown(answers[-1]), encoding="utf-8")
    return str(path)


@functools.cache
def _export_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="zhengyan-export-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


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
    markdown: Any
    download: Any


def stream_answer(services: Any, question: str, filters: Filters, history: list[Answer]) -> Iterator[tuple[str, Answer | None]]:
    """Yield (text so far, None) while the answer streams in, then ("", final Answer).

    Uses `answerer.stream` (Delta pieces, then the Answer) when there is one, else `answerer.ask`.
    """
    answerer = services.answerer
    history = [a for a in history if a.mode != "error"]  # failed turns are no context for follow-ups
    stream = getattr(answerer, "stream", None)
    if stream is None:
        yield "", answerer.ask(question, filters, history)
        return
    text = ""
    for event in stream(question, filters, history):
        if isinstance(event, Answer):
            yield "", event
            return
        text += getattr(event, "text", event if isinstance(event, str) else "")
        yield text, None


def on_ask(services: Any, question: str, answers: list[Answer], *form: str) -> Iterator[tuple]:
    import gradio as gr

    answers = list(answers or [])
    question = (question or "").strip()
    if not question:
        gr.Warning("请输入问题")
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    try:
        filters = make_filters(*form[:5])
        if form[5:] and form[5] and services.uploads is not None:  # 不使用上传的文档
            filters = replace(filters, exclude_sources=services.uploads.uploaded_sources())
    except UsageError as exc:
        gr.Warning(str(exc))
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    done = turns_of(answers)
    yield render_conversation(done + [(question, pending_body(""))]), gr.skip(), gr.skip(), "", gr.skip(), gr.skip()
    final: Answer | None = None
    try:
        for partial, answer in stream_answer(services, question, filters, answers):
            if answer is not None:
                final = answer
                break
            yield render_conversation(done + [(question, pending_body(partial))]), *([gr.skip()] * 5)
    except RagError as exc:
        gr.Warning(str(exc))
        final = error_answer(question, str(exc))
    except Exception as exc:  # never show a traceback in the page
        log.exception("answering %r failed", question)
        gr.Warning("回答时发生内部错误，请稍后重试。")
        final = error_answer(question, f"内部错误（{type(exc).__name__}）")
    answers.append(final or error_answer(question, "没有得到回答"))
    yield (
        render_conversation(turns_of(answers)),
        render_sources(answers),
        answers,
        "",
        answer_markdown(answers[-1]),
        write_markdown(answers),
    )


def on_clear() -> tuple:
    return render_conversation([]), render_sources([]), [], "", "", None


def build_chat_tab(services: Any) -> ChatTab:
    """Create the 问答 components inside the current Blocks/Tab context and wire their events."""
    import gradio as gr

    store = services.store
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            conversation = gr.HTML(render_conversation([]), elem_id="zy-conv", js_on_load=SCROLL_JS)
            with gr.Row():
                question = gr.Textbox(
                    show_label=False, placeholder="输入问题，例如：九龙坡区一季度新增城镇就业多少人?",
                    elem_id="zy-question", scale=6, lines=1, max_lines=4,
                )
                ask = gr.Button("提问", variant="primary", elem_id="zy-ask", scale=1, min_width=80)
                clear = gr.Button("新对话", elem_id="zy-clear", scale=1, min_width=80)
            gr.Examples(EXAMPLES, inputs=[question], label="示例问题", elem_id="zy-examples")
            with gr.Accordion("筛选（会议、单位、讲话人、日期）", open=False, elem_id="zy-filters"):
                with gr.Row():
                    meeting = gr.Dropdown(store.meetings(), value=None, label="会议", allow_custom_value=True, elem_id="zy-f-meeting")
                    unit = gr.Dropdown(store.units(), value=None, label="单位/区县（包含即可）", allow_custom_value=True, elem_id="zy-f-unit")
                    speaker = gr.Dropdown(store.speakers(), value=None, label="讲话人", allow_custom_value=True, elem_id="zy-f-speaker")
                with gr.Row():
                    date_from = gr.Textbox(label="起始日期", placeholder="2023-01-01", elem_id="zy-f-from")
                    date_to = gr.Textbox(label="结束日期", placeholder="2024-12-31", elem_id="zy-f-to")
                    no_uploads = gr.Checkbox(False, label="不使用上传的文档", elem_id="zy-f-no-uploads",
                                             visible=services.uploads is not None)
            with gr.Accordion("导出 Markdown", open=False, elem_id="zy-export"):
                markdown = gr.Textbox(label="最新回答（含来源）", lines=8, buttons=["copy"], elem_id="zy-markdown")
                download = gr.DownloadButton("下载 .md", value=None, elem_id="zy-download")
        with gr.Column(scale=2):
            gr.Markdown("#### 来源")
            sources = gr.HTML(render_sources([]), elem_id="zy-sources", js_on_load=services.similar_js)
    answers = gr.State([])
    filters = [meeting, unit, speaker, date_from, date_to, no_uploads]
    outputs = [conversation, sources, answers, question, markdown, download]

    def handler(question_text: str, history: list[Answer], *form: str) -> Iterator[tuple]:
        yield from on_ask(services, question_text, history, *form)

    inputs = [question, answers, *filters]
    ask.click(handler, inputs, outputs, api_name="ask", concurrency_id="ask")
    question.submit(handler, inputs, outputs, api_name=False, concurrency_id="ask")
    clear.click(on_clear, None, outputs, api_name=False)
    return ChatTab(question, ask, conversation, sources, answers, filters, markdown, download)
