"""The bad-input corpus: each kind of damaged or hostile file is a warning naming it, the rest of the
batch goes on, and an existing index is byte-identical afterwards.

Every file is generated here at test time (the 50 MB file, the 5 MB line and the zip bomb are never
committed). Tests run as root in CI, where chmod 000 does not stop a read: that case is skipped there
with the reason, not faked.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from rag.errors import InputError, RagError
from rag.ingest.pipeline import ingest_paths
from rag.parse import load_corpus, load_file
from rag.parse.decode import MAX_FILE_BYTES, MAX_JSON_DEPTH, MAX_LINE_CHARS
from rag.parse.documents import MAX_UNZIPPED_BYTES

from _index_support import FILE_A, FILE_B, index_of

GOOD_JSONL = '{"text": "柳塘镇新增市场主体320户。", "speaker": "林晓", "meeting": "例会"}\n'
DEEP = "[" * 5000 + "]" * 5000


def _docx_bytes(text: str = "会议讲话") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _zip_bomb_docx() -> bytes:
    """A real .docx whose central directory declares a 3 GB member (what a bomb looks like unread)."""
    data = bytearray(_docx_bytes())
    at = data.find(b"PK\x01\x02")  # first central directory entry; uncompressed size at +24
    data[at + 24:at + 28] = (3 * 1024**3).to_bytes(4, "little")
    return bytes(data)


def _encrypted_pdf() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# name → (bytes or a callable making the file, words the warning must contain)
REJECTED = {
    "empty.txt": (b"", "为空"),
    "blank.txt": (b"  \n\n\t ", "为空"),
    "binary.txt": (bytes(range(256)) * 40, "二进制"),
    "nul.txt": ("会议讲话\x00\x00\x00内容".encode() * 50, "二进制"),
    "latin.txt": (bytes(range(0x80, 0x100)) * 20, "编码"),
    "deep.jsonl": (DEEP.encode(), f"嵌套过深"),
    "huge_line.jsonl": (('{"text": "' + "数" * (MAX_LINE_CHARS + 10) + '"}').encode(), "过长"),
    "not_object.jsonl": (b"[1, 2, 3]\n\"text\"\n", "没有有效记录"),
    "one_line_5mb.txt": (("数" * (5 * 1024 * 1024 // 3)).encode(), "一行长达"),
    "fake.pdf": ("这不是PDF文件".encode(), "PDF"),
    "encrypted.pdf": (_encrypted_pdf, "加密"),
    "fake.docx": ("这不是docx".encode(), ".docx"),
    "encrypted.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), "加密"),
    "bomb.docx": (_zip_bomb_docx, "解压后"),
}


def _write(folder: Path, name: str, content) -> Path:
    path = folder / name
    path.write_bytes(content() if callable(content) else content)
    return path


def _snapshot(index_dir: Path) -> dict[str, str]:
    """Every file of the index folder (the writer's lock file aside) → sha256 of its bytes."""
    return {str(p.relative_to(index_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(index_dir.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


@pytest.fixture(scope="module")
def built(tmp_path_factory, e5_model):  # noqa: F811
    root = tmp_path_factory.mktemp("badinputs")
    return root, index_of(root, {"a.txt": FILE_A}, e5_model), e5_model


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_bad_file_is_a_named_warning_and_the_index_is_byte_identical(built, name, tmp_path):
    root, settings, model = built
    content, words = REJECTED[name]
    path = _write(tmp_path, name, content)
    with pytest.raises(InputError) as err:
        load_file(path)
    assert name in str(err.value) and words in str(err.value)
    before = _snapshot(settings.index_dir)
    try:  # nothing indexable: the ingest refuses or adds nothing, and the index stays as it was
        report = ingest_paths([path], settings, embedders=[model])
    except RagError:
        pass
    else:
        assert report.added == 0 and name in "\n".join(report.warnings)
    assert _snapshot(settings.index_dir) == before


def test_one_bad_file_never_stops_the_batch(tmp_path):
    for name, (content, _) in REJECTED.items():
        _write(tmp_path, name, content)
    (tmp_path / "b.txt").write_text(FILE_B, encoding="utf-8")
    (tmp_path / "records.jsonl").write_text(DEEP + "\n" + GOOD_JSONL, encoding="utf-8")  # one bad line
    (tmp_path / "c.txt").write_text(FILE_A, encoding="utf-8")
    (tmp_path / "c.meta.json").write_text(DEEP, encoding="utf-8")  # a hostile sidecar costs c.txt only
    corpus = load_corpus([tmp_path])
    assert {p.name for p in corpus.files} == {"b.txt", "records.jsonl"}
    assert {s.source for s in corpus.speeches} == {"b.txt", "records.jsonl"}
    text = "\n".join(corpus.warnings)
    for name in [*REJECTED, "c.meta.json", "records.jsonl:1"]:
        assert name in text, name


def test_file_over_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "fifty_mb.txt"
    line = "会议强调，要推动高质量发展。\n".encode()
    with path.open("wb") as f:
        f.write(line * (50 * 1024 * 1024 // len(line) + 1))
    assert path.stat().st_size > MAX_FILE_BYTES
    with pytest.raises(InputError, match="文件过大"):
        load_file(path)


def test_deep_json_in_a_record_line_and_a_sidecar_is_named_not_a_recursion_error(tmp_path):
    (tmp_path / "r.jsonl").write_text(GOOD_JSONL + DEEP + "\n", encoding="utf-8")
    speeches, warnings = load_file(tmp_path / "r.jsonl")
    assert len(speeches) == 1 and warnings and "r.jsonl:2" in warnings[0] and str(MAX_JSON_DEPTH) in warnings[0]
    (tmp_path / "s.txt").write_text(FILE_B, encoding="utf-8")
    (tmp_path / "s.meta.json").write_text('{"meeting": ' + "[" * 3000 + "]" * 3000 + "}", encoding="utf-8")
    with pytest.raises(InputError, match="s.meta.json"):
        load_file(tmp_path / "s.txt")


def test_text_encodings_that_are_accepted(tmp_path):
    (tmp_path / "gbk.txt").write_bytes(FILE_B.encode("gbk"))
    (tmp_path / "utf16.txt").write_bytes(FILE_B.encode("utf-16"))  # with BOM, as Windows Notepad writes it
    (tmp_path / "bom.txt").write_bytes(FILE_B.encode("utf-8-sig"))
    texts = {name: load_file(tmp_path / name)[0] for name in ("gbk.txt", "utf16.txt", "bom.txt")}
    assert all(speeches and speeches[0].speaker == "陈国栋" for speeches in texts.values())
    (tmp_path / "utf16_no_bom.txt").write_bytes(FILE_B.encode("utf-16-le"))
    with pytest.raises(InputError, match="UTF-16"):
        load_file(tmp_path / "utf16_no_bom.txt")


def test_odd_names_are_ordinary_files(tmp_path):
    names = ["with space.txt", "new\nline.txt", "-leading-dash.txt", "中文 名称 (1).txt"]
    for name in names:
        (tmp_path / name).write_text(FILE_B, encoding="utf-8")
    corpus = load_corpus([tmp_path])
    assert sorted(p.name for p in corpus.files) == sorted(names) and not corpus.warnings


def test_symlink_loop_and_dangling_link_are_warnings(tmp_path):
    (tmp_path / "loop_a.txt").symlink_to(tmp_path / "loop_b.txt")
    (tmp_path / "loop_b.txt").symlink_to(tmp_path / "loop_a.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "ok.txt").write_text(FILE_B, encoding="utf-8")
    corpus = load_corpus([tmp_path / "loop_a.txt", tmp_path / "dangling.txt", tmp_path])
    assert [p.name for p in corpus.files] == ["ok.txt"]
    assert sum("符号链接" in w for w in corpus.warnings) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root: chmod 000 does not stop root from reading")
def test_unreadable_file_is_a_warning(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(FILE_B, encoding="utf-8")
    path.chmod(0)
    try:
        corpus = load_corpus([path])
    finally:
        path.chmod(0o644)
    assert not corpus.files and "secret.txt" in corpus.warnings[0] and "无法读取" in corpus.warnings[0]


def test_unreadable_folder_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    """Root reads anything, so the permission error is produced where the OS would raise it."""
    folder = tmp_path / "locked"
    folder.mkdir()

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", denied)
    corpus = load_corpus([folder])
    assert not corpus.files and "locked" in corpus.warnings[0] and "无法读取目录" in corpus.warnings[0]


def test_docx_limits_are_read_from_headers_only(tmp_path):
    assert MAX_UNZIPPED_BYTES < 3 * 1024**3
    ok = tmp_path / "ok.docx"
    ok.write_bytes(_docx_bytes(FILE_B))
    assert load_file(ok)[0][0].speaker == "陈国栋"
    members = zipfile.ZipFile(io.BytesIO(_zip_bomb_docx())).infolist()
    assert sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES  # the bomb declares what it would inflate to
