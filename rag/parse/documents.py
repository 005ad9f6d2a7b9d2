"""Text out of .docx and .pdf files (their paragraphs or pages, one per line)."""

from __future__ import annotations

from pathlib import Path

from rag.errors import InputError


def docx_text(path: Path) -> str:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types for damaged files
        raise InputError(f"{path.name}: 无法打开的 .docx 文件 ({exc}) — 请用 Word 另存后重试") from exc
    return "\n".join(p.text for p in document.paragraphs)


def pdf_text(path: Path) -> str:
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InputError(f"{path.name}: 无法读取的 PDF ({exc}) — 请确认文件未损坏且不是扫描图片") from exc
