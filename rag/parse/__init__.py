"""Raw files → Speech records. Entry point: `load_corpus(paths)`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from collections.abc import Sequence
from pathlib import Path

from rag.errors import InputError
from rag.parse.decode import read_text
from rag.parse.documents import docx_text, pdf_text
from rag.parse.parser import parse_text
from rag.parse.records_jsonl import iso_date, parse_jsonl
from rag.parse.speaker import unit_of_post
from rag.records import Speech

SUPPORTED = (".txt", ".md", ".jsonl", ".docx", ".pdf")
_META_FIELDS = ("meeting", "date", "level", "publication", "speaker", "speaker_title", "unit", "title")


@dataclass
class Corpus:
    speeches: list[Speech] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def load_corpus(paths: list[Path]) -> Corpus:
    """Parse every supported file under `paths`; bad files become warnings, the batch goes on."""
    corpus = Corpus()
    for path in expand_paths(paths, corpus.warnings):
        try:
            speeches, warnings = load_file(path)
        except InputError as exc:
            corpus.warnings.append(f"{exc} (已跳过 skipped)")
            continue
        corpus.speeches.extend(speeches)
        corpus.warnings.extend(warnings)
        corpus.files.append(path)
    return corpus


def expand_paths(paths: Sequence[Path], warnings: list[str]) -> list[Path]:
    """The files the parser reads from `paths`, in order: a folder's supported top-level files (sorted;
    hidden files and `.meta.json` sidecars skipped), or a file named directly. The one path expander
    (parsing and ingest both use it). A path that does not exist raises InputError: it is a typing
    mistake, and going on would index less than the user asked for. A file of an unsupported type
    named directly becomes a warning."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and _supported(p))
        elif path.is_file():
            if _supported(path):
                found.append(path)
            else:
                warnings.append(f"{path}: 不支持的文件类型 (unsupported type) — 支持 {' '.join(SUPPORTED)}")
        else:
            raise InputError(f"文件或目录不存在: {path} — 请检查路径 (no such file or folder)")
    return found


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED and not path.name.endswith(".meta.json")


def sidecar_path(path: Path) -> Path:
    """`NAME.meta.json` beside a raw file (it may not exist)."""
    return path.with_name(path.stem + ".meta.json")


def load_file(path: Path) -> tuple[list[Speech], list[str]]:
    """One file → its speeches and any per-record warnings (raises InputError for a bad file)."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return parse_jsonl(read_text(path), path.name)
    text = docx_text(path) if suffix == ".docx" else pdf_text(path) if suffix == ".pdf" else read_text(path)
    if not text.strip():
        raise InputError(f"{path.name}: 没有可读取的文字 (no text) — 请检查文件内容")
    speeches = parse_text(text, path.name, read_sidecar(path))
    return [_corrected(s, speech_corrections(path).get(s.index)) for s in speeches], []


def _sidecar_data(path: Path) -> dict:
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return {}
    try:
        data = json.loads(read_text(sidecar))
    except json.JSONDecodeError as exc:
        raise InputError(f"{sidecar.name}: 不是合法的 JSON ({exc.msg}) — 请修正或删除该文件") from exc
    if not isinstance(data, dict):
        raise InputError(f"{sidecar.name}: 应为 JSON 对象 (object expected) — 请修正该文件")
    return data


def speech_corrections(path: Path) -> dict[int, dict[str, str]]:
    """Per-speech corrections from the sidecar's `"speeches": [{"index": 0, "speaker": …, "speaker_title": …}]`
    (written by the upload preview), by speech index."""
    rows = _sidecar_data(path).get("speeches") or []
    if not isinstance(rows, list):
        raise InputError(f"{sidecar_path(path).name}: speeches 应为列表 — 请修正该文件")
    out: dict[int, dict[str, str]] = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("index"), int):
            out[row["index"]] = {k: str(row[k]).strip() for k in ("speaker", "speaker_title", "unit") if row.get(k)}
    return out


def _corrected(speech: Speech, fix: dict[str, str] | None) -> Speech:
    """A speech with a reader's corrections; a corrected post brings the unit it names, unless given."""
    if not fix:
        return speech
    post = fix.get("speaker_title") or speech.speaker_title
    unit = fix.get("unit") or (unit_of_post(post) if "speaker_title" in fix and post else None) or speech.unit
    return replace(speech, speaker=fix.get("speaker") or speech.speaker, speaker_title=post, unit=unit)


def read_sidecar(path: Path) -> dict[str, str]:
    """`NAME.meta.json` beside a raw file overrides or fills meeting/date/speaker fields."""
    sidecar = sidecar_path(path)
    data = _sidecar_data(path)
    meta = {key: str(data[key]).strip() for key in _META_FIELDS if data.get(key)}
    if "date" in meta:
        meta["date"] = iso_date(meta["date"], sidecar.name)
    return meta
