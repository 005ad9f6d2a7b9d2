"""Bounded work per file and per job (issue 23, probe 1): a .docx whose XML would inflate past the cap
is refused from its headers; reading a .docx or .pdf stops at a time limit; a file giving more chunks
than the budget is refused before any of it is embedded, naming how to raise the budget; a sidecar
must be a regular file (a link to /dev/zero or a FIFO is refused unopened); embedding runs without the
writer lock, so another writer commits meanwhile and searches go on."""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from pathlib import Path

import pytest

from rag.config import MAX_CHUNKS_PER_FILE, Settings
from rag.errors import InputError
from rag.ingest.pipeline import ingest_paths
from rag.parse import documents, load_file
from rag.store.base import open_store

from _index_support import FILE_A, FILE_B, run_rag


def _docx_with_xml_of(megabytes: int) -> bytes:
    """A real .docx whose document.xml inflates to about `megabytes` MB (a few hundred KB compressed)."""
    import docx

    out = io.BytesIO()
    docx.Document().save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    paragraph = "<w:p><w:r><w:t>会议强调，要推动高质量发展。</w:t></w:r></w:p>"
    body = paragraph * (megabytes * 1024 * 1024 // len(paragraph.encode()))
    xml = source.read("word/document.xml").decode()
    xml = xml.replace("<w:body>", "<w:body>" + body, 1)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, xml if item.filename == "word/document.xml" else source.read(item))
    return bomb.getvalue()


def test_docx_whose_xml_inflates_past_the_cap_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(_docx_with_xml_of(30))
    assert path.stat().st_size < 2 * 1024 * 1024  # small on disk, 30 MB of XML inside
    with pytest.raises(InputError, match="bomb.docx: 其中 XML 解压后达 3[01] MB"):
        load_file(path)


def test_reading_a_docx_or_pdf_stops_at_the_time_limit(tmp_path, monkeypatch):
    import docx
    import pypdf

    document = docx.Document()
    document.add_paragraph(FILE_B)
    document.save(tmp_path / "a.docx")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    with open(tmp_path / "a.pdf", "wb") as f:
        writer.write(f)
    monkeypatch.setattr(documents, "MAX_READ_SECONDS", -1.0)  # the budget is spent before the first part
    for name in ("a.docx", "a.pdf"):
        with pytest.raises(InputError, match=f"{name}: 读取超过"):
            load_file(tmp_path / name)


def test_the_chunk_budget_is_20k_per_file_and_can_be_raised(monkeypatch):
    assert Settings().max_chunks_per_file == MAX_CHUNKS_PER_FILE == 20_000
    monkeypatch.setenv("RAG_MAX_CHUNKS_PER_FILE", "50000")
    assert Settings.from_env().max_chunks_per_file == 50_000


def test_a_file_over_the_chunk_budget_is_refused_before_embedding(tmp_path, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A, encoding="utf-8")
    records = (json.dumps({"text": f"第{i}项工作已经完成。", "speaker": "林晓"}, ensure_ascii=False)
               for i in range(MAX_CHUNKS_PER_FILE + 1))
    (folder / "many.jsonl").write_text("\n".join(records), encoding="utf-8")
    report = ingest_paths([folder], Settings(index_dir=tmp_path / "index"), embedders=[embedder])
    assert report.sources == ("a.txt",) and embedder.passages == 4  # nothing of many.jsonl was embedded
    text = "\n".join(report.warnings)
    assert "many.jsonl" in text and "20001 块" in text and "--max-chunks" in text and "RAG_MAX_CHUNKS_PER_FILE" in text


def test_the_cli_option_raises_or_lowers_the_budget(tmp_path):
    (tmp_path / "a.txt").write_text(FILE_A, encoding="utf-8")
    result = run_rag("ingest", str(tmp_path / "a.txt"), "--index", str(tmp_path / "index"), "--max-chunks", "3")
    assert result.returncode == 1 and "a.txt" in result.stderr and "超过每个文件 3 块" in result.stderr


@pytest.mark.parametrize("kind", ["dev_zero", "fifo"])
def test_a_sidecar_that_is_not_a_regular_file_is_refused_unopened(tmp_path, kind):
    (tmp_path / "a.txt").write_text(FILE_A, encoding="utf-8")
    sidecar = tmp_path / "a.meta.json"
    if kind == "fifo":
        os.mkfifo(sidecar)
    else:
        sidecar.symlink_to("/dev/zero")
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            load_file(tmp_path / "a.txt")
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            outcome.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive() and kind == "fifo":  # release the reader a blocking open left behind
        os.close(os.open(sidecar, os.O_WRONLY | os.O_NONBLOCK))
    assert outcome, "load_file is still reading the sidecar"
    assert isinstance(outcome[0], InputError) and "a.meta.json" in str(outcome[0]) and "不是普通文件" in str(outcome[0])


def test_embedding_does_not_hold_the_writer_lock(tmp_path, embedder):
    """While one ingest is embedding (held inside the model), a second ingest commits and a reader
    searches the committed index; then the first one commits too and both files are in."""
    (tmp_path / "a.txt").write_text(FILE_A, encoding="utf-8")
    (tmp_path / "b.txt").write_text(FILE_B, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index")
    entered, release = threading.Event(), threading.Event()

    class Slow:
        name, dim = embedder.name, embedder.dim

        def encode_queries(self, texts):
            return embedder.encode_queries(texts)

        def encode_passages(self, texts):
            entered.set()
            release.wait(60)
            return embedder.encode_passages(texts)

    results: dict[str, object] = {}
    first = threading.Thread(target=lambda: results.update(a=ingest_paths([tmp_path / "a.txt"], settings,
                                                                          embedders=[Slow()])))
    first.start()
    try:
        assert entered.wait(60)
        second = ingest_paths([tmp_path / "b.txt"], settings, embedders=[embedder], lock_wait=0)
        assert second.sources == ("b.txt",)
        assert {c.source for c in open_store(settings).chunks} == {"b.txt"}  # readers see the commit
    finally:
        release.set()
        first.join(120)
    assert results["a"].sources == ("a.txt",)
    assert {c.source for c in open_store(settings).chunks} == {"a.txt", "b.txt"}
