"""Character normalisation: half-width digits/Latin, full-width Chinese punctuation, no stray spaces.

The convention (GB/T 15834 style): inside Chinese text punctuation is full-width (，：；？！（）),
while digits, Latin letters and number symbols (% . + - /) are half-width. Every transformation
maps one character to one character (or drops spaces only where noted), so offsets stay close.
"""

from __future__ import annotations

import re

# Full-width ASCII variants that become half-width: digits, letters and number symbols.
_TO_HALF = {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}  # ０-９
_TO_HALF.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_TO_HALF.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_TO_HALF.update({"％": "%", "．": ".", "＋": "+", "－": "-", "／": "/", "＝": "=", "＜": "<", "＞": ">", "＆": "&", "＿": "_"})
_HALF_TABLE = str.maketrans(_TO_HALF)

# Half-width punctuation that becomes full-width when it touches a Chinese character.
_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "，。、；：？！“”‘’（）《》【】—…"
_HALF_PUNCT_NEAR_CJK = re.compile(
    rf"(?<=[{_CJK}{_CJK_PUNCT}])[,:;?!()]|[,:;?!()](?=[{_CJK}{_CJK_PUNCT}])"
)
_SPACE_BETWEEN = re.compile(rf"(?<=[{_CJK}{_CJK_PUNCT}0-9%])[ \u3000\u00a0]+(?=[{_CJK}{_CJK_PUNCT}0-9])")
_SPACE_AROUND_NUMBER = re.compile(rf"(?<=[{_CJK}])[ \u3000\u00a0]+(?=[0-9])|(?<=[0-9%])[ \u3000\u00a0]+(?=[{_CJK}])")


def normalize_chars(text: str) -> str:
    """Width-normalise one line of text (keeps its length).

    >>> normalize_chars("增长６．３％,同比(一)")
    '增长6.3%，同比（一）'
    """
    text = text.translate(_HALF_TABLE)
    return _HALF_PUNCT_NEAR_CJK.sub(lambda m: _TO_FULL[m.group()], text)


def collapse_spaces(text: str) -> str:
    """Drop spaces that Chinese typesetting never has (between Chinese characters and numbers).

    >>> collapse_spaces("利润 0.57 亿元，余 波")
    '利润0.57亿元，余波'
    """
    text = _SPACE_AROUND_NUMBER.sub("", text)
    return _SPACE_BETWEEN.sub("", text)
