"""Unit tests of the ingestion helpers: decoding, normalisation, noise, speaker lines, meetings."""

import pytest

from rag.errors import InputError
from rag.parse.decode import decode_bytes
from rag.parse.meeting import find_meeting, meeting_level, parse_publication
from rag.parse.noise import is_advert, is_credit, is_noise_line, strip_inline_noise, toc_span
from rag.parse.normalize import collapse_spaces, normalize_chars
from rag.parse.speaker import (
    distinctive_name, parse_speaker_line, split_glued_slogan, unit_mention_score, unit_of_post,
)


@pytest.mark.parametrize("data", ["永川区召开例会。".encode("utf-8"), "\ufeff永川区召开例会。".encode("utf-8"),
                                  "永川区召开例会。".encode("gbk"), "永川区召开例会。".encode("gb18030")])
def test_decodes_utf8_bom_gbk(data):
    assert decode_bytes(data, "a.txt") == "永川区召开例会。"


@pytest.mark.parametrize("data, message", [(b"", "为空"), (b"  \n\n ", "为空"), (b"\x00\x01PK\x03\x04" * 20, "二进制"),
                                           (b"\xff\xfe\xff\xfe\xff" * 10, "编码")])
def test_bad_bytes_are_named_errors(data, message):
    with pytest.raises(InputError, match=message) as caught:
        decode_bytes(data, "bad.txt")
    assert "bad.txt" in str(caught.value)


def test_crlf_becomes_newline():
    assert decode_bytes("一。\r\n二。\r三。".encode(), "a.txt") == "一。\n二。\n三。"


def test_width_normalisation_keeps_length():
    line = "增长１０．２％,达到(一)ＧＤＰ:好"
    out = normalize_chars(line)
    assert out == "增长10.2%，达到（一）GDP：好"
    assert len(out) == len(line)


def test_english_punctuation_stays_half_width():
    assert normalize_chars("PM2.5, GDP (total)") == "PM2.5, GDP (total)"


def test_spaces_dropped_between_chinese_and_numbers():
    assert collapse_spaces("利润 0.57 亿元，增长 41.62%；余 波") == "利润0.57亿元，增长41.62%；余波"
    assert collapse_spaces("PM 2.5 and GDP") == "PM 2.5 and GDP"


def test_inline_noise_removed():
    assert strip_inline_noise("##paidbegin##2．江北区委书记") == "2．江北区委书记"
    assert strip_inline_noise("应用案例。AAA32311699整理。") == "应用案例。"
    assert strip_inline_noise("工作取得新成效，全面推进改革（下转第6版）") == "工作取得新成效，全面推进改革"


@pytest.mark.parametrize("line", ["（下转6版）", "(上转第2版)", "编者按", "核心提示", "目录", "- 3 -",
                                  "（本版稿件由记者陈国栋整理）", "本报记者 王小明",
                                  "【哒哒素材库】——每天更新材料1000多篇，会员群同步更新，有意加入请联系客服"])
def test_noise_lines(line):
    assert is_noise_line(normalize_chars(line))


@pytest.mark.parametrize("line", ["全区招商系统共引进项目59个、协议引资574亿元。", "永川区交通局党委书记、局长 曾宪勇",
                                  "联系群众，服务企业，发展会员经济。"])
def test_speech_text_is_not_noise(line):
    assert not is_noise_line(line)
    assert not is_advert(line)


def test_credit_is_not_a_speaker():
    assert is_credit("（本版稿件由记者陈国栋整理）")
    assert parse_speaker_line("（本版稿件由记者陈国栋整理）") is None


def test_toc_span_covers_wrapped_entries():
    lines = ["汇编（9篇）", "目录", "", "1．高新区党工委书记张三：", "", "以数字化变革塑造新动能………1",
             "", "2．江北区委书记李四：高水平建强", "枢纽…………2", "", "以决战决胜姿态冲刺四季度", "正文开始。"]
    span = toc_span(lines)
    assert (span.start, span.stop) == (1, 9)


@pytest.mark.parametrize("line, post, name", [
    ("永川区发展改革委党组书记、主任 邓正军", "永川区发展改革委党组书记、主任", "邓正军"),
    ("西部科学城重庆高新区党工委书记张安疆", "西部科学城重庆高新区党工委书记", "张安疆"),
    ("永高新集团党委书记、董事长 余 波", "永高新集团党委书记、董事长", "余波"),
    ("璧山区区长江志斌", "璧山区区长", "江志斌"),
    ("区政府副区长，区公安局党委书记、局长 甘 宇", "区政府副区长，区公安局党委书记、局长", "甘宇"),
    ("■ 王伟（荣昌区委书记）", "荣昌区委书记", "王伟"),  # name first, post in brackets
    ("——江津区委书记 李应兰：", "江津区委书记", "李应兰"),
])
def test_speaker_lines(line, post, name):
    parsed = parse_speaker_line(normalize_chars(line))
    assert (parsed.post, parsed.name) == (post, name)


@pytest.mark.parametrize("line", [
    "区住房城乡建委深入学习贯彻总书记重要",  # a wrapped body line ending in a common word
    "书记 张三",  # a role with no unit
    "全区招商系统共引进项目59个。局长 张三",
    "坚持党建统领 强化服务保障",
    "在区委书记张智奎的带领下，全区上下团结奋斗",
])
def test_not_speaker_lines(line):
    assert parse_speaker_line(line) is None


def test_glued_slogan_split_only_before_a_place():
    assert split_glued_slogan("加快建设现代制造业基地永川区委书记") == ("加快建设现代制造业基地", "永川区委书记")
    assert split_glued_slogan("西部科学城重庆高新区党工委书记") == (None, "西部科学城重庆高新区党工委书记")


@pytest.mark.parametrize("post, unit", [
    ("永川区委常委、区政府副区长，永川高新区党工委书记", "永川高新区"),
    ("永川区发展改革委党组书记、主任", "永川区发展改革委"),
    ("石柱土家族自治县委书记", "石柱土家族自治县"),
    ("忠县县委书记", "忠县"),
    ("璧山区区长", "璧山区"),
])
def test_unit_of_post(post, unit):
    assert unit_of_post(post) == unit


@pytest.mark.parametrize("head, unit, homes, matched", [
    ("区卫健委紧扣全区发展思路", "区卫生健康委", (), True),  # abbreviation
    ("科学城高新区更加突出稳进增效", "西部科学城重庆高新区", ("重庆市", "重庆"), True),
    ("石柱县深入学习贯彻", "石柱土家族自治县", (), True),
    ("涪陵坚持制造业立区", "涪陵区", (), True),
    ("2023年上半年，永川高新区坚持党建统领", "永川高新区", ("永川区", "永川"), True),
    ("7月28日，永川区召开例会", "永川高新区", ("永川区", "永川"), False),  # the home district is not a unit
    ("推动高质量发展保驾护航", "永川区发展改革委", ("永川区", "永川"), False),
    ("加快创建现代社区，建成信息中心", "区经济信息委", (), False),
])
def test_unit_mentions(head, unit, homes, matched):
    assert (unit_mention_score(head, distinctive_name(unit, homes)) >= 0.5) is matched


def test_meeting_from_headline_and_intro():
    meeting = find_meeting(["二季度工作怎么干？", "荣昌区镇街书记和部门一把手2025年第一季度例会上这样说",
                            "3月15日，荣昌区召开例会。"])
    assert (meeting.name, meeting.level, meeting.date) == ("荣昌区镇街书记和部门一把手2025年第一季度例会", "区", "2025-03-15")


def test_meeting_from_report_subtitle():
    meeting = find_meeting(["某某县人民政府工作报告", "——2024年2月1日在某某县第三届人民代表大会第四次会议上"])
    assert meeting.name == "某某县第三届人民代表大会第四次会议"
    assert meeting.date == "2024-02-01"


def test_meeting_year_from_publication_line():
    publication = parse_publication("（重庆日报，2023年10月24日）")
    assert publication == "重庆日报，2023年10月24日"
    meeting = find_meeting(["重庆市区县委书记和部门一把手例会交流发言材料汇编"], publication)
    assert (meeting.name, meeting.level, meeting.date) == ("重庆市区县委书记和部门一把手例会", "市", "2023-10-24")


def test_meeting_without_year_has_no_date():
    assert find_meeting(["7月28日，某区召开工作例会。"]).date is None


def test_meeting_levels():
    assert meeting_level("永川区镇街书记例会") == "区"
    assert meeting_level("重庆市永川区第十八届人民代表大会第六次会议") == "区"
    assert meeting_level("区县委书记和部门一把手2023年第一季度例会") == "市"
    assert meeting_level(None) is None
