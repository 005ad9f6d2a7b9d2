"""Citation markers: parse, check against the sources, renumber, and render a source honestly.

The check is the same in both answer modes: a claim (sentence) survives only if every marker it
carries names a source and every number it states occurs in a source it cites. Speaker, post and
meeting are only ever printed from the cited chunk's own metadata.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.injection import statements
from rag.labels import UNKNOWN_SPEAKER, attribution
from rag.places import place_in, places
from rag.records import Chunk, Hit
from rag.zh import CLOSING_QUOTES, FIGURE, NUMBER, SENTENCE_ENDS

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*\]|【\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*】")
# An ellipsis in an answer marks a shortened quote ("……整改问题2462个", rag.answer.evidence.excerpt), not the
# end of a claim: a claim ends at the other sentence ends.
_CLAIM_ENDS = SENTENCE_ENDS.replace("…", "")
_CLAIM = re.compile(rf".+?(?:[{_CLAIM_ENDS}]+[{CLOSING_QUOTES}]*(?:\s*\[\d+\])*|(?:\[\d+\])+(?=\s*[\n]|\s*$)|\n|$)", re.S)
_NUMBER = re.compile(NUMBER)
# A number and the unit after it: the unit is what says which quantity a claim is about.
_FIGURE = re.compile(FIGURE)
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")
MAX_UNMARKED_CHARS = 12  # a connective like "具体如下：" may go without a marker; a claim may not


def normalise_markers(text: str) -> str:
    """Write every marker as [n].

    >>> normalise_markers("增长10%【1】，另见[2, 3]")
    '增长10%[1]，另见[2][3]'
    """
    def one(m: re.Match[str]) -> str:
        nums = re.split(r"\s*[,，、]\s*", (m.group(1) or m.group(2)).strip())
        return "".join(f"[{n}]" for n in nums)

    return _MARKER.sub(one, text)


def markers(text: str) -> list[int]:
    """Marker numbers in order of appearance.

    >>> markers("甲[2]乙[1][2]")
    [2, 1, 2]
    """
    return [int(n) for n in re.findall(r"\[(\d+)\]", normalise_markers(text))]


def strip_markers(text: str) -> str:
    return re.sub(r"\[\d+\]", "", normalise_markers(text))


def claims(text: str) -> list[str]:
    """Split an answer into claims; markers right after a sentence end belong to that sentence, and
    a line opening with markers ("[2] 滕宏伟：…。…。", a list item) lends them to its unmarked sentences.

    >>> claims("甲增长5%。[1]乙达到3个[2]。\\n丙")
    ['甲增长5%。[1]', '乙达到3个[2]。', '丙']
    >>> claims("[2] 滕宏伟：甲。乙。")
    ['[2] 滕宏伟：甲。', '乙。[2]']
    """
    out = []
    for line in normalise_markers(text).split("\n"):
        lead = re.match(r"^\s*(?:[-*•·]\s*)?((?:\[\d+\])+)", line)
        for m in _CLAIM.finditer(line):
            piece = m.group().strip()
            if not piece:
                continue
            if lead and not re.search(r"\[\d+\]", piece):
                piece += lead.group(1)
            out.append(piece)
    return out


def numbers(text: str) -> list[str]:
    """Arabic numbers stated in a text, markers excluded, thousands separators removed.

    >>> numbers("新增就业2.36万人、整改2,417个[3]")
    ['2.36', '2417']
    """
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", strip_markers(text).translate(_FULLWIDTH))
    return _NUMBER.findall(plain)


def number_in(number: str, text: str) -> bool:
    """Whole-number match: "6" is not found in "6.3" nor in "16".

    >>> number_in("4.6", "资金4.6亿元"), number_in("6", "增长6.3%"), number_in("6", "116个")
    (True, False, False)
    """
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", text.translate(_FULLWIDTH))
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d|\.\d)", plain) is not None


def figures(text: str) -> list[str]:
    """Numbers stated with a unit right after them ("9999亿元", "18%"), as written.

    >>> figures("投资26亿元，增长18%，共3批次[1]")
    ['26亿元', '18%']
    """
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", strip_markers(text).translate(_FULLWIDTH))
    return [m.group().replace(" ", "") for m in _FIGURE.finditer(plain)]


def figure_in(figure: str, text: str) -> bool:
    """A figure with its unit occurs in `text` (same number, same unit).

    >>> figure_in("4.6亿元", "资金4.6 亿元"), figure_in("4.6亿元", "资金4.6万元")
    (True, False)
    """
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", text.translate(_FULLWIDTH)).replace(" ", "")
    return re.search(rf"(?<![\d.]){re.escape(figure)}", plain) is not None


@dataclass(frozen=True)
class Checked:
    """The claims that passed, in order, and one warning per dropped claim."""

    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.kept)


def check(answer: str, sources: Sequence[Hit], truncated: bool = False) -> Checked:
    """Keep the claims whose markers resolve and whose numbers occur in a chunk they cite; with
    `truncated`, a last claim cut off mid-sentence is dropped too."""
    kept, dropped, warnings = [], [], []
    parts = claims(answer)
    for i, claim in enumerate(parts):
        problem = claim_problem(claim, sources)
        if problem is not None:
            fixed = reattribute(claim, sources)
            if fixed is not None:
                warnings.append(f"已按数字/讲话人核对改注来源：{strip_markers(claim)} → {markers(fixed)[0]}")
                claim, problem = fixed, None
        if problem is None and truncated and i == len(parts) - 1 and not _complete(claim):
            problem = "回答在句中被截断"
        if problem is None:
            kept.append(claim)
        else:
            dropped.append(claim)
            warnings.append(f"已删除未通过引用核对的句子（{problem}）：{strip_markers(claim)}")
    return Checked(tuple(kept), tuple(dropped), tuple(warnings))


def _complete(claim: str) -> bool:
    return re.search(f"[{SENTENCE_ENDS}{CLOSING_QUOTES}]$", strip_markers(claim).strip()) is not None


def claim_problem(claim: str, sources: Sequence[Hit]) -> str | None:
    """Why a claim fails the check, or None when it passes."""
    cited = markers(claim)
    bad = [n for n in cited if not 1 <= n <= len(sources)]
    if bad:
        return f"引用编号[{bad[0]}]不对应任何检索到的段落"
    body = strip_markers(claim)
    if not cited:
        if numbers(body):
            return "数字没有标注来源"
        if len(re.sub(r"\W", "", body)) > MAX_UNMARKED_CHARS:
            return "没有标注来源"
        return None
    texts = [stated(sources[n - 1]) for n in cited]
    for number in numbers(body):
        if not any(number_in(number, t) for t in texts):
            return f"数字 {number} 不在所引段落中"
    for figure in figures(body):
        if not any(figure_in(figure, t) for t in texts):
            return f"所引段落没有“{figure}”（数字与单位须与原文一致）"
    for place in places(body):
        if not any(place_in(place, t) for t in texts):
            return f"所引段落没有提到{place}"
    named = _speakers_named(body, sources)
    if named and not any(sources[n - 1].chunk.speaker in named for n in cited):
        return f"所引段落不是{'、'.join(named)}的讲话"
    return None


def stated(hit: Hit) -> str:
    """What a source itself states: its text without sentences instructing the assistant."""
    return statements(hit.chunk.indexed_text)


def _speakers_named(body: str, sources: Sequence[Hit]) -> list[str]:
    """Speakers of the sources whose names the claim mentions."""
    return sorted({h.chunk.speaker for h in sources if h.chunk.speaker and h.chunk.speaker in body})


def reattribute(claim: str, sources: Sequence[Hit]) -> str | None:
    """A claim stating numbers or naming a source's speaker but citing no source, or the wrong one,
    is re-cited to the single source holding all its numbers and places and spoken by the speaker it
    names; None when there is not exactly one.

    Small models often copy a figure correctly and number the source wrongly; the check above then
    holds for the new marker, so nothing unverified gets through.
    """
    body = strip_markers(claim)
    wanted, named, speakers = numbers(body), places(body), _speakers_named(body, sources)
    if not wanted and not speakers:
        return None
    fits = [i + 1 for i, h in enumerate(sources)
            if all(number_in(n, stated(h)) for n in wanted)
            and all(place_in(p, stated(h)) for p in named)
            and (not speakers or h.chunk.speaker in speakers)]
    if len(fits) != 1:
        return None
    m = re.match(f"^(.*?)([{SENTENCE_ENDS}]*)$", body.strip(), re.S)
    return f"{m.group(1)}{m.group(2)}[{fits[0]}]" if m else None


def renumber(text: str, order: Sequence[int]) -> str:
    """Rewrite markers so that old marker order[i] becomes [i+1].

    >>> renumber("甲[3]乙[1]", [3, 1])
    '甲[1]乙[2]'
    """
    new = {old: i + 1 for i, old in enumerate(order)}
    return re.sub(r"\[(\d+)\]", lambda m: f"[{new.get(int(m.group(1)), int(m.group(1)))}]", normalise_markers(text))


def first_use_order(text: str) -> list[int]:
    """Markers in order of first use, without repeats."""
    seen: list[int] = []
    for n in markers(text):
        if n not in seen:
            seen.append(n)
    return seen


def who(chunk: Chunk) -> str:
    """The speaker as the chunk's own metadata says: "邓正军（永川区发展改革委党组书记、主任）".

    >>> from rag.records import Chunk
    >>> who(Chunk("s:0:0:0", "t", "", None, None, "朱沱镇", None, None, "s", 0, 0, 0, 0, 1))
    '讲话人未知（朱沱镇）'
    """
    name = chunk.speaker or UNKNOWN_SPEAKER
    post = chunk.speaker_title or chunk.unit
    return f"{name}（{post}）" if post else name


def source_line(marker: int, hit: Hit, sentence: str = "") -> str:
    """One entry of the numbered source list: speaker · post · meeting · date, then the cited sentence."""
    c = hit.chunk
    quote = sentence or c.text
    return f"[{marker}] {' · '.join(attribution(c, placeholders=True))}\n    “{quote}”（{c.source} 第{c.paragraph + 1}段）"
