"""The Gradio app built on stub collaborators (no model, no browser): wiring, streaming, error messages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rag.answer.compose import Delta
from rag.library import Catalogue
from rag.errors import IndexMissingError
from rag.records import Answer, Citation
from rag.records import Filters, Meeting, Paragraph, Speech
from tests.test_similar import CHUNKS, KeywordRetriever, lookup
from ui.tabs.chat import on_ask, on_restore, stream_answer
from ui.tabs.similar import on_similar

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # gr.Warning outside a request


class StubAnswerer:
    def __init__(self, retriever, fail: Exception | None = None):
        self.retriever = retriever
        self.fail = fail
        self.seen: list[tuple[str, Filters, list]] = []

    def stream(self, question, filters=None, history=()):
        self.seen.append((question, filters, list(history)))
        if self.fail:
            raise self.fail
        yield Delta("检索中", stage=True)
        hits = self.retriever.search(question, 3, filters)
        yield Delta("正在")
        yield Delta("回答")
        yield Answer(question, "答案<script>x</script>[1]", True,
                     citations=(Citation(1, hits[0], hits[0].chunk.text),))


def services(fail: Exception | None = None):
    retriever = KeywordRetriever(CHUNKS)
    speech = Speech(Meeting("会A", date="2023-04-23"), "张三", "区长", "江岸区", None, (Paragraph("段", 0, 1),), "a.txt")
    return SimpleNamespace(retriever=retriever, answerer=StubAnswerer(retriever, fail), catalogue=lambda: Catalogue([speech]),
                           get_chunk=lookup, uploads=None, similar_js="")


def test_build_app_wires_the_four_screens():
    from ui.app import build_app

    s = services()
    demo = build_app(s.retriever, s.answerer, s.catalogue, get_chunk=lookup)
    config = demo.get_config_file()
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert {"问答", "相似举措", "资料库"} <= labels
    assert "上传" not in labels  # no UploadManager given → no upload screen
    endpoints = {d.get("api_name") for d in config["dependencies"]}
    assert {"ask", "similar"} <= endpoints


def test_stream_accumulates_deltas_then_final_answer():
    events = list(stream_answer(services(), "亩均效益", Filters(), []))
    assert [e[0] for e in events[:-1]] == ["", "正在", "正在回答"]
    assert [e[1] for e in events[:-1]] == ["检索中", "检索中", "检索中"]  # the stage note stays until text replaces it
    assert events[-1][2].answer.startswith("答案")


def test_on_ask_renders_escaped_answer_and_keeps_history():
    s = services()
    *partials, final = list(on_ask(s, "亩均效益", [], "", "", "", "", ""))
    conversation, sources, answers, question, markdown, download, stored = final
    assert "&lt;script&gt;" in conversation and "<script>x" not in conversation
    assert 'href="#zy-src-0-1"' in conversation and "zy-src-0-1" in sources
    assert len(answers) == 1 and question == ""
    assert markdown.startswith("## 问题") and download.endswith("conversation.md")
    assert stored["turns"][0]["citations"][0][1] == answers[0].citations[0].hit.chunk.chunk_id
    list(on_ask(s, "亩均呢", answers, "", "江岸", "", "2023", ""))
    question, filters, history = s.answerer.seen[-1]
    assert filters == Filters(unit="江岸", date_from="2023-01-01") and len(history) == 1


@pytest.mark.parametrize("error,shown", [
    (IndexMissingError("索引不存在: x — 先运行 `rag ingest`"), "索引不存在"),
    (RuntimeError("boom at line 3"), "内部错误（RuntimeError）"),
])
def test_errors_become_messages_not_tracebacks(error, shown):
    final = list(on_ask(services(error), "问题", [], "", "", "", "", ""))[-1]
    conversation = final[0]
    assert shown in conversation and "Traceback" not in conversation and "line 3" not in conversation
    assert "zy-error" in conversation and "zy-notfound" not in conversation


def test_failed_turns_are_not_history_for_follow_ups():
    s = services()
    failed = Answer("坏问题", "出错了：x", False, mode="error")
    list(on_ask(s, "亩均", [failed], "", "", "", "", ""))
    assert s.answerer.seen[-1][2] == []


@pytest.mark.parametrize("bad", ["昨天", "2024-13-45", "2023-02-30"])
def test_bad_date_is_rejected_before_answering(bad):
    s = services()
    out = list(on_ask(s, "问题", [], "", "", "", bad, ""))
    assert len(out) == 1 and not s.answerer.seen


def test_stored_conversation_comes_back_with_its_citations():
    s = services()
    final = list(on_ask(s, "亩均效益", [], "", "", "", "", ""))[-1]
    conversation, sources, answers, markdown, _ = on_restore(s, final[-1])
    assert [a.question for a in answers] == ["亩均效益"] and answers[0].citations
    assert "zy-src-0-1" in sources and markdown.startswith("## 问题")
    assert on_restore(s, {"format": 99})[2] == []  # unreadable storage: an empty conversation


def test_similar_handler_renders_groups_and_overview():
    results, overview = on_similar(services(), CHUNKS[0].chunk_id, 5)
    assert "江北区" in results and "zy-unit" in results and "<table>" in overview
    error, _ = on_similar(services(), "nope.txt:0:0:0", 5)
    assert "zy-error" in error and "nope.txt:0:0:0" in error
