"""Encode throughput of the ingest pipeline against the bare model (outside pytest): `python -m bench.encode`.

The same seed chunk texts are encoded by:
  bare             the model alone, one call with every text (its own batching)
  pipeline         rag.ingest.pipeline's path: length-sorted batches of EMBED_BATCH, each appended to the
                   on-disk embedding cache (the cost of resumability included)
  sorted/unsorted  batches of 16, 64 and 128 texts, length-sorted or in corpus order (no cache)
Rounds alternate between configurations, so the machine's changing load hits them alike; the
result is texts/s per configuration and its ratio to the bare model measured in the same rounds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="e5-small")
    parser.add_argument("--texts", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from rag.ingest.chunk import chunk_speeches
    from rag.config import DEFAULT_SEEDS
    from rag.store.embed import load_embedder
    from rag.ingest.pipeline import EMBED_BATCH, embed_missing
    from rag.parse import load_corpus
    from rag.ingest.vector_cache import VectorCache

    emb = load_embedder(args.model)
    chunks = chunk_speeches(load_corpus([DEFAULT_SEEDS]).speeches)[: args.texts]
    texts = [c.indexed_text for c in chunks]
    emb.encode_passages(texts[:4])  # warm-up

    def batched(size: int, by_length: bool) -> None:
        order = sorted(texts, key=len) if by_length else texts
        for start in range(0, len(order), size):
            emb.encode_passages(order[start:start + size])

    def pipeline() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            embed_missing(emb, VectorCache(Path(tmp), emb.name, emb.dim), chunks, None)

    configs = {"bare (one call)": lambda: emb.encode_passages(texts), f"pipeline (sorted {EMBED_BATCH} + cache)": pipeline}
    for size in (16, 64, 128):
        configs[f"sorted batches of {size}"] = lambda size=size: batched(size, True)
        configs[f"unsorted batches of {size}"] = lambda size=size: batched(size, False)
    seconds: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.rounds):
        for name, run in configs.items():
            t = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - t)
    bare = float(np.median(seconds["bare (one call)"]))
    result = {"model": args.model, "texts": len(texts), "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
              "rounds": args.rounds, "configs": {name: {"texts_per_s": round(len(texts) / float(np.median(s)), 2),
                                                        "vs_bare": round(bare / float(np.median(s)), 3)}
                                                 for name, s in seconds.items()}}
    out = ROOT / "bench" / "results" / f"encode-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print("| configuration | texts/s | vs bare |\n|---|---|---|")
    for name, r in result["configs"].items():
        print(f"| {name} | {r['texts_per_s']} | {r['vs_bare']} |")
    print(f"结果已保存: {out}")


if __name__ == "__main__":
    main()
