"""Keyboard, crowded heatmap numbers, pointing at a word and presenter-mode styling: a few lines of
JavaScript and CSS, no extra component.

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
  // Pointing on the projector: a click (or tap) on an English word of an attention heatmap outlines its
  // column, on a French word its row; the same word again, or Escape, clears it. Kept per chart (by
  // its key) and drawn again whenever the chart is redrawn (a step of playback, a resize).
  const POINTABLE = ['.st-key-heatmap', '.st-key-fill', '[class*="st-key-cmp-"]'];
  const points = doc.__attnvizPoints || (doc.__attnvizPoints = {});
  const chartKey = (el) => [...el.classList].find((c) => c.startsWith("st-key-"));
  const charts = () => POINTABLE.flatMap((sel) => [...doc.querySelectorAll(sel)])
    .map((box) => [chartKey(box), box.querySelector(".js-plotly-plot")]).filter(([k, plot]) => k && plot);
  const labelsOf = (plot, axis) => [...plot.querySelectorAll(`g.${axis}axislayer-above g.${axis}tick text`)];
  const inside = (r, x, y) => r.width > 0 && x >= r.left - 4 && x <= r.right + 4 && y >= r.top - 4 && y <= r.bottom + 4;
  const repoint = () => {
    for (const [key, plot] of charts()) {
      plot.querySelectorAll(".av-point").forEach((el) => el.remove());
      const want = points[key], area = plot.querySelector(".nsewdrag");
      if (!want || !area) continue;
      const n = labelsOf(plot, want.axis).length;
      if (!n || want.index >= n) continue;
      const a = area.getBoundingClientRect(), p = plot.getBoundingClientRect();
      const mark = doc.createElement("div");
      mark.className = "av-point";
      const across = want.axis === "x";
      const size = (across ? a.width : a.height) / n;
      Object.assign(mark.style, {
        position: "absolute", pointerEvents: "none", boxSizing: "border-box", zIndex: 5,
        border: "4px solid #ff9f1c", background: "rgba(255, 159, 28, 0.16)", borderRadius: "3px",
        left: `${a.left - p.left + (across ? want.index * size : 0)}px`,
        top: `${a.top - p.top + (across ? 0 : want.index * size)}px`,
        width: `${across ? size : a.width}px`, height: `${across ? a.height : size}px`,
      });
      if (getComputedStyle(plot).position === "static") plot.style.position = "relative";
      plot.appendChild(mark);
    }
  };
  const point = (event) => {
    for (const [key, plot] of charts()) {
      for (const axis of ["x", "y"]) {
        const index = labelsOf(plot, axis).findIndex((t) => inside(t.getBoundingClientRect(), event.clientX, event.clientY));
        if (index < 0) continue;
        const same = points[key] && points[key].axis === axis && points[key].index === index;
        if (same) delete points[key]; else points[key] = { axis, index };
        repoint();
        return;
      }
    }
  };
  const unpoint = (event) => {
    if (event.key === "Escape" && Object.keys(points).length) { for (const k in points) delete points[k]; repoint(); }
  };
  if (doc.__attnvizPoint) doc.removeEventListener("click", doc.__attnvizPoint, true);
  if (doc.__attnvizUnpoint) doc.removeEventListener("keydown", doc.__attnvizUnpoint, true);
  doc.__attnvizPoint = point; doc.__attnvizUnpoint = unpoint;
  doc.addEventListener("click", point, true);
  doc.addEventListener("keydown", unpoint, true);

  let pending = null;
  const later = () => { clearTimeout(pending); pending = setTimeout(() => { fit(); repoint(); }, 120); };
  if (doc.__attnvizFit) doc.__attnvizFit.disconnect();
  const ours = (n) => n.classList && n.classList.contains("av-point");  // our marks: no redraw loop
  doc.__attnvizFit = new MutationObserver((records) => {
    if (!records.every((r) => [...r.addedNodes, ...r.removedNodes].every(ours))) later();
  });
  doc.__attnvizFit.observe(doc.body, { childList: true, subtree: true });
  if (!doc.__attnvizResize) { doc.__attnvizResize = true; (doc.defaultView || window).addEventListener("resize", later); }
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
/* the explainer's tables and formulas as large as its text (KaTeX sizes itself from its parent) */
[data-testid="stMarkdownContainer"] td, [data-testid="stMarkdownContainer"] th { font-size: 1.3rem; }
[data-testid="stMarkdownContainer"] .katex-display { font-size: 1.35rem; }
/* a smaller window (a 720p projector): text in proportion, so the figures keep their room */
@media (max-height: 899px) {
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.1rem; }
  [data-testid="stMarkdownContainer"] h3 { font-size: 1.6rem; }
  [data-testid="stMarkdownContainer"] h4 { font-size: 1.25rem; padding: 0.1rem 0; }
  [data-testid="stMarkdownContainer"] td, [data-testid="stMarkdownContainer"] th { font-size: 1.05rem; }
}
/* narrow: the sentence button shows its icon alone, beside the views */
@media (max-width: 1400px) { .st-key-present_sentence button p { display: none; } }
</style>
"""

PAGE_CSS = """
<style>
/* phones: cells are too small for numbers (the script above also checks every heatmap); hover shows them */
@media (max-width: 500px) { .js-plotly-plot g.heatmap-label { display: none; } }
/* phones: a tap shows Plotly's toolbar, which would cover the chart's title; the exports stay below */
@media (max-width: 640px) { .js-plotly-plot .modebar-container { display: none !important; } }
</style>
"""


def page_css(present: bool) -> str:
    """The page's own styling; in presenter mode with the large full-screen styling."""
    return PAGE_CSS + (PRESENTER_CSS if present else "")


def install(present: bool) -> None:
    """The keyboard handler (every mode) and, in presenter mode, the large full-screen styling."""
    st.html(page_css(present))
    st.html(KEYS_JS, unsafe_allow_javascript=True)
