"""A Transformer's heads on the page: the head picker (Translate, Step by step), every head at once, and one
head's encoder and decoder self-attention. Draw functions only: figures from attnviz.figures.heads.

The choice lives in session state under the link's names, `layer` and `head` (1-based; 0 = the model's own
head), so the Settings and the address carry it; the picker widget only mirrors it.
"""
from __future__ import annotations

import streamlit as st

from .. import figures
from ..i18n import Messages, messages
from ..state import Settings, pick_head
from ..trace import Trace, encoder_self_attention
from . import viewport
from .common import Traces, opened, show_figure

OWN = (0, 0)  # the picker's option for the model's own head: the link then names no head
GRID_CHROME = 195  # CSS px of the all-heads figure that are not panels: French words (~90), colour bar (~70),
# the expander's padding (~35); measured on a 390 px phone, where 150 let two titles run into each other


def _picked(widget: str) -> None:
    """The picker moved: its (layer, head) becomes the page's (and so the link's)."""
    ss = st.session_state
    ss.layer, ss.head = ss[widget]
    ss.playing = False  # Step by step: a new head pauses playback, as a new model does


def own_head(trace: Trace) -> tuple[int, int] | None:
    """The head (0-based) a trace shows before any choice: the model's own; None without heads."""
    return None if trace.heads is None else (trace.heads.layer, trace.heads.head)


def picker(s: Settings, trace: Trace, lang: str, key: str = "translate", compact: bool = False) -> Trace:
    """Draw the layer × head picker for a trace with heads, and return the trace seen through the chosen
    head (s.layer, s.head); a head the model does not have falls back to its own, with state.pick_head's
    note. A trace without heads (a GRU) comes back as it is, and nothing is drawn.

    Args:
        key: where it is drawn ("translate", "steps"): one widget per place.
        compact: presenter mode: the box alone, without its label and the line naming the head.
    """
    if trace.heads is None:
        return trace
    m = messages(lang)
    shown, note = pick_head(trace, s.layer, s.head)
    own = own_head(trace)
    layers, heads = trace.heads.shape
    now = (shown.heads.layer, shown.heads.head)
    options = [OWN] + [(layer + 1, head + 1) for layer in range(layers) for head in range(heads)
                       if (layer, head) != own]
    widget = f"heads_pick_{key}"
    st.session_state[widget] = OWN if now == own else (now[0] + 1, now[1] + 1)  # what the page shows

    def label(option: tuple[int, int]) -> str:
        if option == OWN:
            return m("heads.own_option", name=figures.head_name(*own, m))
        return figures.head_name(option[0] - 1, option[1] - 1, m)

    box = dict(options=options, key=widget, format_func=label, on_change=_picked, args=(widget,),
               help=m("heads.pick_help", layers=layers, heads=heads))
    if compact:
        st.selectbox(m("heads.pick"), label_visibility="collapsed", width=320, **box)
    else:
        left, right = st.columns([1, 2], vertical_alignment="bottom")
        left.selectbox(m("heads.pick"), **box)
        right.caption(head_note(now, own, (layers, heads), m))
    if note is not None:
        st.warning(m(note[0], **note[1]))
        forget_head()
    return shown


def forget_head() -> None:
    """A head the model does not have: the page shows the model's own, and so does the link from now on."""
    ss = st.session_state
    ss.layer = ss.head = 0
    for name in ("layer", "head"):
        st.query_params.pop(name, None)


def head_note(now: tuple[int, int], own: tuple[int, int], shape: tuple[int, int], m: Messages) -> str:
    """One line naming the head shown, and which head is the model's own and why."""
    name = figures.head_name(*now, m)
    if now == own:
        return m("heads.own_note", name=name, layers=shape[0], heads=shape[1])
    return m("heads.other_note", name=name, layers=shape[0], heads=shape[1], own=figures.head_name(*own, m))


def heatmap_caption(trace: Trace, m: Messages) -> str:
    """The words that name the head a heatmap draws ("" for a trace without heads)."""
    if trace.heads is None:
        return ""
    return m("heads.heatmap_head", name=figures.head_name(trace.heads.layer, trace.heads.head, m))


def panels_width(window: int, share: float) -> float:
    """About how many CSS px the all-heads panels get in a window `window` px wide, drawn in a column that
    takes `share` of the main area (it stacks to the full width on a phone)."""
    main = viewport.main_width(window)
    return main - GRID_CHROME if window < viewport.PHONE_BELOW else main * share - GRID_CHROME


def draw_all_heads(s: Settings, trace: Trace, own: tuple[int, int] | None, share: float = 1.0) -> None:
    """Every cross-attention head at once, in an expander drawn only while it is open (the first paint
    stays one heatmap). The head shown above is outlined; `own`, the model's own, is starred.
    `share`: the part of the main area's width the expander is drawn in."""
    if trace.heads is None:
        return
    m = messages(s.lang)
    box = opened(m("heads.all_title"), "heads_all", ":material/grid_view:")
    if box is None:
        return
    with box:
        width = panels_width(viewport.size()[0], share)
        columns = figures.grid_columns(trace.heads.shape[1], width)  # a phone or a narrow column: fewer a row
        show_figure(figures.all_heads_figure(trace, m=m, columns=columns, own=own, big=s.present), "heads_all_fig")
        st.caption(m("heads.all_caption"))


def draw_self_attention(s: Settings, traces: Traces, trace: Trace) -> None:
    """The shown head's encoder and decoder self-attention, side by side (stacked on a phone), in an
    expander drawn only while it is open."""
    if trace.heads is None:
        return
    m = messages(s.lang)
    box = opened(m("heads.self_title"), "heads_self", ":material/swap_horiz:")
    if box is None:
        return
    with box:
        weights = encoder_self_attention(traces.models[trace.scorer], trace)  # (L, A, S, S), recomputed: < 1 ms
        left, right = st.columns(2, gap="large")
        with left:
            show_figure(figures.encoder_self_figure(trace, weights, m=m, big=s.present), "heads_enc")
            st.caption(m("heads.enc_caption"))
        with right:
            show_figure(figures.decoder_self_figure(trace, m=m, big=s.present), "heads_dec")
            st.caption(m("heads.dec_caption"))
