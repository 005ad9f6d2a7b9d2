"""Noise that is not speech text: paywall markers, watermarks, ads, page notes, contents pages, credits.

Each rule is a pattern of the genre, not of one file. Damage inside speech text (a lost 'G' in
'GDP', a lost name) is left as it is: we never invent missing text.
"""

from __future__ import annotations

import re

from rag.zh import FULL_STOPS

_PAYWALL = re.compile(r"##\s*paid(?:begin|end)\s*##", re.IGNORECASE)
# Watermarks appended to paragraphs by content farms: "AAA32311699整理。"
_WATERMARK = re.compile(r"[A-Za-z]{2,}\d{4,}(?:整理|编辑|制作|收集)。?")
_CONTINUATION = re.compile(r"[（(]?\s*(?:上|下)?转(?:第)?\s*\d+\s*(?:版|页)\s*[）)]?")
_CONTINUATION_LINE = re.compile(rf"^{_CONTINUATION.pattern}$")
LABELS = {"编者按", "核心提示", "目录", "导读", "按语", "编者的话", "内容提要", "阅读提示"}
_LEADER_DOTS = re.compile(r"(?:…{2,}|\.{5,}|·{5,}|－{4,}|-{5,})\s*\d*\s*$")
_TOC_ENTRY = re.compile(r"^\d{1,2}\s*[．.、]\S")
_PAGE_NUMBER = re.compile(r"^[-—\s]*(?:第\s*)?\d{1,3}\s*(?:页)?[-—\s]*$")
_AD_WORDS = ("素材库", "会员", "客服", "公众号", "代笔", "下载", "欢迎加入", "联系", "微信", "网盘",
             "谨防假冒", "扫码", "关注我们", "二维码", "优惠", "订阅")
_CONTACT = re.compile(r"客服|公众号|微信|QQ|\d[\d ]{4,}|[A-Za-z]{3,}\d*$")
_CREDIT = re.compile(
    r"^[（(【\[]?\s*(?:本版|本文|本期)?(?:稿件|文字|图片)?(?:由)?\s*(?:本报|[\u4e00-\u9fff]{1,6}(?:报|社|台|网))?\s*(?:特约|首席)?(?:记者|通讯员|编辑|责任编辑|作者|供稿|整理|摄影?)"
    rf"[^{FULL_STOPS}]{{0,30}}[）)】\]]?$"
)
# A web page's own buttons and menus, left behind when the page was copied as text.
_CHROME_WORDS = (
    r"下载|打印(?:本页)?|全屏|收藏|分享(?:到|让更多人看到)?|关闭(?:窗口)?|返回顶部|[大中小]?字号|加大|还原|减小|默认|"
    r"(?:我要)?纠错|扫一扫|[大中小]"
)
_PAGE_CHROME = re.compile(rf"^[【】\[\]（）()：:|｜/ ]*(?:(?:{_CHROME_WORDS})[【】\[\]（）()：:|｜/ ]*)+$")
_BRACKETED_CREDIT = re.compile(r"^[（(【\[][^（）()【】]{0,30}(?:记者|通讯员|整理|供稿|责编|责任编辑)[^（）()【】]{0,20}[）)】\]]$")


def strip_inline_noise(line: str) -> str:
    """Remove noise embedded inside a line.

    >>> strip_inline_noise("##paidbegin##2．江北区委书记：")
    '2．江北区委书记：'
    >>> strip_inline_noise("应用案例。AAA32311699整理。")
    '应用案例。'
    """
    line = _PAYWALL.sub("", line)
    line = _WATERMARK.sub("", line)
    return _CONTINUATION.sub("", line) if _CONTINUATION.search(line) and len(line) > 12 else line


def is_noise_line(line: str) -> bool:
    """True for whole lines that carry no speech text."""
    text = line.strip()
    return (
        not text
        or text in LABELS
        or bool(_CONTINUATION_LINE.match(text))
        or bool(_PAGE_NUMBER.match(text))
        or bool(_PAGE_CHROME.match(text))
        or is_advert(text)
        or is_credit(text)
    )


def is_advert(text: str) -> bool:
    """Advertising: several ad words with a way to get in touch, or a 【bracketed】 promo."""
    hits = sum(1 for word in _AD_WORDS if word in text)
    contact = bool(_CONTACT.search(text))
    return (hits >= 2 and contact) or hits >= 3 or (text.startswith("【") and hits >= 1)


def is_credit(text: str) -> bool:
    """A reporter's or editor's credit line: never a speaker."""
    return len(text) <= 40 and bool(_CREDIT.match(text) or _BRACKETED_CREDIT.match(text))


def is_toc_line(text: str) -> bool:
    return bool(_LEADER_DOTS.search(text))


def toc_span(lines: list[str]) -> range:
    """Indices of a table of contents: from a "目录" heading (or first entry) to its last dotted line."""
    dotted = [i for i, text in enumerate(lines) if is_toc_line(text)]
    if not dotted:
        return range(0)
    start = next((i for i, text in enumerate(lines[: dotted[0] + 1]) if text.strip() == "目录"), None)
    if start is None:
        start = dotted[0]
        while start > 0 and _TOC_ENTRY.match(lines[start - 1].strip()) is not None:
            start -= 1
    end = dotted[0]
    for i in dotted[1:]:
        if i - end <= 6:  # entries wrap over a few lines; a far-away dotted line is not this TOC
            end = i
    return range(start, end + 1)


_FRONT_MATTER_LINES = 60  # a page's metadata block (YAML between "---" lines) is short


def front_matter_span(lines: list[str]) -> range:
    """Indices of a Markdown page's metadata block: a "---" first line to the next "---".

    >>> front_matter_span(["---", "title: 发言席", "date: 2026-03-05", "---", "# 发言席"])
    range(0, 4)
    """
    if not lines or lines[0].strip() != "---":
        return range(0)
    end = next((i for i, text in enumerate(lines[1:_FRONT_MATTER_LINES], 1) if text.strip() == "---"), None)
    return range(end + 1) if end else range(0)
