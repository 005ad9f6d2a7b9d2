"""The development set answered by a real local model (Qwen2.5-Coder-1.5B Q4_K_M GGUF via llama-cpp-python).

Not part of the test run: needs `make llm-model` (the GGUF, ~1.1 GB) and llama-cpp-python (~6 min to
compile). Prompt ~77 tok/s and generation ~21 tok/s on 2 cores, so each answer takes ~10–20 s.

Usage: python -m bench.llm_local [--gguf models/qwen2.5-coder-1.5b-q4_k_m.gguf] [--index DIR]
                                 [--out bench/results/llm_local.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GGUF = ROOT / "models" / "qwen2.5-coder-1.5b-q4_k_m.gguf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", default=str(DEFAULT_GGUF))
    parser.add_argument("--index", default=None)
    parser.add_argument("--eval-dir", default=str(ROOT / "eval"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "llm_local.json"))
    args = parser.parse_args()

    from rag.answer.answerer import open_answerer
    from rag.config import Settings
    from rag.eval.answers import evaluate_answers, summary_line

    settings = Settings.from_env(index_dir=args.index, llm_gguf=args.gguf, llm_base_url="", llm_model="")
    start = time.perf_counter()
    answerer = open_answerer(settings)
    load_s = time.perf_counter() - start
    result = evaluate_answers(answerer, Path(args.eval_dir))
    result.update({
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=ROOT).stdout.strip() or None,
        "gguf": args.gguf, "index": str(settings.index_dir), "load_s": round(load_s, 1),
        "summary": summary_line(result),
    })
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for key in ("qa", "negative", "multi"):
        for item in result[key]["items"]:
            flag = "OK" if item["ok"] else "XX"
            print(f"{flag} {item['id']} [{item['mode']}, {item['ms']} ms] {item['answer']}")
            for w in item["warnings"]:
                print(f"   注意: {w}")
    print(result["summary"])


if __name__ == "__main__":
    main()
