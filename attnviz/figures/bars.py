"""The small bar lists of one decoder step as plain HTML: scores and weights per English word, and the
most probable next words.

A Plotly chart is drawn twice by the browser each time it changes (Step by step changes every chart
on every step); a list of a dozen table rows is drawn once, and writes each number beside its bar
(the unrounded one is in the row's tooltip). Pure: Trace -> HTML string; views show it with st.html.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..i18n import Messages
from ..trace import Trace
from ._base import BAR, BIG, HIGHLIGHT, INK, _en, _has_attention, src_labels
from .heatmap import topk_rows

STYLE = f"""<style>
.av-bars {{ color: {INK}; font-family: sans-serif; margin: 0.2em 0 0.8em 0; }}
.av-bars table {{ border-collapse: collapse; width: 100%; table-layout: auto; }}
.av-bars th, .av-bars td {{ padding: 0.12em 0.35em; border: none; vertical-align: middle; background: none; }}
.av-bars thead th {{ font-weight: normal; text-align: center; font-size: 0.92em; }}
.av-bars tbody th {{ font-weight: normal; text-align: right; white-space: nowrap; width: 1%; }}
.av-bars td.av-num {{ text-align: right; white-space: nowrap; width: 1%; font-variant-numeric: tabular-nums; }}
.av-bars td.av-track {{ position: relative; min-width: 4em; }}
.av-bars .av-bar {{ position: absolute; top: 18%; height: 64%; }}
.av-bars .av-zero {{ position: absolute; top: 0; bottom: 0; width: 1px; background: #888888; }}
.av-bars tr.av-top th, .av-bars tr.av-top td.av-num {{ color: {HIGHLIGHT}; font-weight: bold; }}
/* narrow: the width of a 3:2 column on its own (no columns: fewer page elements); a phone, all of it */
.av-bars.av-narrow {{ max-width: 58%; }}
@media (max-width: 640px) {{ .av-bars.av-narrow {{ max-width: none; }} }}
</style>"""


@dataclass(frozen=True)
class Column:
    """One bar column: its title, one value per row, the axis span [lo, hi] and the number format."""

    title: str
    values: Sequence[float]
    lo: float
    hi: float
    fmt: str = ".2f"


def _bar(value: float, lo: float, hi: float, color: str) -> str:
    """A bar from 0 to `value` on a track spanning [lo, hi] (0 inside it), and the zero line."""
    span = (hi - lo) or 1.0
    zero = (0 - lo) / span * 100
    left = (min(value, 0) - lo) / span * 100
    width = abs(value) / span * 100
    line = f'<div class="av-zero" style="left:{zero:.2f}%"></div>'
    return f'{line}<div class="av-bar" style="left:{left:.2f}%;width:{width:.2f}%;background:{color}"></div>'


def bar_table(labels: Sequence[str], columns: Sequence[Column], top: Sequence[bool], *, title: str = "",
              hover: Sequence[str] = (), big: bool = False, narrow: bool = False) -> str:
    """Rows of labelled bars, one bar column (with its numbers) per Column; rows where `top` is True are
    drawn in the highlight colour. `hover`: each row's tooltip (e.g. the unrounded numbers). `narrow`:
    three fifths of the width it is given (all of it on a phone)."""
    size = 15 * (BIG if big else 1)
    head = "".join(f'<th colspan="2">{c.title}</th>' for c in columns)  # titles may hold <br>: ours, not typed
    body = []
    for r, label in enumerate(labels):
        color = HIGHLIGHT if top[r] else BAR
        cells = "".join(f'<td class="av-track">{_bar(float(c.values[r]), c.lo, c.hi, color)}</td>'
                        f'<td class="av-num">{format(float(c.values[r]), c.fmt)}</td>' for c in columns)
        tip = f' title="{html.escape(hover[r])}"' if hover else ""
        body.append(f'<tr class="{"av-top" if top[r] else ""}"{tip}><th>{html.escape(label)}</th>{cells}</tr>')
    caption = f'<div style="font-size:1.05em;margin-bottom:0.3em">{title}</div>' if title else ""
    kind = "av-bars av-narrow" if narrow else "av-bars"
    return (f'{STYLE}<div class="{kind}" style="font-size:{size:.0f}px">{caption}<table>'
            f'<thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def scores_weights_html(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False) -> str:
    """Steps (2) and (3a) side by side, one row per English word: its raw score, then its softmax weight.

    The word with the largest weight is drawn in red in both columns.
    """
    m = _en(m)
    _has_attention(trace)
    trace.check_step(t)  # no pandas table here: building one cost more than the whole HTML
    scores, weights = trace.scores[t], trace.weights[t]  # (S,), (S,)
    top = int(np.argmax(weights))  # a blocked word has weight 0, so it is never the one
    labels = src_labels(trace)
    hover = [f'{w}: {m("figures.score_word")} {s:.3f}, {m("figures.weight")} {p:.3f}'
             for w, s, p in zip(labels, scores, weights)]
    columns = [Column(m("figures.scores_title"), scores, min(float(scores.min()), 0.0), max(float(scores.max()), 0.0)),
               Column(m("figures.weights_title"), weights, 0.0, 1.0)]
    return bar_table(labels, columns, [i == top for i in range(len(labels))], hover=hover, big=big)


def topk_html(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False, narrow: bool = False) -> str:
    """The next-word probabilities at step t, the word actually written highlighted (`narrow`: bar_table)."""
    m = _en(m)
    labels, probs, chosen = topk_rows(trace, t)
    hover = [f'{w}: {m("figures.probability")} {p:.4f}' for w, p in zip(labels, probs)]
    return bar_table(labels, [Column(m("figures.probability"), np.asarray(probs), 0.0, 1.0)], chosen,
                     title=m("figures.topk_title"), hover=hover, big=big, narrow=narrow)


__all__ = ["Column", "bar_table", "scores_weights_html", "topk_html"]
