"""The page's controls: read the link once per session (and again when the browser goes Back or Forward),
then the widgets, into one frozen Settings.

Widgets own their values in st.session_state under the query parameters' names, so the URL and the
widgets never disagree: app.py writes the Settings back to the URL after every run. Widgets that are
not drawn in presenter mode keep their values (persist_state="session"). `step` and `playing` are
plain session values, not widgets, so leaving Step by step and coming back keeps the step; so are `layer` and
`head` (a Transformer's head: views/heads.py's picker mirrors them), so every view shows the same head.
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from .. import explain
from ..i18n import LANG_NAMES, LANGS, messages
from ..state import ASKING, MAX_BEAM, VIEWS, Settings, cut_text, parse_query, share_url, to_query
from . import copylink
from .common import opened

URL_READ = "_url_read"  # session flag: the link has been read into the widgets
NOTES = "_notes"  # notes about the link or the input, shown until the next change
KEEP = "session"  # widget values survive while the widget is not drawn (presenter mode)
GUESSES = "lesson_guesses"  # the lesson's predictions, stage key -> 0-based option: the link's `answers`
URL_LEFT = "_url_left"  # the link as the last full run left it; another one in a run means Back / Forward
PLAYED = "_url_played"  # the last full run ended playing: the playback timer moves `step` in the link itself


def init_from_url(models: list[str], default: Settings) -> None:
    """The link's values become the widgets' values (bad ones -> notes): on a session's first run, and
    whenever the browser went Back or Forward to another address of this page (it then reruns the
    script with that address's query). A prediction once made stays made: Back keeps the guesses."""
    ss = st.session_state
    query = st.query_params.to_dict()
    if ss.get(URL_READ) and not _navigated(query):
        return
    s = parse_query(query, models, default)
    guesses = dict(s.answers)
    if ss.get(URL_READ):
        guesses.update(ss.get(GUESSES, {}))
    ss.update(sentence=s.sentence, model=s.model, beam=s.beam, force=s.force, prefix=s.prefix,
              hide=list(s.hide), view=s.view, step=s.step, stage=s.stage, lang=s.lang, present=s.present,
              layer=s.layer, head=s.head, playing=False, example=None)
    ss[GUESSES] = guesses
    ss[NOTES] = list(s.notes)
    ss[URL_READ] = True


def _navigated(query: dict[str, str]) -> bool:
    """Whether this run's address is not the one the page itself last wrote: the browser's Back / Forward."""
    left = st.session_state.get(URL_LEFT)
    if left is None or query == left:
        return False
    if st.session_state.get(PLAYED):  # playback advanced `step` in the link between full runs
        return {k: v for k, v in query.items() if k != "step"} != {k: v for k, v in left.items() if k != "step"}
    return True


def write_url(query: dict[str, str]) -> None:
    """Write the address, and remember it at once: a click that interrupts this run reruns with it."""
    st.query_params.from_dict(query)
    st.session_state[URL_LEFT] = st.query_params.to_dict()


def remember_url() -> None:
    """At the end of a full run: the address as the page leaves it (a view may have changed `step`), so the
    next run can tell the browser's Back from a click."""
    ss = st.session_state
    ss[URL_LEFT] = st.query_params.to_dict()
    ss[PLAYED] = bool(ss.get("playing"))


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


def _new_force() -> None:
    text, note = cut_text(st.session_state.force)
    st.session_state.force = text
    _restart()
    if note:
        st.session_state[NOTES] = [note]


def _use_example() -> None:
    if st.session_state.example:
        st.session_state.sentence = st.session_state.example
        st.session_state.hide = []
    st.session_state.example = None
    _restart()


def _exit_presenter() -> None:
    st.session_state.present = False


def _pause() -> None:
    """Another view, model or beam: playback stops (coming back finds the step it was on, paused)."""
    st.session_state.playing = False


def input_ui(lang: str) -> None:
    """The English sentence box and the example sentences (no max_chars: longer text is cut with a note)."""
    m = messages(lang)
    st.text_input(m("controls.sentence"), key="sentence", on_change=_new_sentence,
                  placeholder=m("controls.sentence_placeholder"),
                  help=m("controls.sentence_help", words=explain.MAX_WORDS), persist_state=KEEP)
    st.pills(m("controls.examples"), explain.EXAMPLES, key="example", on_change=_use_example)
    model_note(m)


NOTE_CSS = """<style>  /* sent with the page's other CSS: views/chrome.py */
/* the model note's ✕ stays at the end of its line: the note's text wraps instead (1280x720, phones) */
.st-key-model_note { flex-wrap: nowrap; }
.st-key-model_note > div:first-child { flex: 1 1 auto; min-width: 0; }
</style>"""


def model_note(m) -> None:
    """One short line on what the model is, until the reader closes it (for this session)."""
    if st.session_state.get("model_note_closed"):
        return
    row = st.container(horizontal=True, vertical_alignment="center", gap="small", key="model_note")
    row.caption(m("controls.model_note"))  # the ✕ stays beside it at any width (NOTE_CSS)
    row.button("✕", key="model_note_close", type="tertiary", help=m("controls.model_note_close"),
                 on_click=st.session_state.update, kwargs={"model_note_closed": True})


def sidebar_ui(models: list[str], lang: str):
    """Language, presenter mode, the link to share, model, beam and the what-if controls.

    Returns the "Copy link" box, for the caller to write the link in once the settings are known.
    """
    m = messages(lang)
    ss = st.session_state
    with st.sidebar:
        st.segmented_control(m("controls.lang"), LANGS, key="lang", required=True,
                             format_func=LANG_NAMES.get, persist_state=KEEP)
        st.toggle(m("controls.present"), key="present", help=m("controls.present_help"), persist_state=KEEP)
        copylink.draw(m)  # one tap copies the address, and says so (a touch screen has no hover)
        share = st.popover(m("controls.share"), icon=":material/link:", width="stretch")
        share.caption(m("controls.share_help"))
        st.radio(m("controls.model"), models, key="model", format_func=lambda k: explain.scorer_label(k, m),
                 help=m("controls.model_help"), on_change=_pause, persist_state=KEEP)
        st.slider(m("controls.beam"), 1, MAX_BEAM, key="beam", help=m("controls.beam_help"), on_change=_pause,
                  persist_state=KEEP)
        tokens = explain.source_tokens(ss.sentence)
        ss.hide = [i for i in ss.get("hide", []) if 0 <= i < len(tokens)]  # a shorter sentence drops stale picks
        whatif_ui(m, tokens)
    return share


def whatif_ui(m, tokens: list[str]) -> None:
    """Force a French translation, hide English words: in an expander drawn only while open (a link that
    forces or hides opens it; after that it stays as the reader leaves it). Closed, its two widgets are
    not built, sent nor redrawn on every click: ~35 ms of the browser's (benchmarks/ab_browser.py)."""
    ss = st.session_state
    box = opened(m("controls.whatif"), "whatif", ":material/tune:", active=bool(ss.force.strip() or ss.hide))
    if box is None:
        return
    with box:
        st.text_input(m("controls.force"), key="force", on_change=_new_force, help=m("controls.force_help"),
                      persist_state=KEEP)
        st.multiselect(m("controls.hide"), list(range(len(tokens))), key="hide", on_change=_restart,
                       format_func=lambda i: f"{i + 1}. {tokens[i]}", help=m("controls.hide_help"),
                       placeholder=m("controls.hide_placeholder"), persist_state=KEEP)


def view_ui(lang: str, present: bool):
    """The view switch; in presenter mode with a small button beside it to leave presenter mode.

    Returns, in presenter mode, the top row (after the views and the sentence button), for the class
    bar's "Start a class"; otherwise None."""
    m = messages(lang)
    if not present:
        st.segmented_control(m("controls.view"), VIEWS, key="view", required=True, label_visibility="collapsed",
                             format_func=lambda v: m(f"views.{v}"), on_change=_pause, persist_state=KEEP)
        return None
    left, right = st.columns([6, 1], vertical_alignment="center")
    row = left.container(horizontal=True, vertical_alignment="center", gap="small")
    with row:
        st.segmented_control(m("controls.view"), VIEWS, key="view", required=True, label_visibility="collapsed",
                             format_func=lambda v: m(f"views.{v}"), on_change=_pause, persist_state=KEEP)
        presenter_sentence(m)
    right.button(m("controls.exit_present"), key="exit_present", on_click=_exit_presenter, type="tertiary",
                 help=m("controls.exit_present_help"), width="stretch")
    return row


def presenter_sentence(m) -> None:
    """Presenter mode: a small button beside the views opens the sentence box, so a sentence called out
    in class is typed without leaving the mode (Enter translates it; the box keeps the sentence)."""
    with st.popover(m("controls.present_sentence"), icon=":material/edit:", key="present_sentence",
                    help=m("controls.present_sentence_help")):
        st.text_input(m("controls.sentence"), key="sentence", on_change=_new_sentence,
                      placeholder=m("controls.sentence_placeholder"), persist_state=KEEP)


def settings() -> Settings:
    """The current Settings, read from the widgets' session state."""
    ss = st.session_state
    prepared = explain.prepare_input(ss.sentence)
    return replace(Settings(), sentence=prepared.sentence, model=ss.model,
                   beam=int(ss.beam), force=ss.force.strip(), prefix=ss.get("prefix", "").strip(),
                   hide=tuple(sorted(ss.hide)), view=ss.view or VIEWS[0], step=int(ss.step),
                   stage=int(ss.get("stage", 1)), answers=answers(), lang=ss.lang,
                   present=bool(ss.present), layer=int(ss.get("layer", 0)), head=int(ss.get("head", 0)),
                   notes=tuple(ss.get(NOTES, [])) + prepared.notes)


def answers() -> tuple[tuple[str, int], ...]:
    """The lesson's guesses as the link holds them: (stage key, 0-based option), in stage order."""
    guesses = st.session_state.get(GUESSES) or {}
    return tuple((k, guesses[k]) for k in ASKING if isinstance(guesses.get(k), int) and guesses[k] >= 0)


def page_link(s: Settings, default: Settings) -> str:
    """The full link to this view, for the "Copy link" box (the browser's own address when known)."""
    base = ""
    try:
        base = st.context.url or ""
    except Exception:  # no browser context (tests, bare mode)
        base = ""
    return share_url(base, to_query(s, default))

