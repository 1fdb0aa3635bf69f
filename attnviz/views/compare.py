"""Compare scorers: every model on the same sentence, one colour scale, then their measured quality."""
from __future__ import annotations

import streamlit as st

from .. import explain, figures
from ..i18n import messages
from ..state import Settings
from .common import Traces, trace_or_warn
from .heatmap import draw_heatmap


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    names = list(traces.models)
    for row in range(0, len(names), 2):
        for col, scorer in zip(st.columns(2, gap="medium"), names[row:row + 2]):
            with col.container(border=True):
                st.subheader(m(f"scorers.{scorer}"))
                if (trace := trace_or_warn(traces, s, scorer)) is not None:
                    st.markdown(f"#### {explain.md_escape(trace.translation) or m('app.empty_translation')}")
                    draw_heatmap(s, trace, f"cmp-{scorer}")
    draw_quality(s, traces.cards)


def draw_quality(s: Settings, cards: dict) -> None:
    m = messages(s.lang)
    st.header(m("compare.quality"))
    table = figures.metrics_frame(cards)
    st.dataframe(table.dropna(axis=1, how="all"), hide_index=True, column_config={
        name: st.column_config.NumberColumn(help=text) for name, text in explain.METRIC_HELP.items()})
    if table["BLEU"].isna().all():
        st.info(explain.NO_SCORES)
    left, right = st.columns(2)
    if not figures.bleu_by_length_frame(cards).empty:
        left.altair_chart(figures.bleu_by_length_chart(cards), width="stretch")
        left.caption(explain.BLEU_BY_LENGTH_CAPTION)
    if not figures.history_frame(cards).empty:
        right.altair_chart(figures.training_chart(cards), width="stretch")
