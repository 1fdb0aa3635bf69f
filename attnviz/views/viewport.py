"""The browser window's size, told to the server, so presenter mode and long sentences fit one screen.

Plotly figures get a fixed height in pixels from the server, and the server cannot see the screen: a
tiny component (Streamlit's components v2, no iframe, nothing loaded from outside) reports the
window's inner size into st.session_state["viewport"] on load and after a resize (rounded, so a
resize by a few pixels does not rerun the page). Until it has spoken, a 1920x1080 screen is assumed.
"""
from __future__ import annotations

import streamlit as st

DEFAULT = (1920, 1080)  # the projector the page was designed for
STEP = 20  # report sizes in steps of this many pixels: fewer reruns while a window is dragged

_JS = """
export default function ({ setStateValue }) {
  const round = (v) => Math.round(v / %(step)d) * %(step)d;
  let last = "";
  const send = () => {
    const size = [round(window.innerWidth), round(window.innerHeight)];
    if (String(size) === last) return;
    last = String(size);
    setStateValue("size", size);
  };
  let pending = null;
  const later = () => { clearTimeout(pending); pending = setTimeout(send, 250); };
  send();
  window.addEventListener("resize", later);
  return () => { clearTimeout(pending); window.removeEventListener("resize", later); };
}
""" % {"step": STEP}

_CSS = """
.st-key-viewport { display: none; }
"""

_component = None


def _mount():
    global _component
    if _component is None:  # registered once per process, on first use (no work at import time)
        _component = st.components.v2.component("attnviz_viewport", js=_JS)
    return _component


def install() -> None:
    """Mount the reporter (once per run; it is invisible)."""
    st.html(f"<style>{_CSS}</style>")
    _mount()(key="viewport", default={"size": None}, on_size_change=lambda: None)


def size() -> tuple[int, int]:
    """(width, height) of the browser window in CSS pixels, or DEFAULT before the page has said."""
    state = st.session_state.get("viewport") or {}
    got = state.get("size") if hasattr(state, "get") else None
    try:
        w, h = int(got[0]), int(got[1])
    except (TypeError, ValueError, IndexError):
        return DEFAULT
    return (w, h) if w > 0 and h > 0 else DEFAULT


BIG_FROM = 900  # presenter mode: figures' large fonts from this window height on (a 720p projector
# already draws each pixel larger, and the large fonts would leave the figures no room)


def big_fonts(present: bool) -> bool:
    """Whether presenter mode's large figure fonts fit this window."""
    return present and size()[1] >= BIG_FROM


def fit(natural: int, reserve: int, least: int = 260) -> int:
    """A figure height no taller than the window less `reserve` pixels (never below `least`)."""
    return int(max(least, min(natural, size()[1] - reserve)))
