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
    ENGLISH_ARIA_JS,
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


def conversation_text(pg) -> str:
    return pg.locator("#zy-conv").inner_text()


def pick_option(pg, box: str, text: str) -> None:
    pg.locator(f"{box} input").click()
    pg.get_by_role("option").filter(has_text=text).first.click()


def options_of(pg, box: str) -> list[str]:
    pg.locator(f"{box} input").click()
    pg.wait_for_selector("[role=option]")
    texts = pg.get_by_role("option").all_inner_texts()
    pg.keyboard.press("Escape")
    return texts


def test_new_conversation_asks_first_and_past_ones_come_back(page_at, size):
    pg = page_at
    ask(pg, QUESTION)
    pg.click("#zy-clear")
    bar = pg.locator("#zy-clear-confirm")
    bar.wait_for(state="visible")
    pg.click("#zy-clear-confirm .zy-clear-no")  # cancel: nothing is lost
    bar.wait_for(state="hidden")
    assert "8.36亿元" in conversation_text(pg)
    pg.click("#zy-clear")
    pg.click("#zy-clear-confirm .zy-clear-yes")
    pg.wait_for_selector("#zy-conv .zy-empty")
    assert [o for o in options_of(pg, "#zy-past") if "青溪区交通局" in o]
    ask(pg, "青溪区招商投资局一季度引进项目多少个?")
    pg.reload()  # both the current conversation and the list are kept in the browser
    pg.wait_for_selector("#zy-conv .zy-bot")
    assert "23个" in conversation_text(pg) and "8.36亿元" not in conversation_text(pg)
    pick_option(pg, "#zy-past", "青溪区交通局")
    pg.wait_for_function("document.querySelector('#zy-conv').innerText.includes('8.36亿元')")
    assert "23个" not in conversation_text(pg)
    assert "周海涛" in pg.locator("#zy-sources details[open] .zy-src-head").first.inner_text()
    assert [o for o in options_of(pg, "#zy-past") if "招商投资局" in o]  # the other one went into the list
    assert pg.evaluate("document.documentElement.scrollWidth") <= size[0] + 1
    assert pg.dialogs == []  # asked in the page, not with a browser dialog


def test_export_places_sources_as_the_app_does(page_at, size):
    if size == PHONE:
        pytest.skip("the export's text does not depend on the width")
    pg = page_at
    ask(pg, QUESTION)
    foot = pg.locator("#zy-sources details[open] .zy-src .zy-where").first.inner_text()
    pg.get_by_text("导出整段对话（Markdown）").click()
    md = pg.locator("#zy-markdown textarea").input_value()
    assert foot in md  # 《织密路网 畅通城乡》 · 全文第N段, word for word
    assert "《织密路网 畅通城乡》 · 全文第" in md and ".txt" not in md


def test_bad_date_is_explained_in_chinese_once(page_at, size):
    pg = page_at
    open_filters(pg)
    pg.fill("#zy-f-from textarea", "2024-13-45")
    pg.locator("#zy-f-from textarea").blur()
    chip = pg.locator("#zy-chips [role=alert]")
    chip.wait_for()
    pg.fill("#zy-question textarea", QUESTION)
    pg.click("#zy-ask")
    pg.locator(".toast-body").first.wait_for()
    pg.wait_for_timeout(1500)  # a second toast would have arrived by now
    toasts = pg.locator(".toast-body")
    assert toasts.count() == 1 and pg.locator(".toast-count").count() == 0  # one toast, not a stacked pair
    title = toasts.locator(".toast-title").evaluate("e => getComputedStyle(e, '::before').content")
    message = toasts.evaluate("""b => { const c = b.cloneNode(true);
      c.querySelectorAll('.toast-title, .toast-close, button').forEach(e => e.remove()); return c.innerText; }""")
    assert title == '"提示"'  # the title shows in Chinese (Gradio's English level name is hidden)
    for text in (message, chip.inner_text()):
        assert "日期不存在" in text and not re.search(r"[A-Za-z]{3,}", text), text  # no English words


def test_question_box_has_a_meaningful_chinese_name(page_at, size):
    pg = page_at
    box = pg.get_by_role("textbox", name="输入问题")
    assert box.count() == 1 and box.evaluate("e => e.closest('#zy-question') !== null")
    assert pg.locator("[aria-label='Textbox'], [aria-label='textbox']").count() == 0


NO_WRAP_JS = """(sel) => [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length).map(e => {
  const r = document.createRange(); r.selectNodeContents(e);
  const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return [e.textContent.trim(), lines.size]; })"""


def test_card_buttons_never_wrap(page_at, size):
    pg = page_at
    ask(pg, "哪些地方在发展夜间经济?")
    buttons = pg.evaluate(NO_WRAP_JS, "#zy-sources .zy-similar-btn, #zy-sources .zy-read-btn")
    assert buttons and all(lines == 1 for _, lines in buttons), buttons
    open_tab(pg, "相似举措")
    pg.fill("#zy-sim-topic textarea", "夜间经济")
    pg.click("#zy-sim-go")
    pg.wait_for_selector("#zy-sim-results .zy-unit")
    buttons = pg.evaluate(NO_WRAP_JS, "#zy-sim-go, #zy-sim-results .zy-similar-btn, #zy-sim-results .zy-read-btn")
    assert all(lines == 1 for _, lines in buttons), buttons
    assert pg.evaluate(ONE_CHAR_PER_LINE_JS) == []


def test_similar_matrix_counts_the_listed_cards_and_marks_the_topic(page_at, size):
    pg = page_at
    open_tab(pg, "相似举措")
    pg.fill("#zy-sim-topic textarea", "夜间经济")
    pg.click("#zy-sim-go")
    pg.wait_for_selector("#zy-sim-overview table")
    listed = {}
    for section in pg.locator("#zy-sim-results .zy-unit").all():
        unit = section.locator("h4").evaluate("h => h.firstChild.textContent.trim()")
        listed[unit] = section.locator(".zy-src").count()
        assert f"{listed[unit]} 段" in section.locator("h4 small").inner_text()
    matrix = pg.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#zy-sim-overview tbody tr')]
      .map(tr => [tr.querySelector('th').textContent.trim(),
                  [...tr.querySelectorAll('td')].reduce((n, td) => n + (parseInt(td.textContent) || 0), 0)]))""")
    assert listed and matrix == listed
    marks = pg.locator("#zy-sim-results .zy-src-text mark.zy-term").all_inner_texts()
    assert "夜间经济" in marks
    assert pg.locator("#zy-sim-results .zy-src-text").filter(has_text="夜间经济").count() == \
        pg.locator("#zy-sim-results .zy-src-text").filter(has=pg.locator("mark.zy-term", has_text="夜间经济")).count()


def test_answer_offers_next_questions_from_the_cited_speech(page_at, size):
    pg = page_at
    ask(pg, QUESTION)
    offered = pg.locator("#zy-conv .zy-bot").last.locator(".zy-follow-q").all_inner_texts()
    # the unit that spoke next at the cited meeting, and the topic across places
    assert offered == ["青溪区招商投资局一季度完成了多少投资?", "哪些地方也谈到了投资?"]
    pg.locator("#zy-conv .zy-follow-q").first.click()
    pg.wait_for_function("document.querySelectorAll('#zy-sources details.zy-turn').length > 1")
    assert "186亿元" in latest_answer(pg)
    assert "林晓燕" in pg.locator("#zy-sources details[open] .zy-src-head").first.inner_text()
    assert pg.evaluate("document.documentElement.scrollWidth") <= size[0] + 1


def test_compare_puts_two_units_side_by_side_each_cited(page_at, size):
    pg = page_at
    open_tab(pg, "对比")
    pick_option(pg, "#zy-cmp-left", "青溪区")
    pick_option(pg, "#zy-cmp-right", "云岭区")
    pg.fill("#zy-cmp-topic textarea", "夜间经济")
    pg.click("#zy-cmp-go")
    pg.wait_for_selector("#zy-cmp-view .zy-cmp-side")
    left, right = pg.locator("#zy-cmp-view .zy-cmp-side").all()
    assert left.locator("h4").inner_text().startswith("青溪区") and right.locator("h4").inner_text().startswith("云岭区")
    for side, who in ((left, "顾明轩"), (right, "韩子墨")):
        cards = side.locator(".zy-src")
        assert cards.count() >= 1
        for card in cards.all():
            assert "夜间经济" in card.locator("mark.zy-term").all_inner_texts()
            assert re.search(r"全文第\d+段", card.locator(".zy-where").inner_text())
        assert who in side.locator(".zy-src-head").first.inner_text()
    assert "白鹭镇" in left.inner_text()  # a district includes its towns
    lb, rb = left.bounding_box(), right.bounding_box()
    if size == WIDE:
        assert abs(lb["y"] - rb["y"]) < 2 and lb["x"] < rb["x"]  # side by side
    else:
        assert rb["y"] >= lb["y"] + lb["height"] - 1  # stacked on a phone
    assert pg.evaluate("document.documentElement.scrollWidth") <= size[0] + 1
    assert pg.evaluate(ONE_CHAR_PER_LINE_JS) == [] and pg.evaluate(ENGLISH_ARIA_JS) == []
    right.locator(".zy-read-btn").first.click()  # each statement opens in its speech
    pg.locator("#zy-reader .zy-reader .zy-cited").wait_for()
    assert "云岭区" in pg.locator("#zy-reader .zy-cited").inner_text()


# ---- uploads (last: they grow the index) ---------------------------------------------------------
# A speech without a title: 找相似 names it by its first words, cut after the whole figure 96.85%.
WATER_TEXT = """测试区水务系统2025年第一季度例会上这样说

3月28日，测试区召开水务系统2025年第一季度例会。区水利局主要负责同志作交流发言。

测试区水利局局长 李清河

测试区水利局今年全区农村自来水普及率提高到96.85%，新建水厂2座，解决了山区群众季节性缺水问题。

我们还完成了小型水库除险加固12座。
"""


def test_uploaded_document_is_in_the_filter_lists_after_upload_and_reload(page_at, size, tmp_path):
    if size == PHONE:
        pytest.skip("the lists do not depend on the width; the upload happens once")
    pg = page_at
    path = tmp_path / "water.txt"
    path.write_text(WATER_TEXT, encoding="utf-8")
    choose_file(pg, path)
    commit_upload(pg)
    open_filters(pg)
    for _ in range(2):  # right after the upload, then after a reload
        assert "测试区水务系统2025年第一季度例会" in options_of(pg, "#zy-f-meeting")
        assert "测试区水利局" in options_of(pg, "#zy-f-unit")
        assert "李清河 · 测试区水利局局长" in options_of(pg, "#zy-f-speaker")
        pg.reload()
        pg.wait_for_selector("#zy-question textarea")
        open_filters(pg)


def test_untitled_paragraph_is_named_without_cutting_its_figure(page_at, size):
    pg = page_at
    ask(pg, "测试区农村自来水普及率提高到了多少?")
    assert "96.85%" in latest_answer(pg)
    pg.locator("#zy-sources details[open] .zy-src").first.locator(".zy-similar-btn").click()
    pg.wait_for_selector("#zy-sim-results .zy-origin")
    label = pg.locator("#zy-sim-topic textarea").input_value()
    assert label == "测试区水利局今年全区农村自来水普及率提高到96.85%……"  # not "…提高到96.8"


def test_oversized_file_is_refused_in_chinese_and_stays_explained(page_at, size, tmp_path):
    pg = page_at
    path = tmp_path / "big.txt"
    with path.open("wb") as f:
        f.truncate(30 * 1024 * 1024)
    open_tab(pg, "上传")
    pg.locator("#zy-up-files input[type=file]").set_input_files(str(path))
    status = pg.locator("#zy-up-status [role=alert]")
    status.wait_for()
    if size == WIDE:
        pg.wait_for_timeout(11_000)  # Gradio's own toast would have faded by now
    text = status.inner_text()
    assert "big.txt" in text and "超过上传上限 20 MB" in text and "拆成" in text
    assert not re.search(r"[A-Za-z]{3,}", text.replace("big.txt", ""))
    assert pg.locator(".toast-body").count() == 0  # nothing was sent, so no English refusal
    files = pg.locator("#zy-up-files").inner_text()
    assert "错误" not in files and "Error" not in files  # no bare error badge


def test_binary_file_renamed_txt_is_named_not_a_text_file(page_at, size, tmp_path):
    pg = page_at
    path = tmp_path / "photo.txt"
    path.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)) * 8)
    open_tab(pg, "上传")
    pg.locator("#zy-up-files input[type=file]").set_input_files(str(path))
    error = pg.locator("#zy-up-status .zy-error")
    error.wait_for()
    assert "photo.txt" in error.inner_text() and "不是文本文件" in error.inner_text()
    assert "没有解析出任何讲话段落" not in pg.locator("#zy-up-status").inner_text()
