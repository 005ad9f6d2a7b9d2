"""What a question asks for: its places, content terms, wanted figure/unit and whether it compares places.

Pure text rules (jieba tokens plus suffix lists), shared by the answerer and the follow-up rewriter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Collection

from rag import stat_terms
from rag.places import places
from rag.zh import PLACE_SUFFIXES, QUESTION_STOPWORDS, UNIT_WORDS, any_of, segmenter

_COMPARISON = re.compile(r"各地|各区县|各区|各县|各单位|各部门|各镇街|哪些(区县|地方|地区|单位|部门|镇街|街道|区|县)|分别|哪些.{0,6}也在|不同(地方|区县)")
# Words asking for a figure ("多少", "占比"): a question cue, not the figure rule (rag.zh.FIGURE).
_FIGURE_CUE = re.compile(r"多少|几[个家项户人年次条所亿万]?|多大|多高|多长|比例|占比|比重|百分之|增速|增幅|排名|第几|金额|规模")
# How-much/how-many words jieba keeps whole ("几条", "多久"): they ask, they name nothing to find.
_ASK_AMOUNT = re.compile(r"几[个家项户人年次条所座名位天月岁层届批种类件台辆倍成]?|多(?:少|久|大|高|长|远|重|快)")
# Only 万/亿 as a magnitude here: in a question 千 and 百 open a unit word (千米, 千瓦), not a magnitude.
_UNIT_AFTER = re.compile(f"(?:多少|几)(万|亿)?({any_of(UNIT_WORDS)})?")
# "How / what measures" questions: the answer lists the concrete measures, not only a topic sentence.
_MEASURES = re.compile(r"(?:如何|怎样)(?!的)|怎么(?:做|办|推进|抓|让|样)|哪些(?:做法|举措|措施|经验|办法|建议|方面)|采取了?(?:什么|哪些)|"
                       r"有何(?:做法|举措)|什么(?:做法|举措|措施|建议|思路)|哪几(?:个方面|条|项|点)|几个方面|包括哪些|思路是什么")
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
    regions: tuple[str, ...] = ()  # place names jieba knows (ns) that are no administrative place here ("新疆")

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
    for term in stat_terms.found_in(rest):  # "固投", "社零": jieba splits some into single characters
        if term not in terms:
            terms.append(term)
    wants_figure = bool(_FIGURE_CUE.search(question))
    return QuestionInfo(
        text=question, places=tuple(found), terms=tuple(terms), wants_figure=wants_figure,
        unit=_asked_unit(question) if wants_figure else None,
        comparison=bool(_COMPARISON.search(question)),
        scopes=_scopes(question),
        wants_measures=bool(_MEASURES.search(question)) and not wants_figure,
        compounds=tuple(dict.fromkeys(a + b for run in noun_runs(rest) for a, b in zip(run, run[1:]))),
        names=_names(question),
        regions=tuple(dict.fromkeys(
            w for w, flag in segmenter().tagged(rest) if flag == "ns" and len(w) >= 2 and not _SCOPE.fullmatch(w)
            and w not in ("中国", "国家"))),
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
