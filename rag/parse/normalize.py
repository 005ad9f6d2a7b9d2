"""Character normalisation: half-width digits/Latin, full-width Chinese punctuation, no stray spaces.

The convention (GB/T 15834 style): inside Chinese text punctuation is full-width (，：；？！（）),
while digits, Latin letters and number symbols (% . + - /) are half-width. Every transformation
maps one character to one character (or drops spaces only where noted), so offsets stay close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


# The front door: every rule downstream sees one kind of line end and one kind of space.
_LINE_BREAKS = {"\r", "\u2028", "\u2029", "\x85", "\v", "\f"}  # \r\n loses its \r; a lone one is a line end
_SPACES = {"\t", "\u00a0", "\u1680", "\u202f", "\u205f", "\u3000", *map(chr, range(0x2000, 0x200B))}
_INVISIBLE = {"\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad"}  # BOM, zero-width, soft hyphen


@dataclass(frozen=True)
class FrontDoor:
    """Text with uniform line ends and spaces, and for each of its characters the raw offset."""

    text: str
    origin: tuple[int, ...]  # origin[i]: offset in the raw text of text[i]; one extra entry = len(raw)

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw [start, end) that the normalised [start, end) came from."""
        return self.origin[start], (self.origin[end - 1] + 1 if end > start else self.origin[start])


def front_door(raw: str) -> FrontDoor:
    """Uniform line ends (\\r\\n, \\r → \\n), every Unicode space → " ", BOM and zero-width gone.

    Full-width indentation (　　) becomes plain spaces, which line stripping removes.

    >>> door = front_door("\\ufeff\\u3000\\u3000主任\\u00a0刘\\u200b一\\r\\n正文")
    >>> door.text
    '  主任 刘一\\n正文'
    >>> door.raw_span(6, 7)  # "一" sits after the zero-width space in the raw text
    (8, 9)
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(raw):
        if char in _INVISIBLE or (char == "\r" and raw[i + 1: i + 2] == "\n"):
            continue
        chars.append("\n" if char in _LINE_BREAKS else " " if char in _SPACES else char)
        origin.append(i)
    origin.append(len(raw))
    return FrontDoor("".join(chars), tuple(origin))


_MARKDOWN_LEAD = re.compile(r"^(?:#{1,6}\s+|>\s*)")
_MARKDOWN_BOLD = re.compile(r"\*\*(?P<inner>[^*]+)\*\*\s*")


def strip_markdown(line: str) -> str:
    """A Markdown line's text without its heading, quote or bold marks (pages saved as .md).

    >>> strip_markdown("### 许某代表——"), strip_markdown("> 《人民日报》（2026年03月05日第 08 版）")
    ('许某代表——', '《人民日报》（2026年03月05日第 08 版）')
    >>> strip_markdown("**记者手记**"), strip_markdown("**某学院院长王某教授** 认为，要……")
    ('记者手记', '某学院院长王某教授认为，要……')
    """
    return _MARKDOWN_BOLD.sub(lambda m: m.group("inner").strip(), _MARKDOWN_LEAD.sub("", line)).strip()
