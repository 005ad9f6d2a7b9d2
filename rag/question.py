"""What a question asks for: its places, content terms, wanted figure/unit and whether it compares places.

Pure text rules (jieba tokens plus suffix lists), shared by the answerer and the follow-up rewriter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Collection
from functools import lru_cache

from rag.zh import PLACE_SUFFIXES, QUESTION_STOPWORDS, UNIT_WORDS, any_of, segmenter

# Words that end like a place but name none ("小区", "全区", "各区县" …).
_GENERIC_PLACE = re.compile(
    r"^(各|全|本|该|每|哪|我|其|此|这|那|外)"
    r"|(小区|社区|园区|城区|地区|辖区|景区|街区|片区|市区|城市|都市|超市|上市)$"
)
_COMPARISON = re.compile(r"各地|各区县|各区|各县|各单位|各部门|各镇街|哪些(区县|地方|地区|单位|部门|镇街|街道|区|县)|分别|哪些.{0,6}也在|不同(地方|区县)")
# Words asking for a figure ("多少", "占比"): a question cue, not the figure rule (rag.zh.FIGURE).
_FIGURE_CUE = re.compile(r"多少|几[个家项户人年次条所亿万]?|多大|多高|多长|比例|占比|比重|百分之|增速|增幅|排名|第几|金额|规模")
# How-much/how-many words jieba keeps whole ("几条", "多久"): they ask, they name nothing to find.
_ASK_AMOUNT = re.compile(r"几[个家项户人年次条所座名位天月岁层届批种类件台辆倍成]?|多(?:少|久|大|高|长|远|重|快)")
# Only 万/亿 as a magnitude here: in a question 千 and 百 open a unit word (千米, 千瓦), not a magnitude.
_UNIT_AFTER = re.compile(f"(?:多少|几)(万|亿)?({any_of(UNIT_WORDS)})?")
# "How / what measures" questions: the answer lists the concrete measures, not only a topic sentence.
_MEASURES = re.compile(r"(?<!是)(?:如何|怎样)(?!的)|怎么(?:做|办|推进|抓)|哪些(?:做法|举措|措施|经验|办法)|采取了?(?:什么|哪些)|"
                       r"有何(?:做法|举措)|什么(?:做法|举措|措施)")
# Collective scopes: a question about the whole country or province is not answered by one district's
# sentence. A country's name (中国) is an ordinary term: in 中国建筑工程总公司 or 中国电视 it sets no scope
# (rag eval, CMRC tune part: every question the old list declined by 中国 was answerable).
_SCOPE = re.compile(r"全国|全省|全球|我国|国家层面")
_PERCENT_HINT = re.compile(r"增长|增速|增幅|下降|提高|比例|占比|比重|利率|率")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """jieba tokens without punctuation or whitespace.

    >>> tokens("涪陵区一季度增长多少?")
    ['涪陵区', '一季度', '增长', '多少']
    """
    return [t for t in segmenter().words(text) if not _PUNCT.fullmatch(t)]


_NOUNISH = ("n", "j", "t", "l", "eng")  # jieba POS flags of words that can name a topic


def noun_runs(text: str) -> list[list[str]]:
    """Runs of consecutive noun-like jieba words (POS n*, j, t, l, eng): the things a question is about.

    >>> noun_runs("哪些地方在推进亩均效益改革?")
    [['亩均', '效益']]
    """
    runs: list[list[str]] = [[]]
    for word, flag in segmenter().tagged(text):
        if flag.startswith(_NOUNISH) and word not in QUESTION_STOPWORDS and not _PUNCT.fullmatch(word):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


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


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    places: tuple[str, ...]
    terms: tuple[str, ...]  # content tokens, places and question words removed
    wants_figure: bool
    unit: str | None  # the unit a figure should carry ("家", "%", "人" …), when the question says
    comparison: bool
    scopes: tuple[str, ...] = ()  # "全国", "全省" …: the answer sentence itself must say so
    wants_measures: bool = False  # "如何/怎样/哪些做法": the answer lists the measures
    compounds: tuple[str, ...] = ()  # adjacent noun words of the question joined ("截尾" + "鹦嘴鱼")
    names: tuple[str, ...] = ()  # words that name someone or something: proper nouns, words jieba does not know

    @property
    def content(self) -> tuple[str, ...]:
        """What term coverage is measured on: the content terms, or the places when the question names
        nothing else ("王江泾镇在哪里?")."""
        return self.terms or self.places


def analyse(question: str, known_places: Collection[str] = ()) -> QuestionInfo:
    """Split a question into the parts the answerer scores against.

    >>> info = analyse("青石区上半年新增城镇就业多少人?")
    >>> info.places, info.wants_figure, info.unit, info.comparison
    (('青石区',), True, '人', False)
    """
    found = places(question, known_places)
    rest = question
    for p in found:
        rest = rest.replace(p, "，")
    terms = []
    for tok in tokens(rest):
        if tok in QUESTION_STOPWORDS or _SCOPE.fullmatch(tok) or _ASK_AMOUNT.fullmatch(tok) or tok in PLACE_SUFFIXES \
                or len(tok) < 2:
            continue
        if tok not in terms:
            terms.append(tok)
    wants_figure = bool(_FIGURE_CUE.search(question))
    return QuestionInfo(
        text=question, places=tuple(found), terms=tuple(terms), wants_figure=wants_figure,
        unit=_asked_unit(question) if wants_figure else None,
        comparison=bool(_COMPARISON.search(question)),
        scopes=_scopes(question),
        wants_measures=bool(_MEASURES.search(question)) and not wants_figure,
        compounds=tuple(dict.fromkeys(a + b for run in noun_runs(rest) for a, b in zip(run, run[1:]))),
        names=_names(question),
    )


_PROPER = ("nr", "ns", "nt", "nz", "eng")  # jieba POS flags of person, place, organisation, other proper names


def _names(question: str) -> tuple[str, ...]:
    """The question's words that name someone or something: jieba tags them as proper nouns, or jieba's
    dictionary does not hold them (a name it found by its HMM: "鑫诺").

    >>> _names("马斯克在哪一年创立了SpaceX?")
    ('马斯克', 'SpaceX')
    """
    seg = segmenter()
    return tuple(dict.fromkeys(
        w for w, flag in seg.tagged(question)
        if len(w) >= 2 and not _PUNCT.fullmatch(w) and w not in QUESTION_STOPWORDS and not _ASK_AMOUNT.fullmatch(w)
        and (flag.startswith(_PROPER) or seg.tag(w) is None)))


def _scopes(question: str) -> tuple[str, ...]:
    """The scope words the question sets, as jieba words (or two adjacent ones: 国家|层面) of their own:
    the 全国 inside 全国人大 names a body, it sets no scope.

    >>> _scopes("全国GDP增长多少?"), _scopes("全国人大常委会何时开会?"), _scopes("国家层面有哪些政策?")
    (('全国',), (), ('国家层面',))
    """
    words = tokens(question)
    pairs = [a + b for a, b in zip(words, words[1:])]
    return tuple(dict.fromkeys(w for w in words + pairs if _SCOPE.fullmatch(w)))


def _asked_unit(question: str) -> str | None:
    m = _UNIT_AFTER.search(question)
    if m and (m.group(2) or m.group(1)):
        return m.group(2) or m.group(1)
    if _PERCENT_HINT.search(question):
        return "%"
    return None
