"""Follow-up questions → standalone questions, before retrieval.

With an LLM the model rewrites; otherwise rules carry the previous question's topic and entities
over: "那招商投资局呢?" swaps the department, "那铜梁呢?" the district, "那2023年呢?" the year,
"那谭庆呢?" the person — each for the same kind of entity in the previous question, recognised
with the corpus's own unit and speaker lists (`Lexicon`) and jieba. "他还提到了什么?" names the
previously cited speaker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rag.errors import RagError
from rag.answer.llm import complete, rewrite_messages
from rag import stat_terms
from rag.answer.question import analyse, tokens
from rag.places import place_stem, places
from rag.records import Answer, Chunk
from rag.units import resolve_chunk
from rag.zh import DISTRICT_SUFFIXES, QUESTION_STOPWORDS, segmenter

_ELLIPSIS_START = re.compile(r"^(那么|那|还有|另外|而|那个|再问)")
_FOCUS = re.compile(r"^(?:那么|那|还有|另外|而|那个)?\s*(?P<x>[^，,。？?！!呢]{1,16}?)\s*(?:的情况|方面)?\s*呢[？?！!。]?$")
_PERSON_PRONOUN = re.compile(r"他们|她们|他|她|该同志|这位|此人")
_PLACE_PRONOUN = re.compile(r"该区|该县|该镇|该地|当地|那里|这里|那边|该街道")
_COMPARE_WORDS = re.compile(r"各地|各区县|哪些地方|哪些区县|哪些单位|各单位")
# The order in which rag.zh.PLACE_SUFFIXES are tried on a bare stem ("那铜梁呢?"): common levels first;
# a province is never elided.
_SUFFIX_PREFERENCE = ("区", "县", "市", "镇", "街道", "乡", "自治县", "新区", "高新区")
SHORT = 7  # characters (punctuation excluded) below which a question is treated as elliptical
# How names of organs and towns end: a word the corpus does not know is still a department ("财政局").
_ORGAN_END = re.compile(r"(?:局|委|办|中心|集团|公司|街道|镇|乡|管委会|院|厅|署)$")
_YEAR = re.compile(r"(?:19|20)\d{2}年")
# A period inside a year, as questions write it: swapped like a year ("那上半年呢?").
_PERIOD = re.compile(r"(?:第?[一二三四1-4]季度|前三季度|上半年|下半年|全年|1?\d(?:[-—至到]1?\d)?月(?:份)?)")
# A short message that asks something on its own: a question word with a verb and a noun of its own
# ("推进了哪些改革?"), not a bare "具体数字?" or "增长多少?".
_ASK_WORD = re.compile(r"哪些|什么|多少|如何|怎样|怎么|几[个项家条]|是否|有没有")

_TOPIC_FLAGS = ("n", "vn", "j", "l", "eng")  # jieba POS flags of words that can name a topic ("改革" is vn)
# How the name of a zone or port ends ("郑州" + "航空港", "西部" + "科学城"): part of the place named
_PLACE_END = re.compile(r"(?:港|新区|开发区|园区|科学城|高新区|区|县|市)$")
# The asking end of a question ("是多少?", "建了多少个?"): what a bare "增长了多少?" replaces
_ASK_TAIL = re.compile(r"(?:是|有|为|达到|达|约)?(?:多少|几[个家项条人]?|多大|多高|多长|什么|哪些)[^，,。]*[？?]?$")
PERSON, DISTRICT, LOCAL, YEAR, PERIOD = "person", "district", "local", "year", "period"


@dataclass(frozen=True)
class Lexicon:
    """The corpus's own names by kind: speakers, districts, and units under a district (departments, towns)."""

    speakers: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    locals: frozenset[str] = frozenset()

    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk]) -> "Lexicon":
        speakers, districts, local_names, seen = set(), set(), set(), set()
        for c in chunks:
            if (c.unit, c.meeting) in seen:
                continue
            seen.add((c.unit, c.meeting))
            if c.speaker:
                speakers.add(c.speaker)
            path = resolve_chunk(c)
            if path.district:
                districts.add(path.district)
            if path.local:
                local_names.add(path.local)
        return cls(frozenset(speakers), frozenset(districts), frozenset(local_names))

    def kind(self, word: str) -> str | None:
        """What a word names: a person, a district, a department/town, a year — or None."""
        if _YEAR.fullmatch(word):
            return YEAR
        if _PERIOD.fullmatch(word):
            return PERIOD
        if word in self.speakers:
            return PERSON
        if word in self.districts or (word.endswith(DISTRICT_SUFFIXES) and not _ORGAN_END.search(word)
                                      and (places(word) == [word] or len(place_stem(word)) >= 2)):
            return DISTRICT  # "璧山区" even when jieba does not read it as a place
        if word in self.locals or (len(word) >= 3 and _ORGAN_END.search(word)):
            return LOCAL
        return None

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, kind) of the names in `text`, left to right, not overlapping."""
        found: list[tuple[int, int, str]] = []

        def add(start: int, word: str, kind: str) -> None:
            end = start + len(word)
            if start >= 0 and not any(a < end and start < b for a, b, _ in found):
                found.append((start, end, kind))

        for m in _YEAR.finditer(text):
            add(m.start(), m.group(), YEAR)
        for m in _PERIOD.finditer(text):
            add(m.start(), m.group(), PERIOD)
        for name in sorted(self.speakers, key=len, reverse=True):
            if len(name) >= 2:
                add(text.find(name), name, PERSON)
        for place in places(text):
            add(text.find(place), place, DISTRICT if place.endswith(DISTRICT_SUFFIXES) else LOCAL)
        for name in sorted(self.locals, key=len, reverse=True):
            add(text.find(name), name, LOCAL)
        for district in self.districts:  # a district written without its suffix ("大足上半年…")
            stem = place_stem(district)
            if len(stem) >= 2:
                add(text.find(stem), stem, DISTRICT)
        pos = 0
        for tok in tokens(text):
            start = text.find(tok, pos)
            if start >= 0:
                pos = start + len(tok)
                if self.kind(tok) == LOCAL:
                    add(start, tok, LOCAL)
        return sorted(found)

    def names_of(self, text: str, kind: str) -> list[str]:
        """The names of one kind in `text`: `names_of("青溪区交通局一季度…", LOCAL)` → ['交通局']."""
        return [text[a:b] for a, b, k in self.mentions(text) if k == kind]

    def swap(self, previous: str, word: str, kind: str) -> str | None:
        """`previous` with its first name of `kind` replaced by `word`; a department or town with no
        counterpart goes right after the district ("永川区…" + "交通局" → "永川区交通局…"), a year
        with none in front."""
        spans = self.mentions(previous)
        same = [s for s in spans if s[2] == kind]
        if same:
            a, b, _ = same[0]
            return previous[:a] + word + previous[b:]
        if kind == LOCAL:
            district = next((s for s in spans if s[2] == DISTRICT), None)
            if district:
                return previous[:district[1]] + word + previous[district[1]:]
        if kind == YEAR:  # before the period it qualifies, else after the place, else in front
            period = next((s for s in spans if s[2] == PERIOD), None)
            place = next((s for s in spans if s[2] in (DISTRICT, LOCAL)), None)
            at = period[0] if period else place[1] if place else 0
            return previous[:at] + word + previous[at:]
        if kind == PERIOD:
            year = next((s for s in spans if s[2] == YEAR), None)
            return previous[:year[1]] + word + previous[year[1]:] if year else None
        return None

    def swap_all(self, previous: str, focus: str) -> str | None:
        """`previous` with every name of `focus` swapped in by kind, when names cover the whole focus
        ("2024年一季度" swaps the year and the period); None when part of the focus is no name."""
        spans = self.mentions(focus)
        if not spans or sum(b - a for a, b, _ in spans) != len(focus):
            return None
        out = previous
        for a, b, kind in spans:
            out = self.swap(out, focus[a:b], kind) or ""
            if not out:
                return None
        return out


def _plain_len(text: str) -> int:
    return len(re.sub(r"[\W_]", "", text))


def is_follow_up(question: str) -> bool:
    """Does the question lean on the conversation?

    >>> is_follow_up("那铜梁呢?"), is_follow_up("他还提到了什么?"), is_follow_up("青石区上半年新建了多少个5G基站?")
    (True, True, False)
    """
    q = question.strip()
    return bool(
        (_ELLIPSIS_START.match(q) and (_plain_len(q) <= 2 * SHORT or not _complete(q)))
        or q.rstrip("？?！!。 ").endswith("呢")
        or _PERSON_PRONOUN.search(q) or _PLACE_PRONOUN.search(q) or (_plain_len(q) <= SHORT and not _complete(q))
    )


def _complete(question: str) -> bool:
    """A short question that stands alone: a question word, a verb and a noun of its own.

    >>> _complete("推进了哪些改革?"), _complete("具体数字?"), _complete("增长多少?")
    (True, False, False)
    """
    flags = [f for w, f in segmenter().tagged(question) if w not in QUESTION_STOPWORDS]
    verb = any(f == "v" for f in flags)
    noun = any(f.startswith(_TOPIC_FLAGS) for f in flags)
    return bool(_ASK_WORD.search(question)) and verb and noun


def _previous_question(turn: Answer) -> str:
    return turn.rewritten_question or turn.question


def _previous_speaker(turn: Answer) -> str | None:
    """The first cited chunk's own speaker (or its unit when the speaker is unknown); after a refusal,
    that of the first passage listed as related."""
    for chunk in [c.hit.chunk for c in turn.citations] + [h.chunk for h in turn.related]:
        if chunk.speaker or chunk.unit:
            return chunk.speaker or chunk.unit
    return None


def _named(x: str, previous_place: str | None, known: Callable[[str], bool]) -> str:
    """A bare focus word gets the administrative suffix under which the corpus knows it
    ("铜梁" → "铜梁区"), else stays as it is when the corpus knows it (a person), else takes the
    previous place's suffix, so that an unknown place is refused rather than answered for another."""
    if places(x) or not re.fullmatch(r"[\u4e00-\u9fff]{2,3}", x):  # a bare place stem is short ("白河")
        return x
    suffixes = ([place_stem_suffix(previous_place)] if previous_place else []) + list(_SUFFIX_PREFERENCE)
    for suffix in dict.fromkeys(s for s in suffixes if s):
        if known(x + suffix):
            return x + suffix
    if known(x) or not previous_place:
        return x
    return x + place_stem_suffix(previous_place)


def rule_rewrite(question: str, history: Sequence[Answer], known: Callable[[str], bool] = lambda s: False,
                 lexicon: Lexicon | None = None) -> str:
    """Rewrite without a model; returns the question unchanged when it stands alone. `known(text)`
    says whether the corpus contains a text (to name places fully); `lexicon` holds its names by kind.

    >>> from rag.records import Answer
    >>> rule_rewrite("那白河呢?", [Answer("青石区上半年新增城镇就业多少人?", "", True)])
    '白河区上半年新增城镇就业多少人?'
    """
    lexicon = lexicon or Lexicon()
    q = question.strip()
    if not history or not is_follow_up(q):
        return q
    prev_turn = history[-1]
    prev = _previous_question(prev_turn)
    info = analyse(prev)
    focus = _FOCUS.match(q)
    if focus:
        raw = focus.group("x").strip()
        x = raw if lexicon.kind(raw) else _named(raw, info.places[0] if info.places else None, known)
        kind = lexicon.kind(x)
        swapped = lexicon.swap(prev, x, kind) if kind else lexicon.swap_all(prev, x)
        if swapped:
            return swapped
        place, rest = _place_part(x)
        if place and rest:  # "那乌当区的固定资产投资呢?": the place, then the topic
            return _swap_topic(rule_rewrite(f"那{place}呢?", history, known, lexicon), rest)
        if info.places and place:
            return prev.replace(info.places[0], x, 1)
        subject = _subject(prev) if place else None
        if subject:  # "那乌当区呢?" after "郑州航空港2024年…": the place the question opens with
            return prev.replace(subject, x, 1)
        speaker = _previous_speaker(prev_turn)
        if speaker and speaker in prev:  # "李春奎还提到了什么?" → "那铜梁呢?" → "铜梁区还提到了什么?"
            return prev.replace(speaker, x, 1)
        if _COMPARE_WORDS.search(prev):
            return _COMPARE_WORDS.sub(x, prev, count=1)
        return _swap_topic(prev, x)
    speaker = _previous_speaker(prev_turn)
    if speaker and _PERSON_PRONOUN.search(q):
        q = _PERSON_PRONOUN.sub(speaker, q, count=1)
    if info.places and _PLACE_PRONOUN.search(q):
        q = _PLACE_PRONOUN.sub(info.places[0], q, count=1)
    now = analyse(q)
    stem = _ASK_TAIL.split(prev)[0] if _ASK_TAIL.search(prev) else ""
    if _plain_len(q) <= SHORT and not now.places and not _topic_runs(q) and stem:
        return stem + q  # "增长了多少?" after "…地区生产总值是多少?": the previous question, asked anew
    if _plain_len(q) <= SHORT and not now.places and not (speaker and speaker in q):
        # a bare "具体数字?" keeps the whole previous topic, and the person it named
        people = lexicon.names_of(prev, PERSON)
        rest = analyse(re.sub("|".join(map(re.escape, people)), "，", prev)) if people else info
        return "".join(people) + "".join(info.places) + "".join(rest.terms) + "：" + q
    if not now.places and info.places and not (speaker and speaker in q):
        q = "".join(info.places) + q
    if not now.terms and info.terms:
        q = q.rstrip("？?") + "（" + "".join(info.terms) + "）？"
    return q


def _topic_runs(question: str) -> list[list[str]]:
    """Runs of noun words written together, none holding a place name (jieba ns, or an admin suffix)."""
    runs: list[list[str]] = [[]]
    for word, flag in segmenter().tagged(question):
        if flag.startswith(_TOPIC_FLAGS) and flag != "ns" and word not in QUESTION_STOPWORDS \
                and not _YEAR.fullmatch(word) and not places(word):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if len("".join(r)) >= 2]


def _swap_topic(previous: str, focus: str) -> str:
    """`previous` with its topic replaced by `focus`: a statistics term by another ("固定资产投资呢?"
    after "…地区生产总值是多少?"), else the longest noun run — only its first words when the focus is
    shorter ("城镇居民呢?" after "农村居民人均可支配收入…") — else the focus in front.

    >>> _swap_topic("数字化改革有什么成效?", "乡村振兴"), _swap_topic("乌当区农村居民人均可支配收入是多少?", "城镇居民")
    ('乡村振兴有什么成效?', '乌当区城镇居民人均可支配收入是多少?')
    """
    stat = stat_terms.found_in(previous)
    if stat and (stat_terms.found_in(focus) or not _topic_runs(previous)):
        return previous.replace(stat[0], focus, 1)
    for k in range(len(focus) - 1, 1, -1):  # "城镇居民" shares "居民" with "农村居民…": only the qualifier changes
        shared, qualifier = focus[-k:], focus[:-k]
        at = previous.find(shared)
        if at >= len(qualifier) > 0 and re.fullmatch(r"[\u4e00-\u9fff]+", previous[at - len(qualifier):at]):
            return previous[:at - len(qualifier)] + focus + previous[at + k:]
    runs = _topic_runs(previous)
    if not runs:
        return f"{focus}：{previous}"
    return previous.replace("".join(max(runs, key=lambda r: len("".join(r)))), focus, 1)


def _place_part(focus: str) -> tuple[str | None, str]:
    """A focus split into the place it opens with (an admin name or a jieba place name) and the rest.

    >>> _place_part("乌当区的固定资产投资"), _place_part("葛洲坝"), _place_part("便民经营点")
    (('乌当区', '固定资产投资'), ('葛洲坝', ''), (None, '便民经营点'))
    """
    found = places(focus)
    tagged = segmenter().tagged(focus)
    if found and focus.startswith(found[0]):
        place = found[0]
    elif tagged and tagged[0][1] == "ns":
        place = tagged[0][0]
    else:
        return None, focus
    rest = re.sub(r"^的", "", focus[len(place):])
    return (place, rest) if len(rest) >= 2 else (focus, "")  # "晋城市区": one place


def _subject(question: str) -> str | None:
    """The first place a question names when it is no admin name the corpus knows: a jieba place name
    and the nouns right after it, up to a year, period or statistics term ("郑州航空港2024年…").

    >>> _subject("郑州航空港2024年地区生产总值是多少?")
    '郑州航空港'
    """
    tagged = segmenter().tagged(question)
    start = next((i for i, (w, f) in enumerate(tagged) if f == "ns" or places(w)), None)
    if start is None:
        return None
    words = [tagged[start][0]]
    for word, _ in tagged[start + 1:]:
        if not _PLACE_END.search(word):
            break
        words.append(word)
    return "".join(words)


def place_stem_suffix(place: str) -> str:
    """ "九龙坡区" → "区" """
    return place[len(place_stem(place)):]


class Rewriter:
    """Rewrites follow-ups; an LLM when given one, else the rules (also the fallback when the LLM fails)."""

    def __init__(self, llm=None, max_chars: int = 80, known: Callable[[str], bool] | None = None,
                 lexicon: Lexicon | None = None) -> None:
        self._llm = llm
        self._max_chars = max_chars
        self._known = known or (lambda text: False)
        self._lexicon = lexicon or Lexicon()

    def rewrite(self, question: str, history: Sequence[Answer]) -> str:
        if not history or not is_follow_up(question):
            return question.strip()
        if self._llm is not None:
            rewritten = self._llm_rewrite(question, history)
            if rewritten:
                return rewritten
        return rule_rewrite(question, history, self._known, self._lexicon)

    def _llm_rewrite(self, question: str, history: Sequence[Answer]) -> str | None:
        pairs = [(_previous_question(t), t.answer) for t in history]
        try:
            text = complete(self._llm, rewrite_messages(pairs, question), max_tokens=64)
        except RagError:
            return None
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        line = re.sub(r"^(改写后的问题|问题)[:：]\s*", "", line).strip("“”\"' ")
        return line if 2 <= len(line) <= self._max_chars else None
