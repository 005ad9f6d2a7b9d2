"""Each non-blank line of a document with the role the parser gives it, for labellers to correct.

The roles are the line labels of the gold files (eval/real_parse/gold_lines.jsonl):
- speaker: a line the parser reads as naming who speaks (an anchor, or the head of a run-in line);
- heading: a speech title above an anchor, or text the parser keeps out of every speech (headline, intro);
- body: a line inside a paragraph that belongs to a speech;
- noise: a line the parser drops (noise rules, table of contents, the publication line).
Lines are numbered as the gold files number them: `i` among the non-blank lines of the front-door text.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from rag.parse.layout import Line
from rag.parse.parser import Reading, read_document

ROLES = ("speaker", "heading", "body", "noise")
_RANK = {role: rank for rank, role in enumerate(reversed(ROLES))}  # a line holding a speaker head is a speaker line


@dataclass(frozen=True)
class LineRole:
    i: int  # index among the non-blank lines
    line: int  # physical line number in the front-door text
    text: str  # the line, stripped
    role: str  # one of ROLES
    name: str | None = None  # speaker lines: the name read
    post: str | None = None  # speaker lines: the post read

    def record(self, doc: str, file: str) -> dict[str, object]:
        """The gold_lines.jsonl record this line pre-fills."""
        row: dict[str, object] = {"doc": doc, "file": file, "i": self.i, "line": self.line, "text": self.text,
                                  "label": self.role}
        if self.role == "speaker":
            row.update(name=self.name, post=self.post)
        return row


def line_roles(text: str) -> list[LineRole]:
    """The parser's role for every non-blank physical line of a decoded document.

    >>> [(r.i, r.role, r.name) for r in line_roles("座谈会发言摘编\\n\\n某市农业局局长 王一平\\n我们坚持抓好春耕。\\n")]
    [(0, 'heading', None), (1, 'speaker', '王一平'), (2, 'body', None)]
    """
    reading = read_document(text)
    physical = reading.door.text.split("\n")
    starts = [0]
    for piece in physical:
        starts.append(starts[-1] + len(piece) + 1)
    roles: dict[int, tuple[str, str | None, str | None]] = {}
    for line, role, name, post in _logical_roles(reading):
        for number in _physical_lines(line, starts):
            if number not in roles or _RANK[role] > _RANK[roles[number][0]]:
                roles[number] = (role, name, post)
    rows = []
    for number, piece in enumerate(physical):
        if piece.strip():
            role, name, post = roles.get(number, ("noise", None, None))
            rows.append(LineRole(len(rows), number, piece.strip(), role, name, post))
    return rows


def _logical_roles(reading: Reading) -> list[tuple[Line, str, str | None, str | None]]:
    """Each cleaned line of the layout with its role (and the name and post of a speaker line)."""
    layout = reading.layout
    anchors = {a.position: a for a in layout.anchors}
    titles = {i for a in layout.anchors for i in a.consumed}
    in_speech = {(b.start, b.end) for segment in reading.segments for b in segment.blocks}
    spans = sorted((b.start, b.end) for b in layout.blocks)
    span_starts = [span[0] for span in spans]
    out = []
    for i, line in enumerate(layout.lines):
        if i in anchors:
            out.append((line, "speaker", anchors[i].speaker.name, anchors[i].speaker.post))
        elif i in titles:
            out.append((line, "heading", None, None))
        else:
            k = bisect_right(span_starts, line.start) - 1
            block = spans[k] if k >= 0 else None
            out.append((line, "body" if block in in_speech else "heading", None, None))
    return out


def _physical_lines(line: Line, starts: list[int]) -> range:
    """Physical line numbers a cleaned line covers (a post broken over two lines covers both)."""
    first = _line_at(line.start, starts)
    return range(first, _line_at(max(line.end - 1, line.start), starts) + 1)


def _line_at(offset: int, starts: list[int]) -> int:
    return bisect_right(starts, offset) - 1
