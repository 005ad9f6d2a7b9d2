"""Benchmarks outside pytest: `python -m bench.run` (or `make bench`) → bench/results/bench-<time>.json.

Each phase runs in its own process so that peak memory (ru_maxrss) is the phase's own:
  build   — ingest the seeds from scratch: chunks/s next to the model's bare encode throughput, index size
  query   — warm hybrid search latency p50/p95 next to the bare query-encode time
  scale   — synthetic 100k chunks: per index type (flat, hnsw) build time, memory, p50/p95 latency,
            recall@10 against exact search, plus flat latency by size (which sets ANN_THRESHOLD);
            and BM25 over 100k synthetic texts built from the seed sentences
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
    from rag.ingest import EMBED_BATCH, ingest_paths
    from rag.chunk import chunk_speeches
    from rag.config import DEFAULT_SEEDS, Settings
    from rag.embed import load_embedders
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
    from rag.retrieve import Retriever

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


def _random_unit(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _clustered(n: int, dim: int, clusters: int = 2000) -> np.ndarray:
    """Unit vectors around random topic centres: unlike pure noise, they have neighbourhoods to find."""
    rng = np.random.default_rng(3)
    centres = _random_unit(clusters, dim, 4)
    v = centres[rng.integers(0, clusters, n)] + 0.6 * _random_unit(n, dim, 5)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def phase_scale_dense(kind: str, n: int, dim: int, n_queries: int) -> dict:
    from rag.vectors import DenseIndex

    vectors = _clustered(n, dim)
    # queries near stored rows, as real queries are near their passages
    queries = vectors[:n_queries] + 0.3 * _random_unit(n_queries, dim, 1)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    base = rss_mb()
    t = time.perf_counter()
    index = DenseIndex(vectors, kind)
    index_mb = round(rss_mb() - base, 1)
    build_s = time.perf_counter() - t
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        ids, _ = index.search(q, 10)
        lat.append(time.perf_counter() - t)
        found.append(ids)
    exact = [np.argsort(-(vectors @ q))[:10] for q in queries]
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact)]))
    allowed = np.zeros(n, bool)
    allowed[::50] = True  # a filter keeping 2% of rows (exact numpy path)
    flat_lat = []
    for q in queries[:50]:
        t = time.perf_counter()
        index.search(q, 10, allowed)
        flat_lat.append(time.perf_counter() - t)
    return {"kind": kind, "n": n, "dim": dim, "build_seconds": round(build_s, 2), "recall@10": round(recall, 4),
            "search_ms_p50": pct(lat, 50), "search_ms_p95": pct(lat, 95),
            "filtered_2pct_ms_p95": pct(flat_lat, 95),
            "index_rss_mb": index_mb, "vectors_mb": round(vectors.nbytes / 2**20, 1), "peak_rss_mb": peak_mb()}


def phase_flat_curve(dim: int, sizes: list[int], n_queries: int) -> dict:
    from rag.vectors import DenseIndex

    out = {}
    for n in sizes:
        vectors = _random_unit(n, dim, 0)
        index = DenseIndex(vectors, "flat")
        lat = []
        for q in _random_unit(n_queries, dim, 2):
            t = time.perf_counter()
            index.search(q, 50)
            lat.append(time.perf_counter() - t)
        out[str(n)] = {"p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95)}
    return {"flat_latency_by_size": out, "dim": dim}


def phase_scale_bm25(n: int, n_queries: int) -> dict:
    import random

    from rag.bm25 import Bm25Index, Tokenizer
    from rag.chunk import chunk_speeches, sentence_spans
    from rag.config import DEFAULT_SEEDS
    from rag.parse import load_corpus

    chunks = chunk_speeches(load_corpus([DEFAULT_SEEDS]).speeches)
    sentences = [c.text[a:b] for c in chunks for a, b in sentence_spans(c.text)]
    rng = random.Random(0)
    texts = ["".join(rng.choices(sentences, k=4)) + f"新增{rng.randint(1, 9999)}个。" for _ in range(n)]
    tokenizer = Tokenizer()
    t = time.perf_counter()
    index = Bm25Index.build(texts, tokenizer)
    build_s = time.perf_counter() - t
    lat = []
    qs = (questions() * 10)[:n_queries]
    for q in qs:
        t = time.perf_counter()
        index.search(q, 50)
        lat.append(time.perf_counter() - t)
    return {"n": n, "build_seconds": round(build_s, 2), "texts_per_s": round(n / build_s, 1),
            "search_ms_p50": pct(lat, 50), "search_ms_p95": pct(lat, 95), "peak_rss_mb": peak_mb()}


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
    parser.add_argument("--scale-n", type=int, default=100_000)
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args(argv)
    if args.phase:
        name, *rest = args.phase
        fn = {"build": lambda: phase_build(rest[0], Path(rest[1]), int(rest[2])),
              "query": lambda: phase_query(Path(rest[0]), int(rest[1])),
              "dense": lambda: phase_scale_dense(rest[0], int(rest[1]), int(rest[2]), int(rest[3])),
              "curve": lambda: phase_flat_curve(int(rest[0]), [int(x) for x in rest[1].split(",")], int(rest[2])),
              "bm25": lambda: phase_scale_bm25(int(rest[0]), int(rest[1]))}[name]
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
    if not args.skip_scale:
        n = str(args.scale_n)
        result["scale"] = {
            "flat": run_phase("dense", "flat", n, "384", "200"),
            "hnsw": run_phase("dense", "hnsw", n, "384", "200"),
            "flat_curve": run_phase("curve", "384", "10000,50000,100000,200000,400000", "50"),
            "bm25": run_phase("bm25", n, "100"),
        }
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
