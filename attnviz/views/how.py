"""How attention works: the explainer."""
from __future__ import annotations

import streamlit as st

from .. import explain
from ..state import Settings
from .common import Traces


def draw(s: Settings, traces: Traces) -> None:
    st.markdown(explain.EXPLAINER)
