"""Fusion of component rankings: RRF, score-normalised combinations, per-query BM25 weighting."""

from __future__ import annotations

import numpy as np
import pytest

from rag.retrieve.fusion import BM25, Fusion, combine, fuse, lexical_cues, normalised


def ranking(ids, scores):
    return np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float32)


LISTS = {
    BM25: ranking([4, 2, 9], [12.0, 6.0, 3.0]),  # BM25 scores: unbounded
    "dense": ranking([2, 7, 4], [0.91, 0.90, 0.80]),  # cosines: a narrow band
}


def test_minmax_puts_each_list_on_zero_to_one():
    assert normalised(np.array([12.0, 6.0, 3.0]), "minmax").tolist() == pytest.approx([1.0, 1 / 3, 0.0])
    z = normalised(np.array([1.0, 2.0, 3.0]), "zscore")
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)


def test_convex_combination_weighs_the_lists():
    dense_heavy = [row for row, _ in combine(LISTS, {BM25: 0.2, "dense": 0.8}, "minmax")]
    bm25_heavy = [row for row, _ in combine(LISTS, {BM25: 0.8, "dense": 0.2}, "minmax")]
    assert dense_heavy[0] == 2 and bm25_heavy[0] == 4
    assert set(dense_heavy) == {2, 4, 7, 9}  # a row missing from one list still competes


def test_a_zero_weight_drops_the_component():
    only_dense = fuse(LISTS, Fusion("rrf", {BM25: 0.0, "dense": 1.0}), "问题")
    assert [row for row, _ in only_dense] == [2, 7, 4]


def test_literal_cues_shift_weight_to_bm25():
    assert lexical_cues("增长了12.5%吗") and lexical_cues("“亩均论英雄”是什么") and lexical_cues("APP上线了吗")
    assert not lexical_cues("怎样培育企业")
    fusion = Fusion("minmax", {BM25: 0.3, "dense": 0.7}, cue_boost=3.0)
    assert fusion.weights_for("怎样培育企业", [BM25, "dense"])[BM25] == pytest.approx(0.3)
    assert fusion.weights_for("投资12亿元的项目", [BM25, "dense"])[BM25] == pytest.approx(1.2)
    assert fuse(LISTS, fusion, "怎样培育企业")[0][0] == 2
    assert fuse(LISTS, fusion, "投资12亿元的项目")[0][0] == 4


def test_fusion_names_are_distinct_and_round_trip():
    a, b = Fusion("rrf", {BM25: 1.0}, k=10), Fusion("rrf", {BM25: 1.0}, k=60)
    assert a.name() != b.name()
    assert Fusion(**a.to_json()) == a
