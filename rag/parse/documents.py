"""Text out of .docx and .pdf files (their paragraphs or pages, one per line).

Both formats are compressed containers, so each is checked before it is opened: a .docx whose
members would inflate past MAX_UNZIPPED_BYTES (a zip bomb) or that is encrypted is refused, and a
PDF that is encrypted or has more than MAX_PDF_PAGES pages is refused.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from rag.errors import InputError
from rag.parse.decode import read_bytes

# The uncompressed size a .docx may declare in total. A 300-page text document's XML is ~20 MB;
# images count too, hence the margin. A 1 MB zip bomb declaring gigabytes is refused unread.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_PDF_PAGES = 2000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted Office file (or an old .doc) is an OLE container


def docx_text(path: Path) -> str:
    import docx

    data = read_bytes(path)
    check_docx(data, path.name)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for damaged files
        raise InputError(f"{path.name}: 无法打开的 .docx 文件 ({exc}) — 请用 Word 另存后重试") from exc
    return "\n".join(p.text for p in document.paragraphs)


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
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise InputError(f"{name}: 解压后达 {total / 1024 / 1024:.0f} MB，超过 {MAX_UNZIPPED_BYTES // 1024 // 1024} MB "
                         "(zip bomb?) — 请确认文件来源，或拆分后重试")


def pdf_text(path: Path) -> str:
    import pypdf

    data = read_bytes(path)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError(f"{path.name}: PDF 已加密 (encrypted) — 请取消密码保护后重新导入")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise InputError(f"{path.name}: PDF 超过 {MAX_PDF_PAGES} 页 — 请拆分后分别导入")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InputError(f"{path.name}: 无法读取的 PDF ({exc}) — 请确认文件未损坏且不是扫描图片") from exc
