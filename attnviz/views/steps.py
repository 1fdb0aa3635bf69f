"""Step by step: play the decoder back one output word at a time, with the three steps of attention."""
from __future__ import annotations

import streamlit as st

from .. import explain, figures
from ..i18n import messages
from ..state import Settings
from ..trace import Trace
from .common import PLOTLY, Traces, trace_or_warn
from .heatmap import draw_heatmap

PLAY_EVERY = 1.2  # seconds per step while playing: time to read the narration aloud


def toggle_play(n: int) -> None:
    ss = st.session_state
    ss.step = 0 if not ss.playing and ss.step >= n else ss.step  # replay from the start
    ss.playing = not ss.playing


def move(delta: int, n: int) -> None:
    st.session_state.update(playing=False, step=min(max(st.session_state.step + delta, 1), n))


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    if (trace := trace_or_warn(traces, s)) is None:
        return
    n, every = trace.num_steps, PLAY_EVERY if st.session_state.playing else None

    @st.fragment(run_every=every)
    def playback() -> None:
        ss = st.session_state
        if bool(every) != ss.playing:
            st.rerun(scope="app")  # Play or Pause was pressed: a full run sets or drops the timer
        ss.step = min(max(ss.step + (1 if every else 0), 1), n)  # 1-based, as the narration counts
        ss.playing = ss.playing and ss.step < n  # at the end the timer's next tick stops it
        play, prev, nxt, slider = st.columns([1.2, 1.2, 1.2, 5], vertical_alignment="bottom")
        play.button(m("steps.pause") if every else m("steps.play"), key="play", on_click=toggle_play,
                    args=(n,), type="primary", width="stretch")
        prev.button(m("steps.back"), key="prev", on_click=move, args=(-1, n), width="stretch")
        nxt.button(m("steps.next"), key="next", on_click=move, args=(1, n), width="stretch")
        if n > 1:
            slider.slider(m("steps.step"), 1, n, key="step", on_change=lambda: ss.update(playing=False))
        draw_step(s, trace, ss.step - 1)

    playback()


def draw_step(s: Settings, trace: Trace, t: int) -> None:
    text = explain.step_captions(trace, t)
    st.markdown(f"#### {explain.step_narration(trace, t)}")
    left, right = st.columns([3, 2], gap="large")
    right.markdown(text["choose"])
    right.plotly_chart(figures.topk_figure(trace, t), key="topk", theme=None, config=PLOTLY)
    with left:
        draw_heatmap(s, trace, "fill", upto=t)
    if trace.weights is None:
        return
    st.markdown(text["look"])
    st.plotly_chart(figures.encoder_states_figure(trace), key="states", theme=None, config=PLOTLY)
    st.markdown(f"{text['score']}\n\n{text['weigh']}")
    st.plotly_chart(figures.scores_weights_figure(trace, t), key="scores", theme=None, config=PLOTLY)
    st.plotly_chart(figures.context_figure(trace, t), key="context", theme=None, config=PLOTLY)
