"""Two ingest workers, disjoint files, one Milvus collection: `python -m bench.milvus_workers`.

milvus-lite's local file admits one process (a file lock), so the workers share a `milvus-lite server`
(gRPC, started here with --max-workers 1: that server does not make concurrent writes to one
collection safe, so it handles one request at a time). Against a Milvus standalone/cluster server
pass --uri http://host:19530 and no local server is started.

Steps: (1) the files are split into two disjoint sets; (2) two `rag ingest` processes, each with its
own set, run at the same time against collection prefix "workers"; (3) one `rag ingest` of all files
into prefix "single" as the reference; (4) the two collections must hold the same chunks, sources and
speeches, and answer every seeds qa/multi question (dev and extra) with the same top-5. Writes bench/results/milvus-workers-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT, Settings
from rag.store.embed import load_embedder
from rag.eval.sets import seeds_domain
from bench.milvus_parity import agreement
from rag.store.milvus.store import MilvusStore
from rag.retrieve.retriever import Retriever

RESULTS = PROJECT_ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lite_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).with_name("milvus-lite")), "server", "--data-dir", str(data_dir),
                               "--port", str(port), "--max-workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server, f"http://127.0.0.1:{port}"
        if server.poll() is not None:
            raise RuntimeError(f"milvus-lite server exited: {server.stderr.read()}")
        time.sleep(0.3)
    server.kill()
    raise RuntimeError("milvus-lite server did not start in 60 s")


def ingest(files: list[Path], uri: str, prefix: str, work: Path) -> subprocess.Popen:
    env = {**os.environ, "RAG_VECTOR_STORE": "milvus", "RAG_MILVUS_URI": uri, "RAG_MILVUS_COLLECTION": prefix,
           "RAG_INDEX_DIR": str(work), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen([sys.executable, "-m", "rag", "ingest", *map(str, files), "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, started: float) -> dict[str, Any]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}): {err[-2000:]}")
    return {"seconds": round(time.perf_counter() - started, 1), "report": json.loads(out.strip().splitlines()[-1])}


def snapshot(uri: str, prefix: str) -> MilvusStore:
    os.environ["RAG_MILVUS_COLLECTION"] = prefix
    return MilvusStore.open(Settings(vector_store="milvus", milvus_uri=uri))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[PROJECT_ROOT / "seeds"])
    parser.add_argument("--uri", help="a running Milvus server (default: start a local milvus-lite server)")
    args = parser.parse_args()
    files = sorted(f.resolve() for p in args.paths for f in ([p] if p.is_file() else p.iterdir()) if f.is_file())
    halves = [files[0::2], files[1::2]]
    result: dict[str, Any] = {"files": [[f.name for f in h] for h in halves]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server, uri = (None, args.uri) if args.uri else start_lite_server(work / "milvus")
        result["uri"] = "milvus-lite server (--max-workers 1)" if server else args.uri
        try:
            started = time.perf_counter()
            procs = [ingest(h, uri, "workers", work / f"w{i}") for i, h in enumerate(halves)]
            result["workers"] = [finish(p, started) for p in procs]
            result["two workers wall s"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            result["single"] = finish(ingest(files, uri, "single", work / "single"), started)
            two, one = snapshot(uri, "workers"), snapshot(uri, "single")
            result["same"] = same(two, one)
        finally:
            if server:
                server.terminate()
                server.wait(timeout=30)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"milvus-workers-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"saved {path}")


def segmented_differently(two: MilvusStore, one: MilvusStore) -> int:
    """Chunks whose BM25 tokens (the `terms` field) differ between the two collections."""
    terms = [{r["chunk_id"]: r["terms"] for r in s._iterate(s._chunks, ["chunk_id", "terms"])} for s in (two, one)]
    return sum(terms[0].get(k) != v for k, v in terms[1].items())


def same(two: MilvusStore, one: MilvusStore) -> dict[str, Any]:
    """Whether the two-worker collection equals the single-process one: content, then each ranking."""
    a, b = two.manifest, one.manifest
    questions = [q.q for q in seeds_domain().select("all", ("qa", "multi"))]
    model = load_embedder(a["embedding_model_spec"])
    retrievers = [Retriever(two, {model.name: model}), Retriever(one, {model.name: model})]
    fused: list[list[list[str]]] = [[], []]
    parts: list[dict[str, list[list[str]]]] = [{}, {}]
    for q in questions:
        for i, r in enumerate(retrievers):
            ranked = r.rankings(q, 50)
            fused[i].append([h.chunk.chunk_id for h in r.hits(q, ranked, 10)])
            for name, (rows, _) in ranked.items():
                parts[i].setdefault(name, []).append([r.index.chunk(row).chunk_id for row in rows[:10]])
    return {"chunks": [a["chunks"], b["chunks"]], "speeches": [a["speeches"], b["speeches"]],
            "sources equal": a["sources"] == b["sources"],
            "corpus fingerprint equal": a["corpus_fingerprint"] == b["corpus_fingerprint"],
            "chunk ids equal": sorted(c.chunk_id for c in two.chunks) == sorted(c.chunk_id for c in one.chunks),
            "rows segmented differently": segmented_differently(two, one),
            "questions": len(questions), "fused": agreement(*fused),
            **{name: agreement(parts[0][name], parts[1][name]) for name in parts[0]}}


if __name__ == "__main__":
    main()
