"""Parser time by input size, outside pytest: `python -m bench.parse_scale [--sizes 1 2 5]`.

Generates a multi-speaker digest of the seeds' genre (title, speaker line, body paragraphs that
open with their unit) until it reaches each size in MB of UTF-8, parses it once with whatever
`rag` is on PYTHONPATH, and writes bench/results/parse_scale-<time>.json. The speaker count grows
with the size, which is what made attribution quadratic (every paragraph scored against every
speaker). Each size reports wall and CPU seconds (the machine is shared). A run can be capped with --timeout (seconds per size; a capped size is reported as such).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_PLACES = "东南西北中上下前后左右新老大小长安和平顺兴盛丰华宁远明清金玉青山水石桥河湖海"
_UNITS = ("发展改革委", "经济信息委", "交通局", "财政局", "商务委", "农业农村委", "卫生健康委", "教委", "公安局", "生态环境局")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰"
_BODY = ("{unit}坚持以高质量发展为主线，一季度完成固定资产投资{n}亿元，同比增长{p}%，新增市场主体{m}户。",
         "一是聚焦项目建设，新签约项目{m}个、协议引资{n}亿元；二是聚焦营商环境，企业开办时间压缩至{p}个工作日。",
         "下一步，我们将持续深化改革，推动各项工作取得新成效，为全区经济社会发展作出新的更大贡献。")


def digest(size_mb: float) -> str:
    """A synthetic digest of about `size_mb` MB (UTF-8)."""
    target = int(size_mb * 1024 * 1024)
    parts = ["某市区县委书记和部门一把手2025年第一季度例会发言摘登", "", "3月15日，某市召开区县委书记和部门一把手例会。以下是发言摘要。", ""]
    size, k = 0, 0
    while size < target:
        place = _PLACES[k % len(_PLACES)] + _PLACES[(k // len(_PLACES)) % len(_PLACES)] + "区"
        unit = place + _UNITS[(k // len(_PLACES) ** 2) % len(_UNITS)] + ("" if k < 4000 else str(k))
        name = _SURNAMES[k % len(_SURNAMES)] + _GIVEN[(k * 7) % len(_GIVEN)] + _GIVEN[(k * 3) % len(_GIVEN)]
        speech = ["抓项目 促发展", f"{unit}党组书记、主任 {name}"]
        speech += [line.format(unit=unit, n=k % 90 + 3, p=k % 9 + 1, m=k % 500 + 20) for line in _BODY] + [""]
        block = "\n".join(speech) + "\n"
        parts.append(block)
        size += len(block.encode("utf-8"))
        k += 1
    return "\n".join(parts)


def _parse(text: str, queue: multiprocessing.Queue) -> None:
    from rag.parse.parser import parse_text

    parse_text("某大学校长 林远\n我们坚持立德树人。\n", "warm.txt")  # load jieba and the line model first
    start, cpu = time.perf_counter(), time.process_time()
    speeches = parse_text(text, "bench.txt")
    queue.put((time.perf_counter() - start, time.process_time() - cpu, len(speeches),
               sum(len(s.paragraphs) for s in speeches)))


def time_parse(text: str, timeout: float) -> dict:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    worker = multiprocessing.Process(target=_parse, args=(text, queue))
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        worker.terminate()
        worker.join()
        return {"seconds": None, "timed_out_after": timeout}
    seconds, cpu, speeches, paragraphs = queue.get()
    # On a shared machine the wall time depends on the load; the process's CPU time does not.
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "speeches": speeches, "paragraphs": paragraphs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 5])
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    rows = []
    for size in args.sizes:
        text = digest(size)
        row = {"size_mb": size, "chars": len(text), **time_parse(text, args.timeout)}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"parse_scale-{time.strftime('%Y%m%dT%H%M%S')}{'-' + args.label if args.label else ''}.json"
    out.write_text(json.dumps({"commit": commit, "label": args.label, "rows": rows}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
