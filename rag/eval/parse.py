"""`rag eval --parse`: the parser against hand-written gold, per document and in total.

A gold folder holds raw documents named `<doc>_<anything>.txt`, `gold_attribution.jsonl`
(`{"doc", "phrase", "speaker", "unit"}`: the phrase sits in one speech's body, said by that
speaker) and `gold_meetings.json` (`{doc: {"must": [words the meeting name holds], "date"}}`).

Speaker precision counts only phrases the parser gave a name to (a wrong name is worse than
none); recall counts every gold phrase. A date is right when it equals the gold date, or, where
the text gives no meeting date (gold null), when it is null or the publication date.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT
from rag.parse import load_file
from rag.parse.normalize import normalize_chars
from rag.records import Speech

# genre: real documents (../shared/genre); genre_own: our variants, written while the rules were
# made; genre_holdout, genre_holdout2: variants written afterwards and first scored with the rules
# frozen (each folder's README says what changed after that first score).
# real_parse: real documents of the genre (eval/real_parse/SOURCES.tsv: each one's type and part,
# tune or report by a seeded hash); its groups are "real:tune" and "real:report".
GOLD_DIRS = tuple(PROJECT_ROOT / "eval" / name
                  for name in ("genre", "genre_own", "genre_holdout", "genre_holdout2", "real_parse"))
_GROUPS = {"genre": "shared", "genre_own": "own", "genre_holdout": "holdout", "genre_holdout2": "holdout2"}
_UNIT_END = re.compile(r"(?:委员会|中心|学院|委|局|办|院|部|所|处|室|厅|会|社)$")
_DATE_IN_TEXT = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


@dataclass
class DocResult:
    doc: str
    source: str
    group: str  # shared, own, holdout, holdout2, real:tune or real:report (see GOLD_DIRS)
    kind: str  # the document's type in SOURCES.tsv (digest, profile, report, local), or ""
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


def score_document(doc: str, path: Path, gold: list[dict[str, Any]], meeting_gold: dict[str, Any], group: str,
                   kind: str = "") -> DocResult:
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
        doc=doc, source=path.name, group=group, kind=kind, speeches=len(speeches), named=sum(1 for s in speeches if s.speaker),
        gold_speakers=len({row["speaker"] for row in gold}), phrases=len(gold), predicted=predicted,
        correct=correct, unit_ok=unit_ok, meeting_ok=all(word in name for word in meeting_gold.get("must", [])),
        date_ok=date_ok, meeting=first.meeting.name, date=date, gold_date=gold_date, errors=errors,
    )


def score_folder(folder: Path) -> list[DocResult]:
    gold_rows = [json.loads(line) for line in (folder / "gold_attribution.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    meetings = json.loads((folder / "gold_meetings.json").read_text(encoding="utf-8"))
    sources = _sources(folder)
    docs = folder / "docs" if (folder / "docs").is_dir() else folder
    results = []
    for doc, meeting_gold in sorted(meetings.items()):
        path = next(docs.glob(f"{doc}_*.txt"), None) or next(docs.glob(f"{doc}.txt"))
        row = sources.get(doc, {})
        group = f"real:{row['part']}" if row.get("part") else _GROUPS.get(folder.name, folder.name)
        results.append(score_document(doc, path, [r for r in gold_rows if r["doc"] == doc], meeting_gold, group,
                                      row.get("type", "")))
    return results


def _sources(folder: Path) -> dict[str, dict[str, str]]:
    """SOURCES.tsv rows by document (the file name's part before its first "_")."""
    path = folder / "SOURCES.tsv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))
    return {(row.get("doc") or row["file"].split("_")[0].removesuffix(".txt")): row for row in rows if row.get("file")}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


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
    }


def run_parse_eval(folders: tuple[Path, ...] = GOLD_DIRS, out: Path | None = None) -> tuple[dict[str, Any], Path]:
    results = [r for folder in folders if (folder / "gold_meetings.json").exists() for r in score_folder(folder)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT).stdout.strip()
    data = {
        "commit": commit,
        "folders": [str(f.relative_to(PROJECT_ROOT)) if f.is_relative_to(PROJECT_ROOT) else str(f) for f in folders],
        "total": summarise(results),
        **{group: summarise([r for r in results if r.group == group]) for group in dict.fromkeys(r.group for r in results)},
        **{f"{group}/{kind}": summarise([r for r in results if r.group == group and r.kind == kind])
           for group, kind in dict.fromkeys((r.group, r.kind) for r in results if r.kind)},
        "documents": [r.__dict__ for r in results],
    }
    path = out or PROJECT_ROOT / "eval" / "results" / f"parse-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return data, path


def table(data: dict[str, Any]) -> str:
    """A plain-text table: one row per document (own variants *, holdout †, holdout2 ‡), then the totals."""
    head = f"{'doc':<22}{'speeches':>9}{'named':>6}{'gold':>5}{'P':>7}{'R':>7}{'unit':>6}  meeting date"
    rows = [head]
    for r in data["documents"]:
        p = _ratio(r["correct"], r["predicted"])
        mark = {"own": "*", "holdout": "†", "holdout2": "‡"}.get(r["group"], "")
        rows.append(f"{r['doc'] + mark:<22}{r['speeches']:>9}{r['named']:>6}{r['gold_speakers']:>5}"
                    f"{p if p is not None else '—':>7}{_ratio(r['correct'], r['phrases']):>7}"
                    f"{_ratio(r['unit_ok'], r['phrases']):>6}  {'✓' if r['meeting_ok'] else '✗'}       "
                    f"{'✓' if r['date_ok'] else '✗'} {r['date'] or '—'}")
    kinds = [f"{r['group']}/{r['kind']}" for r in data["documents"] if r.get("kind")]
    for label in [*dict.fromkeys(r["group"] for r in data["documents"]), *sorted(set(kinds)), "total"]:
        s = data[label]
        rows.append(f"{label:<22}{s['speeches']:>9}{'':>6}{s['gold_speakers']:>5}{s['speaker_precision'] or '—':>7}"
                    f"{s['speaker_recall'] or '—':>7}{s['unit_accuracy'] or '—':>6}  {s['meeting_accuracy']}    {s['date_accuracy']}")
    return "\n".join(rows)
