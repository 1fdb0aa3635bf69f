"""Figures of the guided lesson (attnviz/lesson.py)."""
from __future__ import annotations

import html
from typing import Mapping

import numpy as np

from ..i18n import Messages
from ..trace import Trace
from ._base import BAR, BIG, COPY_SHAPE, FITTED, HIGHLIGHT, INK, _en, _safe, _title, _widest, px_lines
from .cards import metrics_frame
from .heatmap import _bar, attention_heatmap, step_frame

# ---------------------------------------------------------------- the guided lesson (attnviz/lesson.py)
# Predict, then reveal: the model's choice in red (HIGHLIGHT), the student's guess in orange (GUESS).

GUESS = "#ff7f0e"
TITLE_PX = 400  # a bar chart's title wraps at this text_px width (a generous estimate: ~320 px drawn), for a
# phone's 358 px column


def guess_bars(labels: list[str], values, title: str, x_title: str, *, m: Messages | None = None,
               best: int | None = None, guess: int | None = None, x_range: list[float] | None = None,
               fmt: str = ".2f", big: bool = False) -> dict:
    """Horizontal bars, one per label: `best` (the model's choice) in red, `guess` in orange and named
    "your guess", the rest light blue."""
    m = _en(m)
    note = m("lesson.fig.your_guess")
    labels = _safe([lab + (f"  {note}" if i == guess else "") for i, lab in enumerate(labels)])
    rows = list(range(len(labels)))
    size = 14 * (BIG if big else 1)
    colors = [HIGHLIGHT if i == best else GUESS if i == guess else BAR for i in rows]
    lines = px_lines(title, size * 1.15, TITLE_PX)  # a phone's column: the title must not run off the figure
    more = int(size * 1.15 * 1.3 * (len(lines) - 1))  # the room its extra lines take
    layout = dict(
        title=_title("<br>".join(html.escape(x) for x in lines), size * 1.15), font=dict(size=size, color=INK),
        paper_bgcolor="#ffffff", height=int(np.clip(120 + (40 if big else 32) * len(rows), 230, 700)) + more,
        margin=dict(l=int(_widest(labels, size) + 14), r=16, t=int(size * 3.2) + more, b=int(size * 3.6),
                    autoexpand=False),
        xaxis=dict(title=dict(text=html.escape(x_title)), range=x_range, zeroline=True, zerolinecolor="#888888",
                   **FITTED),
        yaxis=dict(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed", **FITTED,
                   tickfont=dict(size=size, color=INK)),
    )
    return dict(data=[_bar(rows, np.asarray(values, dtype=float), colors, labels, html.escape(x_title), fmt,
                           size=size)], layout=layout)


def lesson_scores_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False) -> dict:
    """Step (2) at step t: every English word's raw score, the highest in red."""
    m = _en(m)
    df = step_frame(trace, t)
    return guess_bars(list(df["src"]), df["score"].to_numpy(), m("lesson.fig.scores_title"),
                      m("lesson.fig.scores_x"), m=m, best=int(df["score"].idxmax()), big=big)


def lesson_weights_figure(trace: Trace, t: int, *, m: Messages | None = None, guess: int | None = None,
                          big: bool = False) -> dict:
    """Step (3a) at step t: every English word's softmax weight, the largest in red, a guessed word in orange."""
    m = _en(m)
    df = step_frame(trace, t)
    return guess_bars(list(df["src"]), df["weight"].to_numpy(), m("lesson.fig.weights_title"),
                      m("lesson.fig.weights_x"), m=m, best=int(df["weight"].idxmax()), guess=guess,
                      x_range=[0, 1], big=big)


def lesson_topk_figure(trace: Trace, t: int, *, m: Messages | None = None, guess: str | None = None,
                       big: bool = False) -> dict:
    """The model's top next words at step t, its likeliest in red; a guessed word among them in orange."""
    m = _en(m)
    words, probs = list(trace.topk_tokens[t]), trace.topk_probs[t]
    return guess_bars(words, probs, m("lesson.fig.topk_title", k=len(words)), m("lesson.fig.topk_x"), m=m,
                      best=int(np.argmax(probs)), guess=words.index(guess) if guess in words else None,
                      x_range=[0, 1], big=big)


def lesson_quality_figure(cards: Mapping[str, dict], *, m: Messages | None = None, guess: str | None = None,
                          big: bool = False) -> dict:
    """Measured BLEU (top panel) and AER (bottom panel) per model; the best BLEU in red, a guessed model
    in orange. Stacked, so each panel keeps the full width beside the model names."""
    m = _en(m)
    df = metrics_frame(cards)
    models = list(df["model"])
    note = m("lesson.fig.your_guess")
    labels = _safe([m(f"scorers.{s}") + (f"  {note}" if s == guess else "") for s in models])
    rows = list(range(len(models)))
    bleu, aer = df["BLEU"].to_numpy(dtype=float), df["AER"].to_numpy(dtype=float)
    best = int(np.nanargmax(bleu)) if not np.isnan(bleu).all() else None
    colors = [HIGHLIGHT if i == best else GUESS if s == guess else BAR for i, s in enumerate(models)]
    size = 14 * (BIG if big else 1)
    gap = 0.16  # of the height, between the panels, for the lower panel's title
    data = []
    for values, fmt, axes, name in ((bleu, ".1f", ("x", "y"), "BLEU"), (aer, ".2f", ("x2", "y2"), "AER")):
        bar = _bar(rows, np.nan_to_num(values), colors, labels, name, fmt, axes, size)
        bar["text"] = ["–" if np.isnan(v) else format(v, fmt) for v in values]
        data.append(bar)
    ticks = dict(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed", **FITTED,
                 tickfont=dict(size=size, color=INK))
    axis = dict(zeroline=True, zerolinecolor="#888888", **FITTED)
    titles = ((m("lesson.fig.bleu_bar"), 1.0), (m("lesson.fig.aer_bar"), 0.5 - gap / 2))
    layout = dict(
        font=dict(size=size, color=INK), paper_bgcolor="#ffffff",
        height=int(np.clip(140 + 2 * (34 if big else 28) * len(rows), 260, 720)),
        margin=dict(l=int(_widest(labels, size) + 14), r=16, t=int(size * 2.4), b=int(size * 2), autoexpand=False),
        yaxis=dict(domain=[0.5 + gap / 2, 1], **ticks), yaxis2=dict(domain=[0, 0.5 - gap / 2], **ticks),
        xaxis=dict(anchor="y", **axis), xaxis2=dict(anchor="y2", **axis),
        annotations=[dict(text=html.escape(text), x=0, xref="paper", y=y, yref="paper", yanchor="bottom",
                          xanchor="left", showarrow=False, font=dict(size=size * 1.1, color=INK))
                     for text, y in titles],
    )
    return dict(data=data, layout=layout)


def lesson_small_heatmap(trace: Trace, *, m: Messages | None = None, big: bool = False,
                         height: int | None = None) -> dict:
    """The attention heatmap for a narrow column (three side by side): no numbers in the cells (hover
    gives them); the English words tilt in the browser when the column is narrow (attention_heatmap)."""
    return attention_heatmap(trace, m=m, big=big, cell_text=False, height=height)


def mark_cells(spec: dict, cells=(), guess: tuple[int, int] | None = None, blank_row: int | None = None) -> dict:
    """A heatmap spec (attention_heatmap) with (step, English position) `cells` outlined in red, the
    student's `guess` cell in dashed orange, and row `blank_row` emptied (not revealed yet), the outline
    of a word it copied included. A new spec."""
    data = [dict(d) for d in spec["data"]]
    layout = dict(spec["layout"])
    shapes = list(layout.get("shapes") or [])
    if blank_row is not None:
        z = np.array(data[0]["z"], dtype=float)  # (T, S)
        z[blank_row] = np.nan
        data[0]["z"] = z
        shapes = [sh for sh in shapes if not (sh.get("name") == COPY_SHAPE and sh["y0"] < blank_row < sh["y1"])]
    shapes += [dict(type="rect", x0=i - 0.5, x1=i + 0.5, y0=t - 0.5, y1=t + 0.5, line=dict(color=HIGHLIGHT, width=4))
               for t, i in cells]
    if guess is not None and tuple(guess) not in {tuple(c) for c in cells}:
        t, i = guess
        shapes.append(dict(type="rect", x0=i - 0.42, x1=i + 0.42, y0=t - 0.42, y1=t + 0.42,
                           line=dict(color=GUESS, width=3, dash="dash")))
    layout["shapes"] = shapes
    return dict(data=data, layout=layout)


def mark_last_state(spec: dict, m: Messages | None = None) -> dict:
    """An encoder-states spec (encoder_states_figure) with its last row outlined and named: the only
    hidden state a model without attention passes on. A new spec."""
    m = _en(m)
    layout = dict(spec["layout"])
    last = len(spec["data"][0]["z"]) - 1
    layout["shapes"] = list(layout.get("shapes") or []) + [
        dict(type="rect", xref="paper", x0=0, x1=1, y0=last - 0.5, y1=last + 0.5, line=dict(color=HIGHLIGHT, width=3))]
    layout["annotations"] = list(layout.get("annotations") or []) + [
        dict(xref="paper", x=1, y=last + 0.5, yanchor="top", xanchor="right", showarrow=False,
             text=html.escape(m("lesson.fig.states_last")), bgcolor="rgba(255,255,255,0.85)",
             font=dict(color=HIGHLIGHT, size=14))]
    return dict(spec, layout=layout)
