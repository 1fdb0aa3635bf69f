"""The browser window's size, told to the server, so presenter mode and long sentences fit one screen.

Plotly figures get a fixed height in pixels from the server, and the server cannot see the screen: a
tiny component (Streamlit's components v2, no iframe, nothing loaded from outside) reports the
window's inner size into st.session_state["viewport"] (rounded, so a resize by a few pixels does not
rerun the page). Until it has spoken, a 1920x1080 screen is assumed. It speaks only when the run it
follows would have drawn something else at the real size: each run notes which window sizes would have
left its page unchanged (size() pins the exact size, fit() and big_fonts() a range), so a first load
whose figures do not depend on the size costs no second run.
"""
from __future__ import annotations

import streamlit as st

DEFAULT = (1920, 1080)  # the projector the page was designed for
STEP = 20  # report sizes in steps of this many pixels: fewer reruns while a window is dragged

_JS = """
export default function ({ data, setStateValue }) {
  // Called on mount and again whenever the run's `data` changes: the state lives on the window, so a
  // size is sent once, and only when it lies outside the sizes this run's page would look the same at.
  const round = (v) => Math.round(v / %(step)d) * %(step)d;
  const v = window.__attnvizViewport || (window.__attnvizViewport = {last: "", pending: null});
  v.send = setStateValue;
  v.same = data ? {w: data[0], h: data[1]} : {w: [0, 1e9], h: [0, 1e9]};  // [[w lo, hi], [h lo, hi]]
  v.check = () => {
    const size = [round(window.innerWidth), round(window.innerHeight)];
    const inside = (x, [lo, hi]) => lo <= x && x <= hi;
    if (String(size) === v.last || (inside(size[0], v.same.w) && inside(size[1], v.same.h))) return;
    v.last = String(size);
    v.send("size", size);
  };
  if (!v.listening) {
    v.listening = true;
    window.addEventListener("resize", () => { clearTimeout(v.pending); v.pending = setTimeout(() => v.check(), 250); });
  }
  v.check();
}
""" % {"step": STEP}

CSS = """<style>
.st-key-viewport { display: none; }
</style>"""

_component = None


def _mount():
    global _component
    if _component is None:  # registered once per process, on first use (no work at import time)
        _component = st.components.v2.component("attnviz_viewport", js=_JS)
    return _component


SAME = "_viewport_same"  # session key: the window sizes at which this run's page would look the same
ANY = (0, 10**9)


def _narrow(w: tuple[int, int] = ANY, h: tuple[int, int] = ANY) -> None:
    """Note that this run's page is the same only for widths in `w` and heights in `h`."""
    (w0, w1), (h0, h1) = st.session_state.get(SAME) or (ANY, ANY)
    st.session_state[SAME] = ((max(w0, w[0]), min(w1, w[1])), (max(h0, h[0]), min(h1, h[1])))


def install() -> None:
    """Hide the reporter's place and mount it (see mount)."""
    st.html(CSS)
    mount()


def mount() -> None:
    """Mount the reporter (at the end of a run; it is invisible), telling it the sizes at which this run's
    page would look the same, then start the next run's note afresh. CSS must hide its place."""
    (w, h) = st.session_state.pop(SAME, None) or (ANY, ANY)
    # a list, not a dict: Streamlit scans a dict's values for data frames on every run
    _mount()(key="viewport", default={"size": None}, data=[list(w), list(h)], on_size_change=lambda: None)


def _known() -> tuple[int, int]:
    state = st.session_state.get("viewport") or {}
    got = state.get("size") if hasattr(state, "get") else None
    try:
        w, h = int(got[0]), int(got[1])
    except (TypeError, ValueError, IndexError):
        return DEFAULT
    return (w, h) if w > 0 and h > 0 else DEFAULT


def size() -> tuple[int, int]:
    """(width, height) of the browser window in CSS pixels, or DEFAULT before the page has said. The page
    may now depend on the exact size: the reporter will tell a different one (rounded to STEP)."""
    w, h = _known()
    _narrow((w - STEP // 2, w + STEP // 2), (h - STEP // 2, h + STEP // 2))
    return w, h


BIG_FROM = 900  # presenter mode: figures' large fonts from this window height on (a 720p projector
# already draws each pixel larger, and the large fonts would leave the figures no room)


def big_fonts(present: bool) -> bool:
    """Whether presenter mode's large figure fonts fit this window."""
    if not present:
        return False
    big = _known()[1] >= BIG_FROM
    _narrow(h=(BIG_FROM, ANY[1]) if big else (0, BIG_FROM - 1))
    return big


# The page's geometry in CSS px, measured in Chromium (1280 and 1920 px windows): Streamlit's open sidebar
# and the main area's side padding, together; windows narrower than PHONE_BELOW hide the sidebar, and the
# padding shrinks to PHONE_PADDING.
SIDEBAR_AND_PADDING, PHONE_BELOW, PHONE_PADDING = 489, 768, 32
LEAST_WORD_PX = 18  # the narrowest column a heatmap gives an English word before a view lays it out wider


def main_width(window: int) -> int:
    """About how many CSS px the main area has inside its padding, in a window `window` px wide."""
    return window - PHONE_PADDING if window < PHONE_BELOW else window - SIDEBAR_AND_PADDING


def wide(at_least: int) -> bool:
    """Whether the window is at least `at_least` CSS pixels wide (the page then depends on that alone:
    a window on the same side of it reports nothing)."""
    wide_ = _known()[0] >= at_least
    _narrow(w=(at_least, ANY[1]) if wide_ else (0, at_least - 1))
    return wide_


def words_fit(words: int, share: float, chrome: int, gaps: int = 0) -> bool:
    """Whether a heatmap laid out in `share` of the main area (less `gaps` px between its columns), of which
    `chrome` px are its French words, axis title and colour bar, gives each of `words` English words at
    least LEAST_WORD_PX (the sidebar counted as open)."""
    return wide(int(SIDEBAR_AND_PADDING + gaps + (chrome + LEAST_WORD_PX * words) / share))


def fit(natural: int, reserve: int, least: int = 260) -> int:
    """A figure height no taller than the window less `reserve` pixels (never below `least`)."""
    h = _known()[1]
    got = int(max(least, min(natural, h - reserve)))
    if got == natural:  # any window at least this tall gives the same height
        _narrow(h=(natural + reserve, ANY[1]))
    elif got == least:  # the smallest height: any window this short or shorter
        _narrow(h=(0, least + reserve))
    else:  # the window's own height decides
        size()
    return got
