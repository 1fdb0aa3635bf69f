"""Step by step: play the decoder back one output word at a time, with the three steps of attention.

Playback keeps its own clock: the step shown is the step due at this moment (started at `play_t0`
from `play_step0`, one step every PLAY_EVERY seconds), so a late or doubled timer tick neither
slows nor rushes it. The timer runs only the playback fragment; while playing, Play/Pause, Back and
Next are drawn outside it, so a tick never redraws the button being pressed, and a tick advances only
while `playing` is set: Pause always wins. While paused, the controls, the step and the lab are one
fragment, so Back, Next, the slider and the arrow keys rerun that part of the page alone.
"""
from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

from .. import explain, figures
from ..i18n import messages
from ..figures import headsteps
from ..state import Settings, clamp_step
from ..trace import Trace
from . import controls, heads, lab
from .class_common import teaching
from .common import Traces, show_figure, trace_or_warn
from .controls import NOTES
from .heatmap import draw_heatmap
from . import viewport

PLAY_EVERY = 1.2  # seconds per step while playing: time to read the narration aloud
TICKS_PER_STEP = 3  # the timer looks this often per step, so a step is at most PLAY_EVERY/3 late
PRESENT_RESERVE = 280  # presenter mode: pixels above the figures (views, controls, narration) and below
PRESENT_RESERVE_SMALL = 270  # the same in a window under viewport.BIG_FROM tall (smaller text above)
PRESENT_SPLIT = 0.58  # presenter mode: the heatmap row's share of the rest; the hidden states get the other
CONTROLS_CSS = """<style>  /* sent with the page's other CSS: views/chrome.py */
/* the controls row keeps its height while the slider is hidden (playing): nothing below it moves */
.st-key-step_controls { min-height: 4.6rem; }
/* Play and Pause one width (the longer label, in either language), so Back and Next never move */
.st-key-step_controls .st-key-play button { min-width: 7.5rem; }
</style>"""


def present_rows() -> tuple[int, int]:
    """Presenter mode: heights of the two figure rows, so that both fit the window unscrolled
    (1920x1080: 464 and 336 px; 1280x720: 261 and 189 px)."""
    height = viewport.size()[1]
    rest = height - (PRESENT_RESERVE if height >= viewport.BIG_FROM else PRESENT_RESERVE_SMALL)
    top = max(220, int(rest * PRESENT_SPLIT))
    return top, max(160, rest - top)


def narration(trace: Trace, t: int, m) -> str:
    """The step's sentence; for input the model cannot read, no story of a translation (it would say
    "`les` looked mostly at `나는`"): only what it wrote, and that this translates nothing."""
    if not explain.reads_english_only(trace):
        return explain.step_narration(trace, t, m)
    tok = trace.tgt_tokens[t]
    word = m("explain.eos_word") if tok == "<eos>" else explain.code(tok)
    return f'{explain.step_title(trace, t, m)} {m("steps.not_english", word=word)}'


def due_step(step0: int, t0: float, now: float, n: int, every: float = PLAY_EVERY) -> int:
    """The 1-based step playback should show at `now`, having started from `step0` at `t0`."""
    return min(step0 + max(int((now - t0) / every), 0), n)


def start_or_pause(n: int) -> None:
    """Play/Pause: Play restarts from the first step at the end; Pause keeps the step shown."""
    ss = st.session_state
    if ss.playing:
        ss.playing = False
        return
    if ss.step >= n:
        ss.step = 1  # replay from the start
    ss.update(playing=True, play_t0=time.monotonic() - PLAY_EVERY, play_step0=ss.step)  # first step at once


def move(delta: int, n: int) -> None:
    st.session_state.update(playing=False, step=min(max(st.session_state.step + delta, 1), n))


def _slid() -> None:
    st.session_state.update(playing=False, step=int(st.session_state.step_slider))


def tick(state, n: int, now: float | None = None) -> bool:
    """One timer tick on `state` (the session state, or any dict): advance to the step due now, if
    still playing. Returns whether it is still playing."""
    if not state.get("playing"):
        return False  # paused (or stopped) since the timer was set: never advance
    state["step"] = due_step(state["play_step0"], state["play_t0"], time.monotonic() if now is None else now, n)
    if state["step"] >= n:
        state["playing"] = False  # at the end: stop; the next full run drops the timer
    return state["playing"]


def _link_step(step: int) -> None:
    """Keep the link's `step` on the step shown (1, the default, is left out of the link)."""
    if step == 1:
        st.query_params.pop("step", None)
    else:
        st.query_params["step"] = str(step)


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    if (trace := trace_or_warn(traces, s)) is None:
        return
    ss = st.session_state
    n = trace.num_steps
    for warning in explain.input_notes(trace, m):  # as Translate: another language, unknown or hidden words
        st.warning(warning)
    inline = s.present and trace.heads is not None  # presenter mode: the head picker beside the controls
    if not inline:  # a Transformer: the layer × head picker above the controls (a GRU: nothing drawn)
        trace = heads.picker(s, trace, s.lang, key="steps")
    step, note = clamp_step(int(ss.step), n)
    if note:  # e.g. step=99 in the link: the last step, and say so
        ss.step = step
        ss[NOTES] = [*ss.get(NOTES, []), note]
        st.warning(m(note[0], **note[1]))
        _link_step(step)
    s = replace(s, step=step)
    if ss.playing:  # the timer runs only the step's fragment: a tick never redraws Pause or Back / Next
        draw_playing(s, trace, n, inline)
    else:  # Back, Next, the slider and the lab redraw their fragment of the page, not the whole page
        draw_paused(s, traces, trace, n, inline)


def draw_playing(s: Settings, trace: Trace, n: int, inline: bool) -> None:
    """While playing: the controls, then the step in a fragment the timer reruns until the end or Pause."""
    ss = st.session_state
    slot = draw_controls(messages(s.lang), n, True, picker=inline)
    if slot is not None:
        with slot:  # the trace through the head the picker names
            trace = heads.picker(s, trace, s.lang, key="steps", compact=True)

    @st.fragment(run_every=PLAY_EVERY / TICKS_PER_STEP)
    def playback() -> None:
        if not tick(ss, n):
            st.rerun(scope="app")  # paused or at the end: a full run shows Play and drops the timer
        _link_step(ss.step)  # the link follows playback
        draw_step(s, trace, ss.step - 1, playing=True)

    playback()


def draw_paused(s: Settings, traces: Traces, trace: Trace, n: int, inline: bool) -> None:
    """Paused: the controls, the step and the lab as one fragment. Back, Next, the slider and the arrow keys
    change only the step, which nothing outside the fragment shows (the link follows it in the address bar,
    which "Copy link" copies), so they rerun the fragment alone: 29 page elements instead of 51, ~14 ms of
    server time instead of ~23 (README). Any other change (Play, a word picked in the lab, a head, a class
    to ask about this step) runs the page."""
    ss = st.session_state
    base = controls.settings()  # as this full run leaves them (e.g. a link's missing head corrected)

    @st.fragment
    def step_and_lab() -> None:
        now = controls.settings()
        if ss.playing or replace(now, step=base.step) != base or (now.step != base.step and teaching()):
            st.rerun(scope="app")
        slot = draw_controls(messages(s.lang), n, False, picker=inline)
        shown_trace = trace
        if slot is not None:
            with slot:  # the trace through the head the picker names
                shown_trace = heads.picker(s, trace, s.lang, key="steps", compact=True)
        _link_step(now.step)
        draw_step(s, shown_trace, now.step - 1)
        lab.draw_edit_at_step(s, traces, shown_trace, now.step - 1)  # what if another word here?
        controls.remember_url()  # this step's address is the page's own, not the browser's Back

    step_and_lab()


def draw_controls(m, n: int, playing: bool, picker: bool = False):
    """Play/Pause, Back, Next and the step slider; with `picker`, a column at the end for the head picker
    (presenter mode: one row less above the figures), returned. Otherwise returns None."""
    ss = st.session_state
    # one horizontal container, not columns: one page element for the row instead of two and one a
    # column (each costs the server time on every run); a phone wraps the row instead of stacking it
    row = st.container(key="step_controls", horizontal=True, vertical_alignment="bottom", gap="small")
    # Material icons ship with Streamlit (no emoji font needed, nothing fetched); Play and Pause the same
    # width (CONTROLS_CSS), so pressing one never moves Back and Next
    row.button(m("steps.pause") if playing else m("steps.play"), key="play", on_click=start_or_pause,
               args=(n,), type="primary", help=m("steps.keys_help"),
               icon=":material/pause:" if playing else ":material/play_arrow:")
    row.button(m("steps.back"), key="prev", on_click=move, args=(-1, n), icon=":material/chevron_left:")
    row.button(m("steps.next"), key="next", on_click=move, args=(1, n),
               icon=":material/chevron_right:", icon_position="right")
    if n > 1 and not playing:  # while playing the slider would lag behind the step shown
        ss.step_slider = int(ss.step)
        row.slider(m("steps.step"), 1, n, key="step_slider", on_change=_slid, width="stretch")
    else:
        row.space("stretch")  # the slider's place kept: the head picker beside it does not move
    return row.container(width="stretch") if picker else None


def draw_step(s: Settings, trace: Trace, t: int, playing: bool = False) -> None:
    """Narration, then the heatmap so far, the three steps of attention, and last the next word.

    Playing or paused, the same figures in the same places: Play/Pause (space) never moves the page.
    """
    m = messages(s.lang)
    text = explain.step_captions(trace, t, m)
    st.markdown(f"#### {narration(trace, t, m)}")
    if trace.heads is not None:
        draw_head_step(s, trace, t, m, text)
        return
    if s.present:
        draw_step_big(s, trace, t, m, text)
        return
    with heatmap_beside(s, trace, t):
        st.markdown(text["look"])
        show_figure(figures.encoder_states_figure(trace, m=m), "states")
    if trace.weights is not None:
        st.markdown(f"{text['score']}\n\n{text['weigh']}")
        left, right = st.columns(2, gap="large")
        with left:
            st.html(figures.scores_weights_html(trace, t, m=m))  # bar lists: HTML, drawn at once (figures/bars.py)
        with right:
            show_figure(figures.context_figure(trace, t, m=m), "context")
    st.markdown(text["choose"])
    st.html(figures.topk_html(trace, t, m=m, narrow=True))  # as wide as the heatmap's column above


# The heatmap beside step 1 takes 3/5 of the main area less the columns' gap (56 CSS px); of its column, the
# French words, the axis title and the colour bar take 176 px (measured in Chromium: 1280 px wide, 441 px
# of column, 265 px of cells).
BESIDE_SHARE, BESIDE_GAP_PX, BESIDE_CHROME_PX = 0.6, 56, 176


def heatmap_beside(s: Settings, trace: Trace, t: int):
    """The heatmap filled up to step t on the left (3/5 of the width); returns the right column, for what
    step 1 looks at (the encoder's states, or one head's query and keys). On a window where that column
    would give an English word less than viewport.LEAST_WORD_PX (a 12-word sentence at 1100 px: 13 px; at
    853 px, 1280x720 at 150 %, 7 px), the heatmap takes the width and the rest goes below it."""
    if viewport.words_fit(len(trace.src_tokens), BESIDE_SHARE, BESIDE_CHROME_PX, gaps=BESIDE_GAP_PX):
        left, right = st.columns([3, 2], gap="large")
    else:
        left, right = st.container(), st.container()
    with left:
        draw_heatmap(s, trace, "fill", upto=t, height=viewport.fit(figures.heatmap_height(trace.num_steps), 40))
    return right


def draw_step_big(s: Settings, trace: Trace, t: int, m, text: dict) -> None:
    """Presenter mode: the heatmap with half the width beside the scores and weights, then the hidden
    states, the context and the next word, all on one screen (the rows' heights follow the window)."""
    top, bottom = present_rows()
    big = viewport.big_fonts(True)
    a, b = st.columns([7, 6], gap="medium")
    with a:
        draw_heatmap(s, trace, "fill", upto=t, height=top, big=big)
    with b:
        if trace.weights is None:
            st.markdown(text["look"])
        else:
            st.html(figures.scores_weights_html(trace, t, m=m, big=big))
    c, d, e = st.columns([5, 5, 3], gap="small")
    with c:
        show_figure(figures.encoder_states_figure(trace, m=m, big=big, height=bottom), "states")
    with d:
        if trace.weights is not None:
            show_figure(figures.context_figure(trace, t, m=m, big=big, height=bottom), "context")
    with e:
        st.html(figures.topk_html(trace, t, m=m, big=big))


def draw_head_step(s: Settings, trace: Trace, t: int, m, text: dict) -> None:
    """A Transformer, one head: the heatmap so far, (1) this step's query and the English words' keys,
    (2) the scores q·k/√K, (3) the softmax weights and the weighted sum of the values, (4) every head of
    the layer joined and projected; then the next word beside what differs from the GRU models."""
    big = viewport.big_fonts(s.present)
    if s.present:  # as draw_step_big: the heatmap and the bars, then the query and keys, the values, next word
        top, bottom = present_rows()
        a, b = st.columns([7, 6], gap="medium")
        with a:
            draw_heatmap(s, trace, "fill", upto=t, height=top, big=big)
        with b:
            st.html(figures.scores_weights_html(trace, t, m=m, big=big))
        c, d, e = st.columns([5, 5, 3], gap="small")
        with c:
            show_figure(headsteps.query_keys_figure(trace, t, m=m, big=big, height=bottom), "query-keys")
        with d:
            show_figure(headsteps.values_figure(trace, t, m=m, big=big, height=bottom), "values")
        with e:
            st.html(figures.topk_html(trace, t, m=m, big=big))
        show_figure(headsteps.heads_out_figure(trace, t, m=m, big=big), "heads-out")
        return
    with heatmap_beside(s, trace, t):
        st.markdown(text["look"])
        show_figure(headsteps.query_keys_figure(trace, t, m=m), "query-keys")
    st.markdown(f"{text['score']}\n\n{text['weigh']}")
    left, right = st.columns(2, gap="large")
    with left:
        st.html(figures.scores_weights_html(trace, t, m=m))
    with right:
        show_figure(headsteps.values_figure(trace, t, m=m), "values")
    st.markdown(text["heads"])
    show_figure(headsteps.heads_out_figure(trace, t, m=m), "heads-out")
    st.markdown(text["choose"])
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.html(figures.topk_html(trace, t, m=m))
    with right:
        st.info(text["differs"])
