"""What every page carries besides its view, drawn last: the page's CSS, the keyboard and history
scripts, and the window-size reporter, in three page elements (each element costs the server time on
every run; these were six).
"""
from __future__ import annotations

import streamlit as st

from . import controls, history, keys, steps, viewport


def install(present: bool) -> None:
    """One style element (the page's, presenter mode's, the step controls', the model note's, the
    reporter's place), one script element (keys: views/keys.py; Back / Forward: views/history.py), and
    the size reporter."""
    st.html(keys.page_css(present) + steps.CONTROLS_CSS + controls.NOTE_CSS + viewport.CSS)
    st.html(keys.KEYS_JS + history.HISTORY_JS, unsafe_allow_javascript=True)
    viewport.mount()  # the window's size, for figures that must fit one screen (presenter, long sentences)
