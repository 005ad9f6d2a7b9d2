"""`Bm25.top` (MaxScore: common terms looked up only for the rows still in the running) returns exactly
what scoring every row and sorting would: the same rows, the same float32 scores, ties by row."""

import numpy as np
import pytest

from rag.store import keyword as bm25
from rag.store.keyword import Bm25, TermCounts, top_rows

WORDS = [f"w{i}" for i in range(40)]


def corpus(seed: int, docs: int) -> list[list[str]]:
    """Zipf-like word frequencies (a few words in most rows, as a unit name in every header), short
    rows with small counts so that many rows tie, and some empty rows."""
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, len(WORDS) + 1) ** 1.1
    p /= p.sum()
    lengths = rng.choice([0, 1, 3, 5, 8, 8, 12, 30], docs)
    return [list(rng.choice(WORDS, k, p=p)) for k in lengths]


def split_tokens(text: str) -> list[str]:
    """Queries here are space-separated words: the ranking, not jieba, is under test."""
    return text.split()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_is_the_top_of_every_row_scored(seed, monkeypatch):
    token_lists = corpus(seed, 3000)
    cuts = [[3000], [2000, 3000], [500, 2900, 3000]][seed]
    segments, start = [], 0
    for end in cuts:
        segments.append(TermCounts.build(token_lists[start:end]))
        start = end
    index = Bm25(segments, split_tokens)  # type: ignore[arg-type]
    looked_up = []
    real_look_up = bm25._look_up
    monkeypatch.setattr(bm25, "_look_up", lambda *a: looked_up.append(1) or real_look_up(*a))
    rng = np.random.default_rng(100 + seed)
    for _ in range(60):
        words = list(rng.choice(WORDS, rng.integers(1, 9))) + (["unknown"] if rng.random() < 0.2 else [])
        query = " ".join(words + words[:1] * int(rng.integers(0, 2)))  # sometimes a repeated word
        n = int(rng.choice([1, 5, 50]))
        density = rng.choice([0.002, 0.05, 0.3, 1.0])
        masks = [None if density == 1.0 else rng.random(len(s.lengths)) < density for s in segments]
        full = index.scores(query)
        for got, scores, mask in zip(index.top(query, n, masks), full, masks):
            rows, values = top_rows(scores, n, mask)
            assert np.array_equal(got[0], rows) and np.array_equal(got[1], values), (query, n, density)
            assert got[1].dtype == np.float32 and len(got[0]) == min(n, int(((scores > 0) & (True if mask is None else mask)).sum()))
    assert looked_up  # the cut-off was reached: common terms were looked up, not scanned


def test_repeated_query_words_count_again_and_unknown_words_score_nothing():
    index = Bm25([TermCounts.build([["a", "b"], ["b"], ["c"]])], split_tokens)  # type: ignore[arg-type]
    once, twice = index.scores("a b")[0], index.scores("a b b")[0]
    assert twice[1] == pytest.approx(2 * once[1]) and twice[0] > once[0] and once[2] == 0
    assert len(index.top("zz", 5)[0][0]) == 0 and not index.scores("zz")[0].any()
