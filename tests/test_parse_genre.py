"""The parser on the genre's layout variants: byte-level quirks, speaker-line forms, reports, dates.

Every fixture here is written for these tests (not taken from eval/genre*), in the layouts real
digests, symposium summaries and work reports use.
"""

import re
from pathlib import Path

import pytest

from rag.eval.parse import run_parse_eval
from rag.parse.meeting import parse_publication
from rag.parse.noise import is_noise_line
from rag.parse.normalize import collapse_spaces, front_door, normalize_chars
from rag.parse.parser import parse_text
from rag.parse.speaker import parse_speaker_line, run_in_head, unit_of_post

NB, IND = "\u00a0", "\u3000\u3000"


def _digest(line_end: str = "\n") -> str:
    lines = ["", "守正创新 奋进新程", "——推进文化强省建设研讨会发言摘编",
             f"{IND}讲好新时代故事", f"{IND}江城歌剧院党委书记、副院长{NB}韩{NB}冰",
             f"{IND}剧院三年来推出原创剧目11部，演出场次增长四成。",
             f"{IND}我们把舞台搬进社区，\u200b送戏下乡300场。", NB,
             f"{IND}守护文化根脉", f"{IND}北岭师范大学历史学院教授{NB}{NB}顾{NB}{NB}明",
             f"{IND}地方志是一方之全史，要加快数字化整理。", ""]
    return line_end.join(lines)


def _clean(raw: str) -> str:
    """What a paragraph's raw span reads as once normalised the way the parser normalises."""
    text = re.sub(r"\s*\n\s*", "", front_door(raw).text)
    return collapse_spaces(normalize_chars(text.strip()))


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_byte_level_variants_parse_alike(line_end):
    speeches = parse_text(_digest(line_end), "digest.txt")
    assert [(s.speaker, s.unit) for s in speeches] == [("韩冰", "江城歌剧院"), ("顾明", "北岭师范大学历史学院")]
    assert speeches[0].paragraphs[1].text == "我们把舞台搬进社区，送戏下乡300场。"


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_offsets_lead_back_to_the_raw_text(line_end):
    raw = "\ufeff" + _digest(line_end)
    for speech in parse_text(raw, "digest.txt"):
        for paragraph in speech.paragraphs:
            assert _clean(raw[paragraph.start:paragraph.end]) == paragraph.text


@pytest.mark.parametrize("line, post, name", [
    ("北岭省农业农村厅厅长：欧阳 峰", "北岭省农业农村厅厅长", "欧阳峰"),  # post：name, compound surname
    ("韩冰  江城歌剧院副院长", "江城歌剧院副院长", "韩冰"),  # name first, then the post
    ("江城大学经济学院院长 陈 理", "江城大学经济学院院长", "陈理"),  # spaced two-character name
    ("东林县石桥村第一书记 罗 杰", "东林县石桥村第一书记", "罗杰"),
    ("北岭省人民政府省长 许正", "北岭省人民政府省长", "许正"),
])
def test_speaker_line_forms(line, post, name):
    parsed = parse_speaker_line(front_door(line).text)
    assert (parsed.post, parsed.name) == (post, name)


@pytest.mark.parametrize("line", ["本报记者 刘 洋", "区委书记张三强调", "团结奋斗 再创佳绩", "同志们 各位代表"])
def test_not_speaker_lines(line):
    assert parse_speaker_line(line) is None


@pytest.mark.parametrize("post, unit", [
    ("江城歌剧院副院长", "江城歌剧院"),
    ("东林县石桥村第一书记", "东林县石桥村"),
    ("江城大学法学院荣誉一级教授", "江城大学法学院"),
    ("北岭省法学会副会长，北岭省高级人民法院党组成员、副院长", "北岭省高级人民法院"),
    ("江城日报社副总编辑", "江城日报社"),
    ("北岭省人大常委会法工委副主任", "北岭省人大常委会法工委"),  # 工委 here is the unit, not a party organ
    ("东林县人民政府代县长", "东林县人民政府"),
    ("江城市商务委驻石桥村第一书记", "石桥村"),
])
def test_unit_never_ends_inside_a_post_word(post, unit):
    assert unit_of_post(post) == unit


def test_run_in_heads_and_broken_posts():
    text = "\n".join([
        "临江市2024年数字经济推进会交流发言", "",
        "8月20日，临江市召开数字经济推进会。以下是交流发言摘要。", "",
        "青原区区长 陈东：青原区算力规模达到2万P，数字经济核心产业增长18%。",
        "我们还建成工业互联网平台6个。", "",
        "市大数据发展局党组书记、", "局长 孙 丽", "",
        "市大数据发展局推动公共数据开放，目前开放数据集1200个。", "",
        "东林县委书记", "何 平", "",
        "东林县把数字乡村作为重点，建成益农信息社300个。", ""])
    assert run_in_head("青原区区长 陈东：青原区算力规模达到2万P。") == 8
    speeches = parse_text(text, "push.txt")
    assert [(s.speaker, s.unit, len(s.paragraphs)) for s in speeches] == [
        ("陈东", "青原区", 2), ("孙丽", "市大数据发展局", 1), ("何平", "东林县", 1)]
    assert (speeches[0].meeting.name, speeches[0].meeting.date) == ("临江市2024年数字经济推进会", "2024-08-20")


def test_work_report_is_one_speech_with_its_speaker():
    text = "\r\n".join([
        "下载", "打印", "【字号：", "加大", "还原", "减小", "】",
        "2025年北岭省政府工作报告", "——2025年1月20日在北岭省第十四届人民代表大会第三次会议上",
        "来源：北岭日报", "时间：2025-01-27", "北岭省人民政府省长 许正", "各位代表：",
        "现在，我代表省人民政府，向大会报告工作，请予审议。", "一、2024年工作回顾",
        "全省地区生产总值增长5.2%。", "（一）坚持创新驱动。新增高新技术企业1800家。",
        "二、2025年重点工作", "（一）扩大有效需求。实施重点项目900个。", ""])
    speeches = parse_text(text, "report.txt")
    assert len(speeches) == 1
    report = speeches[0]
    assert (report.speaker, report.unit, report.meeting.date) == ("许正", "北岭省人民政府", "2025-01-20")
    assert report.paragraphs[0].text == "各位代表：" and report.paragraphs[-1].text.endswith("实施重点项目900个。")
    assert report.meeting.publication == "北岭日报，2025年1月27日"


def test_report_speaker_named_in_a_news_lead():
    text = "\n".join([
        "政府工作报告提出今年主要预期目标", "",
        "本报北京3月5日电 国务院总理许正5日在全国人民代表大会会议上作政府工作报告时说，今年经济增长目标为5%左右。",
        "许正说，要扩大国内需求，城镇新增就业1200万人以上。", ""])
    speeches = parse_text(text, "news.txt")
    assert [(s.speaker, s.speaker_title, len(s.paragraphs)) for s in speeches] == [("许正", "国务院总理", 2)]


def test_a_date_inside_a_body_is_not_the_meeting_date():
    text = "\n".join([
        "纪念北岭大学建校百年座谈会发言摘编", "",
        "北岭大学校长 林远", "1925年10月1日，北岭大学在战火中诞生。百年来培养各类人才30万人。", "",
        "北岭省教育厅厅长 罗杰", "2019年7月1日起，全省推行新一轮高校综合改革。", ""])
    speeches = parse_text(text, "symposium.txt")
    assert [s.speaker for s in speeches] == ["林远", "罗杰"]
    assert speeches[0].meeting.name == "纪念北岭大学建校百年座谈会" and speeches[0].meeting.date is None


def test_parse_eval_scores_against_gold(tmp_path):
    (tmp_path / "d1_digest.txt").write_text(_digest(), encoding="utf-8")
    (tmp_path / "gold_attribution.jsonl").write_text(
        '{"doc": "d1", "phrase": "送戏下乡300场", "speaker": "韩冰", "unit": "江城歌剧院"}\n'
        '{"doc": "d1", "phrase": "加快数字化整理", "speaker": "顾明", "unit": "北岭师范大学历史学院"}\n'
        '{"doc": "d1", "phrase": "一方之全史", "speaker": "王五", "unit": "某单位"}\n', encoding="utf-8")
    (tmp_path / "gold_meetings.json").write_text('{"d1": {"must": ["研讨会"], "date": null}}', encoding="utf-8")
    data, path = run_parse_eval((tmp_path,), tmp_path / "out.json")
    total = data["total"]
    assert (total["phrases"], total["speaker_precision"], total["speaker_recall"]) == (3, 0.667, 0.667)
    assert (total["meeting_accuracy"], total["date_accuracy"]) == (1.0, 1.0)
    assert path.exists() and Path(path).read_text(encoding="utf-8").startswith("{")


def test_a_name_typeset_with_spaces_may_be_a_dictionary_word():
    assert parse_speaker_line("江城大学党委书记 万  里").name == "万里"
    assert parse_speaker_line("区住房城乡建委深入学习贯彻总书记重要") is None  # a wrapped body line


def test_a_titled_speech_without_a_readable_speaker_line_stays_unattributed():
    text = "\n".join([
        "基层治理座谈会发言摘登", "",
        "【网格连着千万家】", "青原区委书记 陈东", "青原区划分网格860个，配备专职网格员1200名。", "",
        "【让数据多跑路】", "我们把42个事项搬到网上办，群众少跑腿。", "",
        "【小事不出村】", "东林县石门乡党委书记 何平", "石门乡设立村级调解室23个，矛盾就地化解率达95%。", ""])
    speeches = parse_text(text, "untitled.txt")
    assert [s.speaker for s in speeches] == ["陈东", None, "何平"]
    assert speeches[1].paragraphs[-1].text == "我们把42个事项搬到网上办，群众少跑腿。"


def test_unlisted_post_under_a_title_and_a_name_line_above_its_post():
    text = "\n".join([
        "先进模范座谈会发言摘编", "",
        "【把活干到极致】", "北岭机床厂高级技工 严 峻", "三十年来，我带出徒弟200多名，完成技术革新46项。", "",
        "【守护一方平安】", "■ 钟 凯", "东林县公安局石门派出所所长", "派出所辖区连续五年无命案，群众安全感达到99%。", ""])
    speeches = parse_text(text, "models.txt")
    assert [(s.speaker, s.title) for s in speeches] == [("严峻", "【把活干到极致】"), ("钟凯", "【守护一方平安】")]
    assert speeches[1].unit == "东林县公安局石门派出所"


def test_an_unlisted_post_shape_alone_is_not_a_speaker():
    text = "\n".join(["北岭机床厂高级技工 严 峻", "三十年来，我带出徒弟200多名。", ""])
    assert parse_text(text, "alone.txt")[0].speaker is None


@pytest.mark.parametrize("line", ["新华社记者 张 建", "北岭日报记者 王小明 摄", "【纠错】", "（责编：王一、李二）", "小字号"])
def test_bylines_credits_and_page_buttons_are_noise(line):
    assert is_noise_line(line)
    assert parse_speaker_line(line) is None


@pytest.mark.parametrize("line, publication", [
    ("（新华社，2025年6月3日）", "新华社，2025年6月3日"),
    ("2024年06月12日05:06 | 来源：人民网－人民日报", "人民网－人民日报，2024年06月12日"),
])
def test_publication_lines(line, publication):
    assert parse_publication(line) == publication
