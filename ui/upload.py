"""Uploads: sanitised names under the upload folder, a parse-only preview, then an incremental index add.

Files are parsed in a private staging folder first; nothing reaches the upload folder or the index
unless parsing succeeded, and the index itself is only touched through the injected `index_files`
(which must leave the old index intact when it fails; rag.ingest.pipeline does).

A commit is journaled: `.pending/<id>.json` (the files, their uploader) is written before the files
move into the upload folder and removed once they are indexed and in the ledger. A server killed in
between leaves the journal; `recover()` (run at start-up) finishes such a commit, or rolls it back
when the files cannot be indexed, so no upload is left both unindexed and refused as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError, RagError
from rag.parse import SKIPPED, SUPPORTED, sidecar_path
from rag.parse.records_jsonl import field_date
from rag.records import Speech
from ui.tempfiles import remove_older_than

MAX_BYTES = 20 * 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\-]+")

Progress = Callable[[float, str], None]
IndexFiles = Callable[[Sequence[Path], Progress], int]  # indexes files in place; returns chunks added
# (paths, cancel) → (speeches, warnings); stops with InputError once `cancel` is set
ParseFiles = Callable[[Sequence[Path], threading.Event], tuple[list[Speech], list[str]]]
LEDGER = ".uploads.jsonl"  # one JSON line per committed upload: file, sha256, uploader, time
PENDING = ".pending"  # journals of commits under way (see module docstring)
STALE_STAGING_SECONDS = 3600  # a preview nobody confirmed within an hour is removed


def sanitize_name(name: str) -> str:
    """A safe, flat file name: no folders, no leading dots, only word characters, '.', '-' and '_'.

    `sanitize_name('../../etc/passwd.txt')` → `'passwd.txt'`; `sanitize_name('报告 (1).md')` → `'报告_1.md'`
    """
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:80].strip("._") or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def unique_name(name: str, taken: set[str]) -> str:
    """`unique_name('a.txt', {'a.txt'})` → `'a_2.txt'`."""
    if name not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, f".{suffix}") if dot else (name, "")
    n = 2
    while f"{stem}_{n}{suffix}" in taken:
        n += 1
    return f"{stem}_{n}{suffix}"


# The editable preview: one row per parsed speech. 会议/日期 belong to the file, 讲话人/职务 to the speech.
PREVIEW_COLUMNS = ["文件", "序号", "会议", "日期", "讲话人", "职务", "段落"]


def preview_rows(speeches: Sequence[Speech]) -> list[list]:
    return [[s.source, s.index, s.meeting.name or "", s.meeting.date or "", s.speaker or "",
             s.speaker_title or "", len(s.paragraphs)] for s in speeches]


def corrections(speeches: Sequence[Speech], rows: Sequence[Sequence]) -> dict[str, dict]:
    """The reader's edits of the preview as sidecar contents, per file name (only files with edits).

    A changed meeting or date applies to the whole file; a changed speaker or post to its speech. A date
    that is not a real day raises InputError naming the file.
    """
    parsed = {(s.source, s.index): s for s in speeches}
    out: dict[str, dict] = {}
    for row in rows:
        source, index, meeting, date, speaker, post = (str(row[0]), int(row[1]), *(str(v or "").strip() for v in row[2:6]))
        s = parsed.get((source, index))
        if s is None:
            continue
        meta = out.setdefault(source, {})
        if meeting and meeting != (s.meeting.name or ""):
            meta["meeting"] = meeting
        if date and date != (s.meeting.date or ""):
            meta["date"] = real_date(date, source)
        fix = {k: v for k, v, old in (("speaker", speaker, s.speaker), ("speaker_title", post, s.speaker_title))
               if v and v != (old or "")}
        if fix:
            meta.setdefault("speeches", []).append({"index": index, **fix})
    return {source: meta for source, meta in out.items() if meta}


def real_date(value: str, source: str) -> str:
    """ISO date of an edited preview cell; a day that does not exist is an InputError naming the file."""
    return field_date(value, source) or ""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Staged:
    """Parsed uploads waiting for confirmation."""

    folder: Path | None
    files: list[Path] = field(default_factory=list)
    speeches: list[Speech] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class UploadManager:
    """Stages, parses and commits uploads; one commit at a time so concurrent uploads cannot interleave."""

    def __init__(self, upload_dir: Path, parse: ParseFiles, index_files: IndexFiles, taken: Callable[[], set[str]],
                 max_bytes: int = MAX_BYTES):
        self.upload_dir = Path(upload_dir)
        self.max_bytes = max_bytes
        self._parse = parse
        self._index = index_files
        self._taken = taken  # source names already in the corpus
        self._lock = threading.Lock()

    def _staging_root(self) -> Path:
        return self.upload_dir / ".staging"

    def _known_hashes(self) -> dict[str, str]:
        if not self.upload_dir.is_dir():
            return {}
        return {sha256(p): p.name for p in self.upload_dir.iterdir() if p.is_file() and not p.name.startswith(".")}

    def stage(self, paths: Sequence[str | Path], cancel: threading.Event | None = None) -> Staged:
        """Copy the files into a fresh staging folder under sanitised names and parse them (no indexing).

        Files that fail are removed from staging at once; a staging folder left with nothing, or one
        older than STALE_STAGING_SECONDS (a preview never confirmed), is removed.
        """
        self.purge_stale()
        cancel = cancel or threading.Event()
        folder = self._staging_root() / uuid.uuid4().hex
        folder.mkdir(parents=True, exist_ok=True)
        staged = Staged(folder=folder)
        try:
            taken = self._taken() | {p.name for p in self.upload_dir.glob("*")}
            known = self._known_hashes()
            for raw in paths:
                self._stage_one(Path(raw), staged, taken, known)
            for path in list(staged.files):
                self._parse_one(path, staged, cancel)
        finally:
            if not staged.files or cancel.is_set():
                self.discard(staged)
        return staged

    def _parse_one(self, path: Path, staged: Staged, cancel: threading.Event) -> None:
        try:
            speeches, warnings = self._parse([path], cancel)
            if not speeches:  # the parser's own reason (not text, bad encoding …) when it gave one
                # (a record's source is a name inside its file: rag/parse/records_jsonl.py)
                refused = [w.removesuffix(SKIPPED) for w in warnings if w.endswith(SKIPPED)]
                raise InputError("；".join(refused) or "没有解析出任何讲话段落 — 未加入")
        except Exception as exc:  # a damaged .pdf/.docx raises the library's own errors
            why = str(exc) if isinstance(exc, RagError) else f"无法解析（{type(exc).__name__}），文件可能已损坏"
            staged.errors.append(why if why.startswith(path.name) else f"{path.name}: {why}")
            staged.files.remove(path)
            path.unlink(missing_ok=True)
            return
        staged.speeches += speeches
        staged.warnings += warnings

    def purge_stale(self, max_age: float = STALE_STAGING_SECONDS) -> None:
        """Remove staging folders older than `max_age` seconds (previews never confirmed or discarded)."""
        remove_older_than(self._staging_root(), max_age)

    def _stage_one(self, src: Path, staged: Staged, taken: set[str], known: dict[str, str]) -> None:
        original = src.name
        name = sanitize_name(original)
        if not name.lower().endswith(SUPPORTED):
            staged.errors.append(f"{original}: 不支持的文件类型，只接受 {' '.join(SUPPORTED)}")
            return
        if not src.is_file():
            staged.errors.append(f"{original}: 文件不存在或不可读")
            return
        if src.stat().st_size > self.max_bytes:
            staged.errors.append(f"{original}: 文件超过 {self.max_bytes // 1024 // 1024} MB")
            return
        digest = sha256(src)
        if digest in known:
            staged.errors.append(f"{original}: 与已上传的 {known[digest]} 内容相同，已跳过")
            return
        name = unique_name(name, taken)
        taken.add(name)
        known[digest] = name
        target = staged.folder / name  # type: ignore[operator]
        shutil.copyfile(src, target)
        staged.files.append(target)

    def correct(self, staged: Staged, rows: Sequence[Sequence]) -> Staged:
        """Save the preview's edits as each file's sidecar `NAME.meta.json` and parse again with them."""
        edits = corrections(staged.speeches, rows)
        if not edits:
            return staged
        speeches: list[Speech] = []
        for path in staged.files:
            if path.name in edits:
                sidecar_path(path).write_text(json.dumps(edits[path.name], ensure_ascii=False, indent=1),
                                              encoding="utf-8")
                speeches += self._parse([path], threading.Event())[0]
            else:
                speeches += [s for s in staged.speeches if s.source == path.name]
        staged.speeches = speeches
        return staged

    def commit(self, staged: Staged, progress: Progress, uploader: str = "") -> int:
        """Move the staged files (and their sidecars) into the upload folder and index them; on failure
        remove them again. Each committed file is recorded in the ledger with its uploader (`origins`)."""
        if not staged.speeches or staged.folder is None:
            raise InputError("没有可加入索引的讲话 — 先上传并解析文件")
        with self._lock:
            clashes = [p.name for p in staged.files if (self.upload_dir / p.name).exists()]
            if clashes:
                raise InputError(f"{', '.join(clashes)} 刚被另一位用户上传 — 请重新上传并解析")
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            final = [self.upload_dir / p.name for p in staged.files]
            journal = self._journal(final, uploader)
            for src, dst in zip(staged.files, final):
                for a, b in ((src, dst), (sidecar_path(src), sidecar_path(dst))):
                    if a.exists():
                        shutil.move(str(a), b)
            added = self._finish(journal, final, uploader, progress)
        self.discard(staged)
        return added

    def _journal(self, files: Sequence[Path], uploader: str) -> Path:
        """Write (atomically) the journal of a commit about to start."""
        folder = self.upload_dir / PENDING
        folder.mkdir(parents=True, exist_ok=True)
        journal = folder / f"{uuid.uuid4().hex}.json"
        tmp = journal.with_suffix(".tmp")
        tmp.write_text(json.dumps({"files": [p.name for p in files], "uploader": uploader}, ensure_ascii=False),
                       encoding="utf-8")
        tmp.replace(journal)
        return journal

    def _finish(self, journal: Path, files: Sequence[Path], uploader: str, progress: Progress) -> int:
        """Index the moved files and record them; on failure remove them (roll back). The journal goes last."""
        try:
            added = self._index(files, progress)
        except BaseException:
            for path in files:
                for part in (path, sidecar_path(path)):
                    part.unlink(missing_ok=True)
            journal.unlink(missing_ok=True)
            raise
        self._record(files, uploader)
        journal.unlink(missing_ok=True)
        return added

    def recover(self, progress: Progress | None = None) -> list[str]:
        """Finish or roll back the commits a killed server left (run at start-up, before serving).
        Returns what happened to each, one line per commit, for the log."""
        folder = self.upload_dir / PENDING
        if not folder.is_dir():
            return []
        report = []
        with self._lock:
            for tmp in folder.glob("*.tmp"):  # a journal never completed: its commit never started
                tmp.unlink(missing_ok=True)
            for journal in sorted(folder.glob("*.json")):
                try:
                    entry = json.loads(journal.read_text(encoding="utf-8"))
                    files = [self.upload_dir / sanitize_name(str(n)) for n in entry["files"]]
                    uploader = str(entry.get("uploader") or "")
                except (OSError, ValueError, KeyError, TypeError):
                    journal.unlink(missing_ok=True)
                    continue
                files = [f for f in files if f.is_file()]
                if not files:  # killed before the first file moved: nothing to finish
                    journal.unlink(missing_ok=True)
                    continue
                try:
                    self._finish(journal, files, uploader, progress or (lambda f, m: None))
                    report.append(f"完成中断的上传: {'、'.join(f.name for f in files)}")
                except RagError as exc:
                    report.append(f"撤销中断的上传: {'、'.join(f.name for f in files)} ({exc})")
        return report

    def _ledger(self) -> Path:
        return self.upload_dir / LEDGER

    def _record(self, files: Sequence[Path], uploader: str) -> None:
        at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with self._ledger().open("a", encoding="utf-8") as ledger:
            for path in files:
                ledger.write(json.dumps({"file": path.name, "sha256": sha256(path), "uploader": uploader or "未知",
                                         "uploaded_at": at}, ensure_ascii=False) + "\n")

    def origins(self) -> dict[str, dict[str, str]]:
        """file name → {file, sha256, uploader, uploaded_at} for every upload still in the folder."""
        if not self._ledger().is_file():
            return {}
        out: dict[str, dict[str, str]] = {}
        for line in self._ledger().read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and (self.upload_dir / str(row.get("file"))).is_file():
                out[str(row["file"])] = row
        return out

    def uploaded_sources(self) -> frozenset[str]:
        """Source names of the uploaded documents (for a filter leaving them out of answers)."""
        return frozenset(self.origins())

    def discard(self, staged: Staged | None) -> None:
        if staged and staged.folder and staged.folder.is_dir():
            shutil.rmtree(staged.folder, ignore_errors=True)
