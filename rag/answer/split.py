"""A question about several places or people ("长寿和江津各增长多少?", "甲和乙分别讲了什么?") → one
sub-question per entity, each answered on its own and put together with its own citations.

A "哪些区…/各地…" question names no entity: it stays one comparison question (rag/answer/compose.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from rag.places import place_stem, places

# Between two entities of one list: "长寿和江津", "甲、乙及丙"
_JOINER = r"\s*(?:和|与|及|以及|跟|同|、|，|,)\s*"
# Words that only make sense for several: dropped from a sub-question ("各增长多少" → "增长多少")
_PLURAL = re.compile(r"分别|各自|两地|两个区|两区|两县|三地|都|各(?![地区县部单位镇街级类项种个方界族])")


def entities(question: str, known_places: Collection[str] = (), people: Collection[str] = ()) -> list[tuple[str, str]]:
    """(as written, full name) of the places and people a question names, in order of appearance; a
    known place written without its suffix is named in full.

    >>> entities("青石和白沙区各新增多少家企业?", {"青石区", "白沙区"})
    [('青石', '青石区'), ('白沙区', '白沙区')]
    """
    found: list[tuple[int, str, str]] = []

    def add(written: str, full: str) -> None:
        at = question.find(written)
        if at >= 0 and not any(a < at + len(written) and at < a + len(w) for a, w, _ in found):
            found.append((at, written, full))

    for name in places(question, known_places):
        add(name, name)
    for person in people:
        if len(person) >= 2:
            add(person, person)
    for place in sorted(known_places, key=len, reverse=True):
        stem = place_stem(place)
        if len(stem) >= 2 and stem != place and re.search(f"{re.escape(stem)}(?![\\u4e00-\\u9fff]{{0,1}}[区县市镇乡])", question):
            add(stem, place)
    return [(w, f) for _, w, f in sorted(found)]


def sub_questions(question: str, named: list[tuple[str, str]]) -> list[str]:
    """One question per entity when the question lists them ("A和B…"): the list replaced by one full
    name, words of plurality dropped; [] when it names fewer than two or does not list them.

    >>> sub_questions("青石和白沙各新增多少家企业?", [("青石", "青石区"), ("白沙", "白沙区")])
    ['青石区新增多少家企业?', '白沙区新增多少家企业?']
    """
    if len(named) < 2:
        return []
    listed = re.search(_JOINER.join(re.escape(w) for w, _ in named), question)
    if not listed:
        return []
    head, tail = question[:listed.start()], _PLURAL.sub("", question[listed.end():])
    return [head + full + tail for _, full in named]
