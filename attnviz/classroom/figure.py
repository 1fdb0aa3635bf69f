"""The reveal: where the class looked, drawn as rows of the model's attention heatmap, and the class's
answers as bar lists (round 1 beside round 2). Pure builders: a ClassQuestion and the shares in,
a Plotly figure spec or an HTML string out."""
from __future__ import annotations

import html
from typing import Callable, Sequence

from .. import lesson_heads as heads_script
from ..figures._base import FONT, HIGHLIGHT, INK, WEIGHT_SCALE
from ..i18n import Messages
from .session import ClassQuestion

CLASS_INK = "#6a3d9a"  # the class's rows: labels in purple, so they never pass for a model row


def class_heatmap(q: ClassQuestion, rounds: Sequence[Sequence[float]], votes: Sequence[int], m: Messages,
                  big: bool = False, height: int | None = None, narrow: bool = False) -> dict:
    """The model's attention rows up to the asked step, with one row per voting round of the class
    right above the asked step's row, all on one 0–1 colour scale.

    Args:
        q: a "source" question (its weights are (step+1, S): the model's attention, or head q.head's).
        rounds: per round, the class's share of votes for each English word, (S,).
        votes: per round, how many voted.
        narrow: a phone's width: no colour bar, so the words keep the room.
    Returns:
        A Plotly figure spec: rows top to bottom are the French words before the asked one, the class's
        rounds, then the asked French word (outlined).
    """
    if q.kind != "source" or not q.weights:
        raise ValueError("only a 'which English word' question has a row of the heatmap to compare with")
    words = [html.escape(w, quote=False) for w in q.tgt_tokens]
    model_rows = [list(r) for r in q.weights]  # (step+1, S)
    rows = model_rows[:-1] + [list(r) for r in rounds] + model_rows[-1:]
    model = m("classroom.fig.model_row", word=words[-1]) if not q.head else \
        m("classroom.fig.head_row", head=heads_script.option_text("head", (q.head,), 0, m), word=words[-1])
    labels = words[:-1] + [m("classroom.fig.class_row", round=i + 1, n=n) for i, n in enumerate(votes)] + [model]
    kinds = ["model"] * (len(model_rows) - 1) + ["class"] * len(rounds) + ["asked"]
    return _spec(q, rows, labels, kinds, m, big, height, narrow)


def context_heatmap(q: ClassQuestion, m: Messages, big: bool = False, height: int | None = None,
                    narrow: bool = False) -> dict | None:
    """While the class votes: the attention of the French words before the asked one, and the asked
    row left empty (nothing of the answer shows). None when no word comes before it."""
    before = q.weights[:-1] if q.kind == "source" else q.weights  # next_word: weights stop before the step
    if not before:
        return None
    words = [html.escape(w, quote=False) for w in q.tgt_tokens]
    rows = [list(r) for r in before] + [[None] * len(q.src_tokens)]
    asked = m("classroom.fig.asked_row", word=words[-1]) if q.kind == "source" else m("classroom.fig.next_row")
    return _spec(q, rows, words[:len(before)] + [asked], ["model"] * len(before) + ["asked"], m, big, height,
                 narrow)


def _spec(q: ClassQuestion, rows: list, labels: list[str], kinds: list[str], m: Messages, big: bool,
          height: int | None, narrow: bool = False) -> dict:
    """The heatmap: `rows` (R, S) of weights or shares (None: empty), the last row outlined in red, the
    class's rows ("class" in `kinds`) labelled in purple and outlined with dots."""
    src = [html.escape(w, quote=False) for w in q.src_tokens]
    size = FONT["size"] * (1.45 if big else 1.0)
    text = [["" if v is None else f"{v:.2f}" for v in r] for r in rows]
    hover = [[m("classroom.fig.hover", row=labels[i], word=src[j], value=text[i][j] or "?")
              for j in range(len(src))] for i in range(len(rows))]
    ticks = [f'<span style="color:{CLASS_INK}"><b>{lab}</b></span>' if k == "class" else
             (f"<b>{lab}</b>" if k == "asked" else lab) for lab, k in zip(labels, kinds)]
    n = len(rows)
    shapes = [dict(type="rect", xref="x", yref="y", x0=-0.5, x1=len(src) - 0.5, y0=n - 1 - 0.5, y1=n - 1 + 0.5,
                   line=dict(color=HIGHLIGHT, width=3), fillcolor="rgba(0,0,0,0)")]
    if "class" in kinds:
        first, last = kinds.index("class"), len(kinds) - 1 - kinds[::-1].index("class")
        shapes.append(dict(type="rect", xref="x", yref="y", x0=-0.5, x1=len(src) - 0.5, y0=first - 0.5,
                           y1=last + 0.5, line=dict(color=CLASS_INK, width=3, dash="dot"),
                           fillcolor="rgba(0,0,0,0)"))
    return {
        "data": [{"type": "heatmap", "z": rows, "x": list(range(len(src))), "y": list(range(n)),
                  "zmin": 0.0, "zmax": 1.0, "colorscale": WEIGHT_SCALE, "text": text, "showscale": not narrow,
                  "texttemplate": "%{text}", "textfont": {"size": size},
                  "customdata": hover, "hovertemplate": "%{customdata}<extra></extra>", "xgap": 2, "ygap": 2,
                  "colorbar": {"title": {"text": m("classroom.fig.scale"), "side": "right"}, "thickness": 18,
                               "tickfont": {"size": size * 0.85}}}],
        "layout": {
            "height": height or int(110 + (62 if big else 46) * n),
            "margin": {"l": 10, "r": 10, "t": int(size * 2.6), "b": 10},
            "font": {**FONT, "size": size},
            "xaxis": {"tickvals": list(range(len(src))), "ticktext": src, "side": "top",
                      "tickfont": {"size": size * 1.1, "color": INK}, "fixedrange": True},
            "yaxis": {"tickvals": list(range(n)), "ticktext": ticks, "autorange": "reversed",
                      "tickfont": {"size": size * 1.05}, "fixedrange": True, "automargin": True},
            "shapes": shapes, "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff",
        },
    }


SHORT_OPTION = 24  # characters: an option name this short never wraps in the vote bars


def shares_html(q: ClassQuestion, share: Sequence[float], title: str, show_answer: bool,
                label: Callable[[int], str] | None = None, big: bool = False) -> str:
    """The class's answers as a bar list: one row per option, the share written beside its bar; the
    model's answer marked once revealed. label(i) names option i (default: the option as stored); every
    word is escaped (options can be typed sentences)."""
    size = 1.2 if big else 1.0
    names = [label(i) if label else q.options[i] for i in range(len(share))]
    # short names (words, heads "layer 2 · head 3") on one line, the bar taking what is left; sentences wrap
    wrap, bar = ("normal", "55%") if max(map(len, names), default=0) > SHORT_OPTION else ("nowrap", "100%")
    rows = []
    for i, s in enumerate(share):
        mark = "\u00a0✓" if show_answer and i == q.answer else ""  # no break: the mark stays with its word
        weight = "700" if show_answer and i == q.answer else "400"
        rows.append(
            f'<tr><th style="text-align:right;padding-right:.6em;font-weight:{weight};white-space:{wrap}">'
            f"{html.escape(names[i], quote=False)}{mark}</th>"
            f'<td style="width:{bar};min-width:3em"><div style="background:#eef2f8;border-radius:3px">'
            f'<div style="width:{100 * s:.1f}%;background:{CLASS_INK};height:1.1em;border-radius:3px"></div></div></td>'
            f'<td style="padding-left:.5em;font-variant-numeric:tabular-nums">{100 * s:.0f}%</td></tr>')
    return (f'<div class="av-class-shares" style="font-size:{size}rem;margin-bottom:.8em">'
            f'<div style="font-weight:600;margin-bottom:.3em">{html.escape(title, quote=False)}</div>'
            f'<table style="border-collapse:collapse;width:100%">{"".join(rows)}</table></div>')
