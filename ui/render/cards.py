"""Pure HTML/Markdown rendering of answers, citations and passages. Every document string is escaped here.

Nothing in this module touches Gradio, the index or the network: records in, strings out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence

from rag.labels import NOT_FOUND, attribution
from rag.records import Answer, Chunk, Citation, Filters, Hit
from rag.zh import clip

_MARKER = re.compile(r"\[(\d{1,3})\]")
TOPIC_CHARS = 24  # 找相似 from a card names the paragraph by its title, else by this many first characters

# chunk → its paragraph number through the whole document (None: not known)
Numbering = Callable[[Chunk], "int | None"]


def esc(text: object) -> str:
    """Escape text for HTML; None becomes an empty string. `esc('<b>')` → `'&lt;b&gt;'`."""
    return "" if text is None else html.escape(str(text), quote=True)


def esc_multiline(text: str | None) -> str:
    """Escape and keep line breaks. `esc_multiline('a\\n<b>')` → `'a<br>&lt;b&gt;'`."""
    return "<br>".join(esc(line) for line in (text or "").split("\n"))


# A URL in document text, up to whitespace or CJK punctuation; ASCII ")" stays part of it (see md_escape).
_URL = re.compile(r"(?:https?|ftp)://[^\s<>\"\u3000-\u303f\uff00-\uffef]+|www\.[^\s<>\"\u3000-\u303f\uff00-\uffef]+",
                  re.I)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}!|#~])")


def md_escape(text: object) -> str:
    """Document text for the Markdown export: HTML is escaped, Markdown syntax is escaped, and URLs
    become code spans, so no document can add markup, an image or a live link to the file.

    `md_escape('<b>见[官网](http://x.cn/a_(b))</b>')` → `'&lt;b&gt;见\\[官网\\](`http://x.cn/a_(b)`)&lt;/b&gt;'`
    (the URL keeps its own ")"; a ")" that closes surrounding text stays outside).
    """
    out, pos = [], 0
    raw = "" if text is None else str(text)
    for m in _URL.finditer(raw):
        url = _balanced(m.group())
        out.append(_md_plain(raw[pos:m.start()]))
        fence = "``" if "`" in url else "`"
        out.append(f"{fence}{url}{fence}")
        pos = m.start() + len(url)
    out.append(_md_plain(raw[pos:]))
    return "".join(out)


def _balanced(url: str) -> str:
    """Drop trailing ")" without a matching "(" and trailing sentence punctuation."""
    while url and (url[-1] in ".,;:!?'" or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def _md_plain(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def meta_line(chunk: Chunk) -> str:
    """Escaped 'speaker · post · meeting · date' line (`rag.labels.attribution`)."""
    return " · ".join(esc(p) for p in attribution(chunk))


def highlight(text: str, sentence: str | None) -> str:
    """Escape `text` and wrap the first occurrence of `sentence` in <mark>.

    `highlight('甲。<乙>。', '<乙>。')` → `'甲。<mark>&lt;乙&gt;。</mark>'`
    """
    sentence = (sentence or "").strip()
    pos = text.find(sentence) if sentence else -1
    if pos < 0:
        return esc_multiline(text)
    end = pos + len(sentence)
    return f"{esc_multiline(text[:pos])}<mark>{esc_multiline(text[pos:end])}</mark>{esc_multiline(text[end:])}"


def mark_terms(text: str, terms: Sequence[str]) -> str:
    """Escape `text`, keep line breaks, and wrap every occurrence of the `terms` (longest first) in <mark>.

    >>> mark_terms("夜间经济<集聚区>", ["夜间经济", "集聚"])
    '<mark class="zy-term">夜间经济</mark>&lt;<mark class="zy-term">集聚</mark>区&gt;'
    """
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not words:
        return esc_multiline(text)
    pattern = re.compile("|".join(map(re.escape, words)))
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(esc_multiline(text[pos:m.start()]) + f'<mark class="zy-term">{esc(m.group())}</mark>')
        pos = m.end()
    return "".join(out) + esc_multiline(text[pos:])


def link_markers(escaped: str, turn: int) -> str:
    """Turn `[n]` markers in already-escaped text into links to source card n of this turn."""
    return _MARKER.sub(
        lambda m: f'<a class="zy-cite" href="#zy-src-{turn}-{m.group(1)}" data-marker="{m.group(1)}">[{m.group(1)}]</a>',
        escaped,
    )


def topic_label(chunk: Chunk) -> str:
    """How 找相似 names a paragraph to the user: its speech title, else its first words.

    `topic_label(chunk)` → '智慧路灯点亮城市夜' or '区城市管理局今年新建智慧路灯3721盏……'
    """
    if chunk.title:
        return chunk.title
    text = " ".join(chunk.text.split())
    return clip(text, TOPIC_CHARS)


def similar_button(chunk: Chunk) -> str:
    return (f'<button class="zy-similar-btn" type="button" data-chunk="{esc(chunk.chunk_id)}" '
            f'data-label="{esc(topic_label(chunk))}" aria-label="查找与此段相似的举措">找相似</button>')


def read_button(chunk: Chunk) -> str:
    """Opens the paragraph in its whole speech (ui/tabs/reader.py)."""
    return (f'<button class="zy-read-btn" type="button" data-chunk="{esc(chunk.chunk_id)}" '
            'aria-label="在讲话全文中阅读此段">阅读全文</button>')


def card_foot(chunk: Chunk, number: Numbering | None = None) -> str:
    """Where the paragraph sits, then its two actions: read it in its speech, find similar ones."""
    return (f'<div class="zy-src-foot">{place_line(chunk, number)}'
            f'<span class="zy-actions">{read_button(chunk)}{similar_button(chunk)}</span></div>')


def place_text(chunk: Chunk, number: Numbering | None = None) -> str:
    """Where the paragraph sits, unescaped: 《speech title》 · 全文第N段 (the count runs through the whole
    document; 本篇讲话第N段 when the document is not in the store). The app and the export both say this."""
    n = number(chunk) if number else None
    where = f"全文第{n}段" if n else f"本篇讲话第{chunk.paragraph + 1}段"
    return f"《{chunk.title}》 · {where}" if chunk.title else where


def place_line(chunk: Chunk, number: Numbering | None = None) -> str:
    """`place_text` as an escaped span."""
    return f'<span class="zy-where">{esc(place_text(chunk, number))}</span>'


def source_card(citation: Citation, turn: int, number: Numbering | None = None) -> str:
    """One cited paragraph: marker, attribution, text with the supporting sentence highlighted."""
    chunk = citation.hit.chunk
    return (
        f'<div class="zy-src" id="zy-src-{turn}-{citation.marker}" data-chunk="{esc(chunk.chunk_id)}">'
        f'<div class="zy-src-head"><span class="zy-marker">[{citation.marker}]</span> {meta_line(chunk)}</div>'
        f'<div class="zy-src-text">{highlight(chunk.text, citation.sentence)}</div>'
        f'{card_foot(chunk, number)}</div>'
    )


def passage_card(hit: Hit, number: Numbering | None = None, terms: Sequence[str] = ()) -> str:
    """A retrieved passage without a marker (nearest passages, similar initiatives), `terms` marked."""
    chunk = hit.chunk
    return (
        f'<div class="zy-src zy-passage" data-chunk="{esc(chunk.chunk_id)}">'
        f'<div class="zy-src-head">{meta_line(chunk)}</div>'
        f'<div class="zy-src-text">{mark_terms(chunk.text, terms)}</div>'
        f'{card_foot(chunk, number)}</div>'
    )


def render_answer_body(answer: Answer, turn: int, suggestions: Sequence[str] = ()) -> str:
    """The assistant bubble: rewritten question, answer with linked markers, not-found notice, warnings,
    then the suggested next questions (buttons that ask them)."""
    parts = []
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        parts.append(
            f'<div class="zy-rewritten">理解为：<span>{esc(answer.rewritten_question)}</span>'
            f'<button class="zy-edit-q" type="button" data-q="{esc(answer.rewritten_question)}" '
            'aria-label="修改这个理解后重新提问">修改后重问</button></div>'
        )
    text = answer.answer
    if answer.mode == "error":
        return f'<div class="zy-error">{esc_multiline(text)}</div>'
    if not answer.answerable:
        parts.append(f'<div class="zy-notfound">{NOT_FOUND}</div>')
        text = text.removeprefix(NOT_FOUND).lstrip("：:，, ")  # the badge already says it
    parts.append(f'<div class="zy-answer-text">{link_markers(esc_multiline(text), turn)}</div>')
    for warning in answer.warnings:
        parts.append(f'<div class="zy-warning">⚠ {esc(warning)}</div>')
    if suggestions:
        buttons = "".join(f'<button class="zy-follow-q" type="button" data-q="{esc(q)}">{esc(q)}</button>'
                          for q in suggestions)
        parts.append(f'<div class="zy-follow" role="group" aria-label="可以接着问"><span>可以接着问：</span>{buttons}</div>')
    return "".join(parts)


def render_conversation(turns: Sequence[tuple[str, str]]) -> str:
    """Chat log from (question, assistant-bubble-html) pairs; the question is escaped here."""
    if not turns:
        return '<div class="zy-chat zy-empty">输入问题，或点击下方示例问题开始。</div>'
    rows = []
    for question, body in turns:
        rows.append(f'<div class="zy-msg zy-user"><div class="zy-bubble">{esc_multiline(question)}</div></div>')
        rows.append(f'<div class="zy-msg zy-bot"><div class="zy-bubble">{body}</div></div>')
    return f'<div class="zy-chat">{"".join(rows)}</div>'


def pending_body(text: str, stage: str = "") -> str:
    """An answer still coming in: the stage it is at, then the text so far."""
    status = f'<div class="zy-stage" role="status">{esc(stage)}</div>' if stage else ""
    body = esc_multiline(text) or ("" if stage else "检索中…")
    return f'{status}<div class="zy-answer-text zy-streaming">{body}</div>'


FILTER_LABELS = (("meeting", "会议"), ("unit", "单位"), ("speaker", "讲话人"), ("date_from", "起"), ("date_to", "止"))


def render_chips(filters: Filters | None) -> str:
    """The active filters as chips, visible while the filter panel is folded."""
    chips = [f'<span class="zy-chip">{label}：{esc(getattr(filters, name))}</span>'
             for name, label in FILTER_LABELS if filters is not None and getattr(filters, name)]
    if filters is not None and filters.exclude_sources:
        chips.append(f'<span class="zy-chip">不含上传的文档（{len(filters.exclude_sources)} 个）</span>')
    if not chips:
        return '<div class="zy-chips zy-chips-empty"></div>'
    return f'<div class="zy-chips" aria-label="当前筛选">筛选中：{"".join(chips)}</div>'


def render_sources(answers: Sequence[Answer], number: Numbering | None = None) -> str:
    """Sources panel: the latest answer's citations first; earlier answers folded below."""
    if not answers:
        return '<div class="zy-sources zy-empty">引用的段落会显示在这里。</div>'
    blocks = []
    for turn in range(len(answers) - 1, -1, -1):
        answer = answers[turn]
        if answer.citations:
            cards = "".join(source_card(c, turn, number) for c in answer.citations)
        elif answer.related:
            cards = '<div class="zy-note">没有可引用的段落；最接近的资料：</div>' + "".join(
                passage_card(h, number) for h in answer.related
            )
        else:
            cards = '<div class="zy-note">没有找到相关段落。</div>'
        opened = " open" if turn == len(answers) - 1 else ""
        blocks.append(
            f'<details class="zy-turn"{opened}><summary>第{turn + 1}问：{esc(answer.question)}</summary>{cards}</details>'
        )
    return f'<div class="zy-sources">{"".join(blocks)}</div>'


def md_source_line(marker: int | None, chunk: Chunk, number: Numbering | None = None) -> str:
    """Attribution for the Markdown export, placed as the app places it (document fields escaped by md_escape)."""
    head = f"[{marker}] " if marker is not None else "- "
    fields = " · ".join(md_escape(part) for part in attribution(chunk))
    return f"{head}{fields}（{md_escape(place_text(chunk, number))}）"


def answer_markdown(answer: Answer, number: Numbering | None = None) -> str:
    """An answer with its source list, as Markdown for copying or download."""
    lines = [f"## 问题\n\n{md_escape(answer.question)}\n"]
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        lines.append(f"（理解为：{md_escape(answer.rewritten_question)}）\n")
    text = answer.answer if answer.answerable or answer.answer.startswith(NOT_FOUND) else f"{NOT_FOUND}。{answer.answer}"
    lines.append(f"## 回答\n\n{md_escape(text)}\n")
    lines.append("## 来源\n")
    for citation in answer.citations:
        lines.append(md_source_line(citation.marker, citation.hit.chunk, number))
        lines.append(_quote(md_escape(citation.hit.chunk.text)) + "\n")
    if not answer.citations:
        for hit in answer.related:
            lines.append(md_source_line(None, hit.chunk, number))
            lines.append(_quote(md_escape(hit.chunk.text)) + "\n")
        if not answer.related:
            lines.append("（无）")
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def conversation_markdown(answers: Iterable[Answer], number: Numbering | None = None) -> str:
    return "\n---\n\n".join(answer_markdown(a, number) for a in answers)
