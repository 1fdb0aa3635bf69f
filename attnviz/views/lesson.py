"""Lesson: a guided tour of attention with the real model (being built)."""
from __future__ import annotations

import streamlit as st

from ..i18n import messages
from ..state import Settings
from .common import Traces


def draw(s: Settings, traces: Traces) -> None:
    st.info(messages(s.lang)("views.lesson"))
