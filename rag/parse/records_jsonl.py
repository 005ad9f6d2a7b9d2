"""`.jsonl` files of ready-made records: one paragraph per line, grouped into speeches. A record's
`source` names a document inside the file (`records.jsonl#name`), never a file of its own."""

from __future__ import annotations

import re
from itertools import groupby

from rag.dates import iso_date
from rag.errors import InputError
from rag.parse.decode import parse_json
from rag.parse.meeting import meeting_level
from rag.parse.normalize import collapse_spaces, front_door, normalize_chars
from rag.records import Meeting, Paragraph, Speech

_FIELDS = ("speaker", "speaker_title", "unit", "meeting", "date", "title", "source")


def parse_jsonl(text: str, file_name: str) -> tuple[list[Speech], list[str]]:
    """Records → speeches; bad lines become warnings naming file and line, the rest goes on."""
    rows, warnings = [], []
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        span = (offset, offset + len(line))
        offset += len(line) + 1
        if not line.strip():
            continue
        try:
            rows.append((_record(line, file_name, number), span))
        except InputError as exc:
            warnings.append(str(exc))
    speeches = []
    for key, group in groupby(rows, key=lambda row: tuple(row[0][f] for f in _FIELDS)):
        fields = dict(zip(_FIELDS, key))
        paragraphs = tuple(Paragraph(rec["text"], start, end) for rec, (start, end) in group)
        meeting = Meeting(name=fields["meeting"], level=meeting_level(fields["meeting"]), date=fields["date"])
        speeches.append(Speech(meeting=meeting, speaker=fields["speaker"], speaker_title=fields["speaker_title"],
                               unit=fields["unit"], title=fields["title"], paragraphs=paragraphs,
                               source=virtual_source(file_name, fields["source"]), index=len(speeches)))
    if not speeches:
        first = f"；第一处问题：{warnings[0]}" if warnings else ""
        raise InputError(f"{file_name}: 没有有效记录 (no valid records) — 每行应是含 \"text\" 字段的 JSON 对象{first}")
    return speeches, warnings


def virtual_source(file_name: str, claimed: str | None) -> str:
    """A record's source: a name inside its `.jsonl` file's own namespace, never another file's name
    (a record cannot take over, or block, a real file).

    >>> virtual_source("records.jsonl", "future.txt"), virtual_source("records.jsonl", None)
    ('records.jsonl#future.txt', 'records.jsonl')
    """
    return f"{file_name}#{claimed}" if claimed else file_name


def _record(line: str, file_name: str, number: int) -> dict[str, str | None]:
    where = f"{file_name}:{number}"
    data = parse_json(line, where)
    if not isinstance(data, dict):
        raise InputError(f"{where}: 每行应是一个 JSON 对象 (object expected) — 已跳过该行")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: 缺少 \"text\" 字段或为空 (missing text) — 已跳过该行")
    record: dict[str, str | None] = {"text": collapse_spaces(normalize_chars(front_door(text).text.strip()))}
    for name in _FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}: 字段 {name} 应为字符串 (string expected) — 已跳过该行")
        record[name] = value.strip() if isinstance(value, str) and value.strip() else None
    if record["speaker"]:
        record["speaker"] = re.sub(r"\s+", "", record["speaker"])
    record["date"] = field_date(record["date"], where)
    return record


def field_date(value: str | None, where: str) -> str | None:
    """A record's or sidecar's date field as ISO ("2023年7月28日" → "2023-07-28"); an unreadable or
    impossible day is an InputError naming `where`."""
    if value is None:
        return None
    day = iso_date(value)
    if day is None:
        raise InputError(f"{where}: 日期 {value!r} 无法识别或不存在 (use YYYY-MM-DD) — 已跳过")
    return day
