"""The page's controls: read the link once per session, then the widgets, into one frozen Settings.

Widgets own their values in st.session_state under the query parameters' names, so the URL and the
widgets never disagree: app.py writes the Settings back to the URL after every run.
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from .. import explain
from ..i18n import LANG_NAMES, LANGS, messages
from ..state import MAX_BEAM, MAX_CHARS, VIEWS, Settings, cut_text, parse_query

URL_READ = "_url_read"  # session flag: the link has been read into the widgets
NOTES = "_notes"  # notes about the link or the input, shown until the next change


def init_from_url(models: list[str], default: Settings) -> None:
    """First run of a session: the link's values become the widgets' values (bad ones -> notes)."""
    ss = st.session_state
    if ss.get(URL_READ):
        return
    s = parse_query(st.query_params.to_dict(), models, default)
    ss.update(sentence=s.sentence, model=s.model, beam=s.beam, force=s.force, prefix=s.prefix,
              hide=list(s.hide), view=s.view, step=s.step, lang=s.lang, present=s.present,
              playing=False, example=None)
    ss[NOTES] = list(s.notes)
    ss[URL_READ] = True


def _restart() -> None:
    """A new input: play back from the first step, forget edits and hidden words of the old one."""
    st.session_state.update(step=1, playing=False, prefix="", **{NOTES: []})


def _new_sentence() -> None:
    text, note = cut_text(st.session_state.sentence)
    st.session_state.sentence = text
    _restart()
    st.session_state.hide = []
    if note:
        st.session_state[NOTES] = [note]


def _use_example() -> None:
    if st.session_state.example:
        st.session_state.sentence = st.session_state.example
        st.session_state.hide = []
    st.session_state.example = None
    _restart()


def input_ui(s_lang: str) -> None:
    """The English sentence box and the example sentences."""
    m = messages(s_lang)
    st.text_input(m("controls.sentence"), key="sentence", on_change=_new_sentence,
                  placeholder=m("controls.sentence_placeholder"),
                  help=m("controls.sentence_help", words=explain.MAX_WORDS))
    st.pills(m("controls.examples"), explain.EXAMPLES, key="example", on_change=_use_example)


def sidebar_ui(models: list[str], lang: str) -> None:
    """Model, beam, what-if controls, language and presenter mode."""
    m = messages(lang)
    ss = st.session_state
    with st.sidebar:
        st.segmented_control(m("controls.lang"), LANGS, key="lang", required=True,
                             format_func=LANG_NAMES.get)
        st.toggle(m("controls.present"), key="present", help=m("controls.present_help"))
        st.radio(m("controls.model"), models, key="model", format_func=lambda k: m(f"scorers.{k}"),
                 help=m("controls.model_help"))
        st.slider(m("controls.beam"), 1, MAX_BEAM, key="beam", help=m("controls.beam_help"))
        st.subheader(m("controls.whatif"))
        st.text_input(m("controls.force"), key="force", max_chars=MAX_CHARS, on_change=_restart,
                      help=m("controls.force_help"))
        tokens = explain.source_tokens(ss.sentence)
        ss.hide = [i for i in ss.get("hide", []) if 0 <= i < len(tokens)]  # a shorter sentence drops stale picks
        st.multiselect(m("controls.hide"), list(range(len(tokens))), key="hide", on_change=_restart,
                       format_func=lambda i: f"{i + 1}. {tokens[i]}", help=m("controls.hide_help"))


def view_ui(lang: str) -> None:
    m = messages(lang)
    st.segmented_control(m("controls.view"), VIEWS, key="view", required=True, label_visibility="collapsed",
                         format_func=lambda v: m(f"views.{v}"))


def settings() -> Settings:
    """The current Settings, read from the widgets' session state."""
    ss = st.session_state
    return replace(Settings(), sentence=explain.prepare_input(ss.sentence).sentence, model=ss.model,
                   beam=int(ss.beam), force=ss.force.strip(), prefix=ss.prefix.strip(),
                   hide=tuple(sorted(ss.hide)), view=ss.view or VIEWS[0], step=int(ss.step), lang=ss.lang,
                   present=bool(ss.present), notes=tuple(ss.get(NOTES, [])))
