"""The attention heatmap as every view draws it (or the note that a model has none)."""
from __future__ import annotations

import streamlit as st

from .. import figures
from ..i18n import messages
from ..state import Settings
from ..trace import Trace
from .common import show_figure


def draw_heatmap(s: Settings, trace: Trace, key: str, upto: int | None = None,
                 height: int | None = None, cell_text: bool = True, big: bool | None = None,
                 compact: bool = False, width: int | None = None) -> None:
    """`big`: presenter-size fonts (default: in presenter mode); `compact`: no axis titles nor colour bar,
    and labels no larger than the cells of a figure about `width` pixels wide."""
    m = messages(s.lang)
    if trace.weights is None:
        st.info(m("app.no_attention"))
        return
    big = s.present if big is None else big
    spec = figures.attention_heatmap(trace, upto=upto, m=m, big=big, height=height, cell_text=cell_text,
                                     compact=compact, width=width)
    show_figure(spec, key)
