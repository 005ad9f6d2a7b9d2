"""Line labels derived from the rule-based parser, for documents whose attribution gold it meets.

`python -m bench.derive_line_labels` — run with the rule-based parser of commit 435153a on
PYTHONPATH (the last one without the line model). Writes `gold_lines.jsonl` into each folder of
eval/genre* and into seeds_lines/ for the seeds: one record per non-blank physical line after
`front_door` (`{"doc", "i", "text", "label"}`, `i` the line's number in the front-door text),
labelled speaker (an anchor line or a run-in head), heading (a speech title, a headline, a numbered
or title-shaped section heading), noise (dropped by the noise rules, the publication line, a table
of contents) or body. The parser scores 1.0 on these documents' attribution gold, so the labels it
implies are taken as a starting point, then read and corrected by hand where noted in the folder's
README. They are tune data only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rag.parse.layout import _ENUMERATOR, _MID_PUNCT, _MAX_HEADING, is_title_shaped, read_layout
from rag.parse.normalize import front_door
from rag.zh import SENTENCE_ENDS

ROOT = Path(__file__).resolve().parent.parent


def derive(raw: str, doc: str) -> list[dict]:
    door = front_door(raw)
    layout = read_layout(door.text)

    def number(offset: int) -> int:
        return door.text.count("\n", 0, offset)

    physical = door.text.split("\n")
    alone = {(b.start, b.end) for b in layout.blocks}  # a line the layout kept as a paragraph of its own
    labels: dict[int, str] = {}
    for line in layout.lines:
        text = line.text
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", text):
            labels.setdefault(number(line.start), "noise")  # a stray bracket left by page chrome
            continue
        heading = (line.start, line.end) in alone and not re.search(f"[{SENTENCE_ENDS}]", text) and (is_title_shaped(text) or text.startswith("——")
                   or (_ENUMERATOR.match(text) and len(text) <= _MAX_HEADING
                       and not _MID_PUNCT.search(_ENUMERATOR.sub("", text))))
        labels.setdefault(number(line.start), "heading" if heading else "body")
    for anchor in layout.anchors:
        for k in range(number(anchor.line.start), number(max(anchor.line.end - 1, anchor.line.start)) + 1):
            labels[k] = "speaker"
        for j in anchor.consumed:
            labels[number(layout.lines[j].start)] = "heading"
    return [{"doc": doc, "i": i, "text": text.strip(), "label": labels.get(i, "noise")}
            for i, text in enumerate(physical) if text.strip()]


def main() -> None:
    targets = [(folder, sorted(folder.glob("*_*.txt"))) for folder in sorted((ROOT / "eval").glob("genre*"))]
    targets.append((ROOT / "eval" / "seeds_lines", sorted((ROOT / "seeds").glob("*.txt"))))
    for folder, files in targets:
        folder.mkdir(exist_ok=True)
        rows = [row for path in files for row in derive(path.read_text(encoding="utf-8"), path.stem.split("_")[0])]
        with (folder / "gold_lines.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(folder.name, len(rows), {k: sum(r["label"] == k for r in rows) for k in ("speaker", "heading", "body", "noise")})


if __name__ == "__main__":
    main()
