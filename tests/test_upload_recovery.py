"""Crash-safe uploads (issue 23, probe 2): a server killed (SIGKILL) while an upload commits leaves a
staged commit that the next start finishes (the file is indexed and in the ledger) or rolls back (the
file is gone and may be uploaded again): never a file that is neither indexed nor re-uploadable."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

from rag.errors import InputError
from ui.upload import UploadManager

from _index_support import FILE_B


def _parse(paths, cancel):
    from rag.parse import load_corpus

    corpus = load_corpus(list(paths))
    return list(corpus.speeches), list(corpus.warnings)


def _killed_while_indexing(upload_dir: str, src: str) -> None:
    """The server: stage and commit one upload; the process dies (SIGKILL) inside the index step."""
    def index_files(paths, progress):
        os.kill(os.getpid(), signal.SIGKILL)

    manager = UploadManager(Path(upload_dir), _parse, index_files, taken=set)
    manager.commit(manager.stage([src]), lambda f, m: None, uploader="alice")


def _crash(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "yunxi.txt"
    src.write_text(FILE_B, encoding="utf-8")
    worker = multiprocessing.get_context("fork").Process(target=_killed_while_indexing,
                                                         args=(str(tmp_path / "uploads"), str(src)))
    worker.start()
    worker.join(60)
    assert worker.exitcode == -signal.SIGKILL
    return tmp_path / "uploads", src


def test_the_next_start_finishes_a_commit_cut_by_a_kill(tmp_path):
    upload_dir, src = _crash(tmp_path)
    indexed: list[list[str]] = []

    def index_files(paths, progress):
        indexed.append([p.name for p in paths])
        return 2

    manager = UploadManager(upload_dir, _parse, index_files, taken=set)
    manager.recover()
    assert indexed == [["yunxi.txt"]]
    assert manager.origins()["yunxi.txt"]["uploader"] == "alice"
    assert "与已上传的 yunxi.txt 内容相同" in manager.stage([src]).errors[0]  # a duplicate of an indexed upload


def test_the_next_start_rolls_back_a_commit_it_cannot_finish(tmp_path):
    upload_dir, src = _crash(tmp_path)

    def index_files(paths, progress):
        raise InputError("yunxi.txt: 索引失败")

    manager = UploadManager(upload_dir, _parse, index_files, taken=set)
    manager.recover()
    assert not (upload_dir / "yunxi.txt").exists() and not manager.origins()
    staged = manager.stage([src])  # the same file may be uploaded again
    assert not staged.errors and [p.name for p in staged.files] == ["yunxi.txt"]
