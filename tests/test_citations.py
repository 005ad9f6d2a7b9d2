"""Citation markers and the citation check: markers resolve, numbers occur in the cited chunk."""

import pytest

from rag.answer.citations import (check, claims, first_use_order, markers, normalise_markers, number_in, numbers,
                           renumber, source_line, who)
from rag.records import Hit

from _answer_support import make_chunks


@pytest.fixture()
def hits():
    return [Hit(c, 1.0) for c in make_chunks()]


@pytest.mark.parametrize("text, expected", [
    ("增长10%【1】", "增长10%[1]"),
    ("见[1,2]和[3、4]", "见[1][2]和[3][4]"),
    ("[ 2 ]", "[2]"),
])
def test_markers_are_normalised(text, expected):
    assert normalise_markers(text) == expected


def test_claims_keep_trailing_markers_with_their_sentence():
    assert claims("甲增长5%。[1]乙达3个[2]。\n丙") == ["甲增长5%。[1]", "乙达3个[2]。", "丙"]
    assert markers("甲[2]乙[1][2]") == [2, 1, 2]
    assert first_use_order("甲[2]乙[1][2]") == [2, 1]


@pytest.mark.parametrize("number, text, found", [
    ("2.36", "新增城镇就业2.36万人", True),
    ("6", "增长6.3%", False),
    ("6", "116个", False),
    ("2462", "整改问题2,462个", True),
    ("3", "完成３个", True),
])
def test_numbers_match_whole(number, text, found):
    assert number_in(number, text) is found


def test_numbers_ignore_markers():
    assert numbers("增长17.5%[1]，共2,462个[12]") == ["17.5", "2462"]


def test_check_keeps_supported_claims(hits):
    result = check("青石区新增城镇就业2.36万人[1]。白河区村均集体经济收入增长17.5%[2]。", hits)
    assert result.dropped == () and result.warnings == ()
    assert result.text == "青石区新增城镇就业2.36万人[1]。白河区村均集体经济收入增长17.5%[2]。"


def test_check_drops_invented_number(hits):
    result = check("青石区新增城镇就业2.36万人[1]。白河区新增就业9.9万人[2]。", hits)
    assert result.kept == ("青石区新增城镇就业2.36万人[1]。",)
    assert len(result.warnings) == 1 and "9.9" in result.warnings[0]


def test_a_figure_cited_to_the_wrong_chunk_is_recited_to_the_one_holding_it(hits):
    # 17.5% is 孙立's figure (chunk 2), not 周明远's (chunk 1)
    result = check("白河区增长17.5%[1]。", hits)
    assert result.kept == ("白河区增长17.5%。[2]",)
    assert "改注" in result.warnings[0]


def test_a_figure_no_single_source_holds_is_dropped(hits):
    assert check("白河区增长99%[2]。", hits).kept == ()
    # 2.36万 is 青石区's; no chunk says it of 云溪区
    result = check("云溪区新增城镇就业2.36万人[1]。", hits)
    assert result.kept == () and "云溪区" in result.warnings[0]


def test_check_drops_marker_without_source(hits):
    result = check("青石区推出职来帮App[9]。", hits)
    assert result.kept == () and "[9]" in result.warnings[0]


def test_check_drops_unmarked_claims_but_keeps_short_connectives(hits):
    result = check("具体如下：\n青石区推出职来帮App并大力推进就业服务工作。\n新增就业2.36万人。", hits)
    assert result.kept == ("具体如下：", "新增就业2.36万人。[1]")  # the figure finds its source
    assert len(result.dropped) == 1 and "没有标注来源" in result.warnings[0]


def test_renumber():
    assert renumber("甲[3]乙[1]丙[3]", [3, 1]) == "甲[1]乙[2]丙[1]"


def test_who_and_source_line_use_only_the_chunks_metadata(hits):
    assert who(hits[0].chunk) == "周明远（青石区委书记）"
    unknown = hits[3].chunk
    assert who(unknown) == "讲话人未知（石门镇）"
    line = source_line(1, hits[3], "石门镇重设职责岗位86个")
    assert line.startswith("[1] 讲话人未知 · 石门镇 · 江岸区镇街和部门负责同志2023年第二季度例会 · 2023-07-28")
    assert "石门镇重设职责岗位86个" in line and "f3.txt 第1段" in line


def test_a_claim_naming_a_speaker_must_cite_that_speaker(hits):
    result = check("- 陈国栋：新增城镇就业2.36万人[1]。", hits)  # 2.36万 is 周明远's, not 陈国栋's
    assert result.kept == () and "陈国栋" in result.warnings[0]
    fixed = check("- 孙立：优化营商环境，开展帮办代办服务。", hits)  # unmarked list item from a small model
    assert fixed.kept == ("- 孙立：优化营商环境，开展帮办代办服务。[2]",)


def test_an_ellipsis_marks_a_shortened_quote_not_the_end_of_a_claim():
    line = "孙立（白河区委书记）：……开展帮办代办服务，新增市场主体2600户。[1]"
    assert claims(line) == [line]
