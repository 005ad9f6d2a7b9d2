"""Sparse side of the index: jieba tokens (with a corpus user dictionary) scored by BM25.

Each index segment keeps its own term counts (`TermCounts`: plain npz + vocabulary text, no pickle);
`Bm25` scores them together with corpus-wide statistics.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator, Protocol, Sequence

import numpy as np

from rag.records import Chunk
from rag.zh import STOPWORDS, segmenter

_QUOTED = re.compile(r"[“\"「『]([^”\"」』\s]{2,10})[”\"」』]")
_KEEP = re.compile(r"[\w%.]")  # tokens made only of punctuation or spaces carry no signal


def user_terms(chunks: Iterable[Chunk]) -> list[str]:
    """Words jieba must keep whole: units, speaker names and short quoted terms such as “亩均效益”."""
    terms: set[str] = set()
    for c in chunks:
        terms.update(x for x in (c.unit, c.speaker) if x and 2 <= len(x) <= 20)
        terms.update(_QUOTED.findall(c.text))
    return sorted(terms)


class Tokenizer:
    """A private segmenter (never the shared one) that also knows the corpus's own terms."""

    def __init__(self, terms: Sequence[str] = ()) -> None:
        self._base = segmenter()
        self._jieba = self._base.with_words(terms)
        self.terms = list(terms)
        self._terms = frozenset(terms)

    def __call__(self, text: str) -> list[str]:
        """Search-mode tokens, lower-cased, without punctuation and function words.

        A corpus term is kept whole *and* split as jieba would split it without the term, so that
        “亩均效益改革” still matches a query for 亩均效益, and 经济信息委 matches 永川区经济信息委.
        """
        tokens = []
        for token in self._jieba.search_words(text):
            tokens.append(token)
            if len(token) > 3 and token in self._terms:
                tokens += self._base.search_words(token)
        tokens = (t.strip().lower() for t in tokens)
        return [t for t in tokens if t and t not in STOPWORDS and _KEEP.search(t)]


PARALLEL_FROM = 20_000  # texts: from here on, tokenising is spread over the CPUs (jieba is pure Python)


def tokenize_all(terms: Sequence[str], texts: Iterable[str], block: int = 2_000) -> Iterator[list[str]]:
    """Tokens of every text, in order; large inputs are tokenised by one worker process per CPU."""
    import itertools
    import multiprocessing
    import os

    texts = iter(texts)
    head = list(itertools.islice(texts, PARALLEL_FROM))
    workers = min(os.cpu_count() or 1, 4)
    if len(head) < PARALLEL_FROM or workers < 2:
        tokenizer = Tokenizer(terms)
        yield from (tokenizer(t) for t in itertools.chain(head, texts))
        return
    from collections import deque

    with multiprocessing.get_context("fork").Pool(workers, _init_worker, (list(terms),)) as pool:
        pending: deque = deque()
        for texts_block in _blocks(itertools.chain(head, texts), block):  # read here: `texts` may be a DB cursor
            pending.append(pool.apply_async(_tokenize_block, (texts_block,)))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


def _blocks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    import itertools

    while block := list(itertools.islice(items, size)):
        yield block


_worker_tokenizer: "Tokenizer | None" = None


def _init_worker(terms: list[str]) -> None:
    global _worker_tokenizer
    _worker_tokenizer = Tokenizer(terms)


def _tokenize_block(texts: list[str]) -> list[list[str]]:
    assert _worker_tokenizer is not None
    return [_worker_tokenizer(t) for t in texts]


K1, B = 1.5, 0.75  # bm25s's defaults (Lucene variant), kept so rankings match the earlier bm25s index


@dataclass
class TermCounts:
    """One segment's term counts, column by column (CSC: for term j, `rows[indptr[j]:indptr[j+1]]` and
    their counts), plus document lengths. Saved as plain .npy files read memory-mapped, so a search
    touches only its query terms' columns. Segments are scored together with corpus-wide statistics
    (`Bm25`): a new segment costs what it adds, and old segments are never re-tokenised."""

    vocab: list[str]
    indptr: np.ndarray  # int64, len(vocab) + 1
    rows: np.ndarray  # int32 document of each entry
    counts: np.ndarray  # uint16 term frequency of each entry
    lengths: np.ndarray  # float32 tokens per document

    @classmethod
    def build(cls, token_lists: Iterable[list[str]]) -> "TermCounts":
        """Count terms document by document; memory stays at a few bytes per token (numpy blocks)."""
        from scipy import sparse

        ids: dict[str, int] = {}
        blocks: list[np.ndarray] = []
        indptr, lengths, pending = [0], [], []
        for tokens in token_lists:
            tokens = tokens or [""]  # as bm25s: an empty document has length 1
            pending += [ids.setdefault(t, len(ids)) for t in tokens]
            indptr.append(indptr[-1] + len(tokens))
            lengths.append(len(tokens))
            if len(pending) > 1 << 20:
                blocks.append(np.asarray(pending, np.int32))
                pending = []
        blocks.append(np.asarray(pending, np.int32))
        cols = np.concatenate(blocks)
        del blocks, pending
        csr = sparse.csr_matrix((np.ones(len(cols), np.uint16), cols, np.asarray(indptr, np.int64)),
                                shape=(len(lengths), len(ids)))
        del cols
        csr.sum_duplicates()
        csc = csr.tocsc()
        del csr
        csc.sort_indices()
        return cls(list(ids), csc.indptr.astype(np.int64), csc.indices.astype(np.int32),
                   csc.data.astype(np.uint16), np.asarray(lengths, np.float32))

    @cached_property
    def column(self) -> dict[str, int]:
        return {t: j for j, t in enumerate(self.vocab)}

    def df(self, token: str) -> int:
        j = self.column.get(token)
        return 0 if j is None else int(self.indptr[j + 1] - self.indptr[j])

    def save(self, folder: Path) -> None:
        for name in ("indptr", "rows", "counts", "lengths"):
            np.save(folder / f"bm25-{name}.npy", getattr(self, name), allow_pickle=False)
        (folder / "bm25-vocab.txt").write_text("\n".join(self.vocab), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "TermCounts":
        arrays = {name: np.load(folder / f"bm25-{name}.npy", mmap_mode="r", allow_pickle=False)
                  for name in ("indptr", "rows", "counts", "lengths")}
        vocab = (folder / "bm25-vocab.txt").read_text(encoding="utf-8").split("\n")
        indptr, rows, counts = arrays["indptr"], arrays["rows"], arrays["counts"]
        if len(indptr) != len(vocab) + 1 or int(indptr[-1]) != len(rows) or len(rows) != len(counts):
            raise ValueError("bm25 vocabulary and term counts do not match")
        return cls(vocab, **arrays)


class Bm25:
    """BM25 over several segments' TermCounts with corpus-wide document frequencies and mean length.

    Written here rather than taken from bm25s: bm25s bakes the corpus-wide idf into a precomputed score
    matrix, so adding one document means re-indexing the whole corpus. The formula is bm25s's own
    (Lucene idf, k1 = 1.5, b = 0.75), so one segment ranks exactly as bm25s did (tests/test_retrieve.py).
    """

    def __init__(self, segments: Sequence[TermCounts], tokenizer: Tokenizer) -> None:
        self.segments = list(segments)
        self.tokenizer = tokenizer
        self.docs = sum(len(s.lengths) for s in self.segments)
        self.mean_length = float(sum(float(s.lengths.sum()) for s in self.segments) / max(self.docs, 1))
        self._norms = [K1 * ((1 - B) + B * np.asarray(s.lengths) / self.mean_length) for s in self.segments]

    def df(self, token: str) -> int:
        """Documents holding the token, over all segments."""
        return sum(s.df(token) for s in self.segments)

    def tokens(self, text: str) -> list[str]:
        return self.tokenizer(text)

    def idf(self, token: str) -> float:
        df = self.df(token)
        return math.log(1 + (self.docs - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> list[np.ndarray]:
        """float32 BM25 score of every document of every segment (zeros where nothing matches)."""
        tokens = [t for t in self.tokenizer(query) if any(t in s.column for s in self.segments)]
        idf = {t: self.idf(t) for t in set(tokens)}
        out = []
        for seg, norm in zip(self.segments, self._norms):
            scores = np.zeros(len(seg.lengths), np.float32)
            for t in tokens:  # a repeated query token counts again, as in bm25s
                j = seg.column.get(t)
                if j is None:
                    continue
                lo, hi = seg.indptr[j], seg.indptr[j + 1]
                rows, tf = seg.rows[lo:hi], seg.counts[lo:hi].astype(np.float32)
                scores[rows] += (idf[t] * tf / (norm[rows] + tf)).astype(np.float32)
            out.append(scores)
        return out


class TermStats(Protocol):
    """What question-term weights need of a keyword index (rag/evidence.py TermWeights): its document
    count, its tokens of a text, and the documents holding a token. `Bm25` is one; each Store gives
    its own (`Store.term_stats`), so weighting a question never re-reads the indexed texts."""

    docs: int

    def df(self, token: str) -> int: ...

    def tokens(self, text: str) -> list[str]: ...


def term_stats(texts: Sequence[str]) -> Bm25:
    """Term statistics of plain texts (no index at hand), tokenised without a corpus dictionary."""
    return Bm25([TermCounts.build(Tokenizer()(t) for t in texts)], Tokenizer())


def top_rows(scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-n (rows, scores) with a positive score among allowed rows; ties by row, so deterministic.

    >>> top_rows(np.array([0.0, 2.0, 1.0, 2.0], np.float32), 2)
    (array([1, 3]), array([2., 2.], dtype=float32))
    """
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    n = min(n, int((scores > 0).sum()))
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((top, -scores[top]))]
    return top.astype(np.int64), scores[top].astype(np.float32)
