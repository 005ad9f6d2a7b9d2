"""Chinese text rules shared by the parser, the chunker, retrieval and answering — each defined once.

Punctuation classes (sentence ends, closing quotes, clause marks), numbers and unit words, the
administrative place suffixes, the stopwords, and the project's one jieba set-up (`segmenter()`).
Modules build their own patterns from these names, so a difference between two uses shows in the
code ("sentence ends plus the colon") instead of hiding in two hand-written regexes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache


def any_of(words: Sequence[str]) -> str:
    """A regex alternation of literal words, in the given order: `any_of(("万", "亿"))` → "(?:万|亿)"."""
    return "(?:" + "|".join(map(re.escape, words)) + ")"


# ---- punctuation -------------------------------------------------------------------------------
FULL_STOPS = "。！？!?…"  # a sentence certainly ends here
SEMICOLONS = "；;"  # … and here, for chunking and claims: a Chinese list item is a sentence
SENTENCE_ENDS = FULL_STOPS + SEMICOLONS
CLOSING_QUOTES = "”’」』）)"  # stay with the sentence they close
COLONS = "：:"
COMMAS = "，,"
CLAUSE_MARKS = COMMAS + SEMICOLONS + COLONS  # what splits a sentence into clauses

# ---- numbers and units ---------------------------------------------------------------------------
NUMBER = r"\d+(?:\.\d+)?"  # an Arabic number as stated: "1.14", "2024"
MAGNITUDES = ("万", "亿", "千", "百")  # written between a number and its unit: "1.14万人"
# Measure words a figure carries. Order matters where a pattern stops at the first that fits.
UNIT_WORDS = ("元", "家", "个", "户", "人", "斤", "吨", "亩", "项", "座", "所", "次", "条", "公里", "千米",
              "平方公里", "辆", "台", "套", "倍", "名", "间", "人次", "千瓦", "GWh", "美元", "平方米")
PERCENT = ("%", "％")

# A number with what says which quantity it is: a unit word (longest first: "5人次", "1000千米"),
# magnitudes with or without a unit ("1.14万人", "3万"), or a percent sign. "3721盏": no unit word.
_UNIT = any_of(sorted(UNIT_WORDS, key=len, reverse=True))
FIGURE = rf"(?<![\d.]){NUMBER}\s*(?:{_UNIT}|{any_of(MAGNITUDES)}+{_UNIT}?|{any_of(PERCENT)})"

# A number with whatever of it follows (magnitudes, a unit word, a percent sign): never cut inside.
_FIGURE_RUN = re.compile(rf"{NUMBER}\s*{any_of(MAGNITUDES)}*(?:{_UNIT}|{any_of(PERCENT)})?")
_CLIP_AT = re.compile(f"[{re.escape(SENTENCE_ENDS + CLAUSE_MARKS)}][{re.escape(CLOSING_QUOTES)}]*")


def clip(text: str, limit: int) -> str:
    """`text` shortened to about `limit` characters for a snippet, marked with …… when cut: at the last
    sentence or clause end in the second half of the limit, else at the limit moved past any figure it
    would split, so a snippet never shows "增长6.8" without its "%".

    >>> clip("工业投资增长6.8%，居全市第一。", 8), clip("一季度完成投资8.36亿元同比增长", 9)
    ('工业投资增长6.8%……', '一季度完成投资8.36亿元……')
    """
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _CLIP_AT.finditer(text, 0, limit + 1) if m.end() >= limit // 2]
    if ends:
        return text[:ends[-1]].rstrip(CLAUSE_MARKS) + "……"
    cut = next((m.end() for m in _FIGURE_RUN.finditer(text) if m.start() < limit < m.end()), limit)
    return text[:cut] + "……"


# ---- places --------------------------------------------------------------------------------------
ZONE_SUFFIXES = ("高新区", "新区")  # a development zone, often named after the district it sits in
# District/county level: what opens a department's name ("永川区经济信息委") and names a district.
DISTRICT_SUFFIXES = ("自治县", *ZONE_SUFFIXES, "区", "县")
# Every administrative suffix, longest first so "自治县" wins over "县".
PLACE_SUFFIXES = tuple(sorted((*DISTRICT_SUFFIXES, "街道", "市", "镇", "乡", "省"), key=len, reverse=True))

# ---- stopwords -----------------------------------------------------------------------------------
# One list, ours rather than bm25s's Chinese list: that one (841 words) also drops words this domain
# is searched by (加强, 促进, 坚持, 开展, 实现, 完成, 全面); docs/ARCHITECTURE.md gives the measurement.
# STOPWORDS: grammatical and question words, dropped from texts and queries alike (BM25) and from questions.
STOPWORDS = frozenset(
    "的 了 和 与 及 在 是 有 为 对 把 将 等 中 上 下 也 都 就 并 其 之 个 多少 哪些 什么 如何 怎么 怎样 方面 做法 吗 呢 ?".split()
)
# Question analysis drops more: the other question words and the domain's fillers ("工作", "区县",
# "情况"), which every speech uses and no answer is found by — but which BM25 keeps in the texts.
QUESTION_STOPWORDS = STOPWORDS | frozenset(
    "或 被 从 到 向 于 还 又 吧 啊 呀 么 几 几个 哪个 哪里 怎么样 为什么 是否 有没有 有何 多大 举措 情况 "
    "各地 地方 哪些地方 各 该 他 她 它 他们 那 那么 这 这个 那个 请问 一下 提到 说 讲 介绍 主要 具体 "
    "哪 问题 工作 开展 取得 达到 实现 一共 共 总共 区县 各区县 各区 单位 部门 镇街 地区".split()
)


# ---- jieba ---------------------------------------------------------------------------------------
class Segmenter:
    """jieba behind one object: words, search-mode words, part-of-speech tags, dictionary lookups.

    `segmenter()` is the shared one (jieba's default dictionary); `with_words` derives a private
    copy that also knows a corpus's own terms (BM25), leaving the shared one untouched.
    """

    def __init__(self, tokenizer) -> None:
        import jieba.posseg

        self._tokenizer = tokenizer
        self._pos = jieba.posseg.POSTokenizer(tokenizer)

    def words(self, text: str) -> list[str]:
        """Accurate-mode words (jieba `lcut`)."""
        return self._tokenizer.lcut(text)

    def search_words(self, text: str) -> list[str]:
        """Search-mode words: long words also give their dictionary sub-words (jieba `lcut_for_search`)."""
        return self._tokenizer.lcut_for_search(text)

    def tagged(self, text: str, hmm: bool = True) -> list[tuple[str, str]]:
        """(word, part-of-speech flag) pairs, jieba's ICTCLAS flags ("ns" place, "nr" person, "v" verb).
        `hmm=False` tags dictionary words only (unknown runs come out a character at a time), ~10× faster."""
        return [(t.word, t.flag) for t in self._pos.cut(text, HMM=hmm)]

    def tag(self, word: str) -> str | None:
        """The dictionary's part-of-speech flag for a whole word, or None when it is not in the dictionary."""
        self._tokenizer.check_initialized()
        return self._pos.word_tag_tab.get(word)

    def frequency(self, word: str) -> int:
        """The word's count in the dictionary (0 when absent)."""
        self._tokenizer.check_initialized()
        return self._tokenizer.FREQ.get(word, 0) or 0

    def with_words(self, words: Iterable[str]) -> Segmenter:
        """A private segmenter that also keeps `words` whole.

        jieba's public way is a fresh `jieba.Tokenizer().initialize()` plus `add_word`, but that re-reads
        the whole dictionary: 2.3 s even from jieba's cache, against 0.04 s to copy the loaded table
        (498k words; measured in one run on the project machine), and every index open and ingest
        builds one. So this is the one place that copies jieba's word table (`FREQ`, `total`: plain
        attributes, no leading underscore); words are then added through the public `add_word`.
        """
        import jieba

        self._tokenizer.check_initialized()
        private = jieba.Tokenizer()
        private.FREQ, private.total = dict(self._tokenizer.FREQ), self._tokenizer.total
        private.initialized = True
        for word in words:
            private.add_word(word, freq=None)
        return Segmenter(private)


@lru_cache(maxsize=1)
def segmenter() -> Segmenter:
    """The shared segmenter (jieba's default dictionary, loaded on first use)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return Segmenter(jieba.dt)
