"""The seven kinds of answer failure of issue 19, each in the app (system Chromium, Playwright) on a
small fictional corpus of its own written here (no seed sentence, no evaluation question):
several places in one question, another year's figure, follow-up rewriting, questions about the
corpus itself, statistics abbreviations, "how" answers listing the measures, and a national scope.

Each test indexes its own corpus (real model) in a temporary folder and serves it on a free port.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, free_port, latest_answer, open_page, ask

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MEETING = "松岭市区县负责同志2026年第一季度例会"


def speech(unit_post: str, title: str, *paragraphs: str, meeting: str = MEETING, date: str = "3月18日") -> str:
    return "\n\n".join([f"{meeting}发言摘编", f"{date}，松岭市召开{meeting}。以下是发言摘要。", title, unit_post,
                        *paragraphs]) + "\n"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("system Chromium missing — run `make browser-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def app_page(browser, tmp_path: Path, files: dict[str, str]):
    """The app over `files` (name → text), and a page open on it."""
    from rag.config import Settings
    from rag.ingest.pipeline import ingest_paths
    from ui.app import launch_app
    from ui.wiring import create_app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings.from_env(index_dir=tmp_path / "index")
    ingest_paths([corpus], settings)
    demo = create_app(settings, tmp_path / "uploads")
    port = free_port()
    launch_app(demo, "127.0.0.1", port, block=False)
    context, page = open_page(browser, f"http://127.0.0.1:{port}/")
    try:
        yield page
    finally:
        context.close()
        demo.close()


TWO_DISTRICTS = {
    "a.txt": speech("青枫区委书记 韩立川", "稳中求进 开局良好",
                    "青枫区一季度地区生产总值增长6.2%，规模以上工业增加值增长8.1%。",
                    "青枫区一季度新增城镇就业1260人，城镇调查失业率保持在5%以内。"),
    "b.txt": speech("梅川区委书记 苏晚晴", "产业升级 动能增强",
                    "梅川区一季度地区生产总值增长5.8%，固定资产投资增长9.4%。",
                    "梅川区一季度新增城镇就业980人，开发公益性岗位120个。"),
}


def test_two_places_in_one_question_are_answered_each_with_its_citation(browser, tmp_path):
    with app_page(browser, tmp_path, TWO_DISTRICTS) as page:
        ask(page, "青枫和梅川一季度地区生产总值各增长多少?")
        answer = latest_answer(page)
        assert "6.2%" in answer and "5.8%" in answer and "没有提到" not in answer
        assert "[1]" in answer and "[2]" in answer


def test_another_years_figure_is_named_as_such_never_given_as_the_answer(browser, tmp_path):
    files = {"a.txt": speech("青枫区人民政府区长 程远舟", "主要预期目标",
                             "2024年，青枫区地区生产总值预期增长5%左右，一般公共预算收入增长4%。",
                             "我们将坚持项目为王，全年实施重点项目80个。",
                             meeting="青枫区2024年经济工作会议", date="1月10日")}
    with app_page(browser, tmp_path, files) as page:
        ask(page, "青枫区2026年地区生产总值预期增长多少?")
        answer = latest_answer(page)
        assert "资料中未找到" in answer and "资料中只有2024年的数据" in answer and "5%" in answer


def test_follow_ups_swap_the_place_and_short_new_questions_stand_alone(browser, tmp_path):
    with app_page(browser, tmp_path, TWO_DISTRICTS) as page:
        ask(page, "青枫区一季度新增城镇就业多少人?")
        assert "1260人" in latest_answer(page)
        ask(page, "那梅川区呢?")
        answer = latest_answer(page)
        assert "理解为：梅川区一季度新增城镇就业多少人?" in answer and "青枫区梅川区" not in answer
        assert "980人" in answer
        ask(page, "开发了哪些岗位?")
        assert "理解为" not in latest_answer(page)  # a complete new question is not glued to the last one


def test_questions_about_speakers_are_answered_from_the_catalogue(browser, tmp_path):
    with app_page(browser, tmp_path, TWO_DISTRICTS) as page:
        ask(page, "苏晚晴是在哪次会议上讲话的?")
        answer = latest_answer(page)
        assert MEETING in answer and "[1]" in answer and "资料中未找到" not in answer
        ask(page, "韩立川担任过哪些职务?")
        assert "青枫区委书记" in latest_answer(page)


def test_a_statistics_abbreviation_finds_the_full_term(browser, tmp_path):
    files = {"a.txt": speech("青枫区统计局局长 魏知秋", "经济运行总体平稳",
                             "2025年，青枫区地区生产总值达到512.6亿元，社会消费品零售总额达到188.3亿元。",
                             "全区服务业增加值占比提高到52%。")}
    with app_page(browser, tmp_path, files) as page:
        ask(page, "青枫区2025年GDP是多少?")
        assert "512.6亿元" in latest_answer(page)
        ask(page, "青枫区2025年社零是多少?")
        assert "188.3亿元" in latest_answer(page)


def test_a_how_question_lists_the_measures_each_cited(browser, tmp_path):
    files = {"a.txt": speech("青枫区融媒体中心主任 陆清和", "媒体融合 守正创新",
                             "青枫区融媒体中心按照“移动优先”重塑采编流程。一是建成指挥调度中心，统一策划选题。"
                             "二是建成内容生产中心，一次采集多元发布。三是建成技术支撑中心，搭建自主可控平台。"
                             "四是建成运营服务中心，拓展政务服务和文创业务。")}
    with app_page(browser, tmp_path, files) as page:
        ask(page, "青枫区融媒体中心是怎样重塑采编流程的?")
        bullets = [ln for ln in latest_answer(page).splitlines() if ln.startswith("- ")]
        assert len(bullets) >= 3 and all("[1]" in b for b in bullets)
        assert any("指挥调度中心" in b for b in bullets) and any("运营服务中心" in b for b in bullets)


def test_a_sentence_stating_the_national_scope_answers_a_national_question(browser, tmp_path):
    files = {"a.txt": speech("青枫区农业农村委主任 杜若衡", "示范创建 稳步推进",
                             "青枫区把数字乡村试点作为重点，今年新建示范村12个。",
                             "截至去年底，全国已有600个数字乡村试点县通过验收，我区是其中之一。")}
    with app_page(browser, tmp_path, files) as page:
        ask(page, "全国有多少个数字乡村试点县通过了验收?")
        answer = latest_answer(page)
        assert "600个" in answer and "资料中未找到" not in answer
