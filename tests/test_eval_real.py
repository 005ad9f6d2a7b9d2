"""The real-genre question format (rag/eval/sets.py load_real), its split, and scoring by kind
(rag/eval/kinds.py), on a small set written here about a fictional county."""

from __future__ import annotations

import json

import pytest

from rag.errors import InputError
from rag.eval.kinds import Scored, ask, kind_markdown, kind_table, score
from rag.eval.sets import EvalQuestion, UnitGold, load_real, part
from rag.records import Answer, Chunk, Citation, Hit

DOC = "青岚县2025年粮食总产量达到41.2万吨，新建高标准农田3.5万亩。\n县长 周明远：我们抓良种、抓农机、抓水利。\n"


def _write(tmp_path, rows):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "qinglan.txt").write_text(DOC, encoding="utf-8")
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path, (docs,)


ROWS = [
    {"id": "f1", "kind": "fact", "q": "青岚县去年粮食产量多少？", "facts": ["41.2万吨"], "speaker": None, "doc": "qinglan.txt"},
    {"id": "h1", "kind": "how", "q": "青岚县怎么抓粮食？", "facts": ["抓良种", "抓农机", "抓水利"], "min_facts": 2,
     "speaker": "周明远", "doc": "qinglan.txt"},
    {"id": "m1", "kind": "multi", "q": "产量和新建农田各是多少？", "units": [
        {"unit": "产量", "facts": ["41.2万吨"], "speaker": None, "doc": "qinglan.txt"},
        {"unit": "农田", "facts": ["3.5万亩"], "speaker": None, "doc": "qinglan.txt"}]},
    {"id": "c1", "kind": "followup", "chain": "chain-a", "turns": ["青岚县粮食产量多少？", "农田呢？"],
     "q": "县长讲了哪些做法？", "facts": ["抓良种"], "speaker": "周明远", "doc": "qinglan.txt"},
    {"id": "n1", "kind": "negative", "neg_type": "other_year", "q": "青岚县2023年粮食产量多少？"},
    {"id": "n2", "kind": "negative", "neg_type": "other_place", "q": "那白石县呢？", "turns": ["青岚县粮食产量多少？"],
     "chain": "chain-a"},
]


def test_load_reads_every_kind(tmp_path):
    qs = {q.id: q for q in load_real(*_write(tmp_path, ROWS))}
    assert qs["f1"].answerable and qs["f1"].speakers == () and qs["f1"].min_facts == 1
    assert qs["h1"].min_facts == 2 and qs["h1"].speakers == ("周明远",)
    assert [u.name for u in qs["m1"].units] == ["产量", "农田"] and qs["m1"].units[1].gold == ("3.5万亩",)
    assert qs["c1"].turns == ("青岚县粮食产量多少？", "农田呢？") and qs["c1"].group == "chain-a"
    assert not qs["n1"].answerable and qs["n1"].neg_type == "other_year" and qs["n1"].group is None


def test_a_chain_stays_in_one_part(tmp_path):
    qs = {q.id: q for q in load_real(*_write(tmp_path, ROWS))}
    assert qs["c1"].part == qs["n2"].part == part("chain-a")
    assert qs["f1"].part == part("f1")


@pytest.mark.parametrize("change, says", [
    ({"facts": ["52.0万吨"]}, "52.0万吨"),             # a gold fact the document does not hold
    ({"doc": "missing.txt"}, "missing.txt"),          # a document not in the corpus
    ({"kind": "opinion"}, "kind"),                    # an unknown kind
])
def test_a_bad_record_names_the_line_and_the_fix(tmp_path, change, says):
    path, corpus = _write(tmp_path, [{**ROWS[0], **change}])
    with pytest.raises(InputError) as e:
        load_real(path, corpus)
    assert f"{path}:1" in str(e.value) and says in str(e.value)


def test_a_follow_up_without_turns_is_refused(tmp_path):
    with pytest.raises(InputError, match="turns"):
        load_real(*_write(tmp_path, [{**ROWS[3], "turns": []}]))


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(InputError, match="f1"):
        load_real(*_write(tmp_path, [ROWS[0], ROWS[0]]))


def _answer(text, *speakers_and_texts, answerable=True):
    cites = []
    for i, (speaker, chunk_text) in enumerate(speakers_and_texts, 1):
        chunk = Chunk(f"qinglan.txt:0:{i}:0", chunk_text, "", speaker, None, None, None, None, "qinglan.txt", 0, i, 0, 0, 1)
        cites.append(Citation(i, Hit(chunk, 1.0), chunk_text))
    return Answer(question="?", answer=text, answerable=answerable, citations=tuple(cites))


FACT = EvalQuestion("f1", "产量？", True, "fact", ("41.2万吨",), (), "qinglan.txt")
HOW = EvalQuestion("h1", "做法？", True, "how", ("抓良种", "抓农机", "抓水利"), ("周明远",), "qinglan.txt", min_facts=2)


def test_facts_and_speaker_are_scored_apart():
    said = "我们抓良种、抓农机、抓水利。"
    assert score(_answer("抓良种、抓农机[1]", ("周明远", said)), HOW) == Scored(True, True, True)
    assert score(_answer("抓良种[1]", ("周明远", said)), HOW).facts is False  # one of the two needed
    assert score(_answer("抓良种、抓农机[1]", ("李四", said)), HOW).speaker is False  # cited to someone else
    assert score(_answer("", answerable=False), HOW) == Scored(False, False, False)  # refused: fails both


def test_a_page_without_speaker_must_not_be_cited_to_one():
    page = "青岚县2025年粮食总产量达到41.2万吨。"
    assert score(_answer("41.2万吨[1]", (None, page)), FACT).speaker is True
    assert score(_answer("41.2万吨[1]", ("周明远", page)), FACT).speaker is False  # an invented speaker


def test_multi_needs_each_unit_or_min_units():
    units = (UnitGold("产量", ("41.2万吨",)), UnitGold("农田", ("3.5万亩",)))
    both = EvalQuestion("m1", "?", True, "multi", units=units)
    one = EvalQuestion("m2", "?", True, "multi", units=units, min_units=1)
    a = _answer("产量41.2万吨[1]", (None, "粮食总产量达到41.2万吨"))
    assert score(a, both).facts is False and score(a, one).facts is True


class _Scripted:
    """An answerer that records what it was asked and with how much history."""

    def __init__(self):
        self.calls = []

    def ask(self, question, history=()):
        self.calls.append((question, len(history)))
        return _answer(question)


def test_a_chain_is_asked_in_order_with_its_history():
    q = EvalQuestion("c1", "第三问", True, "followup", ("x",), turns=("第一问", "第二问"), group="c")
    bot = _Scripted()
    assert ask(bot, q).question == "?" and bot.calls == [("第一问", 0), ("第二问", 1), ("第三问", 2)]


def test_table_rates_per_part_and_kind(tmp_path):
    qs = load_real(*_write(tmp_path, ROWS))
    results = {"f1": (True, True, True), "h1": (True, False, True), "m1": (False, False, False),
               "c1": (True, True, False), "n1": (False, False, False), "n2": (True, False, False)}
    table = kind_table(qs, {k: Scored(*v) for k, v in results.items()})
    both = {kind: [table[p][kind] for p in table] for kind in ("answerable", "negative")}
    assert sum(r["n"] for r in both["answerable"]) == 4 and sum(r["n"] for r in both["negative"]) == 2
    every = {q.id: q.part for q in qs}
    neg = table[every["n1"]]["negative"]
    assert neg["by_type"]["other_year"] == "1/1"
    assert "| fact |" in kind_markdown(table) and "negatives declined" in kind_markdown(table)
