"""The app as a daily tool (issue 21), in system Chromium on the fictional test corpus of
tests/test_ui_browser.py (tests/data/ui_corpus; no evaluation question is used): reading a cited
paragraph in its speech, several conversations, the export, the filters after an upload, messages,
snippets and layout at 1440 px and 390 px.

One app per module (the same fixture as test_ui_browser.py); upload tests come last because they grow
the index.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_ui_browser import (  # noqa: F401  (fixtures)
    ONE_CHAR_PER_LINE_JS,
    app_url,
    ask,
    browser,
    choose_file,
    commit_upload,
    latest_answer,
    open_filters,
    open_page,
    open_tab,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDE, PHONE = (1440, 900), (390, 844)
QUESTION = "青溪区交通局一季度完成了多少投资?"

IN_VIEW_JS = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight && r.height > 0; }"""


@pytest.fixture(params=[WIDE, PHONE], ids=["1440px", "390px"])
def size(request):
    return request.param


@pytest.fixture
def page_at(browser, app_url, size):
    context, pg = open_page(browser, app_url, *size)
    yield pg
    context.close()


def test_cited_paragraph_opens_in_its_speech_highlighted_and_closes_back(page_at, size):
    pg = page_at
    ask(pg, QUESTION)
    card = pg.locator("#zy-sources details[open] .zy-src").first
    card.scroll_into_view_if_needed()
    before = pg.evaluate("window.scrollY")
    card.locator(".zy-read-btn").click()
    reader = pg.locator("#zy-reader .zy-reader")
    reader.wait_for(state="visible")
    assert "织密路网 畅通城乡" in reader.locator("h3").inner_text()
    cited = reader.locator(".zy-para.zy-cited")
    assert cited.count() == 1 and "8.36亿元" in cited.inner_text()
    n = re.search(r"全文第(\d+)段", card.inner_text()).group(1)
    assert cited.locator(".zy-pn").inner_text() == n  # numbered through the document, as the card says
    assert f"全文第{n}段" in reader.locator(".zy-reader-where").inner_text()
    assert pg.evaluate(IN_VIEW_JS, "#zy-reader .zy-cited")
    assert "我们新改建农村公路46公里" in reader.inner_text()  # the rest of the speech is there
    box = reader.bounding_box()
    if size == PHONE:
        assert box["width"] >= 389  # the whole screen on a phone
    else:
        assert box["width"] < 1000  # a side panel: the answer stays visible beside it
        assert pg.evaluate(IN_VIEW_JS, "#zy-conv .zy-bot")
    reader.locator(".zy-reader-close").click()
    reader.wait_for(state="hidden")
    assert pg.evaluate("window.scrollY") == before  # back exactly where the reader was
    assert pg.evaluate("document.documentElement.scrollWidth") <= size[0] + 1


def test_popover_reads_in_full_and_phone_jump_has_a_way_back(page_at, size):
    pg = page_at
    ask(pg, QUESTION)
    pg.locator("#zy-conv a.zy-cite").first.click()
    pg.locator("#zy-pop .zy-read-btn").click()
    reader = pg.locator("#zy-reader .zy-reader")
    reader.wait_for(state="visible")
    assert "8.36亿元" in reader.locator(".zy-cited").inner_text()
    pg.keyboard.press("Escape")
    reader.wait_for(state="hidden")
    pg.locator("#zy-conv a.zy-cite").first.click()
    pg.click("#zy-pop .zy-pop-go")
    pg.wait_for_timeout(800)  # the smooth scroll
    assert pg.evaluate(IN_VIEW_JS, "#zy-sources details[open] .zy-src")
    if size == PHONE:
        back = pg.locator("#zy-back")
        back.wait_for(state="visible")
        back.click()
        pg.wait_for_timeout(300)
        assert pg.evaluate(IN_VIEW_JS, "#zy-conv a.zy-cite")  # the answer's marker is in view again
        assert back.is_hidden()
