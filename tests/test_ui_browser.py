"""The Gradio app in system Chromium (Playwright): cited answer, filter, similar initiatives, upload, escaping.

The fixture builds an index from seeds/ in a temporary folder (real model) and serves the app on a free
127.0.0.1 port in this process. Tests run in file order; the upload tests come last because they grow the index.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 90_000  # ms; the first answer loads jieba and the model on 2 cores

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("system Chromium missing — run `make browser-deps`")
    from rag.ingest import ingest_paths
    from rag.config import DEFAULT_SEEDS, Settings
    from ui.app import launch_app
    from ui.wiring import create_app

    root = tmp_path_factory.mktemp("ui")
    settings = Settings.from_env(index_dir=root / "index")
    ingest_paths([DEFAULT_SEEDS], settings)
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


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(app_url)
    pg.wait_for_selector("#zy-question textarea")
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


def open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()


def test_cited_answer_with_speaker_meeting_and_highlight(page):
    ask(page, "九龙坡区一季度新增城镇就业多少人?")
    assert "1.14万" in latest_answer(page)
    card = page.locator("#zy-sources details[open] .zy-src").first
    head = card.locator(".zy-src-head").inner_text()
    assert "李春奎" in head and "2023年第一季度例会" in head
    assert "1.14万" in card.locator("mark").inner_text()
    page.locator("#zy-conv a.zy-cite").first.click()  # the marker links to its source card
    assert re.search(r"#zy-src-0-1$", page.url)
    page.get_by_text("导出 Markdown").click()
    markdown = page.locator("#zy-markdown textarea").input_value()
    assert "## 来源" in markdown and "[1] 李春奎" in markdown


def test_filter_restricts_retrieval(page):
    page.get_by_text("筛选（会议、单位、讲话人、日期）").click()
    speaker = page.locator("#zy-f-speaker input")
    speaker.click()
    speaker.fill("王志杰")
    speaker.press("Enter")
    ask(page, "一季度新增城镇就业多少人?")
    heads = page.locator("#zy-sources details[open] .zy-src-head").all_inner_texts()
    assert heads and all("王志杰" in h for h in heads)
    assert "李春奎" not in latest_answer(page)


def test_similar_initiatives_from_a_citation(page):
    ask(page, "九龙坡区一季度新增城镇就业多少人?")
    page.locator("#zy-sources .zy-similar-btn").first.click()
    page.wait_for_selector("#zy-sim-results .zy-unit")
    assert page.get_by_role("tab", name="相似举措").get_attribute("aria-selected") == "true"
    units = [u.split(" ")[0] for u in page.locator("#zy-sim-results .zy-unit h4").all_inner_texts()]
    assert len(units) >= 2 and "九龙坡区" not in units
    heads = page.locator("#zy-sim-results .zy-unit .zy-src-head").all_inner_texts()
    assert heads and not any("李春奎" in h for h in heads)
    assert page.locator("#zy-sim-overview table").count() == 1
    assert "相关度" in page.locator("#zy-sim-results").inner_text()
    page.fill("#zy-sim-topic textarea", "亩均效益改革")
    page.click("#zy-sim-go")
    page.wait_for_selector("#zy-sim-results :text('主题：亩均效益改革')")
    assert page.locator("#zy-sim-results .zy-unit").count() >= 2


def upload(page, path: Path, expect: str) -> None:
    open_tab(page, "上传")
    page.locator("#zy-up-files input[type=file]").set_input_files(str(path))
    page.wait_for_selector(f"#zy-up-files :text('{path.stem}')")
    page.click("#zy-up-parse")
    page.wait_for_selector(f"#zy-up-status table :text('{expect}')")
    page.click("#zy-up-commit")
    page.wait_for_selector("#zy-up-status .zy-ok", timeout=TIMEOUT * 2)
    open_tab(page, "问答")


def test_uploaded_file_is_answerable(page, tmp_path):
    path = tmp_path / "智慧路灯 (测试).txt"
    path.write_text(UPLOAD_TEXT, encoding="utf-8")
    upload(page, path, "张明远")
    ask(page, "测试区城市管理局新建了多少盏智慧路灯?")
    assert "3721" in latest_answer(page)
    assert "张明远" in page.locator("#zy-sources details[open]").inner_text()


def test_malicious_file_renders_as_text(page, tmp_path):
    path = tmp_path / "evil.txt"
    path.write_text(EVIL_TEXT, encoding="utf-8")
    upload(page, path, "王恶意")
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
    speaker.press("Enter")
    page.wait_for_selector("#zy-lib-speaker-view .zy-post")
    assert page.dialogs == []
