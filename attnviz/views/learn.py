"""Watch attention learn: each scorer's attention on curated sentences at log-spaced training steps,
from the model cards (recorded while training), animated in the browser."""
from __future__ import annotations

import html

import streamlit as st

from .. import figures
from ..i18n import messages
from ..state import Settings
from .common import Traces, show_figure


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    st.markdown(m("learn.intro"))
    recorded = {name: card["attention_snapshots"] for name, card in traces.cards.items()
                if name != "none" and card.get("attention_snapshots")}
    if not recorded:
        st.info(m("learn.not_recorded"))
        return
    examples = next(iter(recorded.values()))["examples"]
    i = st.segmented_control(m("learn.sentence"), list(range(len(examples))), key="learn_example", default=0,
                             required=True, format_func=lambda k: examples[k]["en"])
    st.caption(m("learn.reference", fr=examples[i]["fr"]))
    if len(recorded) > 1:
        st.html(play_all_html(m), unsafe_allow_javascript=True)
    for col, (name, snapshots) in zip(st.columns(len(recorded), gap="medium"), recorded.items()):
        with col:
            show_figure(figures.learning_figure(snapshots, i, name, m=m, big=s.present), key=f"learn-{name}")
    st.caption(m("learn.caption"))


PLAY_ALL_JS = """
<script>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  const bind = () => {
    const button = doc.querySelector("button.av-play-all");
    if (!button || button.__avBound) return;
    button.__avBound = true;
    button.addEventListener("click", () => {  // each chart's own play button, all in the same instant
      for (const play of doc.querySelectorAll('[class*="st-key-learn-"] .js-plotly-plot g.updatemenu-button')) {
        play.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      }
    });
  };
  bind();
  setTimeout(bind, 300);
})();
</script>
"""


def play_all_html(m) -> str:
    """A button that starts every model's animation from its first frame at once, so the models learn
    side by side, snapshot for snapshot (each chart's own play button also starts from the first)."""
    label = html.escape(m("learn.play_all"))
    style = ("padding:0.35rem 0.9rem;border-radius:0.5rem;border:1px solid #1f4e9c;background:#1f4e9c;"
             "color:#ffffff;font:inherit;cursor:pointer;touch-action:manipulation")
    return f'<button type="button" class="av-play-all" style="{style}">{label}</button>' + PLAY_ALL_JS
