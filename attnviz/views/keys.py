"""Keyboard and presenter-mode styling: a few lines of JavaScript and CSS, no extra component.

→ / PageDown: next step, ← / PageUp: previous step (what a presentation clicker sends), space:
play / pause. The script runs in the page itself (st.html with JavaScript allowed: our own constant
text, never user input) and clicks the page's own buttons, found by their keys (Streamlit gives each
keyed element the class `st-key-<key>`), so a key press does exactly what a click does.
"""
from __future__ import annotations

import streamlit as st

KEYS_JS = """
<script>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  const targets = {
    ArrowRight: ["next", "lesson_next"], PageDown: ["next", "lesson_next"],
    ArrowLeft: ["prev", "lesson_back"], PageUp: ["prev", "lesson_back"],
    " ": ["play"],
  };
  const press = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    const el = event.target;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    const keys = targets[event.key];
    if (!keys) return;
    for (const key of keys) {  // the visible one: Streamlit keeps a hidden copy of a button with help
      const button = [...doc.querySelectorAll(`.st-key-${key} button:not([disabled])`)]
        .find((b) => b.getClientRects().length > 0);
      if (button) { event.preventDefault(); button.click(); return; }
    }
  };
  if (doc.__attnvizKeys) doc.removeEventListener("keydown", doc.__attnvizKeys, true);
  doc.__attnvizKeys = press;
  doc.addEventListener("keydown", press, true);
})();
</script>
"""

PRESENTER_CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 0.4rem 1.2rem; max-width: 100%; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; line-height: 1.45; }
[data-testid="stMarkdownContainer"] h3 { font-size: 2.1rem; }
[data-testid="stMarkdownContainer"] h4 { font-size: 1.6rem; padding: 0.2rem 0; }
.st-key-exit_present button p { font-size: 0.95rem; }
</style>
"""

PAGE_CSS = """
<style>
/* phones and narrow windows: cells are too small for numbers; hover still shows them */
@media (max-width: 700px) { .js-plotly-plot .heatmaplayer text, .js-plotly-plot g.texttext { display: none; } }
</style>
"""


def install(present: bool) -> None:
    """The keyboard handler (every mode) and, in presenter mode, the large full-screen styling."""
    st.html(PAGE_CSS + (PRESENTER_CSS if present else ""))
    st.html(KEYS_JS, unsafe_allow_javascript=True)
