"""Figures of the second lesson (attnviz/lesson_heads.py): a Transformer's heads as small multiples, one
head's query, keys and weighted sum of values, and the decoder's masked self-attention.

Built from a Trace's heads (trace.heads) only; nothing here asks which model made it.
Letters: T output steps, S English words, L layers, A heads, K numbers per head.
"""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np

from ..i18n import Messages
from ..trace import Trace
from ._base import BIG, FITTED, HIGHLIGHT, INK, WEIGHT_SCALE, _en, _safe, _widest, src_labels, tgt_labels
from .heatmap import _state_range, _states_heatmap
from .lesson import GUESS

MASK_INK = "#9e9e9e"  # the × in a cell the decoder may not look at (a later French word)


def _heads(trace: Trace):
    if trace.heads is None:
        raise ValueError(f"the {trace.scorer!r} model has one attention, no heads")
    return trace.heads


def heads_grid(mats: Sequence[np.ndarray], titles: Sequence[str], x_labels: Sequence[str],
               y_labels: Sequence[str], *, cols: int, m: Messages | None = None, big: bool = False,
               row: int | None = None, column: int | None = None, panel_height: int | None = None,
               hover_names: Sequence[str] = ()) -> dict:
    """Small multiples: one (R, C) weight matrix per panel, `cols` panels a row, one colour scale (0–1).

    Args:
        mats: the panels' matrices (R, C), rows French words (`y_labels`), columns English ones (`x_labels`).
        titles: one plain-text title per panel.
        row: a row outlined in red in every panel (the step a stage is about).
        column: a column outlined in red in every panel (e.g. the full stop).
        hover_names: per panel, what its hover calls it ("layer 3, head 2"); the titles when left out.
    Returns:
        A figure spec; hover gives the panel, both words and the weight. French words label the first
        column of panels only, English words every panel.
    """
    m = _en(m)
    n = len(mats)
    if n == 0 or len(titles) != n:
        raise ValueError("heads_grid needs one title per panel and at least one panel")
    r_, c_ = np.asarray(mats[0]).shape
    if len(y_labels) != r_ or len(x_labels) != c_:
        raise ValueError(f"{r_} x {c_} weights, but {len(y_labels)} French and {len(x_labels)} English labels")
    cols = max(1, min(cols, n))
    grid_rows = -(-n // cols)
    size = 12 * (BIG if big else 1)
    xs, ys = _safe(list(x_labels)), _safe(list(y_labels))
    angle = 0 if c_ <= 3 else -90 if c_ > 9 else -45
    x_room = size * 1.6 if angle == 0 else (0.72 if angle == -45 else 1.0) * _widest(xs, size) + size
    title_room = size * 2.0
    ph = panel_height or int(np.clip(22 * (BIG if big else 1) * r_, 110, 320))
    block = title_room + ph + x_room
    pad_t, pad_b = 6, 6
    height = int(pad_t + pad_b + grid_rows * block)
    plot_h = height - pad_t - pad_b
    left = _widest(ys, size) + 14
    gap = 0.035
    width_frac = (1 - gap * (cols - 1)) / cols
    names = list(hover_names) or list(titles)
    data, shapes, notes, layout = [], [], [], {}
    for i, (mat, title) in enumerate(zip(mats, titles)):
        gr, gc = divmod(i, cols)
        ax = "" if i == 0 else str(i + 1)
        x0 = gc * (width_frac + gap)
        top = gr * block + title_room
        y1, y0 = 1 - top / plot_h, 1 - (top + ph) / plot_h
        z = np.asarray(mat, dtype=float)
        custom = np.empty((r_, c_, 2), dtype=object)  # (R, C, 2): French word, English word
        custom[..., 0] = np.array(ys, dtype=object)[:, None]
        custom[..., 1] = np.array(xs, dtype=object)[None, :]
        data.append(dict(
            type="heatmap", z=z, zmin=0.0, zmax=1.0, colorscale=WEIGHT_SCALE, showscale=False, xgap=1, ygap=1,
            customdata=custom, hoverongaps=False, xaxis=f"x{ax}", yaxis=f"y{ax}",
            hovertemplate=(f"<b>{html.escape(names[i])}</b><br>" + m("figures.hover_fr")
                           + ": <b>%{customdata[0]}</b><br>" + m("figures.hover_en") + ": <b>%{customdata[1]}</b><br>"
                           + m("figures.weight") + ": %{z:.3f}<extra></extra>")))
        layout[f"xaxis{ax}"] = dict(
            domain=[x0, x0 + width_frac], anchor=f"y{ax}", tickmode="array", tickvals=list(range(c_)), ticktext=xs,
            tickangle=angle, showgrid=False, zeroline=False, **FITTED, tickfont=dict(size=size, color=INK))
        layout[f"yaxis{ax}"] = dict(
            domain=[max(y0, 0.0), min(y1, 1.0)], anchor=f"x{ax}", tickmode="array", tickvals=list(range(r_)),
            ticktext=ys, showticklabels=gc == 0, autorange="reversed", showgrid=False, zeroline=False,
            **FITTED, tickfont=dict(size=size, color=INK))
        notes.append(dict(text=f"<b>{html.escape(title)}</b>", x=x0, xref="paper", xanchor="left", y=y1,
                          yref="paper", yanchor="bottom", yshift=2, showarrow=False,
                          font=dict(size=size * 1.05, color=INK)))
        if row is not None:
            shapes.append(dict(type="rect", xref=f"x{ax}", yref=f"y{ax}", x0=-0.5, x1=c_ - 0.5, y0=row - 0.5,
                               y1=row + 0.5, line=dict(color=HIGHLIGHT, width=2.5)))
        if column is not None:
            shapes.append(dict(type="rect", xref=f"x{ax}", yref=f"y{ax}", x0=column - 0.5, x1=column + 0.5,
                               y0=-0.5, y1=r_ - 0.5, line=dict(color=HIGHLIGHT, width=2.5)))
    layout.update(height=height, font=dict(size=size, color=INK), plot_bgcolor="#eeeeee", paper_bgcolor="#ffffff",
                  margin=dict(l=int(left), r=8, t=pad_t, b=pad_b, autoexpand=False), shapes=shapes,
                  annotations=notes, showlegend=False)
    return dict(data=data, layout=layout)


def layer_heads_figure(trace: Trace, layer: int, t: int | None = None, *, m: Messages | None = None,
                       big: bool = False, cols: int = 2) -> dict:
    """Every head of one layer's cross-attention (T, S) side by side; with step t, its row outlined and
    each panel titled with the English word that head weighs most there and its weight."""
    m = _en(m)
    h = _heads(trace)
    h.check(layer, 0)
    src = src_labels(trace)
    mats, titles, names = [], [], []
    for a in range(h.shape[1]):
        w = h.cross_weights[:, layer, a]  # (T, S)
        mats.append(w)
        names.append(m("lesson_heads.fig.head_name", layer=layer + 1, head=a + 1))
        if t is None:
            titles.append(m("lesson_heads.fig.head_short", head=a + 1))
        else:
            j = int(np.argmax(w[t]))
            titles.append(m("lesson_heads.fig.head_looks", head=a + 1, word=src[j], weight=float(w[t, j])))
    return heads_grid(mats, titles, src, tgt_labels(trace), cols=cols, m=m, big=big, row=t, hover_names=names)


def all_heads_figure(trace: Trace, *, m: Messages | None = None, big: bool = False, column: int | None = None,
                     values: np.ndarray | None = None, cols: int | None = None) -> dict:
    """Every layer x head of cross-attention as small multiples (a row of panels per layer); `column` (an
    English position) outlined in every panel, and with `values` (L, A) each title carries its number;
    `cols` panels a row (default: one row of A panels per layer)."""
    m = _en(m)
    h = _heads(trace)
    layers, heads = h.shape
    mats, titles, names = [], [], []
    for l in range(layers):
        for a in range(heads):
            mats.append(h.cross_weights[:, l, a])
            name = m("lesson_heads.fig.head_name", layer=l + 1, head=a + 1)
            names.append(name)
            titles.append(name if values is None else m("lesson_heads.fig.head_value", name=name,
                                                       value=float(values[l, a])))
    panel = int(np.clip(16 * (BIG if big else 1) * trace.num_steps, 90, 220))
    return heads_grid(mats, titles, src_labels(trace), tgt_labels(trace), cols=cols or heads, m=m, big=big,
                      column=column, hover_names=names, panel_height=panel)


def query_keys_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                      height: int | None = None) -> dict:
    """Step (1) for the trace's own head: its query at step t, then each English word's key (K numbers each)."""
    m = _en(m)
    h = _heads(trace)
    q = h.queries[t, h.layer, h.head]  # (K,)
    keys = h.keys[h.layer, h.head]  # (S, K)
    rows = np.vstack([q[None, :], keys])  # (1 + S, K)
    word = tgt_labels(trace)[t]
    labels = [m("lesson_heads.fig.query", word=word)] + [m("lesson_heads.fig.key", word=w) for w in src_labels(trace)]
    zmax = float(np.percentile(np.abs(rows), 99)) or 1.0
    spec = _states_heatmap(rows, labels, html.escape(m("lesson_heads.fig.qk_title", k=q.shape[0])), zmax, m, big,
                           height)
    spec["layout"]["shapes"] = [dict(type="rect", xref="paper", x0=0, x1=1, y0=-0.5, y1=0.5,
                                     line=dict(color=HIGHLIGHT, width=2))]
    return _numbers_axis(spec, q.shape[0], m)


def _numbers_axis(spec: dict, k: int, m: Messages) -> dict:
    """The x axis named for a head's K numbers (not a hidden state's)."""
    layout = dict(spec["layout"])
    layout["xaxis"] = dict(layout["xaxis"], title=dict(text=html.escape(m("lesson_heads.fig.numbers_x", k=k)),
                                                       standoff=4))
    return dict(spec, layout=layout)


def head_sum_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                    height: int | None = None) -> dict:
    """Step (3) for the trace's own head: each English word's value times its weight, and their sum (the
    head's output at step t, K numbers)."""
    m = _en(m)
    _heads(trace)
    w = trace.weights[t]  # (S,)
    rows = np.vstack([w[:, None] * trace.enc_out, trace.contexts[t][None, :]])  # (S + 1, K): enc_out = values
    labels = [m("lesson_heads.fig.weighted_value", weight=float(x), word=s) for x, s in zip(w, src_labels(trace))]
    labels.append(m("lesson_heads.fig.head_output"))
    spec = _states_heatmap(rows, labels, html.escape(m("lesson_heads.fig.sum_title", k=trace.enc_out.shape[1])),
                           _state_range(trace), m, big, height)
    spec["layout"]["shapes"] = [dict(type="rect", xref="paper", x0=0, x1=1, y0=len(labels) - 1.5,
                                     y1=len(labels) - 0.5, line=dict(color=HIGHLIGHT, width=2))]
    return _numbers_axis(spec, trace.enc_out.shape[1], m)


def decoder_input_labels(trace: Trace, m: Messages | None = None) -> list[str]:
    """The decoder's self-attention positions as the page names them: the start, then each French word."""
    m = _en(m)
    words = tgt_labels(trace)[:trace.num_steps - 1]
    return [m("lesson_heads.start")] + list(words)


def self_attention_figure(trace: Trace, layer: int, head: int, t: int | None = None, *,
                          m: Messages | None = None, big: bool = False, guess: int | None = None,
                          upto: int | None = None) -> dict:
    """One head's masked decoder self-attention (T, T): rows the French word being written, columns what
    the decoder can look at (the start, then the words written); the cells after each row's own position
    are masked (a grey ×). Step t's row outlined in red, the student's guessed cell in dashed orange;
    with `upto`, rows after it are not drawn yet."""
    m = _en(m)
    h = _heads(trace)
    h.check(layer, head)
    n = trace.num_steps
    w = np.array(h.self_weights[:, layer, head], dtype=float)  # (T, T)
    later = np.triu(np.ones((n, n), dtype=bool), k=1)  # (T, T): a later French word, masked
    z = np.where(later, np.nan, w)
    if upto is not None:
        z[upto + 1:] = np.nan
    rows = _safe(tgt_labels(trace))
    cols = _safe(decoder_input_labels(trace, m))
    size = 14 * (BIG if big else 1)
    custom = np.empty((n, n, 2), dtype=object)
    custom[..., 0] = np.array(rows, dtype=object)[:, None]
    custom[..., 1] = np.array(cols, dtype=object)[None, :]
    heat = dict(type="heatmap", z=z, zmin=0.0, zmax=1.0, colorscale=WEIGHT_SCALE, showscale=False, xgap=1, ygap=1,
                customdata=custom, hoverongaps=False,
                hovertemplate=(m("lesson_heads.fig.writing") + ": <b>%{customdata[0]}</b><br>"
                               + m("lesson_heads.fig.looks_at") + ": <b>%{customdata[1]}</b><br>"
                               + m("figures.weight") + ": %{z:.3f}<extra></extra>"))
    if n <= 14:
        heat.update(texttemplate="%{z:.2f}", textfont=dict(size=size * 0.85))
    shown = [(i, j) for i, j in zip(*np.nonzero(later)) if upto is None or i <= upto]
    mask = dict(type="scatter", mode="text", x=[j for _, j in shown], y=[i for i, _ in shown],
                text=["×"] * len(shown), textfont=dict(size=size, color=MASK_INK), hoverinfo="skip", showlegend=False)
    angle = 0 if n <= 6 else -45 if n <= 12 else -90
    top_room = size * 1.6 if angle == 0 else (0.72 if angle == -45 else 1.0) * _widest(cols, size) + size
    shapes = []
    if t is not None:
        shapes.append(dict(type="rect", x0=-0.5, x1=n - 0.5, y0=t - 0.5, y1=t + 0.5,
                           line=dict(color=HIGHLIGHT, width=3)))
        if guess is not None:
            shapes.append(dict(type="rect", x0=guess - 0.42, x1=guess + 0.42, y0=t - 0.42, y1=t + 0.42,
                               line=dict(color=GUESS, width=3, dash="dash")))
    title = m("lesson_heads.fig.self_title", layer=layer + 1, head=head + 1)
    top = int(size * 1.9 + size * 1.9 + top_room + 22)  # the title, the axis name, then the words (at the top)
    height = int(np.clip(60 + (44 if big else 34) * n, 200, 900)) + top
    layout = dict(
        height=height, font=dict(size=size, color=INK), plot_bgcolor="#f4f4f4", paper_bgcolor="#ffffff",
        title=dict(text=html.escape(title), x=0, xref="paper", xanchor="left", y=1 - 6 / height, yref="container",
                   yanchor="top", font=dict(size=size * 1.1, color=INK)),
        margin=dict(l=int(_widest(rows, size) + size * 2.2 + 20), r=12, t=top, b=10, autoexpand=False),
        xaxis=dict(title=dict(text=m("lesson_heads.fig.self_x"), standoff=6), side="top", tickmode="array",
                   tickvals=list(range(n)), ticktext=cols, tickangle=angle, range=[-0.5, n - 0.5], showgrid=False,
                   zeroline=False, **FITTED, tickfont=dict(size=size, color=INK)),
        yaxis=dict(title=dict(text=m("lesson_heads.fig.self_y"), standoff=6), tickmode="array",
                   tickvals=list(range(n)), ticktext=rows, range=[n - 0.5, -0.5], showgrid=False, zeroline=False,
                   **FITTED, tickfont=dict(size=size, color=INK)),
        shapes=shapes, showlegend=False,
    )
    return dict(data=[heat, mask], layout=layout)

