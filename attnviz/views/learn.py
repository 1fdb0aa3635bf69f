"""Watch attention learn: each scorer's attention on curated sentences at log-spaced training steps,
from the model cards (recorded while training), animated in the browser."""
from __future__ import annotations

import streamlit as st

from .. import figures
from ..i18n import messages
from ..state import Settings
from .common import Traces, show_figure


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    st.markdown(m("learn.intro"))
    recorded = {name: card["attention_snapshots"] for name, card in traces.cards.items()
                if name != "none" and card.get("attention_snapshots")}
    if not recorded:
        st.info(m("learn.not_recorded"))
        return
    examples = next(iter(recorded.values()))["examples"]
    i = st.segmented_control(m("learn.sentence"), list(range(len(examples))), key="learn_example", default=0,
                             required=True, format_func=lambda k: examples[k]["en"])
    st.caption(m("learn.reference", fr=examples[i]["fr"]))
    for col, (name, snapshots) in zip(st.columns(len(recorded), gap="medium"), recorded.items()):
        with col:
            show_figure(figures.learning_figure(snapshots, i, name, m=m, big=s.present), key=f"learn-{name}")
    st.caption(m("learn.caption"))
