"""Translate: the translation and its attention heatmap, with the explainer beside it; for a Transformer, the
head picker, every head at once and one head's self-attention (views/heads.py)."""
from __future__ import annotations

import streamlit as st

from .. import explain
from ..i18n import messages
from ..state import Settings
from . import heads, lab
from .common import Traces, trace_or_warn
from . import viewport
from .heatmap import draw_heatmap

WIDE_AFTER = 12  # source words beyond which the heatmap takes the full width
PRESENTER_HEIGHT = 760  # presenter mode: the heatmap fills a 1920x1080 screen below the view switch
PRESENTER_RESERVE = 250  # presenter mode: the view switch and the translation above it (smaller windows)
PICKER_ROOM = 56  # presenter mode, a model with heads: the head picker above the heatmap


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    trace = trace_or_warn(traces, s)
    if trace is None:  # nothing to draw: the explainer takes the whole width, no empty column
        if not s.present:
            st.markdown(m("explain.explainer_short"))
        return
    if s.present:
        st.markdown(explain.headline(trace, m))
        for note in explain.input_notes(trace, m):
            st.warning(note)
        show_copies(trace, m)
        room = 0 if trace.heads is None else PICKER_ROOM
        own = heads.own_head(trace)
        trace = heads.picker(s, trace, s.lang, compact=True)  # a Transformer: which head (the link's layer, head)
        draw_heatmap(s, trace, "heatmap", height=viewport.fit(PRESENTER_HEIGHT - room, PRESENTER_RESERVE + room),
                     big=viewport.big_fonts(True))
        heads.draw_all_heads(s, trace, own)  # below the fold, closed until the teacher opens them
        heads.draw_self_attention(s, traces, trace)
        return
    wide = len(trace.src_tokens) > WIDE_AFTER
    left, right = (st.container(), st.container()) if wide else st.columns([2, 1], gap="large")  # see share=
    with left:
        for note in explain.input_notes(trace, m):
            st.warning(note)
        st.markdown(f"**{m('translate.as_read')}** {explain.source_line(trace)}")
        st.markdown(explain.headline(trace, m))
        show_copies(trace, m)
        own = heads.own_head(trace)
        trace = heads.picker(s, trace, s.lang)  # a Transformer: which head the heatmap draws (GRU: nothing)
        lab.draw_main_heatmap(s, traces, trace)  # titled, named PNG/SVG, CSV/JSON/HTML exports
        st.caption(" ".join(x for x in (heads.heatmap_caption(trace, m), m("explain.heatmap_caption")) if x))
        heads.draw_all_heads(s, trace, own, share=1.0 if wide else 2 / 3)  # every head, while its expander is open
        heads.draw_self_attention(s, traces, trace)  # the shown head's encoder and decoder self-attention
        if trace.alternatives:
            st.markdown(m("translate.beam_kept", n=len(trace.alternatives)))
            lab.draw_beam_tree(s, traces, trace)  # the beam as a tree, length penalty, per-hypothesis heatmap
        lab.draw_panels(s, traces, trace)  # what if?, the hide test, human alignment
    right.markdown(m("explain.explainer_short"))  # beside the heatmap, or below it for a long sentence


def show_copies(trace, m) -> None:
    """The words copied through attention (or, without attention, the words it could not copy)."""
    if (line := explain.copy_line(trace, m)) is not None:
        st.info(line)
