"""The line model: its shipped weights, its fit, and the sections decoded from its labels.

Every fixture is written for these tests (invented names, units and figures).
"""

import json

import numpy as np
import pytest

from rag.errors import InputError
from rag.eval.parse_fit import load_folder, score_lines
from rag.parse import line_model
from rag.parse.line_features import FEATURES, feature_matrix, rules_label
from rag.parse.lines import physical_lines
from rag.parse.normalize import front_door
from rag.parse.parser import parse_text


def _lines(text):
    return physical_lines(front_door(text).text)


def test_shipped_weights_match_the_features():
    model = line_model.load()
    assert model.features == FEATURES
    assert model.weights.shape == (len(line_model.LABELS), len(FEATURES))


def test_weights_for_other_features_are_refused(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"labels": list(line_model.LABELS), "features": ["x"], "weights": [[0]] * 4,
                                "intercepts": [0] * 4}), encoding="utf-8")
    with pytest.raises(InputError, match="--fit"):
        line_model.load(path)


def test_features_are_bounded_and_one_row_per_line():
    lines = _lines("座谈会发言摘编\n\n北岭大学校长 林远\n我们坚持立德树人。\n")
    x = feature_matrix(lines)
    assert x.shape == (3, len(FEATURES)) and x.min() >= 0 and x.max() <= 1
    assert feature_matrix([]).shape == (0, len(FEATURES))


def test_fit_learns_labels_and_save_round_trips(tmp_path):
    text = "\n".join(["北岭省科技创新座谈会发言摘编", "", "把论文写在大地上", "北岭农业科学院院长 龚雪",
                      "我们建成试验站12个，推广新品种30个。", "", "让青年挑大梁", "东林大学党委书记 万里",
                      "学校设立青年基金，资助项目200项。", "（新华社，2025年6月3日）"])
    lines = _lines(text)
    gold = ["heading", "heading", "speaker", "body", "heading", "speaker", "body", "noise"]
    x, y = feature_matrix(lines), np.array([line_model.LABELS.index(g) for g in gold])
    model = line_model.fit(x, y, FEATURES, line_model.balanced_weights(y), l2=0.001)
    assert model.labels(x) == gold
    model.save(tmp_path / "w.json")
    assert line_model.load(tmp_path / "w.json").labels(x) == gold


def test_the_old_rules_are_kept_for_comparison():
    lines = _lines("会议发言摘登\n北岭大学校长 林远\n我们坚持立德树人。\n")
    assert rules_label(lines) == ["heading", "speaker", "body"]


def test_a_sub_heading_stays_with_its_speaker():
    text = "\n".join(["北岭省妇女工作座谈会发言摘编", "", "凝聚妇女力量", "北岭省妇联党组书记、主席 苏敏",
                      "省妇联坚持围绕中心服务大局，团结引领妇女建功新时代。", "一、聚焦主责主业",
                      "我们组织开展巾帼建功行动，带动妇女就业创业2万人。", "二、深化改革创新",
                      "推进妇联组织改革，基层执委超过7万人。", "", "守护一方平安", "东林县公安局局长 钟凯",
                      "东林县连续五年无命案，群众安全感达到99%。", ""])
    speeches = parse_text(text, "women.txt")
    assert [(s.speaker, len(s.paragraphs)) for s in speeches] == [("苏敏", 5), ("钟凯", 1)]


def test_markdown_page_front_matter_and_marks():
    text = "\n".join(["---", 'title: "北岭座谈会"', "date: 2026-03-05", "---", "", "# 北岭省科技创新座谈会发言摘编",
                      "", "> 《北岭日报》（2026年03月05日第 08 版）", "", "北岭农业科学院院长 龚雪",
                      "", "我们建成试验站12个，推广新品种30个。", ""])
    speeches = parse_text(text, "page.md")
    assert [s.speaker for s in speeches] == ["龚雪"]
    assert speeches[0].meeting.publication == "北岭日报，2026年03月05日"
    assert all("title:" not in p.text for p in speeches[0].paragraphs)


def test_a_report_is_dated_by_its_session_not_by_the_story():
    text = "\n".join(["新华社北京5月29日电", "政府工作报告", "——2025年5月22日在北岭省第十四届人民代表大会第三次会议上",
                      "北岭省人民政府省长 许正", "各位代表：", "现在，我代表省人民政府，向大会报告工作。", ""])
    report = parse_text(text, "report.txt")[0]
    assert (report.speaker, report.meeting.date) == ("许正", "2025-05-22")
    assert report.meeting.name == "北岭省第十四届人民代表大会第三次会议"


def test_line_scores_on_a_labelled_folder(tmp_path):
    (tmp_path / "d1_x.txt").write_text("会议发言摘登\n北岭大学校长 林远\n我们坚持立德树人。\n", encoding="utf-8")
    rows = [{"doc": "d1", "i": i, "text": t, "label": g} for i, (t, g) in
            enumerate([("会议发言摘登", "heading"), ("北岭大学校长 林远", "speaker"), ("我们坚持立德树人。", "body")])]
    (tmp_path / "gold_lines.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    docs = load_folder(tmp_path)
    assert [d.gold for d in docs] == [["heading", "speaker", "body"]] and docs[0].part == "tune"
    scores = score_lines(line_model.load(), docs)
    assert scores["lines"] == 3 and scores["speaker"]["gold"] == 1


def test_a_heading_under_a_profile_name_line_is_no_speaker():
    text = "\n".join(["---", 'title: "履职故事"', "---", "", "### 韩立新代表——", "", "# 带出干部好作风", "",
                      "> 本报记者  王  明《北岭日报》（2026年02月10日第 04 版）", "", "冬天的北岭，雪山环绕。", "",
                      "在全国人大代表、北岭县委书记韩立新看来，作风就是生产力。", "", "带出干部好作风", "",
                      "他每月下村调研，带出一支能打硬仗的干部队伍。", ""])
    speeches = parse_text(text, "profile.md")
    assert "好作风" not in {s.speaker for s in speeches}
    assert speeches[0].meeting.publication == "北岭日报，2026年02月10日"


def test_posts_no_list_holds_are_read_by_shape():
    text = "\n".join(["北岭省文艺创作座谈会发言摘编", "", "守住舞台的初心", "苏晚晴（北岭歌舞剧院演员）",
                      "我们每年下乡演出120场，观众超过10万人次。", "", "写给年轻人的故事", "青山客（网络作家）",
                      "我的小说连载三年，读者留言有40万条。", "", "拍好身边的人", "陆远（导演）",
                      "这部纪录片跟拍了8位乡村教师。", "一、慢下来", "我们在山村住了两年。", ""])
    speeches = parse_text(text, "arts.txt")
    assert [(s.speaker, s.speaker_title, len(s.paragraphs)) for s in speeches] == [
        ("苏晚晴", "北岭歌舞剧院演员", 1), ("青山客", "网络作家", 1), ("陆远", "导演", 3)]
