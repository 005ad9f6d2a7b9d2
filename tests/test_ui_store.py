"""The library's catalogue (rag.library.Catalogue), the source-card pieces and the upload preview's corrections,
on speeches written for these tests."""

import json

import pytest

from rag.library import Catalogue
from rag.errors import InputError
from rag.parse import load_corpus
from rag.records import Chunk, Filters, Meeting, Paragraph, Speech
from ui.render.cards import place_line, render_chips, topic_label
from ui.render.browse import date_label, render_library_overview
from ui.upload import corrections, preview_rows

Q1 = Meeting("青溪区镇街书记和部门一把手2025年第一季度例会", "区", "2025-03-21")
Q2 = Meeting("青溪区镇街书记和部门一把手2025年第二季度例会", "区", "2025-06-20")
CITY = Meeting("区县委书记和部门一把手例会", "市", "2025-04-18", "南江日报，2025年4月18日")


def speech(meeting, speaker, post, unit, n_paragraphs, index, source="q1.txt", title=None):
    paras = tuple(Paragraph(f"第{i}段。", 0, 4) for i in range(n_paragraphs))
    return Speech(meeting, speaker, post, unit, title, paras, source, index)


SPEECHES = [
    speech(Q1, "周海涛", "青溪区交通局局长", "青溪区交通局", 2, 0),
    speech(Q1, "郑国栋", "区公安局局长", "区公安局", 3, 1),
    speech(Q2, "郑国栋", "区公安局局长", "区公安局", 1, 0, "q2.txt"),
    speech(Q2, "郑国桥", "区公安局政委", "区公安局", 1, 1, "q2.txt"),
    speech(CITY, "顾明轩", "青溪区委书记", "青溪区", 1, 0, "city.txt"),
]


@pytest.fixture()
def store():
    return Catalogue(SPEECHES)


def test_units_are_resolved_and_listed_district_first(store):
    units = store.units()
    assert "青溪区公安局" in units and "区公安局" not in units
    assert units.index("青溪区") < units.index("青溪区公安局")


def test_speaker_options_show_name_and_post(store):
    assert ("周海涛 · 青溪区交通局局长", "周海涛") in store.speaker_choices()


def test_names_one_character_apart_in_one_unit_and_series_are_flagged_not_merged(store):
    flags = store.name_flags()
    assert [f.names for f in flags] == [("郑国栋", "郑国桥")] and flags[0].unit == "青溪区公安局"
    assert {"郑国栋", "郑国桥"} <= set(store.speakers())


def test_paragraph_numbers_run_through_the_document(store):
    chunk = Chunk("q1.txt:1:2:0", "第2段。", "", "郑国栋", None, "青溪区公安局", Q1.name, Q1.date, "q1.txt", 1, 2, 0, 0, 4,
                  title="平安守护")
    assert store.paragraph_number(chunk) == 2 + 2 + 1  # two paragraphs of the first speech before it
    line = place_line(chunk, store.paragraph_number)
    assert "《平安守护》" in line and "全文第5段" in line and ".txt" not in line
    assert topic_label(chunk) == "平安守护"


def test_overview_counts_meetings_and_labels_a_publication_date(store):
    rows = store.meeting_rows()
    assert [r.name for r in rows] == [Q1.name, CITY.name, Q2.name]  # by date
    assert date_label(CITY) == "刊发日期 2025-04-18" and date_label(Q1) == "2025-03-21"
    html = render_library_overview(rows, 5, 4, 3, store.name_flags())
    assert "3</b> 次会议" in html and 'data-meeting="青溪区镇街书记和部门一把手2025年第一季度例会"' in html
    assert "可能是同一人" in html


def test_chips_name_each_active_filter():
    html = render_chips(Filters(unit="青溪", date_from="2025-01-01"))
    assert "单位：青溪" in html and "起：2025-01-01" in html and "讲话人" not in html
    assert "zy-chips-empty" in render_chips(Filters())


def test_preview_corrections_become_a_sidecar_that_the_parser_applies(tmp_path):
    text = ("青溪区镇街书记和部门一把手2025年第一季度例会上这样说\n\n织密路网\n\n青溪区交通局局长 周海涛\n\n"
            "青溪区交通局一季度完成交通建设投资8.36亿元。\n")
    path = tmp_path / "q.txt"
    path.write_text(text, encoding="utf-8")
    parsed = load_corpus([path]).speeches
    rows = preview_rows(parsed)
    rows[0][3], rows[0][4], rows[0][5] = "2025-03-22", "周海滔", "青溪区交通局党委书记、局长"
    edits = corrections(parsed, rows)
    assert edits == {"q.txt": {"date": "2025-03-22", "speeches": [
        {"index": 0, "speaker": "周海滔", "speaker_title": "青溪区交通局党委书记、局长"}]}}
    (tmp_path / "q.meta.json").write_text(json.dumps(edits["q.txt"], ensure_ascii=False), encoding="utf-8")
    fixed = load_corpus([path]).speeches[0]
    assert (fixed.speaker, fixed.speaker_title, fixed.meeting.date) == ("周海滔", "青溪区交通局党委书记、局长", "2025-03-22")
    rows[0][3] = "2025-02-30"
    with pytest.raises(InputError, match="q.txt"):
        corrections(parsed, rows)
