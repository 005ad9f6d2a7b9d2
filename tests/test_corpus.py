"""rag.library.Library: one service to add files to an index and list what it holds, without the raw files."""

from __future__ import annotations

from pathlib import Path

import pytest

from _index_support import FILE_B
from rag.config import Settings
from rag.library import Library
from rag.errors import IndexMissingError


@pytest.fixture()
def library(tmp_path: Path, e5_model) -> Library:
    return Library(Settings(index_dir=tmp_path / "index", embed_model="e5-small"), {"e5-small": e5_model})


def test_a_new_library_has_no_index_until_files_are_added(library):
    with pytest.raises(IndexMissingError):
        library.speeches()


def test_build_if_missing_builds_once(library, corpus_dir, tmp_path):
    assert library.build_if_missing([corpus_dir]).added > 0
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert library.build_if_missing([empty]) is None  # an index exists: left alone, nothing parsed
    assert library.sources() == ["a.txt"]


def test_listing_comes_from_the_index_not_the_raw_files(library, corpus_dir):
    report = library.add([corpus_dir])
    assert report.added > 0 and not report.unchanged
    (corpus_dir / "a.txt").rename(corpus_dir.parent / "moved.txt")  # the raw file is gone from where it was
    reopened = Library(library.settings)
    assert [s.speaker for s in reopened.speeches()] == ["林晓", "何峰"]
    assert reopened.sources() == ["a.txt"]  # the name citations show, not an absolute path
    catalogue = reopened.catalogue()
    assert [m.date for m in catalogue.meeting_rows()] == ["2023-07-28"]
    assert catalogue.speakers() == sorted(["林晓", "何峰"]) and [s.speaker for s in catalogue.speeches_by("何峰")] == ["何峰"]
    assert reopened.speeches()[0].paragraphs[0].text.startswith("上半年，柳塘镇")


def test_adding_files_updates_listing_and_search_in_place(library, corpus_dir, tmp_path):
    library.add([corpus_dir])
    retriever = library.retriever
    assert all(h.chunk.speaker != "陈国栋" for h in retriever.search("规上工业增加值增长", 3))
    more = tmp_path / "more"
    more.mkdir()
    (more / "b.txt").write_text(FILE_B, encoding="utf-8")
    library.add([more])
    assert library.retriever is retriever  # the same object, now over the new commit
    assert retriever.search("规上工业增加值增长", 1)[0].chunk.speaker == "陈国栋"
    assert "陈国栋" in library.catalogue().speakers()  # a new catalogue for the new commit
    assert [m.date for m in library.catalogue().meeting_rows()] == ["2023-04-23", "2023-07-28"]  # oldest first


def test_reload_sees_a_commit_made_by_another_writer(library, corpus_dir, tmp_path):
    library.add([corpus_dir])
    assert library.catalogue().speakers() == sorted(["林晓", "何峰"])
    more = tmp_path / "more"
    more.mkdir()
    (more / "b.txt").write_text(FILE_B, encoding="utf-8")
    Library(library.settings, {"e5-small": library.retriever.embedders["e5-small"]}).add([more])
    assert "陈国栋" not in library.catalogue().speakers()  # still the commit it opened
    library.reload()
    assert "陈国栋" in library.catalogue().speakers()
