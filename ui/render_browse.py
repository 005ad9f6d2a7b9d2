"""Pure HTML rendering for the similar-initiatives, corpus-browser and upload screens (all text escaped)."""

from __future__ import annotations

from collections.abc import Sequence

from rag.labels import UNKNOWN_DATE, UNKNOWN_MEETING, UNKNOWN_POST, UNKNOWN_SPEAKER, cell
from rag.records import Speech
from rag.similar import SimilarResult
from ui.render import esc, esc_multiline, meta_line, passage_card


def render_similar(result: SimilarResult | None) -> str:
    """Hits grouped by unit, each with its score and meeting date."""
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
        cards = "".join(passage_card(h) for h in hits)
        groups.append(
            f'<section class="zy-unit"><h4>{esc(unit)} <small>{len(hits)} 段</small></h4>{cards}</section>'
        )
    return f'<div class="zy-similar">{head}{"".join(groups)}</div>'


def render_overview(result: SimilarResult | None) -> str:
    """Compact unit × meeting table of where the topic appears (counts of close paragraphs).

    Columns are numbered meetings (①②…, oldest first) with a legend, so the table stays narrow.
    """
    if result is None or not (result.pool or result.hits):
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
    """Dropdown label for a speech: speaker（post）— title."""
    who = speech.speaker or speech.unit or cell(UNKNOWN_SPEAKER)
    post = f"（{speech.speaker_title}）" if speech.speaker_title else ""
    title = f" — {speech.title}" if speech.title else ""
    return f"{who}{post}{title}"


def render_meeting(name: str | None, speeches: Sequence[Speech]) -> str:
    """A meeting's speeches as a compact table (speaker, post, unit, title, paragraphs)."""
    if not name:
        return ""
    date = next((s.meeting.date for s in speeches if s.meeting.date), None)
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{esc(s.speaker or cell(UNKNOWN_SPEAKER))}</td><td>{esc(s.speaker_title or '—')}</td>"
        f"<td>{esc(s.unit or '—')}</td><td>{esc(s.title or '—')}</td><td>{len(s.paragraphs)}</td></tr>"
        for i, s in enumerate(speeches)
    )
    return (
        f'<div class="zy-meeting"><div class="zy-note">{esc(name)} · {esc(date or UNKNOWN_DATE)} · '
        f"{len(speeches)} 篇讲话</div>"
        '<table class="zy-table"><thead><tr><th>#</th><th>讲话人</th><th>职务</th><th>单位</th><th>标题</th>'
        f"<th>段落</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def render_speech(speech: Speech | None) -> str:
    """A whole speech: attribution header and numbered paragraphs."""
    if speech is None:
        return '<div class="zy-speech zy-empty">选择会议和讲话。</div>'
    m = speech.meeting
    info = " · ".join(
        esc(p) for p in (speech.speaker or cell(UNKNOWN_SPEAKER), speech.speaker_title, speech.unit, m.name, m.date) if p
    )
    paras = "".join(
        f'<p class="zy-para" id="zy-para-{i}"><span class="zy-pn">{i + 1}</span>{esc_multiline(p.text)}</p>'
        for i, p in enumerate(speech.paragraphs)
    )
    title = f"<h3>{esc(speech.title)}</h3>" if speech.title else ""
    return (
        f'<div class="zy-speech">{title}<div class="zy-src-head">{info}</div>'
        f'<div class="zy-note">{esc(speech.source)} · {len(speech.paragraphs)} 段</div>{paras}</div>'
    )


def render_speaker(name: str | None, speeches: Sequence[Speech]) -> str:
    """A speaker page: all speeches across meetings, grouped by post (same name, different posts shown apart)."""
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
            f"<li><b>{esc(s.meeting.date or UNKNOWN_DATE)}</b> {esc(s.meeting.name or cell(UNKNOWN_MEETING))}"
            f"{' — ' + esc(s.title) if s.title else ''} <small>{esc(s.source)} · {len(s.paragraphs)} 段</small></li>"
            for s in sorted(group, key=lambda s: s.meeting.date or "")
        )
        sections.append(f'<section class="zy-post"><h4>{esc(post)}</h4><ul>{items}</ul></section>')
    return f'<div class="zy-speaker"><h3>{esc(name)}</h3>{note}{"".join(sections)}</div>'


def render_preview(speeches: Sequence[Speech], warnings: Sequence[str], errors: Sequence[str]) -> str:
    """What the parser found in the uploaded files, for confirmation before indexing."""
    parts = [f'<div class="zy-error">✗ {esc(e)}</div>' for e in errors]
    parts += [f'<div class="zy-warning">⚠ {esc(w)}</div>' for w in warnings]
    if speeches:
        rows = "".join(
            f"<tr><td>{esc(s.source)}</td><td>{esc(s.meeting.name or '—')}</td><td>{esc(s.meeting.date or '—')}</td>"
            f"<td>{esc(s.speaker or cell(UNKNOWN_SPEAKER))}</td><td>{esc(s.speaker_title or '—')}</td>"
            f"<td>{esc(s.unit or '—')}</td><td>{len(s.paragraphs)}</td></tr>"
            for s in speeches
        )
        parts.append(
            f'<div class="zy-note">解析出 {len(speeches)} 篇讲话，共 {sum(len(s.paragraphs) for s in speeches)} 段。'
            "确认无误后点击“加入索引”。</div>"
            '<table class="zy-table"><thead><tr><th>文件</th><th>会议</th><th>日期</th><th>讲话人</th>'
            f"<th>职务</th><th>单位</th><th>段落</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    elif not errors:
        parts.append('<div class="zy-note">没有解析出讲话。</div>')
    return f'<div class="zy-preview">{"".join(parts)}</div>'
