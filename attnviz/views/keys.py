"""Keyboard, crowded heatmap numbers and presenter-mode styling: a few lines of JavaScript and CSS,
no extra component.

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
    ArrowLeft: ["prev", "lesson_prev", "lesson_back"], PageUp: ["prev", "lesson_prev", "lesson_back"],
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
      if (button) {  // ours alone: a focused view switch must not also move on an arrow key
        event.preventDefault(); event.stopPropagation(); button.click(); return;
      }
    }
  };
  if (doc.__attnvizKeys) doc.removeEventListener("keydown", doc.__attnvizKeys, true);
  doc.__attnvizKeys = press;
  doc.addEventListener("keydown", press, true);

  // Numbers written in heatmap cells: drop them in a heatmap whose cells are too small to hold them
  // side by side (a phone, a zoomed projector, a long sentence); hovering a cell still shows them.
  const fit = () => {
    for (const plot of doc.querySelectorAll(".js-plotly-plot")) {
      const labels = [...plot.querySelectorAll("g.heatmap-label")];
      if (!labels.length) continue;
      labels.forEach((l) => { l.style.display = ""; });
      const boxes = labels.map((l) => l.getBoundingClientRect()).filter((r) => r.width > 0);
      const crowded = boxes.some((a, i) => boxes.slice(i + 1).some((b) =>
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > -2 &&
        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > -1));
      if (crowded) labels.forEach((l) => { l.style.display = "none"; });
    }
  };
  let pending = null;
  const later = () => { clearTimeout(pending); pending = setTimeout(fit, 120); };
  if (doc.__attnvizFit) doc.__attnvizFit.disconnect();
  doc.__attnvizFit = new MutationObserver(later);
  doc.__attnvizFit.observe(doc.body, { childList: true, subtree: true });
  later();
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
/* phones: cells are too small for numbers (the script above also checks every heatmap); hover shows them */
@media (max-width: 500px) { .js-plotly-plot g.heatmap-label { display: none; } }
</style>
"""


def install(present: bool) -> None:
    """The keyboard handler (every mode) and, in presenter mode, the large full-screen styling."""
    st.html(PAGE_CSS + (PRESENTER_CSS if present else ""))
    st.html(KEYS_JS, unsafe_allow_javascript=True)
