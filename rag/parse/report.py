"""Work reports (政府工作报告 and the like): one long speech by the official who delivers it.

A report names its speaker either in its header (a subtitle "——…在…人民代表大会…会议上" and a
speaker line "重庆市人民政府市长 胡衡华") or, in a news story about it, in running text
("国务院总理李克强22日在作政府工作报告时说"). Either way the whole body is that one speech:
a report's sections never change the speaker.
"""

from __future__ import annotations

import re

from rag.parse.layout import Block, ends_sentence
from rag.parse.meeting import NEWS_DATELINE
from rag.parse.speaker import SpeakerLine, running_speaker
from rag.zh import FULL_STOPS

_REPORT_TITLE = re.compile(r"工作报告|^——.{0,20}在.{2,40}(?:人民代表大会|人代会).{0,24}上")
_DELIVERS_REPORT = re.compile(r"作[^，。；]{0,12}报告|报告工作|作关于[^，。；]{0,60}的说明")
_LEAD_BLOCKS = 3  # a news story names the reporting official in its lead, the first few paragraphs


def is_report_header(header_lines: list[str]) -> bool:
    """A headline or subtitle (not a sentence) that announces a report.

    >>> is_report_header(["2026年某市政府工作报告", "——2026年1月28日在某市第六届人民代表大会第四次会议上"])
    True
    >>> is_report_header(["代表们认为，政府工作报告实事求是。"])
    False
    """
    return any(_REPORT_TITLE.search(line) and not ends_sentence(line) for line in header_lines)


def reporter_in_lead(blocks: list[Block]) -> SpeakerLine | None:
    """The official a news story's lead says delivered the report.

    >>> reporter_in_lead([Block("新华社北京3月5日电 国务院总理李克强5日在会上作政府工作报告时说，今年……", 0, 9, 0)])
    SpeakerLine(post='国务院总理', name='李克强')
    """
    for block in blocks[:_LEAD_BLOCKS]:
        for sentence in re.split(f"(?<=[{FULL_STOPS}])", NEWS_DATELINE.sub("", block.text)):
            found = running_speaker(sentence) if _DELIVERS_REPORT.search(sentence) else None
            if found:
                return found
    return None
