"""One Transformer head's step as figures: this step's query beside every English word's key, the values
weighted and summed, and every head of the layer joined and projected. Pure: Trace -> Plotly spec.

Only for a trace with heads (trace.heads); a GRU trace gets ValueError. Letters: T output steps, S source
words, L layers, A heads, K numbers per head, D = A * K.
"""
from __future__ import annotations

import numpy as np

from ..explain import head_outputs
from ..i18n import Messages
from ..trace import Trace
from ._base import BIG, HIGHLIGHT, INK, _en, src_labels
from .heatmap import _states_heatmap


def _check(trace: Trace, t: int) -> None:
    if trace.heads is None:
        raise ValueError(f"the {trace.scorer!r} model has one attention, no heads: no query, keys or values to draw")
    trace.check_step(t)


def _range(*arrays: np.ndarray) -> float:
    """Colour range: the 99th percentile of the numbers, so that a few outliers don't wash it out."""
    return float(np.percentile(np.abs(np.concatenate([np.ravel(a) for a in arrays])), 99)) or 1.0


def _numbers_axis(fig: dict, dims: int, m: Messages) -> dict:
    fig["layout"]["xaxis"]["title"]["text"] = m("steps.numbers_x", dims=dims)
    return fig


def _outline_row(row: int) -> dict:
    return dict(type="rect", xref="paper", x0=0, x1=1, y0=row - 0.5, y1=row + 0.5, line=dict(color=HIGHLIGHT, width=2))


def query_keys_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                      height: int | None = None) -> dict:
    """Step (1): this step's query (K numbers, outlined, on top) and each English word's key (S, K).

    One colour scale for every step of the sentence, so a row's colours can be compared across steps.
    """
    m = _en(m)
    _check(trace, t)
    h = trace.heads
    keys = h.keys[h.layer, h.head]  # (S, K)
    rows = np.vstack([trace.dec_states[t][None, :], keys])  # (1 + S, K)
    labels = [m("steps.query_row")] + src_labels(trace)
    fig = _states_heatmap(rows, labels, m("steps.qk_title"), _range(trace.dec_states, keys), m, big, height)
    fig["layout"]["shapes"] = [_outline_row(0)]
    return _numbers_axis(fig, keys.shape[1], m)


def values_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                  height: int | None = None) -> dict:
    """Step (3), second half: each English word's value times its weight, and their sum, the head's output."""
    m = _en(m)
    _check(trace, t)
    values = trace.enc_out  # (S, K): a Transformer trace's enc_out are the shown head's values
    rows = np.vstack([trace.weights[t][:, None] * values, trace.contexts[t][None, :]])  # (S + 1, K)
    labels = [f"{w:.2f} × {s}" for w, s in zip(trace.weights[t], src_labels(trace))] + [m("steps.values_sum")]
    fig = _states_heatmap(rows, labels, m("steps.values_title"), _range(values), m, big, height)
    fig["layout"]["shapes"] = [_outline_row(len(labels) - 1)]
    return _numbers_axis(fig, values.shape[1], m)


def heads_out_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                     height: int | None = None) -> dict:
    """Step (4): the A heads' outputs of the shown layer joined end to end (A * K numbers, the shown
    head's part outlined) and that vector projected by the layer's output matrix (D numbers)."""
    m = _en(m)
    _check(trace, t)
    h = trace.heads
    layers, n_heads = h.shape
    joined, projected = head_outputs(trace, t)  # (A * K,), (D,)
    k_dim = joined.size // n_heads
    every = np.einsum("tas,ask->tak", h.cross_weights[:, h.layer], h.values[h.layer])  # (T, A, K): every step
    labels = [m("steps.joined_row"), m("steps.projected_row")]
    size = 13 * (BIG if big else 1)
    fig = _states_heatmap(np.vstack([joined, projected]), labels, m("steps.heads_title", layer=h.layer + 1),
                          _range(every, h.cross_out[:, h.layer]), m, big, height or int(size * 11 + 60))
    layout = fig["layout"]
    names = [m("steps.head_short", head=a + 1) for a in range(n_heads)]
    custom = np.array(fig["data"][0]["customdata"], dtype=object)  # (2, D): the row's label; + the head
    custom[0] = [f"{labels[0]} · {names[j // k_dim]}" for j in range(joined.size)]
    fig["data"][0]["customdata"] = custom
    layout["margin"]["t"] = int(size * 4.6)  # the title, then the heads' names above the joined row
    layout["title"].update(y=1, yref="container", yanchor="top", pad=dict(t=6))
    layout["annotations"] = [dict(x=(a + 0.5) * k_dim - 0.5, y=1, xref="x", yref="paper", yanchor="bottom",
                                  text=name, showarrow=False,
                                  font=dict(size=size * 0.9, color=HIGHLIGHT if a == h.head else INK))
                             for a, name in enumerate(names)]
    layout["shapes"] = [dict(type="line", x0=a * k_dim - 0.5, x1=a * k_dim - 0.5, y0=-0.5, y1=0.5,
                             line=dict(color=INK, width=1)) for a in range(1, n_heads)]
    layout["shapes"].append(dict(type="rect", x0=h.head * k_dim - 0.5, x1=(h.head + 1) * k_dim - 0.5, y0=-0.5,
                                 y1=0.5, line=dict(color=HIGHLIGHT, width=2)))
    return _numbers_axis(fig, joined.size, m)


__all__ = ["query_keys_figure", "values_figure", "heads_out_figure"]
