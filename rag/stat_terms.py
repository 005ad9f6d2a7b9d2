"""The lexicon of government-statistics terms (rag/stat_terms.tsv, with sources): the forms one
quantity is written in ("GDP" / "地区生产总值", "社零" / "社会消费品零售总额", "固投", "规上" …).

Used twice: BM25 queries get the other forms of every lexicon term they hold (`expand`), and evidence
matching counts a sentence that writes another form as holding the term (`forms`). Setting
RAG_STAT_TERMS=0 turns both off (the on/off comparison of `rag eval`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("stat_terms.tsv")


@lru_cache(maxsize=1)
def _groups() -> tuple[tuple[str, ...], ...]:
    groups = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            forms = tuple(f.strip() for f in line.split("\t")[0].split("|") if f.strip())
            if len(forms) >= 2:
                groups.append(forms)
    return tuple(groups)


def enabled() -> bool:
    return os.environ.get("RAG_STAT_TERMS", "1") != "0"


def forms(term: str) -> tuple[str, ...]:
    """Every other form of a lexicon term (case-insensitive for Latin letters); () for other words.

    >>> forms("固投"), forms("改革")
    (('固定资产投资',), ())
    """
    if not enabled():
        return ()
    key = term.lower()
    out: list[str] = []
    for group in _groups():
        if any(f.lower() == key for f in group):
            out += [f for f in group if f.lower() != key]
    return tuple(dict.fromkeys(out))


def found_in(text: str) -> list[str]:
    """The lexicon terms written in a text, longest first, none inside a longer one found.

    >>> found_in("重庆2025年GDP和规上工业增加值是多少")
    ['规上工业增加值', 'GDP']
    """
    if not enabled():
        return []
    lowered = text.lower()
    terms = sorted({f for g in _groups() for f in g if f.lower() in lowered}, key=len, reverse=True)
    kept: list[str] = []
    for t in terms:
        if not any(t.lower() in k.lower() for k in kept):
            kept.append(t)
    return kept


def expand(query: str) -> str:
    """The query with the other forms of its lexicon terms appended (for BM25).

    >>> expand("社零增长多少")
    '社零增长多少 社会消费品零售总额 社零额 社会消费品零售额 消费品零售总额'
    """
    extra = [f for t in found_in(query) for f in forms(t) if f.lower() not in query.lower()]
    return " ".join([query, *dict.fromkeys(extra)]) if extra else query
