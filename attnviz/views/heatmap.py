"""The attention heatmap as every view draws it (or the note that a model has none)."""
from __future__ import annotations

import streamlit as st

from .. import figures
from ..i18n import messages
from ..state import Settings
from ..trace import Trace
from .common import PLOTLY


def draw_heatmap(s: Settings, trace: Trace, key: str, upto: int | None = None, export: bool = False) -> None:
    m = messages(s.lang)
    if trace.weights is None:
        st.info(m("app.no_attention"))
        return
    fig = figures.attention_heatmap(trace, upto=upto)
    st.plotly_chart(fig, key=key, theme=None, config=PLOTLY)
    if export:  # built only when clicked: plotly.js inlined is a few MB
        st.download_button(m("translate.download_html"), lambda: figures.figure_html(fig),
                           file_name=f"attention-{trace.scorer}.html", mime="text/html", key=f"{key}-html")
