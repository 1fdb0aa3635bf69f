"""Translate: the translation and its attention heatmap, with the explainer beside it."""
from __future__ import annotations

import streamlit as st

from .. import explain
from ..i18n import messages
from ..state import Settings
from .common import Traces, trace_or_warn
from .heatmap import draw_heatmap

WIDE_AFTER = 12  # source words beyond which the heatmap takes the full width


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    trace = trace_or_warn(traces, s)
    wide = trace is not None and len(trace.src_tokens) > WIDE_AFTER
    left, right = (st.container(), st.container()) if wide else st.columns([2, 1], gap="large")
    right.markdown(explain.EXPLAINER_SHORT)  # beside the heatmap, or below it for a long sentence
    if trace is None:
        return
    with left:
        for note in explain.input_notes(trace):
            st.warning(note)
        st.markdown(f"**{m('translate.as_read')}** {explain.source_line(trace)}")
        st.markdown(f"### {explain.md_escape(trace.translation) or m('app.empty_translation')}")
        draw_heatmap(s, trace, "heatmap", export=True)
        st.caption(explain.HEATMAP_CAPTION)
        if trace.alternatives:
            st.markdown(m("translate.beam_kept", n=len(trace.alternatives)))
            st.dataframe(explain.alternatives_table(trace), hide_index=True)
