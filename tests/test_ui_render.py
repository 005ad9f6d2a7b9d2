"""ui.render.cards / ui.render.browse / ui.upload / ui.tabs.chat helpers: escaping, highlighting, export, names."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.errors import UsageError
from rag.records import Answer, Chunk, Citation, Filters, Hit, Meeting, Paragraph, Speech
from rag.retrieve.similar import SimilarResult
from ui.tabs.chat import form_filters
from ui.render.cards import (
    answer_markdown,
    esc,
    highlight,
    link_markers,
    render_answer_body,
    render_chips,
    render_conversation,
    render_sources,
)
from ui.render.browse import (
    render_meeting,
    render_overview,
    render_preview,
    render_similar,
    render_speaker,
    render_speech,
)
from ui.upload import UploadManager, sanitize_name, unique_name

EVIL = '<script>alert(1)</script> 见[官网](http://evil.example) 与 <img src=x onerror=alert(2)>'


def make_chunk(text: str = "青石区一季度新增城镇就业2.36万人。其他内容。", **kw) -> Chunk:
    base = dict(
        chunk_id="001.txt:3:2:0", text=text, header="", speaker="周明远", speaker_title="青石区委书记",
        unit="青石区", meeting="重庆市区县和部门负责同志2023年第一季度例会", meeting_date="2023-04-23",
        source="001.txt", speech_index=3, paragraph=2, part=0, start=0, end=len(text),
    )
    base.update(kw)
    return Chunk(**base)


def make_answer(text: str = "青石区一季度新增城镇就业2.36万人[1]。", chunk: Chunk | None = None, **kw) -> Answer:
    chunk = chunk or make_chunk()
    citation = Citation(1, Hit(chunk, 0.9), sentence="青石区一季度新增城镇就业2.36万人。")
    return Answer(question=kw.pop("question", "青石区一季度新增城镇就业多少人?"), answer=text,
                  answerable=kw.pop("answerable", True), citations=(citation,), **kw)


def test_esc_handles_none_and_quotes():
    assert esc(None) == ""
    assert esc('"<a>&') == "&quot;&lt;a&gt;&amp;"


def test_highlight_marks_sentence_and_escapes_everything():
    out = highlight("甲。<b>乙</b>。丙", "<b>乙</b>。")
    assert out == "甲。<mark>&lt;b&gt;乙&lt;/b&gt;。</mark>丙"
    assert highlight("<i>", "不在其中") == "&lt;i&gt;"
    assert highlight("甲", "") == "甲"


def test_markers_become_links_only_for_numbers():
    out = link_markers(esc("数字[1]与[链接](http://x)"), turn=0)
    assert 'href="#zy-src-0-1"' in out
    assert "[链接](http://x)" in out


def test_source_card_has_attribution_highlight_and_similar_button():
    html = render_sources([make_answer()])
    for part in ("周明远", "青石区委书记", "青石区", "2023年第一季度例会", "2023-04-23"):
        assert part in html
    assert "<mark>青石区一季度新增城镇就业2.36万人。</mark>" in html
    assert 'id="zy-src-0-1"' in html and 'data-chunk="001.txt:3:2:0"' in html
    assert "找相似" in html


def test_malicious_document_text_is_escaped_everywhere():
    chunk = make_chunk(text=EVIL, speaker="<b>x</b>", unit='"><script>')
    answer = make_answer(text=EVIL + "[1]", chunk=chunk, question=EVIL)
    speech = Speech(Meeting(EVIL), EVIL, None, None, EVIL, (Paragraph(EVIL, 0, len(EVIL)),), EVIL)
    result = SimilarResult(query=EVIL, origin=chunk, hits=(Hit(chunk, 0.5),))
    pages = [
        render_conversation([(answer.question, render_answer_body(answer, 0))]),
        render_sources([answer]),
        render_similar(result),
        render_overview(result),
        render_speech(speech),
        render_speaker(EVIL, [speech]),
        render_preview([speech], [EVIL], [EVIL]),
        render_meeting(EVIL, [speech]),
    ]
    for html in pages:
        assert "<script" not in html and "<img" not in html and "<b>x" not in html
        assert 'href="http' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "[官网](http://evil.example)" in pages[1]


def test_not_answerable_shows_notice_and_nearest_passages():
    related = (Hit(make_chunk(chunk_id="x.txt:0:0:0"), 0.2),)
    answer = Answer(question="深圳?", answer="资料中未找到相关内容。", answerable=False, related=related)
    body = render_answer_body(answer, 0)
    assert "资料中未找到" in body and "zy-notfound" in body
    sources = render_sources([answer])
    assert "最接近" in sources and "x.txt:0:0:0" in sources


def test_rewritten_question_is_shown():
    answer = make_answer(rewritten_question="云溪区一季度新增城镇就业多少人?", question="那云溪区呢?")
    body = render_answer_body(answer, 1)
    assert "理解为：<span>云溪区一季度新增城镇就业多少人?</span>" in body
    assert 'data-q="云溪区一季度新增城镇就业多少人?"' in body  # editable and re-askable


def test_markdown_export_lists_sources():
    md = answer_markdown(make_answer())
    assert md.startswith("## 问题")
    assert "[1] 周明远 · 青石区委书记 · 重庆市区县和部门负责同志2023年第一季度例会 · 2023-04-23" in md
    assert "> 青石区一季度新增城镇就业2.36万人。" in md


def test_speaker_page_separates_posts():
    m1, m2 = Meeting("会A", date="2023-04-23"), Meeting("会B", date="2023-10-24")
    para = (Paragraph("内容", 0, 2),)
    speeches = [Speech(m1, "张华", "甲区区长", "甲区", None, para, "a.txt"),
                Speech(m2, "张华", "乙局局长", "乙局", None, para, "b.txt")]
    html = render_speaker("张华", speeches)
    assert "甲区区长" in html and "乙局局长" in html and "2 个不同职务" in html


def test_the_form_is_read_by_filters_parse_as_the_cli_options_are():
    services = SimpleNamespace(uploads=None)
    assert form_filters(services, "", None, " ", "", "") == Filters()
    assert form_filters(services, "例会", "青石", "周明远", "2023", "2023") == \
        Filters.parse(speaker="周明远", unit="青石", meeting="例会", date_from="2023", date_to="2023")
    assert form_filters(services, None, None, None, "2023", "2023").date_to == "2023-12-31"
    with pytest.raises(UsageError):
        form_filters(services, None, None, None, "昨天", None)
    with pytest.raises(UsageError, match="晚于"):
        form_filters(services, None, None, None, "2024", "2023")


def test_no_uploads_box_leaves_the_uploaded_files_out():
    uploads = SimpleNamespace(uploaded_sources=lambda: frozenset({"上传甲.txt", "上传乙.md"}))
    services = SimpleNamespace(uploads=uploads)
    assert form_filters(services, "", "", "", "", "", True).exclude_sources == {"上传甲.txt", "上传乙.md"}
    assert form_filters(services, "", "", "", "", "", False) == Filters()
    assert form_filters(SimpleNamespace(uploads=None), "", "", "", "", "", True) == Filters()  # uploads off
    assert "不含上传的文档（2 个）" in render_chips(form_filters(services, "", "", "", "", "", True))


@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\win.md", "win.md"),
    ("报告 (1).TXT", "报告_1.txt"),
    (".hidden.jsonl", "hidden.jsonl"),
    ("../..", "upload"),
    ("a/b/<script>.md", "script.md"),
])
def test_sanitize_name(raw, expected):
    name = sanitize_name(raw)
    assert name == expected
    assert "/" not in name and "\\" not in name and not name.startswith(".")


def test_unique_name():
    assert unique_name("a.txt", set()) == "a.txt"
    assert unique_name("a.txt", {"a.txt", "a_2.txt"}) == "a_3.txt"


def _manager(tmp_path: Path, indexed: list):
    def parse(paths, cancel):
        text = paths[0].read_text(encoding="utf-8")
        if "BAD" in text:
            from rag.errors import InputError

            raise InputError("坏文件")
        para = (Paragraph(text, 0, len(text)),)
        return [Speech(Meeting("上传会议"), "某人", None, None, None, para, paths[0].name)], []

    def index(speeches, progress):
        progress(1.0, "done")
        indexed.extend(speeches)
        return len(speeches)

    return UploadManager(tmp_path / "uploads", parse, index, taken=lambda: {"seed.txt"})


def test_upload_stage_and_commit_stay_inside_upload_dir(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "seed.txt").write_text("同名内容", encoding="utf-8")
    (src / "bad.txt").write_text("BAD", encoding="utf-8")
    (src / "x.exe").write_text("x", encoding="utf-8")
    indexed: list = []
    manager = _manager(tmp_path, indexed)
    staged = manager.stage([src / "seed.txt", src / "bad.txt", src / "x.exe"])
    assert [s.source for s in staged.speeches] == ["seed_2.txt"]  # no clash with an indexed source
    assert any("bad.txt" in e for e in staged.errors) and any("x.exe" in e for e in staged.errors)
    assert manager.commit(staged, lambda f, m: None) == 1
    assert (tmp_path / "uploads" / "seed_2.txt").is_file()
    assert not staged.folder.exists()
    again = manager.stage([src / "seed.txt"])  # same bytes again
    assert not again.speeches and "相同" in again.errors[0]


def test_failed_index_keeps_nothing(tmp_path):
    src = tmp_path / "ok.txt"
    src.write_text("内容", encoding="utf-8")

    def broken(speeches, progress):
        raise RuntimeError("disk full")

    manager = UploadManager(tmp_path / "uploads", lambda p, cancel: ([Speech(Meeting(None), None, None, None, None,
                            (Paragraph("内容", 0, 2),), p[0].name)], []), broken, taken=set)
    staged = manager.stage([src])
    with pytest.raises(RuntimeError):
        manager.commit(staged, lambda f, m: None)
    assert not (tmp_path / "uploads" / "ok.txt").exists()
