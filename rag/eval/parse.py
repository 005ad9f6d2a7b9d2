"""`rag eval --parse`: the parser against hand-written gold, per document and in total.

A gold folder holds raw documents named `<doc>_<anything>.txt` (in the folder or its `docs/`), `gold_attribution.jsonl`
(`{"doc", "phrase", "speaker", "unit"}`: the phrase sits in one speech's body, said by that
speaker) and `gold_meetings.json` (`{doc: {"must": [words the meeting name holds], "date"}}`).

Speaker precision counts only phrases the parser gave a name to (a wrong name is worse than
none); recall counts every gold phrase. A date is right when it equals the gold date, or, where
the text gives no meeting date (gold null), when it is null or the publication date.

eval/real_parse holds real documents fetched for development (SOURCES.tsv: repository, commit, path,
document type and the tune/report part given by the seeded hash of the file name, rag/eval/sets.part).
It is summarised on its own, by part and by type ("real/report/digest" …), and kept out of "total",
which stays the figure over the genre folders. Where a folder has `gold_lines.jsonl`, the parser's
line roles (rag/parse/review.py) are scored against it too.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT
from rag.parse import load_file
from rag.eval.sets import part
from rag.parse.normalize import normalize_chars
from rag.parse.review import line_roles
from rag.records import Speech

# genre: real documents (../shared/genre); genre_own: our variants, written while the rules were
# made; genre_holdout, genre_holdout2: variants written afterwards and first scored with the rules
# frozen (each folder's README says what changed after that first score).
# real_parse: real documents fetched for development, labelled line by line (see its README).
GOLD_DIRS = tuple(PROJECT_ROOT / "eval" / name
                  for name in ("genre", "genre_own", "genre_holdout", "genre_holdout2", "real_parse"))
_GROUPS = {"genre": "shared", "genre_own": "own", "genre_holdout": "holdout", "genre_holdout2": "holdout2",
           "real_parse": "real"}
REAL = "real"  # the group summarised by part and type, outside "total"
LINE_LABELS = ("speaker", "heading", "body", "noise")
_UNIT_END = re.compile(r"(?:委员会|中心|学院|委|局|办|院|部|所|处|室|厅|会|社)$")
_DATE_IN_TEXT = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


@dataclass
class DocResult:
    doc: str
    source: str
    group: str  # shared, own or holdout (see GOLD_DIRS)
    speeches: int
    named: int
    gold_speakers: int
    phrases: int
    predicted: int  # phrases whose speech has a speaker
    correct: int
    unit_ok: int
    meeting_ok: bool
    date_ok: bool
    meeting: str | None
    date: str | None
    gold_date: str | None
    errors: list[str]
    kind: str | None = None  # document type from SOURCES.tsv (digest, profile, report, local)
    part: str | None = None  # tune or report, from the seeded hash of the file name
    lines: dict[str, int] = field(default_factory=dict)  # gold_lines: "gold/predicted" label counts


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", normalize_chars(text))


def _publication_date(speech: Speech) -> str | None:
    match = _DATE_IN_TEXT.search(speech.meeting.publication or "")
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}" if match else None


def unit_matches(unit: str, gold: str) -> bool:
    """The parsed unit is the gold one, one of its offices (中共中央台办、国务院台办), a named part of it
    (…研究院 → …研究院学术和编审委员会), or the place whose party committee it is (东兰县 for 东兰县委).

    >>> unit_matches("北岭县人民政府", "北岭县人民政府"), unit_matches("北岭县人民政府代", "北岭县人民政府")
    (True, False)
    """
    if not unit or not gold:
        return False
    rest = unit[len(gold):] if unit.startswith(gold) else None
    return (unit == gold or unit in re.split(r"[、，]", gold) or bool(rest and _UNIT_END.search(rest))
            or gold == unit + "委")


def score_document(doc: str, path: Path, gold: list[dict[str, Any]], meeting_gold: dict[str, Any], group: str) -> DocResult:
    speeches, _ = load_file(path)
    bodies = [_compact("".join(p.text for p in s.paragraphs)) for s in speeches]
    predicted = correct = unit_ok = 0
    errors = []
    for row in gold:
        holders = [s for s, body in zip(speeches, bodies) if _compact(row["phrase"]) in body]
        speech = holders[0] if len(holders) == 1 else None
        if speech is None:
            errors.append(f"{row['phrase']}: found in {len(holders)} speeches")
            continue
        if speech.speaker:
            predicted += 1
            correct += speech.speaker == row["speaker"]
            if speech.speaker != row["speaker"]:
                errors.append(f"{row['phrase']}: {speech.speaker} ≠ gold {row['speaker']}")
        else:
            errors.append(f"{row['phrase']}: speaker unknown (gold {row['speaker']})")
        unit_ok += unit_matches(speech.unit or "", row.get("unit") or "")
    first = speeches[0]
    name, date = first.meeting.name or "", first.meeting.date
    gold_date = meeting_gold.get("date")
    date_ok = date == gold_date or (gold_date is None and date == _publication_date(first))
    return DocResult(
        doc=doc, source=path.name, group=group, speeches=len(speeches), named=sum(1 for s in speeches if s.speaker),
        gold_speakers=len({row["speaker"] for row in gold}), phrases=len(gold), predicted=predicted,
        correct=correct, unit_ok=unit_ok, meeting_ok=all(word in name for word in meeting_gold.get("must", [])),
        date_ok=date_ok, meeting=first.meeting.name, date=date, gold_date=gold_date, errors=errors,
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def document_types(folder: Path) -> dict[str, str]:
    """File name → document type, from the folder's SOURCES.tsv (empty when it has none)."""
    sources = folder / "SOURCES.tsv"
    if not sources.exists():
        return {}
    with sources.open(encoding="utf-8", newline="") as handle:
        return {row["file"]: row["type"] for row in csv.DictReader(handle, delimiter="\t")}


def score_lines(path: Path, gold: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of (gold label, parser role) over the document's non-blank lines, as "gold/predicted"."""
    rows = line_roles(path.read_text(encoding="utf-8"))
    gold = sorted(gold, key=lambda r: r["i"])
    if [r["text"] for r in gold] != [row.text for row in rows]:
        raise ValueError(f"{path.name}: gold_lines.jsonl does not list the file's non-blank lines in order — "
                         f"rebuild it with `rag speeches --review {path} --jsonl`")
    counts: dict[str, int] = {}
    for record, row in zip(gold, rows):
        key = f"{record['label']}/{row.role}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def score_folder(folder: Path) -> list[DocResult]:
    gold_rows = _read_jsonl(folder / "gold_attribution.jsonl")
    line_rows = _read_jsonl(folder / "gold_lines.jsonl")
    meetings = json.loads((folder / "gold_meetings.json").read_text(encoding="utf-8"))
    group = _GROUPS.get(folder.name, folder.name)
    kinds = document_types(folder)
    docs = folder / "docs" if (folder / "docs").is_dir() else folder
    results = []
    for doc, meeting_gold in sorted(meetings.items()):
        path = next(docs.glob(f"{doc}_*.txt"))
        result = score_document(doc, path, [r for r in gold_rows if r["doc"] == doc], meeting_gold, group)
        result.kind = kinds.get(path.name)
        result.part = part(path.name) if kinds else None
        doc_lines = [r for r in line_rows if r["doc"] == doc]
        result.lines = score_lines(path, doc_lines) if doc_lines else {}
        results.append(result)
    return results


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def line_summary(results: list[DocResult]) -> dict[str, Any]:
    """Line roles against gold_lines: accuracy, and precision and recall of each label."""
    counts: dict[str, int] = {}
    for r in results:
        for key, n in r.lines.items():
            counts[key] = counts.get(key, 0) + n
    total = sum(counts.values())
    if not total:
        return {}
    out: dict[str, Any] = {"lines": total, "line_accuracy": _ratio(sum(n for k, n in counts.items()
                                                                      if k.split("/")[0] == k.split("/")[1]), total)}
    for label in LINE_LABELS:
        hit = counts.get(f"{label}/{label}", 0)
        out[f"{label}_line_precision"] = _ratio(hit, sum(n for k, n in counts.items() if k.endswith(f"/{label}")))
        out[f"{label}_line_recall"] = _ratio(hit, sum(n for k, n in counts.items() if k.startswith(f"{label}/")))
    return out


def summarise(results: list[DocResult]) -> dict[str, Any]:
    phrases = sum(r.phrases for r in results)
    predicted = sum(r.predicted for r in results)
    correct = sum(r.correct for r in results)
    return {
        "documents": len(results),
        "speeches": sum(r.speeches for r in results),
        "gold_speakers": sum(r.gold_speakers for r in results),
        "phrases": phrases,
        "speaker_precision": _ratio(correct, predicted),
        "speaker_recall": _ratio(correct, phrases),
        "unit_accuracy": _ratio(sum(r.unit_ok for r in results), phrases),
        "meeting_accuracy": _ratio(sum(r.meeting_ok for r in results), len(results)),
        "date_accuracy": _ratio(sum(r.date_ok for r in results), len(results)),
        **line_summary(results),
    }


def real_summaries(results: list[DocResult]) -> dict[str, dict[str, Any]]:
    """The real documents in all, by part, and by type within each part ("real/report/digest")."""
    real = [r for r in results if r.group == REAL]
    if not real:
        return {}
    out = {REAL: summarise(real)}
    for which in ("tune", "report"):
        in_part = [r for r in real if r.part == which]
        out[f"{REAL}/{which}"] = summarise(in_part)
        for kind in sorted({r.kind or "?" for r in in_part}):
            out[f"{REAL}/{which}/{kind}"] = summarise([r for r in in_part if (r.kind or "?") == kind])
    return out


def run_parse_eval(folders: tuple[Path, ...] = GOLD_DIRS, out: Path | None = None) -> tuple[dict[str, Any], Path]:
    results = [r for folder in folders if (folder / "gold_meetings.json").exists() for r in score_folder(folder)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT).stdout.strip()
    data = {
        "commit": commit,
        "folders": [str(f.relative_to(PROJECT_ROOT)) if f.is_relative_to(PROJECT_ROOT) else str(f) for f in folders],
        "total": summarise([r for r in results if r.group != REAL]),
        **{group: summarise([r for r in results if r.group == group])
           for group in dict.fromkeys(r.group for r in results) if group != REAL},
        **real_summaries(results),
        "documents": [r.__dict__ for r in results],
    }
    path = out or PROJECT_ROOT / "eval" / "results" / f"parse-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return data, path


def table(data: dict[str, Any]) -> str:
    """A plain-text table: one row per document (own variants *, holdout †, holdout2 ‡, real §), then the totals
    (the real documents by part and type last, with the share of lines whose role the parser gets right)."""
    head = f"{'doc':<10}{'speeches':>9}{'named':>6}{'gold':>5}{'P':>7}{'R':>7}{'unit':>6}  meeting date"
    rows = [head]
    for r in data["documents"]:
        p = _ratio(r["correct"], r["predicted"])
        mark = {"own": "*", "holdout": "†", "holdout2": "‡", REAL: "§"}.get(r["group"], "")
        rows.append(f"{r['doc'] + mark:<10}{r['speeches']:>9}{r['named']:>6}{r['gold_speakers']:>5}"
                    f"{p if p is not None else '—':>7}{_ratio(r['correct'], r['phrases']):>7}"
                    f"{_ratio(r['unit_ok'], r['phrases']):>6}  {'✓' if r['meeting_ok'] else '✗'}       "
                    f"{'✓' if r['date_ok'] else '✗'} {r['date'] or '—'}")
    groups = [g for g in dict.fromkeys(r["group"] for r in data["documents"]) if g != REAL]
    for label in [*groups, "total", *(k for k in data if k == REAL or k.startswith(f"{REAL}/"))]:
        s = data[label]
        lines = f"  lines {s['line_accuracy']}" if s.get("line_accuracy") is not None else ""
        rows.append(f"{label:<20}{s['speeches']:>9}{'':>6}{s['gold_speakers']:>5}{s['speaker_precision'] or '—':>7}"
                    f"{s['speaker_recall'] or '—':>7}{s['unit_accuracy'] or '—':>6}  {s['meeting_accuracy']}    "
                    f"{s['date_accuracy']}{lines}  ({s['documents']} docs)")
    return "\n".join(rows)
