"""The Gradio app in system Chromium (Playwright), on a small corpus written for these tests
(tests/data/ui_corpus: a fictional 青溪区 meeting and a city meeting; no evaluation question is used).

One app per module: the fixture indexes the corpus (real model) in a temporary folder and serves it on a
free 127.0.0.1 port in this process. Tests run in file order; the upload tests come last because they
grow the index.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 90_000  # ms; the first answer loads jieba and the model on 2 cores
CORPUS = Path(__file__).parent / "data" / "ui_corpus"

UPLOAD_TEXT = """测试区2025年第一季度例会

智慧路灯点亮山城夜

测试区城市管理局局长 张明远

测试区城市管理局今年新建智慧路灯3721盏，覆盖全部主干道，夜间事故下降了三成。

我们还建成了城市照明管理平台，实现路灯故障自动报警。
"""
EVIL_TEXT = """恶意区2025年第二季度例会

恶意区网信办主任 王恶意

恶意区网信办开展网络安全宣传周活动<script>alert(1)</script>，详情见[官网链接](http://evil.example/x)，共发放网络安全手册8848份。
"""
# A cell (leaf element with text) narrower than this many characters but taller than this many lines
# is text wrapped one character per line.
ONE_CHAR_PER_LINE_JS = """
() => {
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.children.length || !el.textContent.trim() || el.textContent.trim().length < 2) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const fs = parseFloat(getComputedStyle(el).fontSize) || 14;
    if (r.width < fs * 1.6 && r.height > fs * 2.6) bad.push(el.textContent.trim().slice(0, 12));
  }
  return bad;
}
"""


ENGLISH_ARIA_JS = """
() => [...document.querySelectorAll('[aria-label]')]
  .filter(e => e.getClientRects().length && /^[A-Za-z][A-Za-z .,'-]*$/.test(e.getAttribute('aria-label')))
  .map(e => e.getAttribute('aria-label'))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("system Chromium missing — run `make browser-deps`")
    from rag.config import Settings
    from rag.ingest.pipeline import ingest_paths
    from ui.app import launch_app
    from ui.wiring import create_app

    root = tmp_path_factory.mktemp("ui")
    settings = Settings.from_env(index_dir=root / "index")
    ingest_paths([CORPUS], settings)
    demo = create_app(settings, root / "uploads")
    port = free_port()
    launch_app(demo, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str, width: int = 1400, height: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(url)
    pg.wait_for_selector("#zy-question textarea")
    return context, pg


@pytest.fixture
def page(browser, app_url):
    context, pg = open_page(browser, app_url)
    yield pg
    context.close()


def ask(page, question: str) -> None:
    turns = page.locator("#zy-sources details.zy-turn").count()
    page.fill("#zy-question textarea", question)
    page.click("#zy-ask")
    page.wait_for_function(
        f"document.querySelectorAll('#zy-sources details.zy-turn').length > {turns}", timeout=TIMEOUT
    )


def latest_answer(page) -> str:
    return page.locator("#zy-conv .zy-bot").last.inner_text()


def latest_heads(page) -> list[str]:
    return page.locator("#zy-sources details[open] .zy-src-head").all_inner_texts()


def open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()


def open_filters(page) -> None:
    page.get_by_text("筛选（会议、单位、讲话人、日期）").click()


def test_department_follow_up_is_answered_from_that_departments_speech(page):
    ask(page, "青溪区交通局一季度完成了多少投资?")
    assert "8.36亿元" in latest_answer(page)
    ask(page, "那招商投资局呢?")
    answer = latest_answer(page)
    assert "理解为：青溪区招商投资局一季度完成了多少投资?" in answer
    assert "186亿元" in answer and "8.36亿元" not in answer
    heads = latest_heads(page)
    assert heads and all("林晓燕" in h and "青溪区招商投资局" in h for h in heads)
    page.click("#zy-conv .zy-bot >> nth=-1 >> .zy-edit-q")  # the understood question can be edited
    assert page.locator("#zy-question textarea").input_value() == "青溪区招商投资局一季度完成了多少投资?"


def test_metadata_follow_up_is_answered_from_the_cited_chunk(page):
    ask(page, "青溪区交通局一季度完成了多少投资?")
    ask(page, "他是在哪次会议上说的?")
    answer = latest_answer(page)
    assert "青溪区镇街书记和部门一把手2025年第一季度例会" in answer and "2025-03-21" in answer
    assert "周海涛" in answer and "[1]" in answer
    assert "周海涛" in latest_heads(page)[0]


def test_comparison_lists_only_on_topic_bullets_grouped_by_place(page):
    ask(page, "哪些地方在发展夜间经济?")
    opening, *bullets = [ln for ln in latest_answer(page).splitlines() if ln.strip()]
    assert opening.startswith("涉及：") and "青溪区" in opening and "白鹭镇" in opening and "云岭区" in opening
    assert len(bullets) == 3 and all(b.startswith("- ") and "夜间经济" in b for b in bullets)
    assert not any("面临" in b or "石门" in b for b in bullets)  # the problem statement and other topics stay out
    assert opening.index("白鹭镇") < opening.index("云岭区")  # the town sits under its district


def test_unit_filter_matches_a_department_that_names_no_district(page):
    open_filters(page)
    unit = page.locator("#zy-f-unit input")
    unit.click()
    unit.fill("青溪")
    unit.press("Enter")
    page.wait_for_selector("#zy-chips .zy-chip:has-text('单位：青溪')")
    ask(page, "一季度刑事警情下降了多少?")
    assert "17.3%" in latest_answer(page)
    heads = latest_heads(page)
    assert heads and "青溪区公安局" in heads[0] and "区公安局党委书记" in heads[0]  # resolved unit, raw post


def test_citation_popover_and_readable_source_card(page):
    ask(page, "青溪区交通局一季度完成了多少投资?")
    page.locator("#zy-conv a.zy-cite").first.click()
    pop = page.locator("#zy-pop")
    pop.wait_for(state="visible")
    assert "zy-popover" in pop.get_attribute("class")
    assert "8.36亿元" in pop.locator(".zy-pop-text").inner_text() and "周海涛" in pop.inner_text()
    page.click("#zy-pop .zy-pop-go")
    pop.wait_for(state="hidden")
    card = page.locator("#zy-sources details[open] .zy-src").first
    foot = card.locator(".zy-src-foot").inner_text()
    assert "《织密路网 畅通城乡》" in foot and "全文第" in foot
    assert ".txt" not in card.inner_text() and "相关度" not in card.inner_text()  # no file hash, no fusion score
    card.locator(".zy-similar-btn").click()
    page.wait_for_selector("#zy-sim-results .zy-unit")
    assert page.locator("#zy-sim-topic textarea").input_value() == "织密路网 畅通城乡"  # a title, not an id


def test_invalid_date_is_refused_with_a_message(page):
    open_filters(page)
    page.fill("#zy-f-from textarea", "2024-13-45")
    page.locator("#zy-f-from textarea").blur()
    page.wait_for_selector("#zy-chips [role=alert]:has-text('日期不存在')")
    page.fill("#zy-question textarea", "青溪区交通局一季度完成了多少投资?")
    page.click("#zy-ask")
    toast = page.locator(".toast-body").first
    toast.wait_for()
    title = toast.locator(".toast-title").evaluate("e => getComputedStyle(e, '::before').content")
    assert "日期不存在" in toast.inner_text() and title == '"提示"'  # the toast's title shows in Chinese
    assert page.locator("#zy-sources details.zy-turn").count() == 0  # nothing was asked with a bad filter


def test_question_box_takes_no_more_than_the_server_accepts(page):
    from rag.query_check import MAX_QUERY_CHARS

    box = page.locator("#zy-question textarea")
    assert box.get_attribute("maxlength") == str(MAX_QUERY_CHARS)
    box.click()
    page.keyboard.insert_text("长" * (MAX_QUERY_CHARS + 40))  # typed or pasted: the box stops at the limit
    assert len(box.input_value()) == MAX_QUERY_CHARS


def test_library_overview_rows_open_the_meeting_and_flag_names(page):
    open_tab(page, "资料库")
    overview = page.locator("#zy-lib-overview")
    overview.wait_for()
    assert "2 次会议" in overview.inner_text() and "7 篇讲话" in overview.inner_text()
    overview.locator("tr.zy-row:has-text('青溪区镇街书记')").click()
    page.wait_for_selector("#zy-lib-meeting-view tr.zy-row")
    page.locator("#zy-lib-meeting-view tr.zy-row:has-text('郑国栋')").click()
    page.wait_for_selector("#zy-lib-view :text('枫桥式')")
    assert "青溪区公安局" in page.locator("#zy-lib-view .zy-src-head").inner_text()


def test_conversation_survives_a_reload(browser, app_url):
    context, pg = open_page(browser, app_url)
    ask(pg, "青溪区交通局一季度完成了多少投资?")
    pg.reload()
    pg.wait_for_selector("#zy-conv .zy-bot")
    assert "8.36亿元" in latest_answer(pg) and "周海涛" in latest_heads(pg)[0]
    pg.get_by_text("导出整段对话（Markdown）").click()
    assert "## 问题" in pg.locator("#zy-markdown textarea").input_value()
    context.close()


def test_phone_width_layout_has_no_overflow_and_a_bottom_sheet(browser, app_url):
    context, pg = open_page(browser, app_url, 390, 844)
    ask(pg, "青溪区交通局一季度完成了多少投资?")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391
    assert pg.evaluate(ONE_CHAR_PER_LINE_JS) == []
    assert pg.locator("#zy-question textarea").bounding_box()["width"] > 300  # the question box keeps its width
    pg.locator("#zy-conv a.zy-cite").first.click()
    sheet = pg.locator("#zy-pop")
    sheet.wait_for(state="visible")
    box = sheet.bounding_box()
    assert "zy-sheet" in sheet.get_attribute("class") and abs(box["y"] + box["height"] - 844) <= 2
    pg.click("#zy-pop .zy-pop-close")
    for label in ("资料库", "上传", "相似举措"):
        pg.get_by_role("tab", name=label).click()
        pg.wait_for_timeout(300)
        assert pg.evaluate("document.documentElement.scrollWidth") <= 391, label
        assert pg.evaluate(ONE_CHAR_PER_LINE_JS) == [], label
        english = pg.evaluate(ENGLISH_ARIA_JS)
        assert english == [], (label, english)  # ARIA labels are Chinese
    context.close()


def choose_file(page, path: Path) -> None:
    open_tab(page, "上传")
    page.locator("#zy-up-files input[type=file]").set_input_files(str(path))
    page.wait_for_selector("#zy-up-status .zy-note:has-text('解析出')")


def commit_upload(page) -> None:
    page.click("#zy-up-commit")
    page.wait_for_selector("#zy-up-status .zy-ok", timeout=TIMEOUT * 2)
    open_tab(page, "问答")


def test_edited_upload_preview_reaches_the_index(page, tmp_path):
    path = tmp_path / "智慧路灯 (测试).txt"
    path.write_text(UPLOAD_TEXT, encoding="utf-8")
    choose_file(page, path)  # parsed on selection, no extra button
    table = page.locator("#zy-up-table")
    assert "张明远" in table.inner_text()
    cell = table.locator("[role=gridcell][data-col='4']", has_text="张明远").first  # 讲话人
    cell.dblclick()
    editor = table.locator("textarea:visible, input:visible").first
    editor.fill("张明源")
    editor.press("Enter")
    page.wait_for_selector("#zy-up-table [role=gridcell]:has-text('张明源')")
    commit_upload(page)
    open_tab(page, "上传")
    assert page.locator("#zy-up-files .file-preview, #zy-up-files table").count() == 0  # the list cleared
    open_tab(page, "问答")
    ask(page, "测试区城市管理局新建了多少盏智慧路灯?")
    assert "3721" in latest_answer(page)
    assert "张明源" in latest_heads(page)[0] and "张明远" not in latest_heads(page)[0]


def test_uploaded_documents_can_be_left_out_of_answers(page):
    question = "测试区城市管理局新建了多少盏智慧路灯?"  # answered only by the upload of the test above
    open_filters(page)
    page.locator("#zy-f-no-uploads input").check()
    page.wait_for_selector("#zy-chips .zy-chip:has-text('不含上传的文档')")
    ask(page, question)
    sources = page.locator("#zy-sources details[open]").inner_text()
    assert "3721" not in latest_answer(page) and "3721" not in sources and "张明源" not in sources
    page.locator("#zy-f-no-uploads input").uncheck()
    page.wait_for_selector("#zy-chips .zy-chip", state="detached")
    ask(page, question)
    assert "3721" in latest_answer(page) and "张明源" in latest_heads(page)[0]


def test_malicious_file_renders_as_text(page, tmp_path):
    path = tmp_path / "evil.txt"
    path.write_text(EVIL_TEXT, encoding="utf-8")
    choose_file(page, path)
    commit_upload(page)
    ask(page, "恶意区网信办发放了多少份网络安全手册?")
    sources = page.locator("#zy-sources details[open]").inner_text()
    assert "<script>alert(1)</script>" in sources
    assert "[官网链接](http://evil.example/x" in sources
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("#zy-sources script").count() == 0
    open_tab(page, "资料库")
    page.get_by_role("tab", name="按讲话人").click()
    speaker = page.locator("#zy-lib-speaker input")
    speaker.click()
    speaker.fill("王恶意")
    page.get_by_role("option", name="王恶意 · 恶意区网信办主任").click()  # speakers are listed as name · post
    page.wait_for_selector("#zy-lib-speaker-view .zy-post")
    assert page.dialogs == []
