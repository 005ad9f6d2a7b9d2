"""Follow-up rewriting: rules without a model, the model when given, rules again when it fails."""

import pytest

from rag.answer.llm import LLMError
from rag.records import Answer, Chunk, Citation, Hit
from rag.answer.rewrite import LOCAL, Lexicon, Rewriter, is_follow_up, rule_rewrite

from _answer_support import make_chunks


def turn(question: str, cited: int | None = None) -> Answer:
    chunks = make_chunks()
    citations = (Citation(1, Hit(chunks[cited], 1.0), "句子"),) if cited is not None else ()
    return Answer(question, "答", True, citations)


@pytest.mark.parametrize("q, follow", [
    ("那白河呢?", True), ("他还提到了什么?", True), ("那么云溪区呢", True), ("具体数字?", True),
    ("云溪区一季度规上工业增加值增长多少?", False), ("各地在推进数字化转型方面有哪些做法?", False),
])
def test_is_follow_up(q, follow):
    assert is_follow_up(q) is follow


def test_place_swap():
    history = [turn("青石区一季度新增城镇就业多少人?")]
    assert rule_rewrite("那白河呢?", history) == "白河区一季度新增城镇就业多少人?"
    known = {"白河区"}.__contains__
    assert rule_rewrite("那张华呢?", history, lambda s: s == "张华") == "张华一季度新增城镇就业多少人?"
    assert rule_rewrite("那白河呢?", history, known) == "白河区一季度新增城镇就业多少人?"
    assert rule_rewrite("那么云溪区呢？", history) == "云溪区一季度新增城镇就业多少人?"


def test_swap_replaces_comparison_words():
    history = [turn("各地在发展林下经济方面有哪些做法?")]
    assert rule_rewrite("那江岸呢?", history) == "江岸在发展林下经济方面有哪些做法?"
    assert rule_rewrite("那江岸呢?", history, {"江岸区"}.__contains__) == "江岸区在发展林下经济方面有哪些做法?"


def test_pronoun_takes_the_cited_speaker_from_metadata():
    history = [turn("青石区一季度新增城镇就业多少人?", cited=0)]
    assert rule_rewrite("他还提到了什么?", history) == "周明远还提到了什么?"


def test_pronoun_with_unknown_speaker_uses_the_unit():
    history = [turn("石门镇重设了多少个职责岗位?", cited=3)]
    assert rule_rewrite("他还提到了什么?", history).startswith("石门镇")


def test_bare_follow_up_carries_place_and_topic():
    history = [turn("云溪区一季度规上工业增加值增长多少?")]
    out = rule_rewrite("具体数字?", history)
    assert out.startswith("云溪区") and "增加值" in out


def test_standalone_question_is_left_alone():
    history = [turn("青石区一季度新增城镇就业多少人?")]
    q = "白河区一季度村均集体经济收入增长了多少?"
    assert Rewriter().rewrite(q, history) == q
    assert Rewriter().rewrite("那白河呢?", []) == "那白河呢?"


class ScriptedLLM:
    name = "scripted"

    def __init__(self, reply: str | Exception) -> None:
        self.reply, self.calls = reply, []

    def stream(self, messages, max_tokens=256):
        self.calls.append(messages)
        if isinstance(self.reply, Exception):
            raise self.reply
        yield from [self.reply[:3], self.reply[3:]]


def test_llm_rewrite_is_used_and_cleaned():
    llm = ScriptedLLM("改写后的问题：白河区一季度新增城镇就业多少人？\n")
    out = Rewriter(llm).rewrite("那白河呢?", [turn("青石区一季度新增城镇就业多少人?")])
    assert out == "白河区一季度新增城镇就业多少人？"
    prompt = llm.calls[0][-1]["content"]
    assert "青石区一季度新增城镇就业多少人?" in prompt and "那白河呢?" in prompt


def test_llm_failure_falls_back_to_rules():
    llm = ScriptedLLM(LLMError("down"))
    out = Rewriter(llm).rewrite("那白河呢?", [turn("青石区一季度新增城镇就业多少人?")])
    assert out == "白河区一季度新增城镇就业多少人?"


def test_pronoun_after_a_refusal_takes_the_first_related_passage():
    chunks = make_chunks()
    refused = Answer("白河区一季度新增城镇就业多少人?", "资料中未找到", False, related=(Hit(chunks[1], 1.0),))
    assert rule_rewrite("他还提到了什么?", [refused]) == "孙立还提到了什么?"


def test_bare_place_prefers_the_plain_suffix_the_corpus_knows():
    history = [turn("各地在发展林下经济方面有哪些做法?")]
    known = {"江岸区", "江岸高新区"}.__contains__
    assert rule_rewrite("那江岸呢?", history, known) == "江岸区在发展林下经济方面有哪些做法?"


def test_new_focus_replaces_the_previous_speaker():
    history = [turn("周明远还提到了什么?", cited=0)]
    assert rule_rewrite("那白河呢?", history, {"白河区"}.__contains__) == "白河区还提到了什么?"


LEXICON = Lexicon(frozenset({"周海涛", "林晓燕"}), frozenset({"青溪区", "云岭区"}),
                  frozenset({"交通局", "招商投资局", "白鹭镇"}))


@pytest.mark.parametrize("follow_up, expected", [
    ("那招商投资局呢?", "青溪区招商投资局一季度完成了多少投资?"),  # department for department
    ("那财政局呢?", "青溪区财政局一季度完成了多少投资?"),  # a department the corpus lacks: refused later, not swapped for the district
    ("那云岭区呢?", "云岭区交通局一季度完成了多少投资?"),  # district for district
    ("那2024年呢?", "青溪区交通局2024年一季度完成了多少投资?"),  # a year with no counterpart goes before the period
])
def test_follow_up_swaps_the_same_kind_of_entity(follow_up, expected):
    history = [Answer("青溪区交通局一季度完成了多少投资?", "", True)]
    assert rule_rewrite(follow_up, history, lambda s: False, LEXICON) == expected


def test_person_and_year_swaps():
    history = [Answer("2024年周海涛提到了哪些举措?", "", True)]
    assert rule_rewrite("那林晓燕呢?", history, lambda s: False, LEXICON) == "2024年林晓燕提到了哪些举措?"
    assert rule_rewrite("那2025年呢?", history, lambda s: False, LEXICON) == "2025年周海涛提到了哪些举措?"


def test_lexicon_reads_the_corpus_names_by_kind():
    meeting = "青溪区镇街和部门负责同志2025年第一季度例会"
    chunks = [Chunk(f"q.txt:{i}:0:0", "正文。", "", who, None, unit, meeting, None, "q.txt", i, 0, 0, 0, 3)
              for i, (who, unit) in enumerate([("郑国栋", "青溪区公安局"), ("吴佳音", "青溪区白鹭镇")])]
    lexicon = Lexicon.from_chunks(chunks)
    assert lexicon.speakers == {"郑国栋", "吴佳音"} and lexicon.districts == {"青溪区"}
    assert lexicon.locals == {"公安局", "白鹭镇"}
    assert lexicon.names_of("青溪区公安局化解了多少纠纷?", LOCAL) == ["公安局"]


REWRITE_LEXICON = Lexicon(frozenset({"柳明"}), frozenset({"白沙区", "青溪区"}), frozenset())


@pytest.mark.parametrize("previous,follow_up,expected", [
    # a district written without its suffix is swapped, never concatenated
    ("白沙上半年新增城镇就业多少人?", "那青溪区呢?", "青溪区上半年新增城镇就业多少人?"),
    # a year and a period swap their counterparts; a year alone goes before the period
    ("青溪区2022年一季度出口增长多少?", "那2023年上半年呢?", "青溪区2023年上半年出口增长多少?"),
    ("青溪区一季度出口增长多少?", "那2023年呢?", "青溪区2023年一季度出口增长多少?"),
    # a topic of no known kind replaces the previous topic
    ("数字化改革有什么成效?", "那乡村振兴呢?", "乡村振兴有什么成效?"),
    # a short complete question stands alone
    ("青溪区数字化改革有什么成效?", "推进了哪些改革?", "推进了哪些改革?"),
    # a bare ask keeps the person the previous question named
    ("柳明讲了哪些成绩?", "具体数字?", "柳明成绩：具体数字?"),
])
def test_follow_up_replaces_and_never_glues(previous, follow_up, expected):
    assert rule_rewrite(follow_up, [Answer(previous, "", True)], lambda s: False, REWRITE_LEXICON) == expected
