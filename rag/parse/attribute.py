"""Which speaker said which paragraphs.

The strongest signal is the unit a body names in its opening ("双石镇紧扣…" belongs to the speaker
whose post names 双石镇); layout order (a body right after, or right before, an unclaimed speaker
line) is only a fallback. A body that matches nobody keeps its unit and an unknown speaker: a
wrong attribution is worse than none.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from rag.parse.layout import Anchor, Block, ends_sentence, is_header_line, is_title_shaped
from rag.parse.speaker import distinctive_name, split_glued_slogan, unit_mention_score, unit_of_post

MATCH_THRESHOLD = 0.5  # at least half of a unit's distinctive name (卫健委 for 卫生健康委) names it
_HEAD = 40  # the opening searched for a unit: the 16-character window plus the longest distinctive name
# A body names its own unit, and its speaker line stands right above or below it: in the seeds and
# the genre documents no unit match is more than one speaker line away. Looking 8 speaker lines
# either way leaves room for bodies whose speaker lines were lost, and keeps the work per paragraph
# constant (scoring every paragraph against every speaker made parsing quadratic in the length).
NEAR_SPEAKERS = 8
_OPENING_MARKS, _CLOSING_MARKS = "【[〖「『《", "】]〗」』》"
_MEETING_INTRO = re.compile(r"召开|举行|以下是|发言摘|摘登|交流发言")
_OPENING_UNIT = re.compile(
    r"^(?:[^，。；]{0,10}[，,])?(?P<unit>(?![全本我各该这两一])(?:[\u4e00-\u9fff]{2,6}?[区县市])?"
    r"[\u4e00-\u9fff]{1,8}?(?:街道|镇|乡|委|局|办|集团|公司|中心))"
)


@dataclass(frozen=True)
class Speaker:
    """An anchor read as a person: name, post (slogan removed), unit and title."""

    name: str
    post: str
    unit: str | None
    title: str | None
    position: int
    distinctive: str
    closes: bool = False  # a sign-off ("——name（post）") below the speech it ends


@dataclass
class Segment:
    blocks: list[Block]
    speaker: Speaker | None = None
    unit: str | None = None
    candidates: dict[int, float] = field(default_factory=dict)  # speakers whose unit the opening names
    under: int | None = None  # the speaker line right above, when nothing else stands between
    reached_second: bool = False  # a block of this body says "二是" (its enumeration has begun)

    def __post_init__(self) -> None:
        self.reached_second = any("二是" in b.text for b in self.blocks)

    def add(self, block: Block) -> None:
        self.blocks.append(block)
        self.reached_second = self.reached_second or "二是" in block.text

    @property
    def position(self) -> int:
        return self.blocks[0].position


def read_speakers(anchors: list[Anchor], home_places: tuple[str, ...]) -> list[Speaker]:
    speakers = []
    for anchor in anchors:
        slogan, post = split_glued_slogan(anchor.speaker.post)
        title = " ".join(part for part in (anchor.title, slogan) if part) or None
        unit = unit_of_post(post)
        speakers.append(Speaker(anchor.speaker.name, post, unit, title, anchor.position,
                                distinctive_name(unit or "", home_places), anchor.closes))
    return speakers


def attribute(blocks: list[Block], speakers: list[Speaker]) -> list[Segment]:
    """Split body blocks (after the meeting's own header text) into speeches and attribute each."""
    positions = [s.position for s in speakers]
    scores = [_scores(block, speakers, positions) for block in blocks]
    start = _body_start(blocks, scores, speakers)
    segments = _segments(blocks[start:], scores[start:], speakers)
    if _reads_forward(segments, speakers):
        segments = _sections(blocks[start:], speakers)
    else:  # bodies stand above their speaker lines here: match them by the units they name, then by layout
        _assign_by_unit(segments, speakers)
        _assign_by_layout(segments, speakers)
    for segment in segments:
        segment.unit = segment.speaker.unit if segment.speaker else _opening_unit(segment.blocks[0].text)
    return segments


def attribute_report(blocks: list[Block], speaker: Speaker | None) -> list[Segment]:
    """A report: everything after its header (after its speaker line, when it has one) is one speech."""
    if speaker is not None and speaker.position >= 0:
        body = [block for block in blocks if block.position > speaker.position]
    else:
        body = blocks[_body_start(blocks, [{} for _ in blocks], []):]
    if not body:
        return []
    segment = Segment(body, speaker=speaker)
    segment.unit = speaker.unit if speaker else _opening_unit(body[0].text)
    return [segment]


def _scores(block: Block, speakers: list[Speaker], positions: list[int]) -> dict[int, float]:
    """Speakers near the block whose unit its opening names, with the strength of the mention."""
    head = block.text[:_HEAD]
    k = bisect.bisect(positions, block.position)
    near = range(max(0, k - NEAR_SPEAKERS), min(len(speakers), k + NEAR_SPEAKERS))
    found = {i: unit_mention_score(head, speakers[i].distinctive) for i in near}
    return {i: score for i, score in found.items() if score >= MATCH_THRESHOLD}


def _body_start(blocks: list[Block], scores: list[dict[int, float]], speakers: list[Speaker]) -> int:
    """Index of the first block that is speech rather than the meeting's own header text.

    Before the first speaker line, speech starts at the first block naming a speaker's unit, or,
    when none does, at the first block that does not read as a headline or meeting notice.
    """
    before = [i for i, block in enumerate(blocks) if not speakers or block.position < speakers[0].position]
    named = next((i for i in before if scores[i] and not is_header_line(blocks[i].text)), None)
    if named is not None:
        return named
    return next((i for i in before if not _is_header_block(blocks[i].text)), len(before))


def _is_header_block(text: str) -> bool:
    return bool(_MEETING_INTRO.search(text)) or is_header_line(text) or (len(text) <= 40 and not ends_sentence(text))


def _segments(blocks: list[Block], scores: list[dict[int, float]], speakers: list[Speaker]) -> list[Segment]:
    multi = len(speakers) >= 2
    titled = multi and 2 * sum(1 for s in speakers if s.title) >= len(speakers)  # speeches here carry titles
    marks = _title_marks(speakers) if titled else set()
    positions = [s.position for s in speakers]
    segments: list[Segment] = []
    previous = -1
    for block, score in zip(blocks, scores):
        current = segments[-1] if segments else None
        between = range(bisect.bisect_right(positions, previous), bisect.bisect_left(positions, block.position))
        starts_new = (
            current is None
            or bool(between)
            or bool(score) and score.keys() != current.candidates.keys() and not _names_its_speaker(current, score)
            or multi and _restarts_enumeration(current, block)
            or _marked_title(block.text, marks)  # a titled speech whose speaker line we could not read
        )
        if starts_new:
            segments.append(Segment([block], candidates=score, under=between[-1] if between else None))
        else:
            current.add(block)
        previous = block.position
    return segments


def _reads_forward(segments: list[Segment], speakers: list[Speaker]) -> bool:
    """Each speaker line opens its speech: no body names the unit of a speaker whose line stands below
    it, and no speaker line is followed straight by another while speech stands above the first."""
    positions = [s.position for s in speakers]
    if segments and speakers and segments[0].position < positions[0]:
        starts = {segment.position for segment in segments} | {b.position for segment in segments for b in segment.blocks}
        if any(not any(a < p < b for p in starts) for a, b in zip(positions, positions[1:])):
            return False
    for segment in segments:
        if segment.candidates:
            best = max(segment.candidates, key=lambda i: segment.candidates[i])
            if speakers[best].position > segment.position:
                return False
    return True


def _sections(blocks: list[Block], speakers: list[Speaker]) -> list[Segment]:
    """A speaker's section runs from the speaker line to the next one, sub-headings and all; a
    sign-off line ("——name（post）") closes the section above it instead. Only a title set like the
    document's speech titles (a speech whose speaker line was lost) opens a section without a
    speaker. Blocks before the first speaker line have none."""
    positions = [s.position for s in speakers]
    titled = len(speakers) >= 2 and 2 * sum(1 for s in speakers if s.title) >= len(speakers)
    marks = _title_marks(speakers) if titled else set()
    segments: list[Segment] = []
    lost_from = None  # the position of a title whose speaker line is missing
    for block in blocks:
        k = bisect.bisect_left(positions, block.position)
        after = speakers[k] if k < len(speakers) else None
        before = speakers[k - 1] if k > 0 else None
        owner = after if after and after.closes else before if before and not before.closes else None
        if _marked_title(block.text, marks):
            lost_from = block.position
        if lost_from is not None and (before is None or before.position < lost_from):
            owner = None
        current = segments[-1] if segments else None
        if current is None or current.speaker is not owner or lost_from == block.position:
            segments.append(Segment([block], speaker=owner))
        else:
            current.add(block)
    return segments


def _title_marks(speakers: list[Speaker]) -> set[tuple[str, str]]:
    """The brackets this document's speech titles are set in ("【…】"), when most titles have the same."""
    marks = [(t[0], t[-1]) for s in speakers if (t := s.title) and t[0] in _OPENING_MARKS and t[-1] in _CLOSING_MARKS]
    common = max(set(marks), key=marks.count) if marks else None
    return {common} if common and 2 * marks.count(common) >= len(speakers) else set()


def _marked_title(text: str, marks: set[tuple[str, str]]) -> bool:
    """A title-shaped block set in the brackets of the document's speech titles: a speech whose speaker
    line was lost. A plain sub-heading ("一、聚焦主责主业", "坚持系统观念") stays in the speech it
    stands in: a speaker's section runs until the next speaker line.

    >>> _marked_title("【让数据多跑路】", {("【", "】")}), _marked_title("坚持系统观念", {("【", "】")})
    (True, False)
    """
    return bool(text) and (text[0], text[-1]) in marks and is_title_shaped(text)


def _names_its_speaker(current: Segment, score: dict[int, float]) -> bool:
    """An opening without a unit ("我们坚持…") right under a speaker line, then a paragraph naming
    that speaker's unit: both are that speaker's body."""
    return not current.candidates and current.under is not None and current.under in score


def _restarts_enumeration(current: Segment, block: Block) -> bool:
    """ "一是…" again after the current body already reached "二是": a new speech begins."""
    return current.reached_second and "一是" in block.text and not re.match(r"^[（(]?[二三四五六七八九十]", block.text)


def _assign_by_unit(segments: list[Segment], speakers: list[Speaker]) -> None:
    claims: dict[int, list[Segment]] = {}
    for segment in segments:
        if segment.candidates:
            best = max(segment.candidates,
                       key=lambda i: (segment.candidates[i], -abs(speakers[i].position - segment.position)))
            claims.setdefault(best, []).append(segment)
    for index, claimants in claims.items():
        nearest = min(claimants, key=lambda seg: abs(speakers[index].position - seg.position))
        nearest.speaker = speakers[index]


def _assign_by_layout(segments: list[Segment], speakers: list[Speaker]) -> None:
    """Give an unclaimed body to an adjacent unclaimed speaker line, in the document's usual order."""
    claimed = {s.speaker.position for s in segments if s.speaker}
    after = sum(1 for s in segments if s.speaker and s.speaker.position < s.position)
    before = sum(1 for s in segments if s.speaker and s.speaker.position > s.position)
    # -1: the speaker line just above the body; +1: the one just below it.
    offsets = (-1,) if after > before else (1,) if before > after else (-1, 1)
    timeline: list[Segment | Speaker] = sorted([*segments, *speakers], key=lambda item: item.position)
    for k, item in enumerate(timeline):
        if not isinstance(item, Segment) or item.speaker or item.candidates:
            continue
        for offset in offsets:
            neighbour = timeline[k + offset] if 0 <= k + offset < len(timeline) else None
            if isinstance(neighbour, Speaker) and neighbour.position not in claimed:
                item.speaker = neighbour
                claimed.add(neighbour.position)
                break


def _opening_unit(text: str) -> str | None:
    match = _OPENING_UNIT.match(text)
    return match.group("unit") if match else None
