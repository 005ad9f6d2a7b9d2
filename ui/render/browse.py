"""Pure HTML rendering for the similar-initiatives, corpus-browser and upload screens (all text escaped)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.labels import UNKNOWN_DATE, UNKNOWN_MEETING, UNKNOWN_POST, UNKNOWN_SPEAKER, cell
from rag.records import Hit, Meeting, Speech
from rag.retrieve.similar import SimilarResult
from ui.render.cards import Numbering, esc, esc_multiline, meta_line, passage_card
from rag.library import MeetingRow, NameFlag

LEVELS = {"市": "市级", "区": "区县级"}
_PUB_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def date_label(meeting: Meeting) -> str:
    """The meeting date, or — when the only date the text gives is the newspaper's — labelled as the
    publication date, never passed off as the meeting's."""
    pub = _PUB_DATE.search(meeting.publication or "")
    pub_date = f"{pub.group(1)}-{int(pub.group(2)):02d}-{int(pub.group(3)):02d}" if pub else None
    if meeting.date and meeting.date == pub_date:
        return f"刊发日期 {meeting.date}"
    return meeting.date or UNKNOWN_DATE


def render_similar(result: SimilarResult | None, number: Numbering | None = None, terms: Sequence[str] = ()) -> str:
    """Hits grouped by unit, each with its meeting and place; the topic's `terms` marked in the text."""
    if result is None:
        return '<div class="zy-similar zy-empty">输入主题，或在问答页的引用段落上点“找相似”。</div>'
    head = ""
    if result.origin is not None:
        head = (
            '<div class="zy-origin"><div class="zy-note">与此段落相似（已排除同一讲话、同一单位和讲话人）：</div>'
            f'<div class="zy-src-head">{meta_line(result.origin)}</div>'
            f'<div class="zy-src-text">{esc_multiline(result.origin.text)}</div></div>'
        )
    else:
        head = f'<div class="zy-note">主题：{esc(result.query)}</div>'
    if not result.hits:
        return f'<div class="zy-similar">{head}<div class="zy-note">没有找到其他单位的相似段落。</div></div>'
    groups = []
    for unit, hits in result.groups().items():
        cards = "".join(passage_card(h, number, terms) for h in hits)
        groups.append(
            f'<section class="zy-unit"><h4>{esc(unit)} <small>{len(hits)} 段</small></h4>{cards}</section>'
        )
    return f'<div class="zy-similar">{head}{"".join(groups)}</div>'


def render_compare(topic: str, sides: Sequence[tuple[str, Sequence[Hit]]], number: Numbering | None = None,
                   terms: Sequence[str] = ()) -> str:
    """Two (or more) units' passages on one topic in columns, each attributed and placed; a unit with none says so."""
    columns = []
    for unit, hits in sides:
        cards = "".join(passage_card(h, number, terms) for h in hits) or (
            f'<div class="zy-note">没有找到{esc(unit)}谈“{esc(topic)}”的段落。</div>')
        columns.append(f'<section class="zy-cmp-side"><h4>{esc(unit)} <small>{len(hits)} 段</small></h4>{cards}</section>')
    return f'<div class="zy-compare"><div class="zy-note">主题：{esc(topic)}</div><div class="zy-cmp-cols">{"".join(columns)}</div></div>'


def render_overview(result: SimilarResult | None) -> str:
    """Compact unit × meeting table of where the topic appears (counts of close paragraphs).

    Columns are numbered meetings (①②…, oldest first) with a legend, so the table stays narrow.
    """
    if result is None or not result.hits:
        return ""
    units, meetings, counts = result.overview()
    header = "".join(
        f'<th title="{esc(name)}">{_circled(i)}</th>' for i, (name, _) in enumerate(meetings)
    )
    rows = []
    for unit in units:
        cells = "".join(
            f'<td class="{"zy-hot" if counts.get((unit, name)) else ""}">{counts.get((unit, name), "") or ""}</td>'
            for name, _ in meetings
        )
        rows.append(f"<tr><th>{esc(unit)}</th>{cells}</tr>")
    legend = "".join(
        f"<li>{_circled(i)} {esc(date or UNKNOWN_DATE)} {esc(name)}</li>" for i, (name, date) in enumerate(meetings)
    )
    return (
        '<div class="zy-overview"><div class="zy-note">话题分布：单位 × 会议（最相近段落数）</div>'
        f'<table><thead><tr><th>单位</th>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<ul class="zy-legend">{legend}</ul></div>'
    )


def _circled(i: int) -> str:
    """`_circled(0)` → '①'; past ⑳ plain numbers."""
    return chr(0x2460 + i) if i < 20 else str(i + 1)


def speech_label(speech: Speech) -> str:
    """Dropdown label for a speech: speaker · post — title."""
    who = speech.speaker or cell(UNKNOWN_SPEAKER)
    post = f" · {speech.speaker_title or speech.unit}" if (speech.speaker_title or speech.unit) else ""
    title = f" — {speech.title}" if speech.title else ""
    return f"{who}{post}{title}"


def render_library_overview(rows: Sequence[MeetingRow], speeches: int, speakers: int, units: int,
                            flags: Sequence[NameFlag]) -> str:
    """Meetings by date and level with counts; a row opens the meeting (data-meeting, see LIBRARY_JS)."""
    if not rows:
        return '<div class="zy-note">资料库是空的：在“上传”页加入讲话稿。</div>'
    body = "".join(
        f'<tr class="zy-row" tabindex="0" role="button" data-meeting="{esc(r.name)}" aria-label="打开会议 {esc(r.name)}">'
        f"<td>{esc(_row_date(r))}</td><td>{esc(LEVELS.get(r.level or '', '—'))}</td><td>{esc(r.name)}</td>"
        f"<td>{r.speeches}</td><td>{r.speakers}</td></tr>"
        for r in rows
    )
    notes = "".join(
        f'<li>“{esc(f.names[0])}”与“{esc(f.names[1])}”只差一个字，同属{esc(f.unit)}、同一会议系列'
        f"（{esc(f.series)}），可能是同一人（未合并，请核对原文）。</li>"
        for f in flags
    )
    flagged = f'<div class="zy-warning"><b>可能同一人：</b><ul>{notes}</ul></div>' if notes else ""
    return (
        f'<div class="zy-lib-overview"><div class="zy-stats"><span><b>{len(rows)}</b> 次会议</span>'
        f"<span><b>{speeches}</b> 篇讲话</span><span><b>{speakers}</b> 位讲话人</span>"
        f"<span><b>{units}</b> 个单位</span></div>{flagged}"
        '<table class="zy-table zy-clickable"><thead><tr><th>日期</th><th>级别</th><th>会议</th><th>讲话</th>'
        f"<th>讲话人</th></tr></thead><tbody>{body}</tbody></table>"
        '<div class="zy-note">点击一行查看该会议的讲话。</div></div>'
    )


def _row_date(row: MeetingRow) -> str:
    return date_label(Meeting(row.name, row.level, row.date, row.publication))


def render_meeting(name: str | None, speeches: Sequence[Speech]) -> str:
    """A meeting's speeches as a table (speaker, post, unit, title, paragraphs); a row opens the speech."""
    if not name:
        return ""
    meeting = next((s.meeting for s in speeches if s.meeting.date), speeches[0].meeting if speeches else None)
    when = date_label(meeting) if meeting else UNKNOWN_DATE
    pub = f" · 刊载：{esc(meeting.publication)}" if meeting and meeting.publication else ""
    rows = "".join(
        f'<tr class="zy-row" tabindex="0" role="button" data-speech="{esc(s.speech_id)}" '
        f'aria-label="打开讲话 {esc(s.speaker or "")}">'
        f"<td>{i + 1}</td><td>{esc(s.speaker or cell(UNKNOWN_SPEAKER))}</td><td>{esc(s.speaker_title or '—')}</td>"
        f"<td>{esc(s.unit or '—')}</td><td>{esc(s.title or '—')}</td><td>{len(s.paragraphs)}</td></tr>"
        for i, s in enumerate(speeches)
    )
    return (
        f'<div class="zy-meeting"><div class="zy-note">{esc(name)} · {esc(when)}{pub} · '
        f"{len(speeches)} 篇讲话</div>"
        '<table class="zy-table zy-clickable"><thead><tr><th>#</th><th>讲话人</th><th>职务</th><th>单位</th>'
        f"<th>标题</th><th>段落</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def render_speech(speech: Speech | None, first_paragraph: int = 1, cited: int | None = None) -> str:
    """A whole speech: attribution header and paragraphs numbered through the document; paragraph
    number `cited` (if any) is highlighted."""
    if speech is None:
        return '<div class="zy-speech zy-empty">在上面的表格中点一次会议，再点一篇讲话。</div>'
    m = speech.meeting
    info = " · ".join(
        esc(p) for p in (speech.speaker or cell(UNKNOWN_SPEAKER), speech.speaker_title, speech.unit, m.name, date_label(m)) if p
    )
    paras = []
    for i, p in enumerate(speech.paragraphs):
        n = first_paragraph + i
        mark = ' zy-cited" aria-current="true' if n == cited else ""
        paras.append(f'<p class="zy-para{mark}" id="zy-para-{n}"><span class="zy-pn">{n}</span>{esc_multiline(p.text)}</p>')
    title = f"<h3>{esc(speech.title)}</h3>" if speech.title else ""
    return (
        f'<div class="zy-speech">{title}<div class="zy-src-head">{info}</div>'
        f'<div class="zy-note">{len(speech.paragraphs)} 段（编号为全文段落号）</div>{"".join(paras)}</div>'
    )


def render_reader(chunk_id: str, speech: Speech | None, first_paragraph: int = 1, cited: int | None = None) -> str:
    """The reader overlay: the paragraph's whole speech with that paragraph highlighted, and a way back."""
    if speech is None:
        body = '<div class="zy-error">这段讲话已不在索引中（可能已重建索引）。</div>'
    else:
        body = render_speech(speech, first_paragraph, cited)
    where = f"全文第{cited}段" if cited else ""
    return (
        f'<div class="zy-reader" data-chunk="{esc(chunk_id)}" role="dialog" aria-modal="true" aria-label="讲话全文">'
        '<div class="zy-reader-bar"><button type="button" class="zy-reader-close" aria-label="关闭全文，回到原处">'
        f'← 返回</button><span class="zy-reader-where">{where}</span></div>'
        f'<div class="zy-reader-body">{body}</div></div>'
    )


def render_speaker(name: str | None, speeches: Sequence[Speech]) -> str:
    """A speaker page: every speech across meetings, grouped by post; each links to the speech."""
    if not name:
        return '<div class="zy-speaker zy-empty">选择讲话人。</div>'
    by_post: dict[str, list[Speech]] = {}
    for s in speeches:
        by_post.setdefault(s.speaker_title or cell(UNKNOWN_POST), []).append(s)
    note = ""
    if len(by_post) > 1:
        note = f'<div class="zy-warning">同名“{esc(name)}”出现在 {len(by_post)} 个不同职务下，分别列出。</div>'
    sections = []
    for post, group in by_post.items():
        items = "".join(
            f'<li class="zy-row" tabindex="0" role="button" data-speech="{esc(s.speech_id)}">'
            f"<b>{esc(date_label(s.meeting))}</b> {esc(s.meeting.name or cell(UNKNOWN_MEETING))}"
            f"{' — ' + esc(s.title) if s.title else ''} <small>{len(s.paragraphs)} 段</small></li>"
            for s in sorted(group, key=lambda s: s.meeting.date or "")
        )
        sections.append(f'<section class="zy-post"><h4>{esc(post)}</h4><ul>{items}</ul></section>')
    return f'<div class="zy-speaker"><h3>{esc(name)}</h3>{note}{"".join(sections)}</div>'


def render_preview(speeches: Sequence[Speech], warnings: Sequence[str], errors: Sequence[str]) -> str:
    """The parse summary above the editable preview table (errors, warnings, counts)."""
    parts = [f'<div class="zy-error">✗ {esc(e)}</div>' for e in errors]
    parts += [f'<div class="zy-warning">⚠ {esc(w)}</div>' for w in warnings]
    if speeches:
        parts.append(
            f'<div class="zy-note">解析出 {len(speeches)} 篇讲话，共 {sum(len(s.paragraphs) for s in speeches)} 段。'
            "可在下表中改正会议、日期、讲话人和职务，确认后点击“加入索引”。</div>"
        )
    elif not errors:
        parts.append('<div class="zy-note">没有解析出讲话。</div>')
    return f'<div class="zy-preview">{"".join(parts)}</div>'
