"""The one gate every query passes (CLI argument, stdin line, UI box): not empty, has content, bounded.

A query is refused, with a message saying what to change, when it is blank, holds no letter or
digit (only emoji or punctuation: nothing to rank by), holds bytes that were not valid UTF-8, or is
longer than MAX_QUERY_CHARS.
"""

from __future__ import annotations

import re
import unicodedata

from rag.errors import UsageError

# The embedding models read at most 512 tokens (about one Chinese character each), so a longer query
# is not even seen whole by the dense retriever; real questions are under 100 characters, and a pasted
# paragraph for 相似举措 (chunks are at most 512) fits. Uncapped, a 100,000-character question took
# minutes to search.
MAX_QUERY_CHARS = 512
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # what Python makes of invalid UTF-8 bytes in argv


def check_query(text: str | None) -> str:
    """The stripped query, or UsageError naming what is wrong with it.

    >>> check_query("  亩均效益？ ")
    '亩均效益？'
    >>> check_query("？！😀")
    Traceback (most recent call last):
    rag.errors.UsageError: 问题没有可检索的文字（只有标点或表情符号）— 请输入要查找的内容 (no content)
    """
    q = (text or "").strip()
    if not q:
        raise UsageError("问题为空 — 请输入一个问题 (empty question)")
    if _SURROGATE.search(q):
        raise UsageError("输入含有无效的 UTF-8 字节 — 请检查终端或文件的编码 (invalid UTF-8)")
    if len(q) > MAX_QUERY_CHARS:
        raise UsageError(f"问题过长（{len(q)} 字，上限 {MAX_QUERY_CHARS} 字）— 请缩短后重试 (query too long)")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in q):
        raise UsageError("问题没有可检索的文字（只有标点或表情符号）— 请输入要查找的内容 (no content)")
    return q
