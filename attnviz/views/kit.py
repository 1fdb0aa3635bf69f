"""The teacher's kit on the lesson page: the printable worksheet and the 10-minute class script.

Both are built only when a button is clicked (a callable given to st.download_button, run off the
script thread), from the bundles loaded now and the page's language: attnviz/handout.py.
"""
from __future__ import annotations

from functools import partial

import streamlit as st

from .. import handout
from ..i18n import messages
from ..state import Settings
from .common import Traces


def teacher_kit(s: Settings, traces: Traces) -> None:
    """Two download buttons under the lesson (not in presenter mode: the projector shows the lesson)."""
    if s.present:
        return
    m = messages(s.lang)
    row = st.container(horizontal=True, gap="small", key="lesson_kit")
    row.download_button(m("handout.download_handout"), data=partial(handout.handout_for, s.lang, traces.models),
                        file_name=handout.file_name("handout", s.lang), mime="text/html", key="kit_handout",
                        help=m("handout.download_help"), on_click="ignore", type="tertiary",
                        icon=":material/print:")
    row.download_button(m("handout.download_script"), data=partial(handout.script_for, s.lang, traces.models),
                        file_name=handout.file_name("class-script", s.lang), mime="text/html", key="kit_script",
                        help=m("handout.download_help"), on_click="ignore", type="tertiary",
                        icon=":material/schedule:")
