"""UI uploads are embedded outside the server process, with the same chunk budget as `rag ingest`
(issue 23, probe 1): the server's own model encodes no passage of an upload, and a file over the
budget is refused with the message naming the budget."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from rag.errors import InputError
from rag.library import Library
from ui.wiring import Reindexer

from _index_support import FILE_A, FILE_B, index_of


@pytest.fixture()
def served(tmp_path, e5):
    settings = index_of(tmp_path, {"a.txt": FILE_A}, e5.inner)
    e5.passages = 0
    library = Library(settings, embedders={e5.name: e5})
    library.retriever.search("营商环境", 3, None)  # a server that has answered someone
    return library, e5, tmp_path


def test_an_upload_is_embedded_in_a_worker_process(served):
    library, e5, root = served
    upload = root / "uploads" / "b.txt"
    upload.parent.mkdir()
    upload.write_text(FILE_B, encoding="utf-8")
    steps: list[str] = []
    added = Reindexer(library, SimpleNamespace(answerer=None))([upload], lambda f, what: steps.append(what))
    assert added == 2 and e5.passages == 0  # the server's model encoded nothing
    assert {c.source for c in library.store.chunks} == {"a.txt", "b.txt"}  # and the server sees the commit
    assert any("嵌入" in s for s in steps)


def test_an_upload_over_the_chunk_budget_is_refused(served):
    library, e5, root = served
    library.settings = replace(library.settings, max_chunks_per_file=1)
    upload = root / "b.txt"
    upload.write_text(FILE_B, encoding="utf-8")
    with pytest.raises(InputError, match="b.txt.*超过每个文件 1 块"):
        Reindexer(library, SimpleNamespace(answerer=None))([upload], lambda f, what: None)
    assert e5.passages == 0 and {c.source for c in library.store.chunks} == {"a.txt"}
