"""Screenshots of every screen at desktop (1440×900) and phone (390×844) width →
docs/screen-{chat,popover,reader,similar,compare,library,speech,upload}[-mobile].png.

    python bench/screenshots.py                       # serve the app on a temporary copy of the index
    python bench/screenshots.py --url http://127.0.0.1:7860/   # use a running app (nothing is uploaded)

Drives the system Chromium (never `playwright install`). The upload screen shows the parse preview
only; the file is not added to the index.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Questions written for the screenshots (none from an evaluation set): a fact, a department follow-up,
# a metadata follow-up, a comparison.
CHAT = ["永川区交通局上半年完成了多少投资?", "那招商投资局呢?", "他们是在哪次会议上说的?",
        "哪些地方在推进亩均效益改革?"]
SIZES = {"": (1440, 900), "-mobile": (390, 844)}
COMPARE_TOPIC = "招商引资"  # the 对比 screen: the first two districts in the unit list on this topic
SAMPLE = """永川区镇街书记和部门一把手2025年第一季度例会上这样说

3月28日,永川区召开镇街书记和部门一把手2025年第一季度例会。会上,区城市管理局等单位主要负责同志先后作交流发言。

智慧路灯点亮城市夜

区城市管理局局长 张明远

区城市管理局今年新建智慧路灯3721盏，覆盖全部主干道，夜间交通事故下降了三成。

我们还建成了城市照明管理平台，实现路灯故障自动报警、按需调光。
"""


def start_app(index: Path | None) -> tuple[str, object, Path]:
    """Serve the app on a free port over a copy of `index` (or a fresh index of seeds/)."""
    from rag.config import Settings
    from ui.app import launch_app
    from ui.wiring import create_app

    work = Path(tempfile.mkdtemp(prefix="zy-shots-"))
    if index is not None and index.is_dir():
        shutil.copytree(index, work / "index")
    demo = create_app(Settings.from_env(index_dir=work / "index"), work / "uploads")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch_app(demo, "127.0.0.1", port, block=False)
    return f"http://127.0.0.1:{port}/", demo, work


def shoot(url: str, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    sample = Path(tempfile.mkdtemp()) / "城市管理局发言.txt"
    sample.write_text(SAMPLE, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for suffix, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(300_000)  # the first answer loads the models on a shared 2-core machine
            page.goto(url)
            page.wait_for_selector("#zy-question textarea")
            for turn, question in enumerate(CHAT):
                page.fill("#zy-question textarea", question)
                page.click("#zy-ask")
                page.wait_for_function(f"document.querySelectorAll('#zy-sources details.zy-turn').length > {turn}")
            shots.append(_save(page, out / f"screen-chat{suffix}.png"))

            page.locator("#zy-conv .zy-bot").nth(0).locator("a.zy-cite").first.click()
            page.wait_for_selector("#zy-pop:not([hidden])")
            shots.append(_save(page, out / f"screen-popover{suffix}.png"))
            page.click("#zy-pop .zy-read-btn")  # the cited paragraph in its whole speech
            page.wait_for_selector("#zy-reader .zy-reader .zy-cited")
            shots.append(_save(page, out / f"screen-reader{suffix}.png"))
            page.click("#zy-reader .zy-reader-close")

            page.locator("#zy-sources details[open] .zy-similar-btn").first.click()
            page.wait_for_selector("#zy-sim-results .zy-unit")
            shots.append(_save(page, out / f"screen-similar{suffix}.png"))

            page.get_by_role("tab", name="对比").click()
            for nth, box in enumerate(("#zy-cmp-left", "#zy-cmp-right")):
                page.locator(f"{box} input").click()
                page.wait_for_selector("[role=option]")
                options = page.get_by_role("option")
                districts = [i for i, t in enumerate(options.all_inner_texts()) if t.strip().endswith(("区", "县"))]
                options.nth(districts[nth]).click()
            page.fill("#zy-cmp-topic textarea", COMPARE_TOPIC)
            page.click("#zy-cmp-go")
            page.wait_for_selector("#zy-cmp-view .zy-cmp-side")
            shots.append(_save(page, out / f"screen-compare{suffix}.png"))

            page.get_by_role("tab", name="资料库").click()
            page.wait_for_selector("#zy-lib-overview tr.zy-row")
            shots.append(_save(page, out / f"screen-library{suffix}.png"))
            page.locator("#zy-lib-overview tr.zy-row").nth(1).click()
            page.wait_for_selector("#zy-lib-meeting-view tr.zy-row")
            page.locator("#zy-lib-meeting-view tr.zy-row").nth(2).click()
            page.wait_for_timeout(800)
            page.locator("#zy-lib-view").scroll_into_view_if_needed()
            shots.append(_save(page, out / f"screen-speech{suffix}.png"))

            page.get_by_role("tab", name="上传").click()
            page.locator("#zy-up-files input[type=file]").set_input_files(str(sample))
            page.wait_for_selector("#zy-up-table [role=gridcell]")
            shots.append(_save(page, out / f"screen-upload{suffix}.png"))
            context.close()
        browser.close()
    return shots


def _save(page, path: Path) -> Path:
    page.wait_for_timeout(400)  # let the last re-render settle
    page.screenshot(path=str(path), full_page=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app; otherwise one is started here")
    parser.add_argument("--index", type=Path, default=ROOT / "embeddings", help="index to copy (default embeddings/)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    demo = work = None
    url = args.url
    if url is None:
        url, demo, work = start_app(args.index)
    try:
        for path in shoot(url, args.out, args.chromium):
            print(path)
    finally:
        if demo is not None:
            demo.close()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
