"""What the line model sees of each physical line: its shape, its words and its neighbours.

Every feature is a number in [0, 1]. The shape rules of speaker.py, layout.py and noise.py enter as
booleans; jieba's dictionary says whether the line's last or first characters are a known person
(nr) or place (ns); the rest is punctuation, brackets, length, blank lines and what the lines
above and below look like. No feature names a word of any document: a speaker line whose post no
list holds ("冯远征（北京人民艺术剧院演员）") is carried by its shape and its place among the lines.

Jieba is consulted by dictionary look-up only (no part-of-speech cut, which costs ~5 ms a line), so
features stay linear and cheap: 5 MB of text has ~100k lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from rag.parse import noise
from rag.parse.layout import ends_sentence, is_header_line, is_numbered_heading, is_title_shaped
from rag.parse.lines import PhysicalLine
from rag.parse.meeting import parse_publication
from rag.parse.names import has_surname
from rag.parse.speaker import (
    ROLES, bracketed_post, is_name_only, is_post_only, parse_speaker_line, parse_unlisted_post_line, run_in_head,
    speaker_head, split_speaker_line,
)
from rag.zh import COLONS, SENTENCE_ENDS, segmenter

_SHORT = 70  # longer lines are prose: their shape features are all false (the longest speaker line: 31)
_LENGTH_BINS = (3, 8, 15, 25, 40, 70)
_ORGANISATION = re.compile(r"大学|学院|学校|医院|公司|集团|协会|委员会|中心|研究院|[部委局厅办院所馆社报台站队厂村镇乡县市省区州]")
_ROLE = re.compile(ROLES)
_OPEN_BRACKETS = "【[〖「『《"
_SENTENCE_INSIDE = re.compile(f"[{SENTENCE_ENDS}]")
_SENTENCE_PUNCT = re.compile(f"[{SENTENCE_ENDS}{COLONS}]")
_NAME_COLON = re.compile(r"^([\u4e00-\u9fff]{2,3})[：:]")
_MID = re.compile(r"[，、；,;]")

# Features of one line alone, in order; NEIGHBOUR_BASE of them are repeated for the lines above and below.
OWN = (
    "listed_post_name",  # parse_speaker_line: a listed post word, then a name
    "unlisted_post_name",  # parse_unlisted_post_line: an organisation, a space, a surname-led name
    "bracketed_post",  # name（anything）
    "shape_split",  # split_speaker_line finds a post and a name by shape
    "run_in_head",  # "post name：" opening the line's text
    "name_colon_head",  # a surname-led name and a colon open the line (a turn in a conversation: "吕某：…")
    "reported_speaker",  # "post name表示，…": a named speaker and a verb of saying open the line
    "post_only", "name_only",
    "post_word",  # a listed post word occurs anywhere
    "organisation",
    "tail_surname_name",  # the last 2 or 3 characters (spaces removed) start with a surname
    "tail_nr",  # jieba's dictionary knows the last 2–4 characters as a person
    "head_nr",  # … the first 2–4 characters
    "head_ns",  # … the first 2–3 characters as a place
    "tail_common_word",  # the last 2–3 characters are a frequent non-name word
    "spaced_tail",  # a space sets the last 2–4 characters off
    "noise_rule", "toc_rule", "publication", "credit",
    "ends_dash",  # "…代表——": a deputy's entry in a digest, or a profile's name line
    "speaker_then_dash",  # a post and name, or a name, read by shape, then a dash ("许某代表——")
    "title_shaped", "numbered_heading", "header_words", "dash_lead", "bracketed", "quote",
    "ends_sentence", "ends_colon", "sentence_inside", "mid_punct", "has_digit", "has_space",
    *(f"len<={n}" for n in _LENGTH_BINS), f"len>{_LENGTH_BINS[-1]}",
    "blank_before", "blank_after", "first_line", "in_first_3", "last_line", "front_matter",
)
NEIGHBOUR_BASE = ("listed_post_name", "bracketed_post", "shape_split", "name_only", "post_only", "title_shaped",
                  "numbered_heading", "ends_sentence", f"len>{_LENGTH_BINS[-1]}", "noise_rule", "tail_nr")
FEATURES = (*OWN, *(f"prev:{f}" for f in NEIGHBOUR_BASE), *(f"next:{f}" for f in NEIGHBOUR_BASE),
            "prev2:listed_post_name", "next2:ends_sentence", "joins_prev", "joins_next", "rules_speaker")
_INDEX = {name: k for k, name in enumerate(OWN)}


def _known(word: str, prefix: str) -> bool:
    tag = segmenter().tag(word)
    return tag is not None and tag.startswith(prefix)


@lru_cache(maxsize=4096)
def _own(text: str) -> tuple[float, ...]:
    # A line with sentence punctuation (a colon at its end aside) has none of the speaker-line shapes.
    short = len(text) <= _SHORT
    shaped = short and not _SENTENCE_PUNCT.search(text.rstrip("：: "))
    bare = text.replace(" ", "")
    tails = [bare[-k:] for k in (2, 3, 4) if len(bare) > k]
    heads = [bare[:k] for k in (2, 3, 4) if len(bare) >= k]
    values = [
        shaped and parse_speaker_line(text) is not None,
        shaped and parse_unlisted_post_line(text) is not None,
        shaped and bracketed_post(text) is not None,
        shaped and split_speaker_line(text) is not None,
        run_in_head(text) is not None,
        bool((m := _NAME_COLON.match(text)) and has_surname(m.group(1))),
        bool((head := speaker_head(text)) and head.colon is None),
        shaped and is_post_only(text),
        shaped and is_name_only(text),
        short and bool(_ROLE.search(text)),
        short and bool(_ORGANISATION.search(text)),
        short and any(has_surname(t) for t in tails[:2]),
        short and any(_known(t, "nr") for t in tails),
        any(_known(h, "nr") for h in heads),
        short and any(_known(h, "ns") for h in heads[:2]),
        short and any(segmenter().frequency(t) >= 200 and not _known(t, "nr") for t in tails[:2]),
        short and bool(re.search(r" [\u4e00-\u9fff](?: {0,3}[\u4e00-\u9fff]){1,3}$", text)),
        noise.is_noise_line(text), noise.is_toc_line(text), short and parse_publication(text) is not None,
        short and noise.is_credit(text), text.endswith(("——", "—")),
        shaped and text.endswith("—") and split_speaker_line(text) is not None,
        is_title_shaped(text), is_numbered_heading(text), short and is_header_line(text), text.startswith("——"),
        bool(text) and text[0] in _OPEN_BRACKETS and text[-1] in "】]〗」』》", "“" in text,
        ends_sentence(text), text.endswith(("：", ":")), bool(_SENTENCE_INSIDE.search(text[:-1])),
        bool(_MID.search(text)), any(c.isdigit() for c in text), " " in text,
    ]
    low = 0
    for high in _LENGTH_BINS:
        values.append(low < len(text) <= high)
        low = high
    values.append(len(text) > _LENGTH_BINS[-1])
    return tuple(float(v) for v in values)


def feature_matrix(lines: Sequence[PhysicalLine]) -> np.ndarray:
    """One row of FEATURES per line (n × len(FEATURES), float32)."""
    n = len(lines)
    own = [_own(line.text) for line in lines]
    front = noise.front_matter_span([line.text for line in lines])
    pick = [_INDEX[name] for name in NEIGHBOUR_BASE]
    rows = []
    for i, line in enumerate(lines):
        values = [*own[i], float(line.blank_before), float(line.blank_after), float(i == 0), float(i < 3),
                           float(i == n - 1), float(i in front)]
        prev = own[i - 1] if i > 0 else None
        after = own[i + 1] if i + 1 < n else None
        values += [prev[k] if prev else 0.0 for k in pick] + [after[k] if after else 0.0 for k in pick]
        values.append(own[i - 2][_INDEX["listed_post_name"]] if i > 1 else 0.0)
        values.append(own[i + 2][_INDEX["ends_sentence"]] if i + 2 < n else 0.0)
        values.append(float(i > 0 and _joins(lines[i - 1].text, line.text)))
        values.append(float(i + 1 < n and _joins(line.text, lines[i + 1].text)))
        values.append(float(_rules_speaker(own, i)))
        rows.append(values)
    return np.asarray(rows, dtype=np.float32).reshape(n, len(FEATURES))


def _joins(first: str, second: str) -> bool:
    """Two lines that make one speaker line: a post broken after 、/，, or a name line and a post line
    in either order (what layout.join_broken_posts joins)."""
    broken = first.endswith(("、", "，")) and len(first) <= 50
    paired = (is_name_only(first) and is_post_only(second)) or (is_post_only(first) and is_name_only(second))
    return (broken or paired) and parse_speaker_line(first + ("" if broken else " ") + second) is not None


def _rules_speaker(own: list[list[float]], i: int) -> bool:
    """The rules before the line model: a listed post and name, a run-in head, or an unlisted post
    line under a title and over a body (layout.find_anchors of commit 435153a)."""
    line = own[i]
    if line[_INDEX["listed_post_name"]] or line[_INDEX["run_in_head"]]:
        return True
    if not line[_INDEX["unlisted_post_name"]] or i == 0 or i + 1 >= len(own):
        return False
    above, below = own[i - 1], own[i + 1]
    return bool(above[_INDEX["title_shaped"]] and (below[_INDEX["ends_sentence"]] or below[_INDEX[f"len>{_LENGTH_BINS[-1]}"]]))


def rules_label(lines: Sequence[PhysicalLine]) -> list[str]:
    """The label the rules before the line model imply: speaker, noise, heading or body (for comparison)."""
    own = [_own(line.text) for line in lines]
    labels = []
    for i, values in enumerate(own):
        if values[_INDEX["noise_rule"]] or values[_INDEX["toc_rule"]] or values[_INDEX["publication"]]:
            labels.append("noise")
        elif _rules_speaker(own, i):
            labels.append("speaker")
        elif values[_INDEX["title_shaped"]] or values[_INDEX["numbered_heading"]] or values[_INDEX["dash_lead"]]:
            labels.append("heading")
        else:
            labels.append("body")
    return labels
