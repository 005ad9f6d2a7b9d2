"""Raw bytes → text: UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312).

Also the input limits every loader shares: file size, line length and JSON nesting, so that one
hostile file becomes an InputError naming it instead of unbounded work or a RecursionError.
"""

from __future__ import annotations

import codecs
import json
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

from rag.errors import InputError

_CONTROL_OK = {"\n", "\r", "\t", "\f"}
# A raw input file larger than this is refused before it is read: the biggest real document seen
# (a 2-page newspaper digest) is ~55 KB; 20 MB is also the UI's upload limit.
MAX_FILE_BYTES = 20 * 1024 * 1024
# A line (paragraph, or one .jsonl record) longer than this is not a speech paragraph: the longest
# seen in seeds/, the genre documents and CMRC is under 3,000 characters.
MAX_LINE_CHARS = 100_000
# JSON nesting deeper than this is refused before json.loads can recurse (a record is flat: depth 1-2).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # any surrogate escape; json.dumps then tells pairs from lone ones


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a text file's bytes; raise InputError for empty, binary or undecodable input.

    >>> decode_bytes("会议".encode("gbk"), "a.txt"), decode_bytes("会议".encode("utf-16"), "a.txt")
    ('会议', '会议')
    """
    if not data.strip():
        raise InputError(f"{name}: 文件为空 — 请检查文件内容后重新导入")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Windows Notepad's "Unicode"
        data = _from_utf16(data)
    # Text in UTF-8 or GBK has no bytes below 0x20 but line breaks and tabs, so raw control bytes say "binary"
    if b"\x00" in data[:8192] or _looks_binary(data[:4096].decode("latin-1")):
        raise InputError(not_text(name))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            raise InputError(not_text(name))
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise InputError(
        f"{name}: 无法识别的编码（既不是 UTF-8，也不是 GBK/GB18030）— 请另存为 UTF-8 文本后重新导入"
    )


def not_text(name: str) -> str:
    """The message for a file whose bytes are not text (an image, archive or Office file renamed .txt)."""
    return (f"{name}: 不是文本文件（内容是二进制数据，可能是改了扩展名的图片、压缩包或 Office 文件）— "
            "只接受 UTF-8/GBK 文本、.jsonl、.docx、.pdf；若是不带 BOM 的 UTF-16 文本，请另存为 UTF-8")


def _from_utf16(data: bytes) -> bytes:
    """UTF-16 text (with BOM) re-encoded as UTF-8; other bytes that merely start like a BOM unchanged."""
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        return data
    if any(unicodedata.category(ch) in ("Cn", "Co", "Cs") for ch in text[:4096]):
        return data  # unassigned or private code points: not text that happens to be UTF-16
    return text.encode("utf-8")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _CONTROL_OK)
    return controls > max(4, len(sample) // 100)


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes; InputError when it cannot be read, is not a regular file (a device such as
    /dev/zero, a FIFO: refused before it is opened, since reading either never ends) or is larger
    than `limit` (checked on the size the file declares and again on what is read)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path.name}: 不是普通文件 (device, FIFO or socket) — 只接受普通文件，请检查链接指向")
        if info.st_size > limit:
            raise InputError(_too_large(path, info.st_size, limit))
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: 无法读取 ({exc.strerror or exc}) — 请检查路径和权限") from exc
    if len(data) > limit:  # the file grew after stat
        raise InputError(_too_large(path, len(data), limit))
    return data


def _too_large(path: Path, size: int, limit: int) -> str:
    return (f"{path.name}: 文件过大 ({size / 1024 / 1024:.1f} MB > {limit / 1024 / 1024:g} MB) "
            "— 请拆分后分别导入 (file too large)")


def read_text(path: Path) -> str:
    return decode_bytes(read_bytes(path), path.name)


def check_lines(text: str, name: str) -> None:
    """InputError when a line is longer than MAX_LINE_CHARS (a text without line breaks).

    >>> check_lines("乙" * 100_001, "a.txt")
    Traceback (most recent call last):
    rag.errors.InputError: a.txt:1: 一行长达 100001 字 (line too long, max 100000) — 请按段落分行后重新导入
    """
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise InputError(f"{name}:{number}: 一行长达 {len(line)} 字 (line too long, max {MAX_LINE_CHARS}) "
                             "— 请按段落分行后重新导入")


def parse_json(text: str, where: str) -> Any:
    """json.loads with the shared limits; any failure is an InputError naming `where`.

    >>> parse_json("[" * 5000 + "]" * 5000, "a.jsonl:1")
    Traceback (most recent call last):
    rag.errors.InputError: a.jsonl:1: JSON 嵌套过深 (nesting deeper than 32) — 请修正该记录
    """
    if len(text) > MAX_LINE_CHARS:
        raise InputError(f"{where}: JSON 过长 ({len(text)} 字 > {MAX_LINE_CHARS}) — 请修正该记录")
    if _nesting(text) > MAX_JSON_DEPTH:
        raise InputError(f"{where}: JSON 嵌套过深 (nesting deeper than {MAX_JSON_DEPTH}) — 请修正该记录")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: 不是合法的 JSON ({exc.msg}) — 请修正该记录") from exc
    except (RecursionError, ValueError) as exc:  # belt and braces: the pre-scan should have caught it
        raise InputError(f"{where}: 无法解析的 JSON ({type(exc).__name__}) — 请修正该记录") from exc
    if _LONE_SURROGATE.search(text):
        try:  # an escape such as "\ud800" decodes to a string no UTF-8 writer can store
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"{where}: 含无效的 Unicode 转义（孤立代理项 lone surrogate "
                             f"{exc.object[exc.start:exc.end]!r}）— 请修正该记录") from None
    return data


def _nesting(text: str) -> int:
    """Deepest bracket nesting outside JSON strings (linear, no recursion).

    >>> _nesting('{"a": [1, "]]]"], "b": {"c": "\\\\"}}')
    2
    """
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
