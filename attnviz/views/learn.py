"""Watch attention learn: each scorer's attention on curated sentences at log-spaced training steps,
from the model cards (recorded while training), animated in the browser; for a Transformer, one layer's
heads side by side (the card's frames[i]["heads"])."""
from __future__ import annotations

import html

import streamlit as st

from .. import figures
from ..architectures import is_transformer
from ..i18n import messages
from ..state import Settings
from . import viewport
from .common import Traces, show_figure

WIDE_FROM = 760  # window width (CSS px) from which a layer's heads stand in one row
ALL_IN_ROW_FROM = 1600  # window width (CSS px) from which every model's animation stands in one row: each then
# gets ~270 px; narrower (1280x720, 150 % zoom), four in a row clipped "Transformer (multi-head)" and ran the
# slider's step name into the play button, so two a row


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    st.markdown(m("learn.intro"))
    recorded = {name: card["attention_snapshots"] for name, card in traces.cards.items()
                if name != "none" and card.get("attention_snapshots")}
    if not recorded:
        st.info(m("learn.not_recorded"))
        heads_ui(s, traces, None)
        return
    examples = next(iter(recorded.values()))["examples"]
    i = st.segmented_control(m("learn.sentence"), list(range(len(examples))), key="learn_example", default=0,
                             required=True, format_func=lambda k: examples[k]["en"])
    st.caption(m("learn.reference", fr=examples[i]["fr"]))
    if len(recorded) > 1:
        st.html(play_all_html(m), unsafe_allow_javascript=True)
    models = list(recorded.items())
    per_row = len(models) if viewport.size()[0] >= ALL_IN_ROW_FROM else min(2, len(models))
    for row in range(0, len(models), per_row):
        for col, (name, snapshots) in zip(st.columns(per_row, gap="medium"), models[row:row + per_row]):
            with col:
                show_figure(figures.learning_figure(snapshots, i, name, m=m, big=s.present), key=f"learn-{name}")
    st.caption(m("learn.caption"))
    heads_ui(s, traces, i)


def heads_ui(s: Settings, traces: Traces, example: int | None) -> None:
    """Each model with attention heads: one layer's heads side by side through training (the chart's key
    starts with "learn-", so *Play all models together* starts it too), or why there is nothing to show."""
    m = messages(s.lang)
    for name, bundle in traces.models.items():
        if not is_transformer(bundle.cfg):  # architectures.py tells the models apart, nothing else
            continue
        label = m(f"scorers.{name}")
        st.subheader(m("learn.heads_title", model=label))
        snapshots = bundle.card.get("attention_snapshots") or {}
        if example is None or not figures.head_frames(snapshots, example):
            st.info(m("learn.no_heads", model=label))
            continue
        layers = len(figures.head_frames(snapshots, example)[0]["heads"][example])
        own = bundle.cfg.attention_layer if 0 <= bundle.cfg.attention_layer < layers else 0  # the page's layer
        layer = st.segmented_control(m("learn.layer"), list(range(layers)), key=f"learn_layer_{name}", default=own,
                                     required=True, format_func=lambda k: m("learn.layer_option", layer=k + 1))
        st.markdown(m("learn.heads_intro", layers=layers, layer=layer + 1))
        heads = len(figures.head_frames(snapshots, example)[0]["heads"][example][0])
        cols = heads if viewport.size()[0] >= WIDE_FROM else min(heads, 2)  # a phone: two heads a row
        spec = figures.learning_heads_figure(snapshots, example, layer, name, m=m, big=s.present, cols=cols)
        show_figure(spec, key=f"learn-heads-{name}")
        st.caption(m("learn.heads_caption"))


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
