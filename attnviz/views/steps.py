"""Step by step: play the decoder back one output word at a time, with the three steps of attention.

Playback keeps its own clock: the step shown is the step due at this moment (started at `play_t0`
from `play_step0`, one step every PLAY_EVERY seconds), so a late or doubled timer tick neither
slows nor rushes it. The timer runs only the playback fragment; Play/Pause, Back and Next are
drawn outside it, so a tick never redraws the button being pressed, and a tick advances only while
`playing` is set: Pause always wins.
"""
from __future__ import annotations

import time

import streamlit as st

from .. import explain, figures
from ..i18n import messages
from ..state import Settings, clamp_step
from ..trace import Trace
from . import lab
from .common import Traces, show_figure, trace_or_warn
from .controls import NOTES
from .heatmap import draw_heatmap

PLAY_EVERY = 1.2  # seconds per step while playing: time to read the narration aloud
TICKS_PER_STEP = 3  # the timer looks this often per step, so a step is at most PLAY_EVERY/3 late
PRESENT_ROW = (470, 330)  # presenter mode: heights of the two figure rows (fits 1920x1080 unscrolled)


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
    step, note = clamp_step(int(ss.step), n)
    if note:  # e.g. step=99 in the link: the last step, and say so
        ss.step = step
        ss[NOTES] = [*ss.get(NOTES, []), note]
        st.warning(m(note[0], **note[1]))
        _link_step(step)
    playing = bool(ss.playing)
    draw_controls(m, n, playing)
    every = PLAY_EVERY / TICKS_PER_STEP if playing else None

    @st.fragment(run_every=every)
    def playback() -> None:
        if every and not tick(ss, n):
            st.rerun(scope="app")  # paused or at the end: a full run shows Play and drops the timer
        if every:
            _link_step(ss.step)  # the link follows playback
        draw_step(s, trace, ss.step - 1, playing=bool(every))

    playback()
    lab.draw_edit(s, traces, trace, int(ss.step) - 1)  # what if another word here? (not while playing)


def draw_controls(m, n: int, playing: bool) -> None:
    ss = st.session_state
    play, prev, nxt, slider = st.columns([1, 1, 1, 3], vertical_alignment="bottom")  # labels fit at 150 %
    play.button(m("steps.pause") if playing else m("steps.play"), key="play", on_click=start_or_pause,
                args=(n,), type="primary", width="stretch", help=m("steps.keys_help"))
    prev.button(m("steps.back"), key="prev", on_click=move, args=(-1, n), width="stretch")
    nxt.button(m("steps.next"), key="next", on_click=move, args=(1, n), width="stretch")
    if n > 1 and not playing:  # while playing the slider would lag behind the step shown
        ss.step_slider = int(ss.step)
        slider.slider(m("steps.step"), 1, n, key="step_slider", on_change=_slid)


def draw_step(s: Settings, trace: Trace, t: int, playing: bool = False) -> None:
    """Narration, then the heatmap so far, the three steps of attention, and last the next word."""
    m = messages(s.lang)
    text = explain.step_captions(trace, t, m)
    big = s.present
    st.markdown(f"#### {explain.step_narration(trace, t, m)}")
    if playing or trace.weights is None:  # only what the class follows while it plays
        left, right = st.columns([3, 2], gap="large")
        with left:
            draw_heatmap(s, trace, "fill", upto=t, height=PRESENT_ROW[0] + PRESENT_ROW[1] if big else None)
        with right:
            if trace.weights is None:
                st.markdown(text["look"])
            st.markdown(text["choose"])
            st.html(figures.topk_html(trace, t, m=m, big=big))
        return
    if big:  # presenter mode: heatmap and the three steps on one 1920x1080 screen
        a, b, c = st.columns([5, 5, 3], gap="small")
        with a:
            draw_heatmap(s, trace, "fill", upto=t, height=PRESENT_ROW[0])
        with b:
            st.html(figures.scores_weights_html(trace, t, m=m, big=big))
        with c:
            st.html(figures.topk_html(trace, t, m=m, big=big))
        d, e = st.columns(2, gap="small")
        with d:
            show_figure(figures.encoder_states_figure(trace, m=m, big=big, height=PRESENT_ROW[1]), "states")
        with e:
            show_figure(figures.context_figure(trace, t, m=m, big=big, height=PRESENT_ROW[1]), "context")
        return
    left, right = st.columns([3, 2], gap="large")
    with left:
        draw_heatmap(s, trace, "fill", upto=t)
    with right:
        st.markdown(text["look"])
        show_figure(figures.encoder_states_figure(trace, m=m), "states")
    st.markdown(f"{text['score']}\n\n{text['weigh']}")
    left, right = st.columns(2, gap="large")
    with left:
        st.html(figures.scores_weights_html(trace, t, m=m))  # bar lists: HTML, drawn at once (figures/bars.py)
    with right:
        show_figure(figures.context_figure(trace, t, m=m), "context")
    st.markdown(text["choose"])
    left, _ = st.columns([3, 2], gap="large")
    with left:
        st.html(figures.topk_html(trace, t, m=m))
