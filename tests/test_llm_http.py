"""LLM mode end to end over real HTTP: a scripted OpenAI-compatible server on 127.0.0.1 (JSON and SSE)."""

import socket

import pytest

from rag.answer.answerer import Answerer
from rag.answer.compose import Delta
from rag.config import Settings
from rag.errors import ModelUnavailableError
from rag.answer.evidence import TermWeights
from rag.answer.llm import OpenAICompatibleLLM, complete, load_llm
from rag.records import Answer

from _answer_support import CONFIG, TEST_MODEL, KeywordRetriever, ScriptedOpenAIServer, make_chunks

QUESTION = "青石区一季度新增城镇就业多少人?"


def answerer_for(server: ScriptedOpenAIServer | str) -> Answerer:
    url = server if isinstance(server, str) else server.base_url
    chunks = make_chunks()
    return Answerer(KeywordRetriever(chunks), llm=OpenAICompatibleLLM(url, "test-model", "k"),
                    config=CONFIG, term_weights=TermWeights([c.indexed_text for c in chunks]), model=TEST_MODEL)


def test_streamed_answer_is_checked_and_an_invented_number_dropped():
    reply = "青石区一季度新增城镇就业2.36万人[1]。白河区同期新增就业9.9万人[1]。"
    with ScriptedOpenAIServer(lambda body: reply) as server:
        events = list(answerer_for(server).stream(QUESTION))
    request = server.requests[-1]
    assert request["stream"] is True and request["model"] == "test-model"
    prompt = request["messages"][-1]["content"]
    assert QUESTION in prompt and "[1] 周明远（青石区委书记）" in prompt
    assert "<资料>" in prompt and "</资料>" in prompt  # sources fenced as data
    deltas = [e.text for e in events if isinstance(e, Delta) and not e.stage]
    # Only checked text is streamed: the kept claim as soon as it is complete, never the invented one.
    assert "".join(deltas) == "青石区一季度新增城镇就业2.36万人[1]。"
    assert "9.9" not in "".join(deltas)
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.mode == "llm" and answer.answerable
    assert answer.answer == "青石区一季度新增城镇就业2.36万人[1]。"
    assert len(answer.warnings) == 1 and "9.9" in answer.warnings[0]
    assert [c.marker for c in answer.citations] == [1]
    assert answer.citations[0].hit.chunk.speaker == "周明远" and "2.36万人" in answer.citations[0].sentence


def test_markers_are_renumbered_and_unknown_markers_dropped():
    def reply(body):
        prompt = body["messages"][-1]["content"]
        n = next(line[1] for line in prompt.splitlines() if "周明远" in line)
        return f"新增城镇就业2.36万人[{n}]。另有说法见[7]。"

    with ScriptedOpenAIServer(reply) as server:
        answer = answerer_for(server).ask(QUESTION)
    assert answer.answer == "新增城镇就业2.36万人[1]。"
    assert any("[7]" in w for w in answer.warnings)


def test_nothing_survives_so_the_extractive_answer_is_used():
    with ScriptedOpenAIServer(lambda body: "青石区新增就业3万人[1]。") as server:
        answer = answerer_for(server).ask(QUESTION)
    assert answer.mode == "extractive" and "2.36万人" in answer.answer
    assert any("3" in w for w in answer.warnings) and any("抽取式" in w for w in answer.warnings)


def test_model_says_not_found():
    with ScriptedOpenAIServer(lambda body: "资料中未找到。") as server:
        answer = answerer_for(server).ask(QUESTION)
    assert not answer.answerable and answer.answer.startswith("资料中未找到") and answer.related


def test_unanswerable_question_never_reaches_the_model():
    with ScriptedOpenAIServer(lambda body: "东港区夜间经济很好[1]。") as server:
        answer = answerer_for(server).ask("东港区如何发展夜间经济?")
    assert not answer.answerable and server.requests == []


def test_follow_up_rewritten_by_the_model():
    def reply(body):
        if "改写" in body["messages"][0]["content"]:
            return "白河区一季度村均集体经济收入增长了多少？"
        return "白河区一季度村均集体经济收入增长17.5%[1]。"

    with ScriptedOpenAIServer(reply) as server:
        a = answerer_for(server)
        first = a.ask("青石区一季度新增城镇就业多少人?")
        second = a.ask("那白河呢?", history=[first])
    assert second.rewritten_question == "白河区一季度村均集体经济收入增长了多少？"
    assert second.answer == "白河区一季度村均集体经济收入增长17.5%[1]。"
    assert second.citations[0].hit.chunk.speaker == "孙立"


def test_plain_completion_without_streaming_works_too():
    with ScriptedOpenAIServer(lambda body: "好的") as server:
        llm = OpenAICompatibleLLM(server.base_url, "test-model")
        assert complete(llm, [{"role": "user", "content": "你好"}]) == "好的"
        # the SSE endpoint also answers a non-streaming request
        import httpx

        r = httpx.post(server.base_url + "/chat/completions", json={"model": "m", "messages": []})
        assert r.json()["choices"][0]["message"]["content"] == "好的"


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_unreachable_server_falls_back_with_a_warning():
    answer = answerer_for(_closed_port()).ask(QUESTION)
    assert answer.mode == "extractive" and "2.36万人" in answer.answer
    assert any("LLM 服务调用失败" in w and "RAG_LLM_BASE_URL" in w for w in answer.warnings)


def test_load_llm_from_settings(tmp_path):
    assert load_llm(Settings()) is None
    assert load_llm(Settings(llm_base_url="http://127.0.0.1:1/v1", llm_model="m")).name == "m"
    with pytest.raises(ModelUnavailableError, match="RAG_LLM_MODEL"):
        load_llm(Settings(llm_base_url="http://127.0.0.1:1/v1"))
    with pytest.raises(ModelUnavailableError, match="GGUF"):
        load_llm(Settings(llm_gguf=str(tmp_path / "missing.gguf")))


def test_a_sentence_cut_by_the_token_limit_is_dropped():
    reply = ("青石区一季度新增城镇就业2.36万人[1]。另外青石区还", "length")
    with ScriptedOpenAIServer(lambda body: reply) as server:
        answer = answerer_for(server).ask(QUESTION)
    assert answer.answer == "青石区一季度新增城镇就业2.36万人[1]。"
    assert any("截断" in w for w in answer.warnings)


def test_comparison_list_with_leading_markers():
    def reply(body):
        prompt = body["messages"][-1]["content"]
        assert "按讲话人分条回答" in prompt
        marker = {name: line[1] for line in prompt.splitlines() for name in ("周明远", "孙立", "陈国栋")
                  if line.startswith("[") and name in line}
        return (f"- [{marker['孙立']}] 孙立：优化营商环境，开展帮办代办服务。新增市场主体3000户。\n"
                f"- [{marker['陈国栋']}] 陈国栋：市场主体满意度超过95%。")

    with ScriptedOpenAIServer(reply) as server:
        answer = answerer_for(server).ask("各区县在优化营商环境方面有哪些做法?")
    lines = answer.answer.splitlines()
    assert len(lines) == 1 and lines[0].startswith("- [1] 孙立") and lines[0].endswith("3000户。[1]")
    assert [c.hit.chunk.speaker for c in answer.citations] == ["孙立"]
    assert any("95" in w for w in answer.warnings)  # 陈国栋 said 90%, not 95%
