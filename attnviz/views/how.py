"""How attention works: the explainer."""
from __future__ import annotations

import streamlit as st

from ..i18n import messages
from ..state import Settings
from .common import Traces


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    st.markdown(m("explain.explainer_short") + "\n" + m("explain.explainer_more"))
