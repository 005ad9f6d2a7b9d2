"""Sparse side of the index: jieba tokens (with a corpus user dictionary) scored by BM25.

Each index segment keeps its own term counts (`TermCounts`: plain npz + vocabulary text, no pickle);
`Bm25` scores them together with corpus-wide statistics.
"""

from __future__ import annotations

import math
import re
from collections import Counter
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
        arrays = {name: np.asarray(np.load(folder / f"bm25-{name}.npy", mmap_mode="r", allow_pickle=False))
                  for name in ("indptr", "rows", "counts", "lengths")}  # (plain views of the maps: cheaper slices)
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

    `top` finds the best rows without scoring every row (MaxScore, exact): a query's terms are taken by
    their highest possible contribution, and once the rows already scored hold n rows better than the
    remaining terms could ever add up to, those terms (the common ones: 区, 发展, a unit's name in every
    header) are only looked up for the rows still in the running instead of scanned over all their
    rows. A row's score is the sum of its terms' float32 contributions added in float64 (exact for a
    query's few terms), so it does not depend on the order terms are added: `top` returns the rows and
    scores of `top_rows(scores(...))` to the bit (tests/test_bm25_top.py). Written here too: bm25s
    scores every document before its top-k, and the segments' own statistics rule out its index.
    """

    def __init__(self, segments: Sequence[TermCounts], tokenizer: Tokenizer, k1: float = K1, b: float = B) -> None:
        self.segments = list(segments)
        self.tokenizer = tokenizer
        self.docs = sum(len(s.lengths) for s in self.segments)
        self.mean_length = float(sum(float(s.lengths.sum()) for s in self.segments) / max(self.docs, 1))
        self._norms = [k1 * ((1 - b) + b * np.asarray(s.lengths) / self.mean_length) for s in self.segments]
        self._least_norm = [float(n.min()) if len(n) else 0.0 for n in self._norms]
        self._max_parts: list[dict[int, float]] = [{} for _ in self.segments]  # column → max tf/(norm + tf)

    def df(self, token: str) -> int:
        """Documents holding the token, over all segments."""
        return sum(s.df(token) for s in self.segments)

    def tokens(self, text: str) -> list[str]:
        return self.tokenizer(text)

    def idf(self, token: str) -> float:
        df = self.df(token)
        return math.log(1 + (self.docs - df + 0.5) / (df + 0.5))

    def weights(self, query: str) -> dict[str, float]:
        """idf of each known query token, times the times it occurs (a repeated token counts again, as in bm25s)."""
        counts = Counter(t for t in self.tokenizer(query) if any(t in s.column for s in self.segments))
        return {t: self.idf(t) * m for t, m in counts.items()}

    def scores(self, query: str) -> list[np.ndarray]:
        """float32 BM25 score of every document of every segment (zeros where nothing matches)."""
        weights = self.weights(query)
        out = []
        for i, seg in enumerate(self.segments):
            scores = np.zeros(len(seg.lengths), np.float64)
            for term in self._terms(i, weights):
                rows, impacts = term.impacts()
                scores[rows] += impacts
            out.append(scores.astype(np.float32))
        return out

    def top(self, query: str, n: int, allowed: Sequence[np.ndarray | None] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each segment's top-n (rows, float32 scores) with a positive score among its allowed rows, best
        first, ties by row: exactly `top_rows(scores(query)[i], n, allowed[i])`, without scoring every row."""
        weights = self.weights(query)
        allowed = list(allowed) if allowed is not None else [None] * len(self.segments)
        return [_max_score(self._terms(i, weights), n, len(seg.lengths), mask)
                for i, (seg, mask) in enumerate(zip(self.segments, allowed))]

    def _terms(self, i: int, weights: dict[str, float]) -> list["_Postings"]:
        seg, norm, max_parts = self.segments[i], self._norms[i], self._max_parts[i]
        out = []
        for token, weight in weights.items():
            j = seg.column.get(token)
            if j is not None:
                out.append(_Postings(seg, norm, int(seg.indptr[j]), int(seg.indptr[j + 1]), weight, max_parts, j,
                                     self._least_norm[i]))
        return out


class _Postings:
    """One query term in one segment: its rows (sorted) and their contributions weight·tf/(norm + tf)."""

    def __init__(self, seg: TermCounts, norm: np.ndarray, lo: int, hi: int, weight: float,
                 max_parts: dict[int, float], column: int, least_norm: float) -> None:
        self.seg, self.norm, self.lo, self.hi, self.weight = seg, norm, lo, hi, weight
        self.max_parts, self.column, self.least_norm = max_parts, column, least_norm

    def __len__(self) -> int:
        return self.hi - self.lo

    def _contribution(self, tf: np.ndarray, norm: np.ndarray) -> np.ndarray:
        tf = tf.astype(np.float32)
        return (np.float32(self.weight) * tf / (norm + tf)).astype(np.float32)

    def impacts(self, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All (rows, contributions) of the term, among allowed rows; learns the term's exact bound."""
        rows = np.asarray(self.seg.rows[self.lo:self.hi])
        tf = np.asarray(self.seg.counts[self.lo:self.hi])
        if allowed is None:
            part = tf / (self.norm[rows] + tf.astype(np.float32))
            self.max_parts.setdefault(self.column, float(part.max()) if len(part) else 0.0)
            return rows, self._contribution(tf, self.norm[rows])
        keep = allowed[rows]
        rows, tf = rows[keep], tf[keep]
        return rows, self._contribution(tf, self.norm[rows])

    def lookup(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `rows`, contributions) of the given sorted rows that hold the term."""
        own = self.seg.rows[self.lo:self.hi]
        if not len(own):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        pos = np.searchsorted(own, rows)
        pos[pos == len(own)] = 0
        hit = np.flatnonzero(np.asarray(own[pos]) == rows)
        tf = np.asarray(self.seg.counts[self.lo:self.hi])[pos[hit]]
        return hit, self._contribution(tf, self.norm[rows[hit]])

    @cached_property
    def bound(self) -> float:
        """Highest possible contribution of the term to one row (exact once the term was scanned in
        full, else from its highest tf and the segment's shortest row), a little over for rounding."""
        part = self.max_parts.get(self.column)
        if part is None:
            tf = float(np.asarray(self.seg.counts[self.lo:self.hi]).max()) if len(self) else 0.0
            part = tf / (self.least_norm + tf) if tf else 0.0
        return self.weight * part * (1 + MARGIN)


def _max_score(terms: list[_Postings], n: int, size: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-n rows of one segment (see `Bm25.top`). Terms are taken from the highest bound down and
    scanned in full until the bounds of the terms left add up to less than the n-th best score so far:
    a row none of the scanned terms holds can then no longer reach the top n. The remaining terms are
    looked up only for the rows that can still reach it, which are dropped as soon as they cannot."""
    terms = sorted(terms, key=lambda t: -t.bound)
    left = np.cumsum([t.bound for t in terms][::-1])[::-1].tolist() + [0.0]  # bound of terms i..end
    postings = sum(len(t) for t in terms)
    kept = size if allowed is None else int(np.count_nonzero(allowed))
    if allowed is not None and kept * LOOKUP_COST < postings:  # few rows pass the filter: look terms up for them
        return _look_up(terms, 0, left, n, np.flatnonzero(allowed), np.zeros(kept, np.float64), 0.0)
    scores = np.zeros(size, np.float64)
    best, nth, touched = np.zeros(0, np.int64), 0.0, []
    for i, term in enumerate(terms):
        if len(best) == n and left[i] < nth * (1 - MARGIN):
            if sum(len(r) for r in touched) < size // 8:  # the rows scanned so far, those still in reach
                rows = np.concatenate(touched)
                rows = np.sort(rows[scores[rows] + left[i] >= nth * (1 - MARGIN)])
                rows = rows[np.diff(rows, prepend=-1) > 0]
            else:
                rows = np.flatnonzero(scores + left[i] >= nth * (1 - MARGIN))
            return _look_up(terms, i, left, n, rows, scores[rows], nth)
        rows, impacts = term.impacts(allowed)
        scores[rows] += impacts
        touched.append(rows)
        fresh = np.concatenate([rows, best[~_holds(rows, best)]])  # the top n can only change among these
        best, top = _best(fresh, scores[fresh].astype(np.float32), n)
        nth = float(top[-1]) if len(best) == n else 0.0
    return _best(best, scores[best].astype(np.float32), n)


MARGIN = 1e-6  # relative: float32 rounding of the final scores never lets a dropped row back in
LOOKUP_COST = 16  # a looked-up row costs about as much as this many scanned postings (binary search)


def _look_up(terms: list[_Postings], start: int, left: list[float], n: int, rows: np.ndarray,
             scores: np.ndarray, nth: float) -> tuple[np.ndarray, np.ndarray]:
    """Finish the scores of the candidate rows with terms start..end, dropping rows that fall out of reach."""
    for i in range(start, len(terms)):
        if len(rows) > n and nth > 0:
            keep = scores + left[i] >= nth * (1 - MARGIN)
            rows, scores = rows[keep], scores[keep]
        hit, impacts = terms[i].lookup(rows)
        scores[hit] += impacts
        if len(rows) > n:
            nth = max(nth, float(np.partition(scores, len(scores) - n)[len(scores) - n]))
    return _best(rows, scores.astype(np.float32), n)


def _holds(sorted_rows: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Which of `rows` are in `sorted_rows`."""
    if not len(sorted_rows):
        return np.zeros(len(rows), bool)
    pos = np.minimum(np.searchsorted(sorted_rows, rows), len(sorted_rows) - 1)
    return sorted_rows[pos] == rows


def _best(rows: np.ndarray, scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-n (rows, scores) with a positive score, best first, ties by row."""
    if n <= 0:
        return np.zeros(0, np.int64), scores[:0]
    keep = scores > 0
    if keep.sum() > n:
        nth = np.partition(scores, len(scores) - n)[len(scores) - n]
        keep &= scores >= nth
    rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:n]
    return rows[order].astype(np.int64), scores[order]


class TermStats(Protocol):
    """What question-term weights need of a keyword index (rag/answer/evidence.py TermWeights): its document
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
    rows = np.flatnonzero(scores > 0 if allowed is None else (scores > 0) & allowed)
    return _best(rows, scores[rows], n)
