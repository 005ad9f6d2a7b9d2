"""Load check: N concurrent sessions ask dev-set questions (and one similar-initiatives lookup) through
the app's queue via gradio_client; reports latency percentiles and any errors. Bounded in count and time.

    python bench/ui_load.py --url http://127.0.0.1:7860/           # against a running app
    python bench/ui_load.py                                        # starts the app on a copy of embeddings/
    python bench/ui_load.py --sessions 10 --questions 2 --timeout 300 --out bench/results/ui_load.json
    python bench/ui_load.py --sessions 20 --duration 60 --uploads 2    # `make ui-load`: 60 s, uploads meanwhile

Exit code 0 when every request succeeded (and answers held their expected facts), else 1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_questions(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"q": r["q"], "facts": r.get("facts", [])} for r in rows]


def session(url: str, questions: list[dict], deadline: float, until: float | None = None) -> list[dict]:
    """One browser-like session: its own client (own Gradio session), questions in turn, then /similar.
    With `until` (a monotonic time), it keeps asking, cycling through `questions`, until then."""
    from gradio_client import Client

    results = []
    client = Client(url, verbose=False)
    for n in itertools.count():
        if until is None and n == len(questions):
            break
        if until is not None and time.monotonic() > until:
            break
        item = questions[n % len(questions)]
        if time.monotonic() > deadline:
            results.append({"kind": "ask", "q": item["q"], "ok": False, "error": "deadline"})
            break
        start = time.monotonic()
        try:
            conv, sources, *_ = client.predict(item["q"], None, None, None, "", "", api_name="/ask")
            missing = [f for f in item["facts"] if f not in conv]
            results.append({"kind": "ask", "q": item["q"], "ok": not missing and "出错了" not in conv,
                            "missing": missing, "seconds": time.monotonic() - start})
        except Exception as exc:  # a load check records failures instead of stopping
            results.append({"kind": "ask", "q": item["q"], "ok": False, "error": repr(exc),
                            "seconds": time.monotonic() - start})
    start = time.monotonic()
    try:
        html, _ = client.predict("亩均效益改革", 5, api_name="/similar")
        results.append({"kind": "similar", "ok": "zy-unit" in html, "seconds": time.monotonic() - start})
    except Exception as exc:
        results.append({"kind": "similar", "ok": False, "error": repr(exc), "seconds": time.monotonic() - start})
    return results


def uploader(url: str, files: list[Path], until: float, timeout: float = 180) -> list[dict]:
    """Uploads through the real page (Chromium) while the sessions ask: parse preview, then add to the
    index. Each upload swaps the index under running answers; none of them may fail."""
    from playwright.sync_api import sync_playwright

    from bench.screenshots import CHROMIUM_ARGS

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(timeout * 1000)
        page.goto(url)
        page.get_by_role("tab", name="上传").click()
        for path in files:
            if results and time.monotonic() > until:  # the first upload always runs: Chromium may start late
                break
            start = time.monotonic()
            try:
                page.locator("#zy-up-files input[type=file]").set_input_files(str(path))
                page.wait_for_selector("#zy-up-status .zy-note:has-text('解析出')")  # parsed on selection
                page.click("#zy-up-commit")
                page.wait_for_selector("#zy-up-status .zy-ok")
                results.append({"kind": "upload", "file": path.name, "ok": True, "seconds": time.monotonic() - start})
            except Exception as exc:  # recorded, not raised: the summary fails on it
                results.append({"kind": "upload", "file": path.name, "ok": False, "error": repr(exc),
                                "seconds": time.monotonic() - start})
        browser.close()
    return results


def upload_files(count: int, megabytes: float = 0) -> list[Path]:
    """Invented speeches (not evaluation data) to upload during the load check; with `megabytes`, the
    first one is padded to about that size with numbered paragraphs (each a distinct text to embed)."""
    folder = Path(tempfile.mkdtemp(prefix="zy-load-up-"))
    files = []
    for i in range(count):
        path = folder / f"load_upload_{i}.txt"
        parts = [f"某区2025年第{i + 1}次工作例会发言摘要\n\n某区某镇党委书记 测试{i}\n\n"
                 f"今年以来，某镇新建停车位{100 + i}个，改造老旧小区{3 + i}个。\n"]
        size, n = len(parts[0].encode()), 0
        while i == 0 and size < megabytes * 1024 * 1024:
            n += 1
            parts.append(f"\n第{n}项工作：某镇围绕产业发展、城市更新和民生保障，推进项目{n}个，新增投资{n % 97 + 3}亿元，"
                         f"带动就业{n % 500 + 100}人，完成年度目标的{n % 40 + 60}%，并将继续完善考核办法、"
                         f"压实工作责任、加强督促检查，确保各项任务按期落地见效。\n")
            size += len(parts[-1].encode())
        path.write_text("".join(parts), encoding="utf-8")
        files.append(path)
    return files


def run(url: str, sessions: int, per_session: int, timeout: float, questions: list[dict],
        duration: float = 0, uploads: int = 0, upload_mb: float = 0) -> dict:
    deadline = time.monotonic() + timeout
    until = time.monotonic() + duration if duration else None
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=sessions + 1) as pool:
        futures = [
            pool.submit(session, url, [questions[(i * per_session + j) % len(questions)] for j in range(per_session)],
                        deadline, until)
            for i in range(sessions)
        ]
        if uploads:
            time.sleep(min(5.0, duration / 4 if duration else 5.0))  # let the questions start first
            futures.append(pool.submit(uploader, url, upload_files(uploads, upload_mb), until or deadline,
                                       max(180.0, timeout)))
        done, pending = wait(futures, timeout=timeout + 30)
    results = [r for f in done if not f.exception() for r in f.result()]
    crashed = [repr(f.exception()) for f in done if f.exception()]
    latencies = sorted(r["seconds"] for r in results if "seconds" in r and r["ok"] and r["kind"] != "upload")
    summary = {
        "url": url, "sessions": sessions, "questions_per_session": per_session, "duration_seconds": duration,
        "requests": len(results), "ok": sum(r["ok"] for r in results),
        "uploads": [r for r in results if r["kind"] == "upload"],
        "failed": [r for r in results if not r["ok"]] + [{"error": e} for e in crashed],
        "sessions_unfinished": len(pending),
        "wall_seconds": round(time.monotonic() - start, 2),
        "latency_p50": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
        "latency_max": round(latencies[-1], 2) if latencies else None,
    }
    expected = sessions * (per_session + 1) + len(summary["uploads"])
    summary["passed"] = (not summary["failed"] and not pending and len(summary["uploads"]) == uploads
                         and (summary["requests"] == expected if not duration else summary["requests"] > sessions))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description="concurrent-session load check of the Gradio app")
    parser.add_argument("--url", help="a running app; otherwise one is started on a copy of --index")
    parser.add_argument("--index", type=Path, default=ROOT / "embeddings")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--questions", type=int, default=2, help="questions per session")
    parser.add_argument("--duration", type=float, default=0,
                        help="keep every session asking for this many seconds (overrides --questions)")
    parser.add_argument("--uploads", type=int, default=0, help="files uploaded through the page meanwhile")
    parser.add_argument("--upload-mb", type=float, default=0, help="pad the first upload to about this many MB")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for the whole check")
    parser.add_argument("--dev", type=Path, default=ROOT / "eval" / "dev_qa.jsonl")
    parser.add_argument("--out", type=Path, help="also write the JSON summary here")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.questions <= 10:
        parser.error("--sessions must be 1..50 and --questions 1..10")
    demo = None
    url = args.url
    if url is None:
        from bench.screenshots import start_app

        url, demo, _ = start_app(args.index)
    try:
        summary = run(url, args.sessions, args.questions, max(args.timeout, args.duration + 120),
                      load_questions(args.dev), args.duration, args.uploads, args.upload_mb)
    finally:
        if demo is not None:
            demo.close()
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    sys.exit(0 if summary["passed"] else 1)


if __name__ == "__main__":
    main()
