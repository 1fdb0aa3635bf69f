"""Compare scorers: every model on the same sentence, one colour scale, then their measured quality."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import streamlit as st

from .. import explain, figures
from ..i18n import Messages, messages
from ..state import Settings
from .common import Traces, say_refusal, trace_or_refusal
from . import viewport
from .heatmap import draw_heatmap

PANEL_CELL_TEXT_WORDS = 8  # half-width panels: in-cell numbers only for short sentences (hover has them)
PRESENT_RESERVE = 112  # presenter mode: the view switch above the panels
PANEL_CHROME = 135  # presenter mode: a panel's border, model name, translation and the gap below it


# Two panels side by side: the gap between them (32 CSS px), and in each panel its border and padding, the
# French words, the axis title and the colour bar (234); measured in Chromium.
PANEL_GAP_PX, PANEL_HEATMAP_CHROME = 32, 234


def columns(s: Settings, models: int, words: int = 0) -> int:
    """Panels per row. Two when each heatmap then has at least viewport.LEAST_WORD_PX for each of the `words`
    English words, else one (at 1280 px two panels left a 12-word sentence 141 px: 12 px a word, the
    words printed over each other; at 853 px, 1280x720 at 150 %, 4 px for the whole heatmap). In
    presenter mode (no sidebar, widths set by panel_inner_px) two, and from five models on three (three
    rows of two would leave each heatmap too short to read on one screen: 187 px at 1920x1080), and on
    a short window (1280x720) all in one row: two rows there leave 169 px, where a 10-word
    translation's rows print over each other, and one row leaves 400 px or more for narrower heatmaps."""
    if not s.present:
        return 2 if viewport.words_fit(words, 0.5, PANEL_HEATMAP_CHROME, gaps=PANEL_GAP_PX) else 1
    if models <= 4:
        return 2
    return 3 if viewport.size()[1] >= viewport.BIG_FROM else models


HEADLINE_CHAR_PX = (10.2, 12.0)  # presenter mode: a translation headline's width per character, 720p / 1080p
HEADLINE_LINE_PX = (26, 33)  # and the height of each further line it wraps onto
NAME_CHAR_PX = (8.5, 10.0)  # the same for the model's name above it
NAME_LINE_PX = (27, 30)
PAGE_PAD = 40  # presenter mode: the page's padding, left and right together
PANEL_GAP = 35  # between two panels
PANEL_PAD = 34  # a panel's border and padding, left and right together


def _lines(text: str, width_px: float, char_px: float) -> int:
    """About how many lines `text` wraps onto, word by word, in `width_px` (erring long)."""
    return max(1, len(textwrap.wrap(text, max(8, int(width_px / char_px)))))


def panel_inner_px(s: Settings, models: int) -> int:
    """Presenter mode: the width inside one panel, in CSS pixels."""
    cols = columns(s, models)
    return int((viewport.size()[0] - PAGE_PAD - (cols - 1) * PANEL_GAP) / cols - PANEL_PAD)


def wrapped_px(s: Settings, traces: Traces, names: list[str], m: Messages) -> int:
    """Presenter mode: the height the panels' names and translations take beyond one line each, for the
    tallest panel (an estimate from their characters, erring long: a panel that came out taller than
    planned would push the page into scrolling)."""
    big = viewport.size()[1] >= viewport.BIG_FROM
    inner = panel_inner_px(s, len(names))
    most = 0
    for scorer in names:
        name = _lines(explain.scorer_label(scorer, m), inner, NAME_CHAR_PX[big])
        try:
            text = _lines(traces.get(s, scorer).translation, inner, HEADLINE_CHAR_PX[big])
        except ValueError:  # refused input: the panel says why instead
            text = 1
        most = max(most, (name - 1) * NAME_LINE_PX[big] + (text - 1) * HEADLINE_LINE_PX[big])
    return most


def panel_height(s: Settings, models: int, wrapped: int = 0) -> int | None:
    """Presenter mode: each heatmap as tall as lets every row of panels fit the window (two rows of three:
    349 px at 1920x1080; one row of five: 473 px at 1280x720), less `wrapped` pixels of names and
    translations on more than one line; presenter views never scroll. Elsewhere None (from the number
    of French words)."""
    if not s.present:
        return None
    rows = max(1, -(-models // columns(s, models)))
    return max(120, (viewport.size()[1] - PRESENT_RESERVE) // rows - PANEL_CHROME - wrapped)


def english_words(s: Settings, traces: Traces, names: list[str]) -> int:
    """How many English words the heatmaps have (every model reads the sentence the same way); 0 when
    every model refused it."""
    for scorer in names:
        trace = trace_or_refusal(traces, s, scorer)  # refused input: the panels say why instead
        if not isinstance(trace, ValueError):
            return len(trace.src_tokens)
    return 0


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    names = list(traces.models)
    per_row = columns(s, len(names), english_words(s, traces, names))
    height = panel_height(s, len(names), wrapped_px(s, traces, names, m) if s.present else 0)
    for row in range(0, len(names), per_row):
        for col, scorer in zip(st.columns(per_row, gap="medium"), names[row:row + per_row]):
            with col.container(border=True):
                label = explain.md_escape(explain.scorer_label(scorer, m))
                # presenter mode: the model's name on one short line, so the heatmaps get the height
                name = f"**{label}**" if s.present else f"### {label}"
                trace = trace_or_refusal(traces, s, scorer)
                if isinstance(trace, ValueError):
                    st.markdown(name)
                    say_refusal(trace, s)
                else:  # the name and the translation in one page element (each costs the server every run)
                    st.markdown(f"{name}\n\n{explain.headline(trace, m).replace('### ', '#### ', 1)}")
                    draw_heatmap(s, trace, f"cmp-{scorer}", height=height,
                                 cell_text=len(trace.src_tokens) <= PANEL_CELL_TEXT_WORDS,
                                 big=viewport.big_fonts(s.present), compact=s.present,
                                 width=panel_inner_px(s, len(names)) if s.present else None)
    if not s.present:
        draw_quality(s, traces)


@dataclass(frozen=True)
class Quality:
    """The quality section as the page draws it: it depends only on the model cards and the language,
    so it is built once (tables as HTML, charts as Vega-Lite specs), not on every run."""
    table: str  # the quality table's HTML
    heads: tuple[tuple[list[str], str], ...]  # per model with heads: its findings and its head table's HTML
    bleu: dict | None  # BLEU by sentence length
    curves: dict | None  # the training curves
    measured: bool  # whether any model has a measured BLEU


@st.cache_resource(show_spinner=False, max_entries=8)
def quality(key: tuple, lang: str, _cards: dict) -> Quality:
    """The quality section of these models (key: their folder and files) in this language."""
    m = messages(lang)
    heads = tuple((figures.head_findings(card, m), figures.table_html(table)) for card in _cards.values()
                  if (table := figures.head_frame(card, m)) is not None)
    return Quality(
        table=figures.table_html(figures.quality_table(_cards, m), explain.metric_help(m)), heads=heads,
        bleu=figures.bleu_by_length_chart(_cards, m).to_dict() if not figures.bleu_by_length_frame(_cards).empty else None,
        curves=figures.training_chart(_cards, m).to_dict() if not figures.history_frame(_cards).empty else None,
        measured=not figures.metrics_frame(_cards)["BLEU"].isna().all())


def draw_heads(q: Quality, m) -> None:
    """Per-head measurements of every model that has heads (the Transformer), with their findings."""
    for findings, table in q.heads:
        st.subheader(m("compare.heads"))
        st.caption(m("compare.heads_caption"))
        st.markdown("\n".join(f"- {line}" for line in findings))
        st.html(table)


def draw_quality(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    q = quality(traces.key, s.lang, traces.cards)
    st.header(m("compare.quality"))
    st.html(q.table)
    if not q.measured:
        st.info(m("explain.no_scores"))
    draw_heads(q, m)
    if (q.bleu or q.curves) and not st.toggle(m("compare.show_charts"), key="quality_charts",
                                              help=m("compare.show_charts_help")):
        return  # vega-embed costs the browser ~100 ms to boot and draw: the charts come on request
    left, right = st.columns(2)
    if q.bleu:
        left.vega_lite_chart(q.bleu, theme=None, width="stretch")
        left.caption(m("explain.bleu_by_length_caption"))
    if q.curves:
        right.vega_lite_chart(q.curves, theme=None, width="stretch")
