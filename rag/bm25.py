"""Sparse side of the index: jieba tokens (with a corpus user dictionary) scored by bm25s.

Saved as bm25s's own plain files (npy + json, no pickle) plus `userdict.txt`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from rag.records import Chunk
from rag.zh import BM25_STOPWORDS, segmenter

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
        return [t for t in tokens if t and t not in BM25_STOPWORDS and _KEEP.search(t)]


class Bm25Index:
    """BM25 over chunk texts; `search` applies an allow-mask inside the scoring."""

    def __init__(self, tokenizer: Tokenizer, model: object) -> None:
        self.tokenizer = tokenizer
        self._model = model

    @classmethod
    def build(cls, texts: Sequence[str], tokenizer: Tokenizer) -> "Bm25Index":
        import bm25s

        model = bm25s.BM25()
        model.index([tokenizer(t) or [""] for t in texts], show_progress=False)
        return cls(tokenizer, model)

    def search(self, query: str, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-n (row ids, scores) among allowed rows with a positive score."""
        ids = self._model.get_tokens_ids(self.tokenizer(query))
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = self._model.get_scores(ids)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        n = min(n, int((scores > 0).sum()))
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.lexsort((top, -scores[top]))]  # by score, ties by row: deterministic
        return top.astype(np.int64), scores[top].astype(np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._model.save(str(folder / "bm25"), show_progress=False)
        (folder / "userdict.txt").write_text("\n".join(self.tokenizer.terms), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Bm25Index":
        import bm25s

        terms = (folder / "userdict.txt").read_text(encoding="utf-8").split("\n")
        model = bm25s.BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        return cls(Tokenizer([t for t in terms if t]), model)
