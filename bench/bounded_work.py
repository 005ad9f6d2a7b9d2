"""Bounded work: what the query cap and the endless-sentence limit save, measured in one run.

    python -m bench.bounded_work [--query-chars 100000] [--sentence-chars 50000] [--out bench/results/bounded_work.json]

1. Query: a 100,000-character question through retrieval with no gate (what `rag search` did), vs.
   the gate's answer to it (refused at once), vs. the longest question the gate lets through
   (MAX_QUERY_CHARS), all on one small real index (e5-small + BM25).
2. Endless sentence: a 50,000-character text with no sentence end, chunked as before (one chunk)
   and as now (pieces of at most MAX_SENTENCE_CHARS), then embedded; plus an answer asked over it.

Times are seconds on a shared machine: read them as ratios within one run, not as absolutes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.ingest.chunk import MAX_SENTENCE_CHARS, chunk_speeches  # noqa: E402
from rag.config import DEFAULT_SEEDS, Settings  # noqa: E402
from rag.store.embed import load_embedder  # noqa: E402
from rag.errors import UsageError  # noqa: E402
from rag.ingest.pipeline import ingest_paths  # noqa: E402
from rag.query_check import MAX_QUERY_CHARS, check_query  # noqa: E402
from rag.records import Meeting, Paragraph, Speech  # noqa: E402
from rag.retrieve.retriever import Retriever  # noqa: E402


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def corpus_text(chars: int, seed: int = 7) -> str:
    """Corpus-like filler: words drawn from the seeds, no sentence end (the worst case for both limits)."""
    words = [w for f in sorted(DEFAULT_SEEDS.glob("*.txt")) for w in f.read_text(encoding="utf-8").split()]
    rng = random.Random(seed)
    out, n = [], 0
    while n < chars:
        w = rng.choice(words).strip("。！？；")
        out.append(w)
        n += len(w)
    return "".join(out)[:chars]


def query_cap(retriever: Retriever, chars: int) -> dict:
    long_query = corpus_text(chars)
    before, _ = timed(lambda: retriever.search(long_query, 5))
    start = time.perf_counter()
    try:
        check_query(long_query)
        message = None
    except UsageError as exc:
        message = str(exc)
    refused = time.perf_counter() - start
    longest = long_query[:MAX_QUERY_CHARS]
    allowed, _ = timed(lambda: retriever.search(check_query(longest), 5))
    return {"query_chars": chars, "uncapped_search_s": round(before, 3), "gate_refusal_s": round(refused, 6),
            "refusal_message": message, "longest_allowed_chars": MAX_QUERY_CHARS,
            "longest_allowed_search_s": round(allowed, 3),
            "ratio_uncapped_to_longest_allowed": round(before / max(allowed, 1e-9), 1)}


def endless_sentence(chars: int) -> dict:
    text = corpus_text(chars)
    speech = Speech(Meeting("测试会议"), "测试", None, None, None, (Paragraph(text, 0, len(text)),), "endless.txt")
    old_chunks = [text]  # before: a sentence longer than the window stayed whole, one chunk
    new_chunks = [c.indexed_text for c in chunk_speeches([speech])]
    embedder = load_embedder("e5-small")
    old_s, _ = timed(lambda: embedder.encode_passages(old_chunks))
    new_s, _ = timed(lambda: embedder.encode_passages(new_chunks))
    return {"sentence_chars": chars, "max_sentence_chars": MAX_SENTENCE_CHARS,
            "chunks_before": len(old_chunks), "longest_chunk_before": len(old_chunks[0]),
            "chunks_after": len(new_chunks), "longest_chunk_after": max(len(c) for c in new_chunks),
            "embed_before_s": round(old_s, 3), "embed_after_s": round(new_s, 3),
            "note": "before, one 50k chunk was embedded from its first ~512 tokens only (the rest was "
                    "never seen); after, every character is in some chunk the model reads whole"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query-chars", type=int, default=100_000)
    parser.add_argument("--sentence-chars", type=int, default=50_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(index_dir=Path(folder) / "index")
        ingest_paths([DEFAULT_SEEDS], settings)
        retriever = Retriever.open(settings)
        result = {"query_cap": query_cap(retriever, args.query_chars),
                  "endless_sentence": endless_sentence(args.sentence_chars)}
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
