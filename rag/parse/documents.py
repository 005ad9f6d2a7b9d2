"""Text out of .docx and .pdf files (their paragraphs or pages, one per line).

Both formats are compressed containers, so each is checked before it is opened: a .docx whose
members would inflate past MAX_UNZIPPED_BYTES, or whose XML parts past MAX_XML_BYTES (a zip bomb:
python-docx holds every XML part in memory as a tree, ~0.8 s and ~20 bytes of memory per byte), or
that is encrypted is refused, and a PDF that is encrypted or has more than MAX_PDF_PAGES pages is
refused. Reading either stops with an InputError once it has taken MAX_READ_SECONDS.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from rag.errors import InputError
from rag.parse.decode import read_bytes

# The uncompressed size a .docx may declare in total. A 300-page text document's XML is ~20 MB;
# images count too, hence the margin. A 1 MB zip bomb declaring gigabytes is refused unread.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# The XML a .docx may declare (document, headers, footnotes…): a 300-page text document's is ~20 MB.
MAX_XML_BYTES = 24 * 1024 * 1024
MAX_PDF_PAGES = 2000
# Wall-clock time to get the text out of one .docx or .pdf: the largest real ones read in seconds.
MAX_READ_SECONDS = 60.0
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted Office file (or an old .doc) is an OLE container


def docx_text(path: Path) -> str:
    import docx

    deadline = _Deadline(path.name)
    data = read_bytes(path)
    check_docx(data, path.name)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for damaged files
        raise InputError(f"{path.name}: 无法打开的 .docx 文件 ({exc}) — 请用 Word 另存后重试") from exc
    lines = []
    for paragraph in document.paragraphs:
        deadline.check()
        lines.append(paragraph.text)
    return "\n".join(lines)


class _Deadline:
    """Raises InputError once MAX_READ_SECONDS have passed since it was made (checked between parts)."""

    def __init__(self, name: str) -> None:
        self.name, self.end = name, time.monotonic() + MAX_READ_SECONDS

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise InputError(f"{self.name}: 读取超过 {MAX_READ_SECONDS:.0f} 秒 (reading time limit) — "
                             "文件过大或结构异常，请拆分或另存为 .txt 后重试")


def check_docx(data: bytes, name: str) -> None:
    """InputError for an encrypted, non-zip or bomb .docx, judged from its headers alone."""
    if data.startswith(_OLE_MAGIC):
        raise InputError(f"{name}: 文件已加密或是旧版 .doc 格式 (encrypted or legacy .doc) — "
                         "请在 Word 中取消密码并另存为 .docx 后重试")
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(f"{name}: 不是有效的 .docx 文件 ({exc}) — 请用 Word 另存后重试") from exc
    if any(m.flag_bits & 0x1 for m in members):
        raise InputError(f"{name}: 文件已加密 (encrypted) — 请取消密码后重新导入")
    for total, limit, what in ((sum(m.file_size for m in members), MAX_UNZIPPED_BYTES, ""),
                               (sum(m.file_size for m in members if m.filename.lower().endswith((".xml", ".rels"))),
                                MAX_XML_BYTES, "其中 XML ")):
        if total > limit:
            raise InputError(f"{name}: {what}解压后达 {total / 1024 / 1024:.0f} MB，超过 {limit // 1024 // 1024} MB "
                             "(zip bomb?) — 请确认文件来源，或拆分后重试")


def pdf_text(path: Path) -> str:
    import pypdf

    deadline = _Deadline(path.name)
    data = read_bytes(path)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError(f"{path.name}: PDF 已加密 (encrypted) — 请取消密码保护后重新导入")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise InputError(f"{path.name}: PDF 超过 {MAX_PDF_PAGES} 页 — 请拆分后分别导入")
        pages = []
        for page in reader.pages:
            deadline.check()
            pages.append(page.extract_text() or "")
        return "\n".join(pages)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InputError(f"{path.name}: 无法读取的 PDF ({exc}) — 请确认文件未损坏且不是扫描图片") from exc
