"""Place names in Chinese text: which jieba words name a place (a name plus an admin suffix), a
place's stem, and whether a place is written in a text. Shared by question analysis, unit
resolution, citations and the follow-up rewriter."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from rag.zh import PLACE_SUFFIXES, QUESTION_STOPWORDS, segmenter

# Words that end like a place but name none ("小区", "全区", "各区县" …).
_GENERIC_PLACE = re.compile(
    r"^(各|全|本|该|每|哪|我|其|此|这|那|外)"
    r"|(小区|社区|园区|城区|地区|辖区|景区|街区|片区|市区|城市|都市|超市|上市)$"
)

# Words ending in an admin suffix that name no place: generic nouns ("小区", "城镇", "上市") and
# kinds of zones ("示范区", "山区"). A place is a name plus a suffix, never one of these.
_NOT_PLACE = re.compile(
    r"^(城镇|乡镇|城市|都市|超市|上市|城区|社区|小区|园区|景区|地区|市区|辖区|郊区|片区|街区|县区|区县|市县|城乡|"
    r"下乡|家乡|老乡|集市|门市|股市|楼市|夜市|菜市|小镇|古镇|重镇|山区|库区|灾区|矿区|牧区|校区|厂区|学区|分区|"
    r"专区|盲区|误区|禁区|节省|反省)$"
    r"|(试验区|示范区|开发区|保护区|功能区|先行区|核心区|集聚区|产业区|经济区|工业区|风景区|自贸区|之乡)$"
)
_HAN_NAME = re.compile(r"[\u4e00-\u9fff]+")
_COUNTED = re.compile(r"^[一二两三四五六七八九十几多每各]+个")  # "三个区", "几个镇": a count of places, not a name


# The one-character admin suffixes: jieba sometimes glues two of them together ("青溪" + "区镇" + "街").
_SUFFIX_CHARS = frozenset(sfx for sfx in PLACE_SUFFIXES if len(sfx) == 1)


def _place_token(token: str) -> bool:
    """A jieba token that is itself a place name: a name plus an admin suffix ("九龙坡区", "忠县")."""
    if _GENERIC_PLACE.search(token) or _NOT_PLACE.search(token) or _COUNTED.search(token) \
            or not _HAN_NAME.fullmatch(token):
        return False
    if set(token) <= _SUFFIX_CHARS:  # "区镇", "区县": suffixes only, no name
        return False
    return any(token.endswith(sfx) and len(token) > len(sfx) for sfx in PLACE_SUFFIXES)


# Characters that never begin a place name here: function words, demonstratives, quantifiers.
_NOT_NAME_START = set("的了是在和与及对从把被将向于等也还又都就呢吗吧啊那这哪些各全该本每其年月日个区县市镇乡省")


def _with_lost_head(token: str, previous: str) -> str:
    """jieba splits a name it does not know as "金" + "龙镇" or "那双" + "石镇": a place word whose name
    part is one character (other than a county: 忠县) takes back the character before it when that
    character is not a function word."""
    if token.endswith("县") or len(token) != 2 or not previous or not _HAN_NAME.fullmatch(previous):
        return token
    if len(previous) == 1 and previous not in _NOT_NAME_START:
        return previous + token
    if len(previous) == 2 and previous[0] in _NOT_NAME_START and previous[1] not in _NOT_NAME_START:
        return previous[1] + token
    return token


def places(text: str, known: Collection[str] = ()) -> list[str]:
    """Place names in order, without repeats: first the `known` places (e.g. those the corpus's units
    name) written in the text, then jieba words that are a name plus an admin suffix, or a name
    followed by a suffix word ("永川" + "区", "重庆" + "高新区"). Never a window of characters:
    "打造芳香小镇" names no place, "二季度永川区" names 永川区.

    >>> places("2024年二季度永川区与彭水自治县、各区县的老旧小区"), places("打造芳香小镇"), places("忠县和深圳市南山区")
    (['永川区', '彭水自治县'], [], ['忠县', '深圳市', '南山区'])
    >>> places("那双石镇呢"), places("金龙镇协议引资多少"), places("和忠县")
    (['双石镇'], ['金龙镇'], ['忠县'])
    """
    found: list[tuple[int, str]] = []
    rest = text
    for name in sorted(set(known), key=len, reverse=True):
        for m in re.finditer(re.escape(name), rest):
            found.append((m.start(), name))
        rest = rest.replace(name, "，" * len(name))
    pos = 0
    previous = ""
    for token in segmenter().words(rest):
        start = rest.find(token, pos)
        pos = start + len(token) if start >= 0 else pos
        # A name followed by a suffix word ("永川" + "区"), or by two suffixes glued ("青溪" + "区镇").
        glued = len(token) > 1 and set(token) <= _SUFFIX_CHARS
        suffix = token if token in PLACE_SUFFIXES else token[0] if glued else None
        if suffix:
            if previous and len(previous) >= 2 and previous not in QUESTION_STOPWORDS and not _place_token(previous) \
                    and _place_token(previous + suffix):
                found.append((start - len(previous), previous + suffix))
        elif _place_token(token):
            name = _with_lost_head(token, previous)
            found.append((start - (len(name) - len(token)), name))
        previous = token
    return list(dict.fromkeys(w for _, w in sorted(found)))


def corpus_places(chunks) -> frozenset[str]:
    """The places the corpus's own units and posts name ("双石镇" from "双石镇党委"): a gazetteer
    that keeps jieba from splitting a place it does not know ("那双石镇呢")."""
    labels = {x for c in chunks for x in (c.unit, c.speaker_title) if x}
    whole = {label for label in labels if _place_token(label)}  # a unit that is a place: "永川区双石镇"
    found = whole | {p for label in labels for p in places(label, whole - {label})}
    inner = {w[len(q):] for w in found for q in found if w.startswith(q) and _place_token(w[len(q):])}
    return frozenset(found | inner)  # "永川区双石镇" also gives "双石镇"


def place_stem(place: str) -> str:
    """ "彭水自治县" -> "彭水" """
    for s in PLACE_SUFFIXES:
        if place.endswith(s) and len(place) > len(s):
            return place[: -len(s)]
    return place


def place_in(place: str, text: str) -> bool:
    """A place is present when written in full, as its stem followed by another admin suffix, or as
    its stem standing as a word of its own in the text. A stem inside another word does not count:
    "渝中" occurs inside "成渝中部".

    >>> place_in("永川区", "永川高新区党工委书记"), place_in("渝中区", "打造成渝中部产业新高地"), place_in("永川区", "永川成为排头兵")
    (True, False, True)
    """
    if place in text:
        return True
    stem = place_stem(place)
    if stem == place or len(stem) < 2 or stem not in text:
        return False
    return any(stem + s in text for s in PLACE_SUFFIXES) or stem in _words(text)


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    return frozenset(segmenter().words(text))
