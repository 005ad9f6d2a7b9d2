"""The evaluation split: a seeded hash of the question id, stable and roughly even."""

from __future__ import annotations

from rag.eval.sets import PARTS, REPORT, TUNE, part


def test_split_is_fixed_by_the_id_and_the_seed():
    ids = [f"q{i}" for i in range(2000)]
    first = [part(i) for i in ids]
    assert first == [part(i) for i in ids]  # no state, no order dependence
    assert set(first) == set(PARTS)
    share = first.count(REPORT) / len(first)
    assert 0.45 < share < 0.55
    other_seed = [part(i, seed="another") for i in ids]
    assert other_seed != first and other_seed.count(TUNE) > 0
