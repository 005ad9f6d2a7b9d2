"""The extractive answerer over inline chunks: cited facts, comparisons grouped by speaker, refusals,
follow-ups, sentence scoring without encoding sentences, refusal reasons quoting real words."""

import pytest

from dataclasses import replace

from rag.answer.answerer import Answerer, judge
from rag.answer.compose import Delta, select
from rag.answer.citations import markers
from rag.errors import UsageError
from rag.answer.evidence import TermWeights, candidates, excerpt, figure_flags, score, term_match
from rag.answer.question import analyse
from rag.places import corpus_places, place_in, places
from rag.records import Answer, Filters

from _answer_support import CONFIG, TEST_MODEL, KeywordRetriever, make_chunks


@pytest.fixture()
def chunks():
    return make_chunks()


@pytest.fixture()
def answerer(chunks):
    return Answerer(KeywordRetriever(chunks), config=CONFIG, term_weights=TermWeights([c.indexed_text for c in chunks]),
                    model=TEST_MODEL)


def test_fact_answer_is_cited_by_the_right_speaker(answerer):
    a = answerer.ask("青石区一季度新增城镇就业多少人?")
    assert a.answerable and a.mode == "extractive"
    assert "2.36万人" in a.answer and a.answer.endswith("[1]")
    assert [c.marker for c in a.citations] == [1]
    c = a.citations[0]
    assert c.hit.chunk.speaker == "周明远" and "2.36万人" in c.sentence
    assert a.answer.startswith("周明远（青石区委书记）")
    assert a.to_json()["citations"][0]["speaker"] == "周明远"


def test_every_marker_resolves_to_a_citation(answerer):
    for q in ("白河区一季度村均集体经济收入增长了多少?", "各区县在优化营商环境方面有哪些做法?"):
        a = answerer.ask(q)
        assert set(markers(a.answer)) == {c.marker for c in a.citations}


def test_comparison_groups_by_unit_and_opens_with_the_places(answerer):
    a = answerer.ask("各区县在优化营商环境方面有哪些做法?")
    assert a.answerable
    speakers = [c.hit.chunk.speaker for c in a.citations]
    assert len(set(speakers)) == len(speakers) >= 3
    opening, *bullets = a.answer.splitlines()
    assert opening.startswith("涉及：") and all(c.hit.chunk.unit[:2] in opening for c in a.citations)
    assert all(b.startswith("- ") and "营商环境" in b for b in bullets)  # only on-topic sentences
    for c in a.citations:  # each line names the cited chunk's own speaker
        line = next(ln for ln in bullets if f"[{c.marker}]" in ln)
        assert line.startswith(f"- {c.hit.chunk.speaker}（")


def test_unknown_speaker_is_said_so(answerer):
    a = answerer.ask("石门镇重设了多少个职责岗位?")
    assert a.answerable and "86个" in a.answer
    assert a.answer.startswith("讲话人未知（石门镇）")
    assert a.citations[0].hit.chunk.speaker is None


@pytest.mark.parametrize("q, reason", [
    ("东港区如何发展夜间经济?", "东港区"),
    ("青石区的财政收入是多少?", ""),
    ("全国城镇新增就业多少人?", "全国"),
])
def test_not_answerable(answerer, q, reason):
    a = answerer.ask(q)
    assert not a.answerable and a.citations == ()
    assert a.answer.startswith("资料中未找到") and "相关但未直接回答" in a.answer
    assert reason in a.answer and a.related
    assert not markers(a.answer)


def test_stream_yields_text_then_the_answer(answerer):
    events = list(answerer.stream("白河区一季度村均集体经济收入增长了多少?"))
    assert isinstance(events[-1], Answer) and all(isinstance(e, Delta) for e in events[:-1])
    stages = [e.text for e in events[:-1] if e.stage]
    assert stages[0] == "正在检索…" and "检索到" in stages[1]  # what is being done, before the answer
    assert "".join(e.text for e in events[:-1] if not e.stage) == events[-1].answer


def test_follow_up_is_rewritten_before_retrieval(answerer):
    first = answerer.ask("青石区一季度新增城镇就业多少人?")
    second = answerer.ask("那白河呢?", history=[first])
    assert second.rewritten_question == "白河区一季度新增城镇就业多少人?"  # the corpus knows 白河区
    assert all(c.hit.chunk.speaker != "周明远" for c in second.citations)  # never 青石区's figure for 白河
    assert answerer._retriever.queries[-1] == second.rewritten_question
    assert second.question == "那白河呢?"


def test_he_also_said_skips_what_was_already_cited(answerer):
    first = answerer.ask("青石区一季度新增城镇就业多少人?")
    second = answerer.ask("他还提到了什么?", history=[first])
    assert second.rewritten_question.startswith("周明远")
    assert "2.36万人" not in second.answer


def test_filters_reach_the_retriever(answerer):
    a = answerer.ask("一季度增长了多少?", filters=Filters(speaker="陈国栋"))
    assert all(c.hit.chunk.speaker == "陈国栋" for c in a.citations + tuple(a.related))


def test_empty_question_is_a_usage_error(answerer):
    with pytest.raises(UsageError):
        answerer.ask("  ")


def test_sentences_inherit_their_chunks_dense_score(chunks):
    info = analyse("云溪区一季度规上工业增加值增长多少?")
    hits = KeywordRetriever(chunks).search(info.text, 3)
    hits = [replace(h, dense_score=s) for h, s in zip(hits, (0.90, 0.91, 0.87))]
    ranked = score(candidates(hits, info), info)
    assert "8.6%" in ranked[0].sentence and ranked[0].dense == 0.90
    assert {c.dense for c in ranked if c.hit is hits[1]} == {0.91}


def test_question_analysis():
    info = analyse("秀峰自治县前三季度地区生产总值增长多少?")
    assert info.places == ("秀峰自治县",) and info.wants_figure and info.unit == "%"
    assert analyse("各地在推进数字化转型方面有哪些做法?").comparison
    assert places("老旧小区和工业园区") == []
    assert place_in("江岸区", "江岸高新区党工委书记") and not place_in("渝中区", "打造成渝中部产业新高地")


def test_evidence_helpers():
    info = analyse("青石区一季度新增城镇就业多少人?")
    long = "围绕高校毕业生、退役军人和农民工等重点群体搭建线上线下联动的招聘对接平台，推出“职来帮”小程序，在街道和社区布设就业服务站点138个，上半年新增城镇就业2.36万人。"
    cut = excerpt(long, info)
    assert cut.startswith("……") and cut.endswith("2.36万人。") and len(cut) < len(long)
    assert figure_flags("2024年工作回顾", None, ["2024"]) == (False, False)
    assert term_match("粮食产量", "粮食种植面积99万亩、产量达9.7亿斤") > 0


def test_judge_requires_a_figure_for_figure_questions(chunks):
    info = analyse("石门镇的职责改革有多少人参与?")
    ranked = [c for c in candidates([h for h in KeywordRetriever(chunks).search(info.text, 4)], info)]
    hits = KeywordRetriever(chunks).search(info.text, 4)
    verdict = judge(select(ranked, info, CONFIG), ranked, info, hits, TermWeights([c.indexed_text for c in chunks]),
                    TEST_MODEL)
    assert not verdict.answerable


def test_how_question_lists_the_enumerated_measures():
    text = ("双河镇推进人居环境整治。一是清理河道淤泥3处。二是新建污水管网12公里。三是开展垃圾分类入户宣传。"
            "镇里还召开了总结会。")
    speech_chunks = make_chunks()
    base = speech_chunks[0]
    chunk = replace(base, chunk_id="h.txt:0:0:0", text=text, speaker="赵六", speaker_title="双河镇党委书记",
                    unit="双河镇", source="h.txt", header="双河镇 · 双河镇党委书记 · 赵六")
    chunks = [chunk] + speech_chunks
    a = Answerer(KeywordRetriever(chunks), config=CONFIG, term_weights=TermWeights([c.indexed_text for c in chunks]),
                 model=TEST_MODEL).ask("双河镇怎样推进人居环境整治?")
    assert a.answerable
    lines = a.answer.splitlines()
    assert lines[0].startswith("赵六（双河镇党委书记）") and len(lines) == 4
    assert [ln[:4] for ln in lines[1:]] == ["- 一是", "- 二是", "- 三是"]
    assert all(ln.endswith("[1]") for ln in lines[1:]) and "12公里" in a.answer


def test_places_come_from_words_and_the_corpus_gazetteer(chunks):
    assert places("打造芳香小镇有哪些做法") == []
    assert places("2025年三季度金山区完成了什么") == ["金山区"]
    known = corpus_places([replace(chunks[0], unit="江岸区双河镇", speaker_title="双河镇党委书记")])
    assert {"江岸区双河镇", "双河镇", "江岸区"} <= known
    assert places("那双河镇呢", known) == ["双河镇"]


def test_refusal_reason_quotes_a_real_word_of_the_question(answerer):
    a = answerer.ask("青石区如何打造芳香小镇?")
    assert not a.answerable
    said = a.answer.split("资料中没有提到", 1)[1].split("）", 1)[0]
    assert said in ("打造", "芳香", "小镇")  # a jieba word of the question, never "造芳香小镇"
