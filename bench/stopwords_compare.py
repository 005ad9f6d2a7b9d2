"""BM25 with our stopword list against bm25s's Chinese list, on both evaluation domains.

`python -m bench.stopwords_compare` → bench/results/stopwords-<time>.json and a table on stdout.

BM25 alone (no model, no index on disk): the domain's texts are parsed and chunked as `rag ingest`
does, then tokenised once per stopword list:
- ours:           rag.zh.STOPWORDS (the shipped list);
- bm25s:          bm25s.stopwords.STOPWORDS_CHINESE;
- bm25s + ours:   the two together (what the issue proposed: bm25s's list plus our words).
Metrics: hit@1, hit@5, MRR@5 of the answerable questions, per tune/report part (rag/eval/sets.py).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable

from bench.save import save_result
from rag.store import keyword as bm25
from rag.ingest.chunk import chunk_speeches
from rag.eval.sets import DOMAINS, PARTS, git_commit
from rag.eval.run import K, first_gold, rank_metrics
from rag.parse import load_corpus
from rag.zh import STOPWORDS


def lists() -> dict[str, frozenset[str]]:
    from bm25s.stopwords import STOPWORDS_CHINESE

    theirs = frozenset(STOPWORDS_CHINESE)
    return {"ours": STOPWORDS, "bm25s": theirs, "bm25s + ours": theirs | STOPWORDS}


def run_domain(name: str, words: dict[str, frozenset[str]], limit: int | None) -> dict:
    domain = DOMAINS[name]()
    chunks = chunk_speeches(load_corpus(list(domain.corpus)).speeches)
    out: dict = {"chunks": len(chunks)}
    for label, stop in words.items():
        bm25.STOPWORDS = stop  # the tokenizer reads the module's list at each call
        started = time.perf_counter()
        tokenizer = bm25.Tokenizer(bm25.user_terms(chunks))
        index = bm25.Bm25([bm25.TermCounts.build(tokenizer(c.indexed_text) for c in chunks)], tokenizer)
        row: dict = {}
        for p in PARTS:
            questions = domain.select(p, ("qa",))[:limit]
            ranks = []
            for q in questions:
                rows, _ = index.top(q.q, K)[0]
                ranks.append(first_gold([chunks[int(r)] for r in rows], q, domain.is_gold))
            row[p] = rank_metrics(ranks)
        row["seconds"] = round(time.perf_counter() - started, 1)
        out[label] = row
        print(f"{name:6} {label:13} " + "  ".join(
            f"{p}: n={row[p]['n']} hit@1 {row[p]['hit@1']:.3f} hit@5 {row[p]['hit@5']:.3f} mrr@5 {row[p]['mrr@5']:.3f}"
            for p in PARTS), flush=True)
    bm25.STOPWORDS = STOPWORDS
    return out


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domain", action="append", choices=sorted(DOMAINS), help="default: every domain")
    parser.add_argument("--limit", type=int, default=None, help="questions per part (quick check, not the figure)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    words = lists()
    result = {"commit": git_commit(), "sizes": {k: len(v) for k, v in words.items()},
              "dropped_domain_words": sorted(w for w in ("加强", "促进", "坚持", "推进", "开展", "实现", "完成", "全面",
                                                         "提高", "建设", "发展") if w in words["bm25s"]),
              "domains": {d: run_domain(d, words, args.limit) for d in (args.domain or sorted(DOMAINS))}}
    save_result("stopwords", result)


if __name__ == "__main__":
    main()
