"""Benchmarks outside pytest: `python -m bench.run` (or `make bench`) → bench/results/bench-<time>.json.

Each phase runs in its own process so that peak memory (ru_maxrss) is the phase's own:
  build   — ingest the seeds from scratch: chunks/s next to the model's bare encode throughput, index size
  query   — warm hybrid search latency p50/p95 next to the bare query-encode time
The index at 100k and 1M chunks (build, incremental add, RSS, size, latency, recall) is bench/scale.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """Current resident memory (not the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 2)


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def questions() -> list[str]:
    out = []
    for name in ("dev_qa", "dev_multi", "dev_negative"):
        path = ROOT / "eval" / f"{name}.jsonl"
        if path.exists():
            out += [json.loads(x)["q"] for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return out


def phase_build(model: str, index_dir: Path, sample: int) -> dict:
    from rag.ingest.pipeline import EMBED_BATCH, ingest_paths
    from rag.ingest.chunk import chunk_speeches
    from rag.config import DEFAULT_SEEDS, Settings
    from rag.store.embed import load_embedders
    from rag.parse import load_corpus

    embedders = load_embedders(model)
    chunks = chunk_speeches(load_corpus([DEFAULT_SEEDS]).speeches)
    # the same texts, length-sorted batches as the builder uses: the difference is pipeline overhead
    texts = sorted((c.indexed_text for c in chunks[:: max(len(chunks) // sample, 1)][:sample]), key=len)
    bare = {}
    for emb in embedders:
        emb.encode_passages(texts[:2])  # warm-up
        t = time.perf_counter()
        for start in range(0, len(texts), EMBED_BATCH):
            emb.encode_passages(texts[start:start + EMBED_BATCH])
        bare[emb.name] = round(len(texts) / (time.perf_counter() - t), 2)
    t = time.perf_counter()
    report = ingest_paths([DEFAULT_SEEDS], Settings(index_dir=index_dir, embed_model=model), rebuild=True, embedders=embedders)
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    again = ingest_paths([DEFAULT_SEEDS], Settings(index_dir=index_dir, embed_model=model), embedders=embedders)
    return {
        "model": model, "chunks": report.total_chunks, "build_seconds": round(seconds, 2),
        "build_chunks_per_s": round(report.total_chunks / seconds, 2),
        "bare_encode_passages_per_s": bare, "bare_encode_sample": len(texts),
        "mean_indexed_chars": round(float(np.mean([len(c.indexed_text) for c in chunks])), 1),
        "unchanged_reingest_seconds": round(time.perf_counter() - t, 3), "unchanged": again.unchanged,
        "index_bytes": dir_size(index_dir), "peak_rss_mb": peak_mb(),
    }


def phase_query(index_dir: Path, reps: int) -> dict:
    from rag.config import Settings
    from rag.retrieve.retriever import Retriever

    t = time.perf_counter()
    retriever = Retriever.open(Settings(index_dir=index_dir))
    load_s = time.perf_counter() - t
    qs = questions()
    for q in qs[:3]:  # warm-up
        retriever.search(q, 5)
    search, encode = [], []
    for _ in range(reps):
        for q in qs:
            t = time.perf_counter()
            retriever.search(q, 5)
            search.append(time.perf_counter() - t)
            t = time.perf_counter()
            for emb in retriever.embedders.values():
                emb.encode_queries([q])
            encode.append(time.perf_counter() - t)
    return {
        "models": list(retriever.embedders), "queries": len(search), "load_seconds": round(load_s, 2),
        "search_ms_p50": pct(search, 50), "search_ms_p95": pct(search, 95),
        "bare_query_encode_ms_p50": pct(encode, 50), "bare_query_encode_ms_p95": pct(encode, 95),
        "ratio_p50": round(pct(search, 50) / max(pct(encode, 50), 1e-9), 2),
        "peak_rss_mb": peak_mb(),
    }


def run_phase(*args: str) -> dict:
    """Run one phase in a fresh interpreter; its last stdout line is the JSON result."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--phase", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--models", default="e5-small", help="comma-separated model specs to build and query")
    parser.add_argument("--sample", type=int, default=32, help="chunks for the bare encode measurement")
    parser.add_argument("--reps", type=int, default=3, help="passes over the dev questions for latency")
    args = parser.parse_args(argv)
    if args.phase:
        name, *rest = args.phase
        fn = {"build": lambda: phase_build(rest[0], Path(rest[1]), int(rest[2])),
              "query": lambda: phase_query(Path(rest[0]), int(rest[1])),
              }[name]
        print(json.dumps(fn(), ensure_ascii=False))
        return
    result: dict = {"git_commit": _git_commit(), "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                "loadavg_at_start": os.getloadavg()},
                    "settings": vars(args), "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            index_dir = Path(tmp) / model
            result["models"][model] = {"build": run_phase("build", model, str(index_dir), str(args.sample)),
                                       "query": run_phase("query", str(index_dir), str(args.reps))}
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已保存: {path}")


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


if __name__ == "__main__":
    main()
