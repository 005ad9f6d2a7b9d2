"""Raw bytes → text: UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312)."""

from __future__ import annotations

from pathlib import Path

from rag.errors import InputError

_CONTROL_OK = {"\n", "\r", "\t", "\f"}


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a text file's bytes; raise InputError for empty, binary or undecodable input.

    >>> decode_bytes("会议".encode("gbk"), "a.txt")
    '会议'
    """
    if not data.strip():
        raise InputError(f"{name}: 文件为空 (empty file) — 请检查文件内容后重新导入")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: 看起来是二进制文件 (binary file, NUL bytes) — 只接受 UTF-8/GBK 文本、.jsonl、.docx、.pdf")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise InputError(
        f"{name}: 无法识别的编码 (neither UTF-8 nor GBK/GB18030) — 请另存为 UTF-8 文本后重新导入"
    )


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _CONTROL_OK)
    return controls > max(4, len(sample) // 100)


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: 无法读取 ({exc.strerror}) — 请检查路径和权限") from exc
    return decode_bytes(data, path.name)
