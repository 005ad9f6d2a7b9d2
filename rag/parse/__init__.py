"""Raw files → Speech records. Entry point: `load_corpus(paths)`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.errors import InputError
from rag.parse.decode import check_lines, decode_bytes, parse_json, read_bytes, read_text
from rag.parse.documents import docx_text, pdf_text
from rag.parse.parser import parse_text
from rag.parse.records_jsonl import field_date, parse_jsonl
from rag.parse.speaker import unit_of_post
from rag.records import Speech

SUPPORTED = (".txt", ".md", ".jsonl", ".docx", ".pdf")
log = logging.getLogger(__name__)
MAX_SIDECAR_BYTES = 64 * 1024  # a sidecar holds a few short fields
_META_FIELDS = ("meeting", "date", "level", "publication", "speaker", "speaker_title", "unit", "title")


@dataclass
class Corpus:
    speeches: list[Speech] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


SKIPPED = " (已跳过 skipped)"  # ends the warning for a file refused with an InputError


def load_corpus(paths: list[Path]) -> Corpus:
    """Parse every supported file under `paths`; bad files become warnings, the batch goes on."""
    corpus = Corpus()
    for path in expand_paths(paths, corpus.warnings):
        try:
            speeches, warnings = load_file(path)
        except InputError as exc:
            corpus.warnings.append(f"{exc}{SKIPPED}")
            continue
        except MemoryError:
            raise  # the process is out of memory (the upload worker's limit): not this file's fault alone
        except Exception as exc:  # a parser defect must cost one file, not the batch (the fuzz test hunts these)
            log.debug("parsing %s failed", path, exc_info=True)
            corpus.warnings.append(f"{path.name}: 解析失败（内部错误 {type(exc).__name__}）— 已跳过；"
                                   "请把该文件报告给维护者 (parser failure, skipped)")
            continue
        corpus.speeches.extend(speeches)
        corpus.warnings.extend(warnings)
        corpus.files.append(path)
    return corpus


def expand_paths(paths: Sequence[Path], warnings: list[str]) -> list[Path]:
    """The files the parser reads from `paths`, in order: a folder's supported top-level files (sorted;
    hidden files and `.meta.json` sidecars skipped), or a file named directly. The one path expander
    (parsing and ingest both use it). A path that does not exist raises InputError: it is a typing
    mistake, and going on would index less than the user asked for. A file of an unsupported type,
    named or in a folder, becomes a warning."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            try:
                entries = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            except OSError as exc:
                warnings.append(f"{path}: 无法读取目录 ({exc.strerror or exc}) — 请检查权限")
                continue
            found += [p for p in entries if _supported(p)]
            warnings += [_unsupported(p) for p in entries if not _supported(p) and not p.name.endswith(".meta.json")]
        elif path.is_file():
            if _supported(path):
                found.append(path)
            else:
                warnings.append(_unsupported(path))
        elif path.is_symlink():
            warnings.append(f"{path}: 符号链接指向不存在的文件或形成循环 (broken or looping symlink) — 请检查链接")
        else:
            raise InputError(f"文件或目录不存在: {path} — 请检查路径 (no such file or folder)")
    return found


def _unsupported(path: Path) -> str:
    return f"{path}: 不支持的文件类型 (unsupported type) — 支持 {' '.join(SUPPORTED)}，已跳过"


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
    check_lines(text, path.name)
    if not text.strip():
        raise InputError(f"{path.name}: 没有可读取的文字 (no text) — 请检查文件内容")
    speeches = parse_text(text, path.name, read_sidecar(path))
    return [_corrected(s, speech_corrections(path).get(s.index)) for s in speeches], []


def _sidecar_data(path: Path) -> dict:
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return {}
    data = parse_json(decode_bytes(read_bytes(sidecar, MAX_SIDECAR_BYTES), sidecar.name), sidecar.name)
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
        meta["date"] = field_date(meta["date"], sidecar.name)
    return meta
