"""The parser on whole documents: the five seeds, a new hand-made file, records, sidecars, bad files."""

import json
import re
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.parse import load_corpus, load_file
from rag.parse.normalize import collapse_spaces, normalize_chars
from rag.parse.parser import parse_text

ROOT = Path(__file__).resolve().parent.parent
NOISE = ("##", "AAA", "哒哒", "素材库", "下转", "编者按", "核心提示", "……", "记者陈国栋", "江北区委书记滕宏伟：", "这样说")
SEED_MEETINGS = {
    "000_6c1a9d946562d671.txt": ("永川区镇街书记和部门一把手2023年第二季度例会", "区", "2023-07-28"),
    "001_215da853636daeab.txt": ("区县委书记和部门一把手2023年第一季度例会", "市", "2023-04-23"),
    "002_200f79c6ead507cb.txt": ("永川区镇街书记和部门一把手2024年第二次季度例会", "区", "2024-05-10"),
    "003_de71b6df19e28278.txt": ("重庆市永川区第十八届人民代表大会第六次会议", "区", "2025-01-13"),
    "004_e3967ce29b2979f4.txt": ("重庆市区县委书记和部门一把手例会", "市", "2023-10-24"),
}


@pytest.fixture(scope="module")
def seeds():
    corpus = load_corpus([ROOT / "seeds"])
    assert corpus.warnings == []
    return corpus.speeches


def test_every_seed_meeting_name_level_and_date(seeds):
    found = {(s.source, s.meeting.name, s.meeting.level, s.meeting.date) for s in seeds}
    assert found == {(source, *meeting) for source, meeting in SEED_MEETINGS.items()}


def test_publication_line_kept_as_metadata(seeds):
    assert {s.meeting.publication for s in seeds if s.source.startswith("004")} == {"重庆日报，2023年10月24日"}


def test_no_noise_survives(seeds):
    text = "\n".join(p.text for s in seeds for p in s.paragraphs)
    assert [word for word in NOISE if word in text] == []


def test_no_speaker_is_invented(seeds):
    """Every name we report stands on a line of its own source file, after its post."""
    for speech in seeds:
        if speech.speaker:
            source = (ROOT / "seeds" / speech.source).read_text(encoding="utf-8")
            compact = re.sub(r"[ \u3000]", "", source)
            assert speech.speaker in compact
            assert re.search(rf"{re.escape(speech.speaker)}\s*$", compact, re.M)


def test_dev_attribution(seeds):
    """Each listed phrase sits in exactly one speech, with the gold speaker; or speaker null and its unit.

    A unit can only be known when the text names it: where the gold unit is nowhere in the speech,
    the parser must say unknown rather than guess.
    """
    for line in (ROOT / "tests" / "data" / "dev_attribution.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        holders = [s for s in seeds if s.source == gold["source"] and any(gold["phrase"] in p.text for p in s.paragraphs)]
        assert len(holders) == 1, gold
        speech = holders[0]
        if gold["speaker"]:
            assert speech.speaker == gold["speaker"], gold
        else:
            assert speech.speaker is None, gold
            named = gold["unit"] in "".join(p.text for p in speech.paragraphs)
            assert (gold["unit"] in (speech.unit or "")) if named else speech.unit is None, gold


def test_same_name_in_two_posts(seeds):
    posts = {s.speaker_title for s in seeds if s.speaker == "魏寿和"}
    assert posts == {"永川区南大街街道党工委书记", "区卫生健康委党委书记"}


def test_report_has_its_speaker_and_title_from_header(seeds):
    report = [s for s in seeds if s.source.startswith("003")]
    assert len(report) == 1
    assert (report[0].speaker, report[0].title) == ("常晓勇", "重庆市永川区人民政府工作报告")
    assert len(report[0].paragraphs) > 10


def test_glued_subtitle_and_wrapped_title(seeds):
    by_name = {s.speaker: s for s in seeds if s.source.startswith("004")}
    assert by_name["张智奎"].speaker_title == "永川区委书记"
    assert "加快建设现代制造业基地" in by_name["张智奎"].title
    assert by_name["李应兰"].title == "高水平建强西部陆海新通道重庆主枢纽助力服务重庆建设新时代内陆开放高地"


def test_broken_lines_rejoined(seeds):
    text = "\n".join(p.text for s in seeds for p in s.paragraphs)
    assert "建立完善绩效考核体系" in text  # 建立完 / 善绩效 across a blank line
    assert "新增科创平台6个，数智科技领域市级以上研发平台增至73个" in text  # three damaged lines
    assert "发行票面利率2.98%的10亿元中票" in text  # a hard-wrapped column


def test_offsets_point_into_the_source(seeds):
    """source[start:end], with line breaks and width normalised, is the paragraph (less inline noise)."""
    for speech in seeds:
        source = (ROOT / "seeds" / speech.source).read_text(encoding="utf-8")
        for paragraph in speech.paragraphs:
            span = collapse_spaces(normalize_chars(re.sub(r"\s*\n\s*", "", source[paragraph.start:paragraph.end])))
            assert span.startswith(paragraph.text[:10])
            assert paragraph.text[-6:] in span


NEW_FILE = """荣昌区镇街书记和部门一把手2025年第一季度例会上这样说

3月15日，荣昌区召开镇街书记和部门一把手2025年第一季度例会。会上，安富街道、区农业农村委等单位主要负责同志作交流发言，以下是发言摘要。

安富街道聚焦陶瓷产业转型升级，在区委书记王伟的带领下，一季度引进陶瓷企业5家，实现产值12.6亿元，同比增长8.1%。一是做强龙头，推动

安陶小镇扩容提质。二是做优服务，建立“一企一专员”机制，为企业解决问题37个。

以陶兴业 以业富民

荣昌区安富街道党工委书记 周明远

（本版稿件由记者李晓整理）

区农业农村委围绕生猪产业链发展，新建标准化养殖场12个，生猪出栏量达到86万头。一是强化科技支撑，二是完善

冷链物流体系，建成冷库3座。
"""


def test_new_file_in_seed_style():
    """Body before its speaker line; a second body with no speaker line; a credit; a person mentioned."""
    speeches = parse_text(NEW_FILE, "new.txt")
    assert [(s.speaker, s.unit) for s in speeches] == [("周明远", "荣昌区安富街道"), (None, "区农业农村委")]
    first, second = speeches
    assert first.meeting.name == "荣昌区镇街书记和部门一把手2025年第一季度例会"
    assert first.meeting.date == "2025-03-15"
    assert first.title == "以陶兴业 以业富民"
    assert [p.text for p in first.paragraphs] == [
        "安富街道聚焦陶瓷产业转型升级，在区委书记王伟的带领下，一季度引进陶瓷企业5家，实现产值12.6亿元，同比增长8.1%。"
        "一是做强龙头，推动安陶小镇扩容提质。二是做优服务，建立“一企一专员”机制，为企业解决问题37个。"
    ]
    assert second.paragraphs[0].text.endswith("完善冷链物流体系，建成冷库3座。")
    assert all("李晓" not in (s.speaker or "") for s in speeches)


def test_title_then_speaker_then_body_layout():
    text = ("某某区2025年第二季度例会上这样说\n\n"
            "加快产业升级 建设智造高地\n某某区经济信息委主任 赵一鸣\n"
            "区经济信息委坚持工业立区，上半年工业投资增长12%。\n"
            "稳就业惠民生\n某某区人力社保局局长 钱多多\n"
            "今年以来，我们全力稳就业，新增城镇就业1.2万人。\n")
    speeches = parse_text(text, "layout.txt")
    assert [(s.speaker, s.title) for s in speeches] == [("赵一鸣", "加快产业升级 建设智造高地"), ("钱多多", "稳就业惠民生")]
    assert speeches[1].paragraphs[0].text.startswith("今年以来")  # names no unit: layout order decides


def test_fullwidth_indent_and_gbk(tmp_path):
    text = "某区2025年工作例会上这样说\n\n建设区交通局局长 孙立\n\u3000\u3000区交通局全年完成投资１５亿元，同比增长５％。\n"
    path = tmp_path / "gbk.txt"
    path.write_bytes(text.encode("gbk"))
    speeches, _ = load_file(path)
    assert speeches[0].paragraphs[0].text == "区交通局全年完成投资15亿元，同比增长5%。"


def test_sidecar_overrides_meeting(tmp_path):
    (tmp_path / "talk.txt").write_text("今年以来，全区新增市场主体3000户。\n", encoding="utf-8")
    (tmp_path / "talk.meta.json").write_text(json.dumps({"meeting": "某区经济形势分析会", "date": "2024年3月1日",
                                                       "speaker": "周 全"}, ensure_ascii=False), encoding="utf-8")
    speeches, _ = load_file(tmp_path / "talk.txt")
    assert (speeches[0].meeting.name, speeches[0].meeting.date, speeches[0].speaker) == ("某区经济形势分析会", "2024-03-01", "周 全")


def test_jsonl_records_group_into_speeches(tmp_path):
    rows = [{"text": "第一段。", "speaker": "张三", "meeting": "某会", "date": "2024-01-02"},
            {"text": "第二段。", "speaker": "张三", "meeting": "某会", "date": "2024-01-02"},
            "not json", {"speaker": "李四"}, {"text": "另一人。", "speaker": "李四", "unit": "某局"}]
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    (tmp_path / "data.jsonl").write_text("\n".join(lines), encoding="utf-8")
    corpus = load_corpus([tmp_path])
    assert [(s.speaker, len(s.paragraphs), s.meeting.date) for s in corpus.speeches] == [("张三", 2, "2024-01-02"), ("李四", 1, None)]
    assert len(corpus.warnings) == 2 and all("data.jsonl:" in w for w in corpus.warnings)


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "为空"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 30, "二进制"),
    ("undecodable.txt", b"\xff\xfe\xff\xfe\xff" * 10, "编码"),
    ("noise.txt", "（下转6版）\n编者按\n".encode(), "没有"),
])
def test_bad_files_warn_and_batch_goes_on(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.txt").write_text("某区2025年例会上这样说\n\n某区交通局局长 孙立\n区交通局完成投资15亿元。\n", encoding="utf-8")
    corpus = load_corpus([tmp_path])
    assert [s.speaker for s in corpus.speeches] == ["孙立"]
    assert len(corpus.warnings) == 1 and name in corpus.warnings[0] and message in corpus.warnings[0]


def test_unsupported_type_warns_and_a_missing_path_is_an_error(tmp_path):
    (tmp_path / "x.csv").write_text("a,b", encoding="utf-8")
    corpus = load_corpus([tmp_path / "x.csv"])
    assert corpus.speeches == [] and len(corpus.warnings) == 1 and "x.csv" in corpus.warnings[0]
    with pytest.raises(InputError, match="nope.txt"):
        load_corpus([tmp_path / "x.csv", tmp_path / "nope.txt"])


def test_document_without_speech_raises():
    with pytest.raises(InputError, match="x.txt"):
        parse_text("目录\n（下转6版）\n", "x.txt")


DIGEST = """凝心聚力 奋勇争先
——全市2024年三季度区县委书记例会发言摘登

编者按 10月15日，我市2024年三季度区县委书记例会召开，会上，江津、合川等区县作交流发言。

推动制造业高质量发展
江津区委书记 张小山
我们坚持工业强区，前三季度规上工业产值增长9.2%。
江津区推动智能化改造，新建数字化车间15个。

加快建设交通枢纽
合川区委书记 王大海
今年以来，我们全力推进交通建设，完成投资40亿元。

（本版稿件由记者刘一整理）
"""


def test_opening_without_unit_stays_with_the_speaker_above():
    speeches = parse_text(DIGEST, "digest.txt")
    assert [(s.speaker, len(s.paragraphs)) for s in speeches] == [("张小山", 2), ("王大海", 1)]
    assert (speeches[0].meeting.name, speeches[0].meeting.level, speeches[0].meeting.date) == (
        "2024年三季度区县委书记例会", "市", "2024-10-15")


REPORT = """荣昌区人民政府工作报告

——2024年1月10日在荣昌区第十九届人民代表大会第四次会议上

荣昌区人民政府区长 李明华

各位代表：

现在，我代表区人民政府，向大会报告工作，请予审议。

一、2023年工作回顾

过去一年，全区地区生产总值增长6.5%，规上工业增加值增长8.1%。

（一）坚持产业立区，
发展动能持续增强。新引进项目52个。
"""


def test_single_speaker_report_from_its_header():
    speeches = parse_text(REPORT, "report.txt")
    assert len(speeches) == 1
    report = speeches[0]
    assert (report.speaker, report.speaker_title, report.title) == ("李明华", "荣昌区人民政府区长", "荣昌区人民政府工作报告")
    assert (report.meeting.name, report.meeting.level, report.meeting.date) == (
        "荣昌区第十九届人民代表大会第四次会议", "区", "2024-01-10")
    assert [p.text for p in report.paragraphs][2:] == [
        "一、2023年工作回顾", "过去一年，全区地区生产总值增长6.5%，规上工业增加值增长8.1%。",
        "（一）坚持产业立区，发展动能持续增强。新引进项目52个。"]


def test_body_without_unit_before_its_speaker_line_is_kept():
    text = ("某区2025年第一季度例会上这样说\n\n"
            "今年以来，我们全力稳就业，新增城镇就业1.2万人。\n"
            "稳就业惠民生\n某区人力社保局局长 钱多多\n"
            "加快产业升级\n某区经济信息委主任 赵一鸣\n"
            "今年以来，全区工业投资增长12%。\n")
    speeches = parse_text(text, "before.txt")
    assert [(s.speaker, s.paragraphs[0].text[:4]) for s in speeches] == [("钱多多", "今年以来"), ("赵一鸣", "今年以来")]
