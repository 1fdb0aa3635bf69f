"""The attention heatmap and the figures of one decoder step: hidden states, scores, weights, context,
next-word probabilities. Letters: T output steps, S source words, H hidden size, K top next words."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..explain import same_word
from ..i18n import Messages
from ..trace import Trace
from ..vocab import UNK
from ._base import (BIG, COPY_INK, COPY_SHAPE, FITTED, FONT, HIGHLIGHT, INK, STATE_SCALE, TEXT_IN_CELLS_MAX, WEIGHT_SCALE, _en,
                    _has_attention, _safe, _title, _widest, src_labels, text_px, tgt_labels, wrapped)

# ---------------------------------------------------------------- attention heatmap


def weights_frame(trace: Trace) -> pd.DataFrame:
    """One row per (output step, source word): weight, raw score and both words (tidy form of (T, S)).

    Columns: step, src_pos, tgt, src, weight, score, src_known, blocked, copied (the French word is
    this English word, copied through attention).
    """
    _has_attention(trace)
    t_idx, s_idx = np.meshgrid(np.arange(trace.num_steps), np.arange(len(trace.src_tokens)), indexing="ij")
    src, tgt = src_labels(trace), tgt_labels(trace)
    return pd.DataFrame({
        "step": t_idx.ravel(), "src_pos": s_idx.ravel(),
        "tgt": [tgt[t] for t in t_idx.ravel()], "src": [src[s] for s in s_idx.ravel()],
        "weight": trace.weights.ravel(), "score": trace.scores.ravel(),
        "src_known": [trace.src_known[s] for s in s_idx.ravel()],
        "blocked": [int(s) in trace.blocked for s in s_idx.ravel()],
        "copied": [trace.copied[t] == s for t, s in zip(t_idx.ravel(), s_idx.ravel())],
    })


def _tick_angle(words: int) -> int:
    return 0 if words <= 8 else -45 if words <= 14 else -90  # long sentences: upright labels never overlap


def x_label_tilt(labels: list[str], size: float) -> tuple[dict, float]:
    """The English words' tilt on a heatmap's top axis, as plotly axis settings, and the top margin's room
    for them. Up to 8 words stand upright and up to 14 lean at 45 degrees where they fit; in a narrow plot
    (a phone, Compare's half-width panels) plotly.js tilts them further, up to 90 degrees (at 45 they ran
    into each other there), so the room is for the steepest tilt it may choose: nothing re-measures the
    margins in the browser. Longer sentences stand at 90 degrees."""
    angle = _tick_angle(len(labels))
    if angle == -90:
        return dict(tickangle=-90), _x_label_room(labels, size, -90)
    tilts = [0, -45, -90] if angle == 0 else [-45, -90]
    return dict(autotickangles=tilts), max(_x_label_room(labels, size, a) for a in (-45, -90))


def _heatmap_height(rows: int, big: bool = False) -> int:
    return int(np.clip(140 + (46 if big else 34) * rows, 280, 1000))


heatmap_height = _heatmap_height  # public: views cap it to the window's height


def _x_label_room(labels: list[str], size: float, angle: int) -> float:
    """Vertical room the x tick labels need at `angle` degrees."""
    wide = _widest(labels, size)
    return size * 1.5 if angle == 0 else 0.72 * wide + size if angle == -45 else wide + 8


COLORBAR_PAD = 8  # pixels between the cells and the colour bar


def _colorbar_room(title: str, size: float) -> int:
    """Right margin that holds the colour bar, its tick labels ("0.75") and its title (e.g. "weight",
    "가중치") whole: with the margin fixed (autoexpand off), anything wider would be clipped."""
    bar = 18 + 4 + text_px("0.75", size * 0.9)  # thickness, tick, the widest tick label
    return int(COLORBAR_PAD + max(bar, text_px(title, size)) + 12)


def attention_heatmap(trace: Trace, upto: int | None = None, title: str | None = None, *,
                      m: Messages | None = None, big: bool = False, cell_text: bool = True,
                      height: int | None = None, compact: bool = False, width: int | None = None) -> dict:
    """Softmax weights as a heatmap: rows French output words (first on top), columns English words.

    Args:
        trace: a trace of a model with attention (ValueError for "none").
        upto: draw only rows 0..upto and outline row `upto` (playback); None draws every row.
        title: optional figure title.
        m: messages for the axis names and hover text (English when None).
        big: presenter mode: larger fonts and rows.
        cell_text: write the weights in the cells when they are big enough (hover always gives them).
        height: fixed height in pixels (None: from the number of rows).
        compact: no axis titles and no colour bar, so a short panel's height goes to its cells (presenter
            mode's Compare, where the panels sit side by side on one shared scale); its labels shrink to
            their rows and, given the figure's `width` in pixels, to their columns.
    Returns:
        A Plotly figure spec with one heatmap trace, colour scale fixed to [0, 1]; hover shows both
        words, the weight and the raw score.
    """
    m = _en(m)
    _has_attention(trace)
    shape = (trace.num_steps, len(trace.src_tokens))  # (T, S)
    z = np.array(trace.weights, dtype=float)  # (T, S)
    if upto is not None:
        trace.check_step(upto)
        z[upto + 1:] = np.nan  # not decoded yet
    src, tgt = _safe(src_labels(trace)), _safe(tgt_labels(trace))
    hover = np.empty(shape + (3,), dtype=object)  # (T, S, 3): French word, English word, raw score
    hover[..., 0] = np.array(tgt, dtype=object)[:, None]
    hover[..., 1] = np.array(src, dtype=object)[None, :]
    hover[..., 2] = trace.scores
    size = FONT["size"] * (BIG if big else 1)
    show_text = cell_text and shape[1] <= TEXT_IN_CELLS_MAX[0] and shape[0] <= TEXT_IN_CELLS_MAX[1]
    heat = dict(
        type="heatmap", z=z, zmin=0.0, zmax=1.0, colorscale=WEIGHT_SCALE, customdata=hover, hoverongaps=False,
        colorbar=dict(title=dict(text=m("figures.weight"), side="top"), tickvals=[0, 0.25, 0.5, 0.75, 1.0], thickness=18,
                      len=0.84, y=0.42, yanchor="middle",  # room above the bar for its title
                      x=1.0, xanchor="left", xref="paper", xpad=COLORBAR_PAD,  # just right of the cells: see margin r
                      tickfont=dict(size=size * 0.9)),
        hovertemplate=(m("figures.hover_fr") + ": <b>%{customdata[0]}</b><br>" + m("figures.hover_en")
                       + ": <b>%{customdata[1]}</b><br>" + m("figures.weight") + ": %{z:.3f}<br>"
                       + m("figures.raw_score") + ": %{customdata[2]:.3f}<extra></extra>"),
        xgap=1, ygap=1,
    )
    if show_text:
        heat.update(texttemplate="%{z:.2f}", textfont=dict(size=size * (1.0 if big else 0.9)))
    if upto is not None:
        tgt = [w if t <= upto else "" for t, w in enumerate(tgt)]  # future words are not known yet
    if compact:
        heat["showscale"] = False
    tilt, room = x_label_tilt(src, size)
    axis_title = 0 if compact else 1  # room for the axis titles, in lines
    top = room + axis_title * size * 1.6 + 12 + (size * 1.8 if title else 0)
    left = _widest(tgt, size) + axis_title * size * 2.2 + 22  # tick labels, tick marks and the axis title beside them
    layout = dict(
        height=height or _heatmap_height(shape[0], big), font=dict(FONT, size=size), plot_bgcolor="#eeeeee",
        paper_bgcolor="#ffffff",
        margin=dict(l=int(left), r=12 if compact else _colorbar_room(m("figures.weight"), size), t=int(top), b=10,
                    autoexpand=False),
        xaxis=dict(title=dict(text="" if compact else m("figures.heat_x"), standoff=6), side="top", tickmode="array",
                   tickvals=list(range(shape[1])), ticktext=src, showgrid=False,
                   **tilt, zeroline=False, **FITTED, tickfont=dict(size=size, color=INK)),
        yaxis=dict(title=dict(text="" if compact else m("figures.heat_y"), standoff=6), tickmode="array",
                   tickvals=list(range(shape[0])), ticktext=tgt, autorange="reversed", showgrid=False,
                   zeroline=False, **FITTED, tickfont=dict(size=size, color=INK)),
        title=_title(html.escape(title), size * 1.1) if title else None,
    )
    if compact:  # cells smaller than the font: smaller labels, so neighbours never print over each other
        row_px = (layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]) / shape[0]
        layout["yaxis"]["tickfont"] = dict(size=max(7, min(size, int(row_px * 0.85))), color=INK)
        if width:
            col_px = (width - layout["margin"]["l"] - layout["margin"]["r"]) / shape[1]
            layout["xaxis"]["tickfont"] = dict(size=max(7, min(size, int(col_px * 0.9))), color=INK)
    shown = range(shape[0] if upto is None else upto + 1)
    layout["shapes"] = [dict(type="rect", x0=trace.copied[t] - 0.45, x1=trace.copied[t] + 0.45, y0=t - 0.45,
                             y1=t + 0.45, line=dict(color=COPY_INK, width=3, dash="dot"), name=COPY_SHAPE)
                        for t in trace.copied_steps if t in shown]  # where each copied word came from
    if upto is not None:
        layout["shapes"].append(dict(type="rect", x0=-0.5, x1=shape[1] - 0.5, y0=upto - 0.5, y1=upto + 0.5,
                                     line=dict(color=HIGHLIGHT, width=3)))
    return dict(data=[heat], layout=layout)


# ---------------------------------------------------------------- one decoder step


def step_frame(trace: Trace, t: int) -> pd.DataFrame:
    """Step t, one row per English word: raw score, softmax weight (steps 2 and 3 of attention).

    Columns: src_pos, src, score, weight, blocked.
    """
    _has_attention(trace)
    trace.check_step(t)
    return pd.DataFrame({"src_pos": np.arange(len(trace.src_tokens)), "src": src_labels(trace),
                         "score": trace.scores[t], "weight": trace.weights[t],
                         "blocked": [i in trace.blocked for i in range(len(trace.src_tokens))]})


def weighted_states(trace: Trace, t: int) -> np.ndarray:
    """(S, H) each encoder state times its step-t weight; the rows sum to trace.contexts[t]."""
    _has_attention(trace)
    trace.check_step(t)
    return trace.weights[t][:, None] * trace.enc_out  # (S, 1) * (S, H) -> (S, H)


STATES_TITLE_CHARS = 36  # a hidden-state figure's title wraps here: it fits a 300-pixel column (1280x720)


def _states_heatmap(rows: np.ndarray, labels: list[str], title: str, zmax: float, m: Messages,
                    big: bool = False, height: int | None = None) -> dict:
    """A (R, H) block of hidden-state numbers as a heatmap, one labelled row each."""
    r, dims = rows.shape
    labels = _safe(labels)
    size = 13 * (BIG if big else 1)
    heat = dict(
        type="heatmap", z=np.asarray(rows, dtype=float), zmin=-zmax, zmax=zmax, zmid=0, colorscale=STATE_SCALE,
        customdata=np.array(labels, dtype=object)[:, None].repeat(dims, axis=1),  # (R, H)
        colorbar=dict(title=dict(text=m("figures.value")), thickness=12, tickfont=dict(size=size * 0.9)),
        hovertemplate="%{customdata}<br>" + m("figures.number_of", dims=dims) + ": %{z:.3f}<extra></extra>",
    )
    lines = wrapped(title, STATES_TITLE_CHARS, most=3)  # these sit in narrow columns beside the text
    extra = int((len(lines) - 1) * size * 1.4)  # room for the title's second line
    layout = dict(
        title=_title("<br>".join(lines), size * 1.15), font=dict(size=size, color=INK), paper_bgcolor="#ffffff",
        height=height or int(np.clip(110 + 22 * r, 200, 760)) + extra,  # a given height (fitted to the window) stays
        margin=dict(l=int(_widest(labels, size) + 14), r=80, t=int(size * 3.2) + extra, b=int(size * 3.4),
                    autoexpand=False),
        yaxis=dict(tickmode="array", tickvals=list(range(r)), ticktext=labels, autorange="reversed",
                   zeroline=False, **FITTED, tickfont=dict(size=size, color=INK)),
        xaxis=dict(title=dict(text=m("figures.states_x", dims=dims), standoff=4), showgrid=False,
                   zeroline=False, **FITTED),
    )
    return dict(data=[heat], layout=layout)


def _state_range(trace: Trace) -> float:
    """Colour range for hidden-state numbers: the 99th percentile, so a few outliers don't wash it out."""
    return float(np.percentile(np.abs(trace.enc_out), 99)) or 1.0


def encoder_states_figure(trace: Trace, *, m: Messages | None = None, big: bool = False,
                          height: int | None = None) -> dict:
    """Step (1): the set of encoder hidden states, one row of H numbers per English word."""
    m = _en(m)
    return _states_heatmap(trace.enc_out, src_labels(trace), m("figures.states_title"), _state_range(trace),
                           m, big, height)


def context_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                   height: int | None = None) -> dict:
    """Step (3), second half: each state times its weight, and their sum, the context vector."""
    m = _en(m)
    rows = np.vstack([weighted_states(trace, t), trace.contexts[t][None, :]])  # (S + 1, H)
    labels = [f"{w:.2f} × {s}" for w, s in zip(trace.weights[t], src_labels(trace))] + [m("figures.context_sum")]
    fig = _states_heatmap(rows, labels, m("figures.context_title"), _state_range(trace), m, big, height)
    fig["layout"]["shapes"] = [dict(type="rect", xref="paper", x0=0, x1=1, y0=len(labels) - 1.5,
                                    y1=len(labels) - 0.5, line=dict(color=HIGHLIGHT, width=2))]
    return fig


def _bar(y: list[int], values: np.ndarray, colors: list[str], labels: list[str], name: str, fmt: str,
         axes: tuple[str, str] = ("x", "y"), size: float = 13, span: float | None = None) -> dict:
    """Horizontal bars with their numbers; with `span` (the axis length) a number sits inside its bar
    only when the bar is long enough to hold it at full size, else beside it."""
    where = "auto" if span is None else ["inside" if abs(v) >= 0.25 * span else "outside" for v in values]
    return dict(type="bar", y=y, x=np.asarray(values, dtype=float), orientation="h", marker=dict(color=colors),
                text=[format(v, fmt) for v in values], textposition=where, textangle=0, customdata=labels,
                textfont=dict(size=size), showlegend=False, xaxis=axes[0], yaxis=axes[1],
                hovertemplate="%{customdata}: " + name + " %{x:.3f}<extra></extra>")


def topk_rows(trace: Trace, t: int) -> tuple[list[str], list[float], list[bool]]:
    """Step t's most probable next words, their probabilities, and which one was written; the chosen
    word is added if it is not among them. A forced `Je` is the model's `je` (one bar, not two); a copy
    is the model's `<unk>`, shown as `<unk> → Marie`."""
    trace.check_step(t)
    chosen = trace.tgt_tokens[t]
    words, probs = list(trace.topk_tokens[t]), [float(p) for p in trace.topk_probs[t]]
    copy = trace.copied[t] >= 0  # the model wrote <unk>, shown as the English word it copied
    is_chosen = [w == UNK if copy else same_word(w, chosen) for w in words]
    if not any(is_chosen):  # a forced word the model did not rank in its top K
        words, probs, is_chosen = words + [UNK if copy else chosen], probs + [float(trace.chosen_probs[t])], is_chosen + [True]
    return [f"{UNK} → {chosen}" if copy and c else w for w, c in zip(words, is_chosen)], probs, is_chosen


def topk_frame(trace: Trace, t: int) -> pd.DataFrame:
    """topk_rows as a table. Columns: word, prob, chosen."""
    words, probs, is_chosen = topk_rows(trace, t)
    return pd.DataFrame({"word": words, "prob": probs, "chosen": is_chosen})
