"""What a question asks for: its places, content terms, wanted figure/unit and whether it compares places.

Pure text rules (jieba tokens plus suffix lists), shared by the answerer and the follow-up rewriter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Administrative suffixes, longest first so "自治县" wins over "县".
PLACE_SUFFIXES = ("自治县", "高新区", "新区", "街道", "区", "县", "市", "镇", "乡", "省")
# Words that end like a place but name none ("小区", "全区", "各区县" …).
_GENERIC_PLACE = re.compile(
    r"^(各|全|本|该|每|哪|我|其|此|这|那|外)"
    r"|(小区|社区|园区|城区|地区|辖区|景区|街区|片区|市区|城市|都市|超市|上市)$"
)
_COMPARISON = re.compile(r"各地|各区县|各区|各县|各单位|各部门|各镇街|哪些(区县|地方|地区|单位|部门|镇街|街道|区|县)|分别|哪些.{0,6}也在|不同(地方|区县)")
_FIGURE = re.compile(r"多少|几[个家项户人年次条所亿万]?|多大|多高|多长|比例|占比|比重|百分之|增速|增幅|排名|第几|金额|规模")
_UNIT_AFTER = re.compile(r"(?:多少|几)(万|亿)?(元|家|个|户|人|斤|吨|亩|项|座|所|次|条|公里|千米|平方公里|辆|台|套|倍|名|间|人次|千瓦|GWh)?")
_SCOPE = re.compile(r"全国|全省|全球|我国|中国|国家层面|国外|海外")
_PERCENT_HINT = re.compile(r"增长|增速|增幅|下降|提高|比例|占比|比重|利率|率")
# Question words and fillers: not content.
_STOP = set(
    "的 了 是 在 和 与 及 或 有 为 把 被 将 对 从 到 向 于 等 也 还 又 都 就 呢 吗 吧 啊 呀 么 "
    "多少 几 几个 什么 哪些 哪个 哪里 如何 怎样 怎么 怎么样 为什么 是否 有没有 有何 多大 做法 举措 方面 情况 "
    "各地 地方 哪些地方 各 该 其 他 她 它 他们 那 那么 这 这个 那个 请问 一下 提到 说 讲 介绍 主要 具体 "
    "哪 方面 问题 工作 开展 取得 达到 实现 一共 共 总共 区县 各区县 各区 单位 部门 镇街 地区".split()
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def tokens(text: str) -> list[str]:
    """jieba tokens without punctuation or whitespace.

    >>> tokens("涪陵区一季度增长多少?")
    ['涪陵区', '一季度', '增长', '多少']
    """
    return [t for t in _jieba().lcut(text) if not _PUNCT.fullmatch(t)]


_NOUNISH = ("n", "j", "t", "l", "eng")  # jieba POS flags of words that can name a topic


def noun_runs(text: str) -> list[list[str]]:
    """Runs of consecutive noun-like jieba words (POS n*, j, t, l, eng): the things a question is about.

    >>> noun_runs("哪些地方在推进亩均效益改革?")
    [['亩均', '效益']]
    """
    _jieba()
    import jieba.posseg

    runs: list[list[str]] = [[]]
    for pair in jieba.posseg.lcut(text):
        if pair.flag.startswith(_NOUNISH) and pair.word not in _STOP and not _PUNCT.fullmatch(pair.word):
            runs[-1].append(pair.word)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


_BOUNDARY = set("的了是在和与及对从把被将向于等也还又都就呢吗吧啊那这哪些各全该本每其居列位年月日个"
                "区县市镇乡省道")
# A suffix character that only ends a common word here ("城镇就业", "老旧小区"), not a place name.
_NOT_PLACE = {"城镇", "乡镇", "城市", "都市", "超市", "上市", "城区", "社区", "小区", "园区", "景区", "地区",
              "市区", "辖区", "郊区", "片区", "街区", "县区", "区县", "市县", "城乡", "下乡", "家乡", "老乡",
              "集市", "门市", "股市", "楼市", "夜市", "全市", "全区", "全县", "全镇", "各区", "各县", "各市"}
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _stem_before(text: str, i: int, suffix: str) -> str | None:
    """The longest 2–4 character name ending at i with no function word inside ("2024年永川区" → "永川")."""
    if text[max(i - 1, 0):i + len(suffix)][-2:] in _NOT_PLACE or text[i - 1:i + 1] in _NOT_PLACE:
        return None
    for k in (4, 3, 2):
        stem = text[max(i - k, 0):i]
        if len(stem) == k and all(_HAN.match(ch) and ch not in _BOUNDARY for ch in stem):
            return stem
    one = text[i - 1:i]
    if suffix == "县" and one and _HAN.match(one) and one not in _BOUNDARY and (
            i == 1 or not _HAN.match(text[i - 2]) or text[i - 2] in _BOUNDARY):
        return one  # 忠县
    return None


def places(text: str) -> list[str]:
    """Place names with an administrative suffix, in order, without repeats.

    >>> places("2024年永川区与彭水自治县、各区县的老旧小区"), places("那双石镇呢？忠县和深圳市南山区")
    (['永川区', '彭水自治县'], ['双石镇', '忠县', '深圳市', '南山区'])
    """
    found: list[tuple[int, str]] = []
    taken: set[int] = set()
    for suffix in PLACE_SUFFIXES:  # longest first: "永川高新区" is not "川高新" + "区"
        for m in re.finditer(re.escape(suffix), text):
            i = m.start()
            if i in taken or any(j in taken for j in range(i, m.end())):
                continue
            stem = _stem_before(text, i, suffix)
            if stem is None or any(j in taken for j in range(i - len(stem), i)):
                continue
            word = stem + suffix
            if _GENERIC_PLACE.search(word):
                continue
            taken.update(range(i - len(stem), m.end()))
            found.append((i - len(stem), word))
    return list(dict.fromkeys(w for _, w in sorted(found)))


def place_stem(place: str) -> str:
    """ "彭水自治县" -> "彭水" """
    for s in PLACE_SUFFIXES:
        if place.endswith(s) and len(place) > len(s):
            return place[: -len(s)]
    return place


def place_in(place: str, text: str) -> bool:
    """A place is present when written in full, or as its stem followed by another admin suffix.

    The stem alone is not enough: "渝中" occurs inside "成渝中部".

    >>> place_in("永川区", "永川高新区党工委书记"), place_in("渝中区", "打造成渝中部产业新高地")
    (True, False)
    """
    if place in text:
        return True
    stem = place_stem(place)
    if stem == place or len(stem) < 2:
        return False
    return any(stem + s in text for s in PLACE_SUFFIXES)


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    places: tuple[str, ...]
    terms: tuple[str, ...]  # content tokens, places and question words removed
    wants_figure: bool
    unit: str | None  # the unit a figure should carry ("家", "%", "人" …), when the question says
    comparison: bool
    scopes: tuple[str, ...] = ()  # "全国", "全省" …: the answer sentence itself must say so


def analyse(question: str) -> QuestionInfo:
    """Split a question into the parts the answerer scores against.

    >>> info = analyse("九龙坡区一季度新增城镇就业多少人?")
    >>> info.places, info.wants_figure, info.unit, info.comparison
    (('九龙坡区',), True, '人', False)
    """
    found = places(question)
    rest = question
    for p in found:
        rest = rest.replace(p, "，")
    terms = []
    for tok in tokens(rest):
        if tok in _STOP or _SCOPE.fullmatch(tok) or tok in PLACE_SUFFIXES or len(tok) < 2:
            continue
        if tok not in terms:
            terms.append(tok)
    wants_figure = bool(_FIGURE.search(question))
    return QuestionInfo(
        text=question, places=tuple(found), terms=tuple(terms), wants_figure=wants_figure,
        unit=_asked_unit(question) if wants_figure else None,
        comparison=bool(_COMPARISON.search(question)),
        scopes=tuple(dict.fromkeys(_SCOPE.findall(question))),
    )


def _asked_unit(question: str) -> str | None:
    m = _UNIT_AFTER.search(question)
    if m and (m.group(2) or m.group(1)):
        return m.group(2) or m.group(1)
    if _PERCENT_HINT.search(question):
        return "%"
    return None
