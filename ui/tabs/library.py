"""The 资料库 screen: an overview of meetings (by date and level) with counts, meetings → speeches →
paragraphs, and speaker pages linking to each speech. Rows are clickable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.records import Speech
from ui.render.browse import (
    render_library_overview,
    render_meeting,
    render_speaker,
    render_speech,
    speech_label,
)
from rag.library import Catalogue, meeting_name
from ui.static import static_text

# Clicking a row (meeting or speech) fills the hidden pick box ("meeting:…" / "speech:…") and presses
# the hidden button; Enter on a focused row does the same.
LIBRARY_JS = static_text("library.js")


@dataclass
class LibraryTab:
    overview: Any
    meeting: Any
    speaker: Any


def speech_choices(store: Catalogue, meeting: str | None) -> list[tuple[str, str]]:
    return [(speech_label(s), s.speech_id) for s in store.speeches_in(meeting)]


def overview_html(store: Catalogue) -> str:
    speeches = store.speeches
    return render_library_overview(store.meeting_rows(), len(speeches), len(store.speakers()),
                                   len({s.unit for s in speeches if s.unit}), store.name_flags())


def speech_html(store: Catalogue, speech: Speech | None) -> str:
    before = store.paragraphs_before(speech.source, speech.index) if speech else None
    return render_speech(speech, (before or 0) + 1)


def build_library_tab(services: Any) -> LibraryTab:
    store = services.catalogue()
    overview = gr.HTML(overview_html(store), elem_id="zy-lib-overview", js_on_load=LIBRARY_JS)
    with gr.Tabs() as views:
        with gr.Tab("按会议", id="by-meeting"):
            with gr.Row():
                meeting = gr.Dropdown(store.meetings(), value=None, label="会议", elem_id="zy-lib-meeting",
                                      scale=3, min_width=200)
                speech = gr.Dropdown([], value=None, label="讲话", elem_id="zy-lib-speech", scale=3, min_width=200)
            meeting_view = gr.HTML("", elem_id="zy-lib-meeting-view", js_on_load=LIBRARY_JS)
            speech_view = gr.HTML(render_speech(None), elem_id="zy-lib-view")
        with gr.Tab("按讲话人", id="by-speaker"):
            speaker = gr.Dropdown(store.speaker_choices(), value=None, label="讲话人", elem_id="zy-lib-speaker")
            speaker_view = gr.HTML(render_speaker(None, []), elem_id="zy-lib-speaker-view", js_on_load=LIBRARY_JS)
    pick = gr.Textbox(visible="hidden", elem_id="zy-lib-pick")
    go = gr.Button("open", visible="hidden", elem_id="zy-lib-go")

    def open_meeting(name: str | None, chosen: str | None = None) -> tuple:
        store = services.catalogue()
        choices = speech_choices(store, name)
        sid = chosen or (choices[0][1] if choices else None)
        return (gr.Tabs(selected="by-meeting"), gr.Dropdown(choices=store.meetings(), value=name),
                gr.Dropdown(choices=choices, value=sid), render_meeting(name, store.speeches_in(name)),
                speech_html(store, store.find(sid)))

    def open_picked(value: str) -> tuple:
        kind, _, key = (value or "").partition(":")
        if kind == "speech":
            found = services.catalogue().find(key)
            return open_meeting(meeting_name(found), key) if found else tuple(gr.skip() for _ in range(5))
        return open_meeting(key or None)

    targets = [views, meeting, speech, meeting_view, speech_view]
    go.click(open_picked, [pick], targets, api_name=False, queue=False)
    meeting.select(lambda name: open_meeting(name), [meeting], targets, api_name=False)
    def show_speech(sid: str | None) -> str:
        store = services.catalogue()
        return speech_html(store, store.find(sid))

    speech.select(show_speech, [speech], [speech_view], api_name=False)
    speaker.select(lambda n: render_speaker(n, services.catalogue().speeches_by(n)), [speaker], [speaker_view],
                   api_name=False)
    return LibraryTab(overview, meeting, speaker)
