"""Pure figure builders: Trace (or model cards) ─► plain Plotly figure spec (a dict) / altair Chart.

Nothing here displays anything or runs a model; every number drawn is read from a Trace or a card.
Specs are plain dicts (no plotly validation: ~0.3 ms instead of ~13 ms a heatmap) with fixed margins
computed from the labels (no plotly automargin: it re-lays out the chart in the browser). Titles and
axis names come from the message catalogues: each builder takes `m` (English when left out).
Letters: T output steps, S source words, H hidden size, K top next words.
"""
from __future__ import annotations

import html
import unicodedata
from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd
from plotly.colors import diverging, sequential

from .evaluate import LENGTH_BUCKETS
from .explain import marked, same_word
from .i18n import Messages, messages
from .trace import Trace

UNKNOWN_MARK = "*"  # suffix on a word the model does not know (it saw <unk>)
BLOCKED_MARK = "× "  # prefix on a source word hidden from attention


def _scale(colors: list[str]) -> list[list]:
    """A named plotly.py scale written out: plotly.js reads "Blues" the other way round."""
    return [[i / (len(colors) - 1), c] for i, c in enumerate(colors)]


WEIGHT_SCALE = _scale(sequential.Blues)  # one scale, 0 (white) to 1 (dark blue), for every attention picture
STATE_SCALE = _scale(diverging.RdBu_r)  # hidden-state numbers: blue negative, red positive, white 0
HIGHLIGHT = "#d62728"  # the current step / the chosen word
BAR = "#9ecae1"
INK = "#111111"  # labels: near-black on white, readable on a projector
FONT = dict(size=15, color=INK)
BIG = 1.4  # presenter mode: every font this much larger
SCORER_COLORS = {"dot": "#1f77b4", "general": "#ff7f0e", "concat": "#2ca02c", "none": "#7f7f7f"}
TEXT_IN_CELLS_MAX = (10, 16)  # (words, steps): write weights in the cells only while they are big enough


def _en(m: Messages | None) -> Messages:
    return m or messages("en")


def _has_attention(trace: Trace) -> None:
    if trace.weights is None or trace.scores is None or trace.contexts is None:
        raise ValueError(f"the {trace.scorer!r} model has no attention: it has no scores or weights to draw")


def src_labels(trace: Trace) -> list[str]:
    """English word labels: `car*` when unknown to the model, `× car` when blocked from attention."""
    return [marked(tok, known, i in trace.blocked)
            for i, (tok, known) in enumerate(zip(trace.src_tokens, trace.src_known))]


def tgt_labels(trace: Trace) -> list[str]:
    """French word labels: `mot*` when a forced word is not in the model's vocabulary."""
    return [marked(tok, known) for tok, known in zip(trace.tgt_tokens, trace.tgt_known)]


def _safe(labels: list[str]) -> list[str]:
    """Plotly reads pseudo-HTML in labels and hover text; user words must stay plain text."""
    return [html.escape(s, quote=False) for s in labels]


def text_px(text: str, size: float) -> float:
    """A generous estimate of a label's width in pixels (wide for CJK and emoji), for fixed margins."""
    text = html.unescape(text)
    return size * sum(1.05 if unicodedata.east_asian_width(c) in "WF" else 0.62 for c in text)


def _widest(labels: list[str], size: float) -> float:
    return max((text_px(s, size) for s in labels), default=0.0)


def _title(text: str, size: float) -> dict:
    return dict(text=text, x=0, xanchor="left", font=dict(size=size, color=INK))


# ---------------------------------------------------------------- attention heatmap


def weights_frame(trace: Trace) -> pd.DataFrame:
    """One row per (output step, source word): weight, raw score and both words (tidy form of (T, S)).

    Columns: step, src_pos, tgt, src, weight, score, src_known, blocked.
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
    })


def _tick_angle(words: int) -> int:
    return 0 if words <= 8 else -45 if words <= 14 else -90  # long sentences: upright labels never overlap


def _heatmap_height(rows: int, big: bool = False) -> int:
    return int(np.clip(140 + (46 if big else 34) * rows, 280, 1000))


def _x_label_room(labels: list[str], size: float, angle: int) -> float:
    """Vertical room the x tick labels need at `angle` degrees."""
    wide = _widest(labels, size)
    return size * 1.5 if angle == 0 else 0.72 * wide + size if angle == -45 else wide + 8


def attention_heatmap(trace: Trace, upto: int | None = None, title: str | None = None, *,
                      m: Messages | None = None, big: bool = False, cell_text: bool = True,
                      height: int | None = None) -> dict:
    """Softmax weights as a heatmap: rows French output words (first on top), columns English words.

    Args:
        trace: a trace of a model with attention (ValueError for "none").
        upto: draw only rows 0..upto and outline row `upto` (playback); None draws every row.
        title: optional figure title.
        m: messages for the axis names and hover text (English when None).
        big: presenter mode: larger fonts and rows.
        cell_text: write the weights in the cells when they are big enough (hover always gives them).
        height: fixed height in pixels (None: from the number of rows).
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
    angle = _tick_angle(shape[1])
    # Few words: upright labels, which the browser tilts to 45 or 90 degrees when the plot is narrow (a
    # phone); the top margin has room for that tilt, as nothing re-measures the margins in the browser.
    room = max(_x_label_room(src, size, a) for a in (-45, -90)) if angle == 0 else _x_label_room(src, size, angle)
    top = room + size * 1.6 + 12 + (size * 1.8 if title else 0)
    left = _widest(tgt, size) + size * 2.2 + 22  # tick labels, tick marks and the axis title beside them
    layout = dict(
        height=height or _heatmap_height(shape[0], big), font=dict(FONT, size=size), plot_bgcolor="#eeeeee",
        paper_bgcolor="#ffffff",
        margin=dict(l=int(left), r=int(size * 2.4 + 40), t=int(top), b=10, autoexpand=False),  # r: the colour bar
        xaxis=dict(title=dict(text=m("figures.heat_x"), standoff=6), side="top", tickmode="array",
                   tickvals=list(range(shape[1])), ticktext=src, showgrid=False,
                   **(dict(autotickangles=[0, -45, -90]) if angle == 0 else dict(tickangle=angle)),  # unset: "auto"
                   zeroline=False, automargin=False, tickfont=dict(size=size, color=INK)),
        yaxis=dict(title=dict(text=m("figures.heat_y"), standoff=6), tickmode="array",
                   tickvals=list(range(shape[0])), ticktext=tgt, autorange="reversed", showgrid=False,
                   zeroline=False, automargin=False, tickfont=dict(size=size, color=INK)),
        title=_title(html.escape(title), size * 1.1) if title else None,
    )
    if upto is not None:
        layout["shapes"] = [dict(type="rect", x0=-0.5, x1=shape[1] - 0.5, y0=upto - 0.5, y1=upto + 0.5,
                                 line=dict(color=HIGHLIGHT, width=3))]
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


def states_frame(rows: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """A (R, H) block of hidden-state numbers in long form. Columns: row, label, dim, value."""
    r, d = np.meshgrid(np.arange(rows.shape[0]), np.arange(rows.shape[1]), indexing="ij")
    return pd.DataFrame({"row": r.ravel(), "label": [labels[i] for i in r.ravel()], "dim": d.ravel(),
                         "value": rows.ravel()})


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
    layout = dict(
        title=_title(title, size * 1.15), font=dict(size=size, color=INK), paper_bgcolor="#ffffff",
        height=height or int(np.clip(110 + 22 * r, 200, 760)),
        margin=dict(l=int(_widest(labels, size) + 14), r=80, t=int(size * 3.2), b=int(size * 3.4),
                    autoexpand=False),
        yaxis=dict(tickmode="array", tickvals=list(range(r)), ticktext=labels, autorange="reversed",
                   zeroline=False, automargin=False, tickfont=dict(size=size, color=INK)),
        xaxis=dict(title=dict(text=m("figures.states_x", dims=dims), standoff=4), showgrid=False,
                   zeroline=False, automargin=False),
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


def scores_weights_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                          height: int | None = None) -> dict:
    """Steps (2) and (3a) side by side, one row per English word: its raw score, then its softmax weight.

    The word with the largest weight is drawn in red in both panels.
    """
    m = _en(m)
    df = step_frame(trace, t)
    top = int(df["weight"].idxmax())  # a blocked word has weight 0, so it is never the one
    colors = [HIGHLIGHT if i == top else BAR for i in df["src_pos"]]
    labels, rows = _safe(list(df["src"])), list(range(len(df)))
    size = 13 * (BIG if big else 1)
    gap = 0.06
    scores = df["score"].to_numpy()
    lo, hi = min(float(scores.min()), 0.0), max(float(scores.max()), 0.0)
    pad = 0.35 * ((hi - lo) or 1.0)  # room for a bar's number beside it, inside the panel
    data = [_bar(rows, scores, colors, labels, m("figures.score_word"), ".2f", ("x", "y"), size,
                 span=(hi - lo) * 1.6 or 1.0),
            _bar(rows, df["weight"].to_numpy(), colors, labels, m("figures.weight"), ".2f", ("x2", "y"), size, span=1.0)]
    titles = (m("figures.scores_title"), m("figures.weights_title"))
    layout = dict(
        font=dict(size=size, color=INK), paper_bgcolor="#ffffff",
        height=height or int(np.clip(140 + 26 * len(rows), 240, 900)),
        margin=dict(l=int(_widest(labels, size) + 14), r=16, t=int(size * 4.4), b=int(size * 4), autoexpand=False),
        xaxis=dict(domain=[0, 0.5 - gap / 2], title=dict(text=m("figures.score_axis")), zeroline=True,
                   range=[lo - 1.7 * pad if lo < 0 else lo, hi + pad if hi > 0 else hi],
                   zerolinecolor="#888888", automargin=False),
        xaxis2=dict(domain=[0.5 + gap / 2, 1], title=dict(text=m("figures.weight")), range=[0, 1],
                    anchor="y", automargin=False),
        yaxis=dict(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed", automargin=False,
                   tickfont=dict(size=size, color=INK)),
        annotations=[dict(text=text, x=x, xref="paper", y=1.0, yref="paper", yanchor="bottom", xanchor="center",
                          showarrow=False, font=dict(size=size * 1.15, color=INK))
                     for text, x in zip(titles, (0.25 - gap / 4, 0.75 + gap / 4))],
    )
    return dict(data=data, layout=layout)


def topk_frame(trace: Trace, t: int) -> pd.DataFrame:
    """Step t's most probable next words; the chosen word is added if it is not among them.

    Columns: word, prob, chosen. A forced `Je` is the model's `je` (one bar, not two).
    """
    trace.check_step(t)
    chosen = trace.tgt_tokens[t]
    words, probs = list(trace.topk_tokens[t]), list(trace.topk_probs[t])
    if not any(same_word(w, chosen) for w in words):  # a forced word the model did not rank in its top K
        words.append(chosen)
        probs.append(float(trace.chosen_probs[t]))
    return pd.DataFrame({"word": words, "prob": probs, "chosen": [same_word(w, chosen) for w in words]})


def topk_figure(trace: Trace, t: int, *, m: Messages | None = None, big: bool = False,
                height: int | None = None) -> dict:
    """The next-word probabilities at step t, the word actually written highlighted."""
    m = _en(m)
    df = topk_frame(trace, t)
    labels = _safe(list(df["word"]))
    rows = list(range(len(labels)))
    size = 13 * (BIG if big else 1)
    colors = [HIGHLIGHT if c else BAR for c in df["chosen"]]
    layout = dict(
        title=_title(m("figures.topk_title"), size * 1.15), font=dict(size=size, color=INK),
        paper_bgcolor="#ffffff", height=height or int(np.clip(110 + 26 * len(rows), 220, 900)),
        margin=dict(l=int(_widest(labels, size) + 14), r=16, t=int(size * 3.2), b=int(size * 3.6),
                    autoexpand=False),
        xaxis=dict(title=dict(text=m("figures.probability")), range=[0, 1], zeroline=True,
                   zerolinecolor="#888888", automargin=False),
        yaxis=dict(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed", automargin=False,
                   tickfont=dict(size=size, color=INK)),
    )
    return dict(data=[_bar(rows, df["prob"].to_numpy(), colors, labels, m("figures.probability"), ".2f",
                           size=size, span=1.0)], layout=layout)


# ---------------------------------------------------------------- model cards


def _beam_key(metrics: Mapping) -> str | None:
    return next((k for k in sorted(metrics) if k.startswith("bleu_beam")), None)


def metrics_frame(cards: Mapping[str, dict]) -> pd.DataFrame:
    """One row per model from card['metrics'] (NaN where a model is not evaluated yet)."""
    rows = []
    for scorer, card in cards.items():
        m = card.get("metrics") or {}
        beam = _beam_key(m)
        rows.append({"model": scorer, "BLEU": m.get("bleu_greedy"), "chrF": m.get("chrf_greedy"),
                     "BLEU (beam)": m.get(beam) if beam else None,
                     "beam width": int(beam.removeprefix("bleu_beam")) if beam else None,
                     "AER": m.get("aer"), "attention entropy": m.get("attention_entropy"),
                     "test sentences": m.get("test_sentences"), "parameters": card.get("parameters"),
                     "epochs": len(card.get("history") or []) or None})
    return pd.DataFrame(rows).astype({"BLEU": float, "chrF": float, "BLEU (beam)": float, "AER": float,
                                      "attention entropy": float})


QUALITY_COLUMNS = {  # metrics_frame column -> (message key, format)
    "model": ("figures.col_model", None), "BLEU": ("explain.metric_bleu", ".2f"),
    "chrF": ("explain.metric_chrf", ".2f"), "BLEU (beam)": ("explain.metric_bleu_beam", ".2f"),
    "beam width": ("figures.col_beam_width", "d"), "AER": ("explain.metric_aer", ".2f"),
    "attention entropy": ("explain.metric_entropy", ".2f"), "test sentences": ("figures.col_sentences", ",d"),
    "parameters": ("figures.col_parameters", ",d"), "epochs": ("figures.col_epochs", "d"),
}


def quality_table(cards: Mapping[str, dict], m: Messages | None = None) -> pd.DataFrame:
    """The measured-quality table as the page shows it: localised column names, formatted numbers
    (6,924,800), "–" where a model has no such number, and columns no model has left out."""
    m = _en(m)
    df = metrics_frame(cards)
    out = {}
    for col, (key, fmt) in QUALITY_COLUMNS.items():
        values = df[col].tolist()
        if all(v is None or (isinstance(v, float) and np.isnan(v)) for v in values):
            continue
        shown = []
        for v in values:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                shown.append("–")
            elif fmt is None:
                shown.append(m(f"scorers.{v}") if col == "model" else str(v))
            else:
                shown.append(format(int(v) if "d" in fmt else float(v), fmt))
        out[m(key)] = shown
    return pd.DataFrame(out)


def bleu_by_length_frame(cards: Mapping[str, dict]) -> pd.DataFrame:
    """Greedy BLEU per English sentence length, tidy. Columns: model, kind, length, order, BLEU."""
    order = {name: i for i, (*_, name) in enumerate(LENGTH_BUCKETS)}
    rows = [{"model": scorer, "kind": "no attention" if scorer == "none" else "attention",
             "length": name, "order": order.get(name, len(order)), "BLEU": float(bleu)}
            for scorer, card in cards.items()
            for name, bleu in ((card.get("metrics") or {}).get("bleu_by_length_greedy") or {}).items()]
    return pd.DataFrame(rows, columns=["model", "kind", "length", "order", "BLEU"])


MIN_TRAIN_FRACTION = 0.1  # an epoch cut after a few batches has no meaningful training loss


def history_frame(cards: Mapping[str, dict]) -> pd.DataFrame:
    """Training curves, tidy. Columns: model, epoch, split ("train" | "valid"), loss.

    `epoch` counts epochs of data seen, so an epoch cut short by the time budget sits where it ended.
    """
    rows = []
    for scorer, card in cards.items():
        for h in card.get("history") or []:
            fraction = float(h.get("fraction", 1.0))
            for split in ("train", "valid"):
                if f"{split}_loss" in h and (split == "valid" or fraction >= MIN_TRAIN_FRACTION):
                    rows.append({"model": scorer, "epoch": h["epoch"] - 1 + fraction, "split": split,
                                 "loss": float(h[f"{split}_loss"])})
    return pd.DataFrame(rows, columns=["model", "epoch", "split", "loss"])


def _model_color(cards: Mapping[str, dict], m: Messages) -> alt.Color:
    """The same colour for a model in every chart; the legend draws lines, not dots."""
    names = list(cards)
    return alt.Color("model:N", title=m("figures.col_model"), scale=alt.Scale(
        domain=names, range=[SCORER_COLORS.get(n, "#9467bd") for n in names]),
        legend=alt.Legend(symbolType="stroke"))


def _readable(chart: alt.Chart) -> alt.Chart:
    """Dark, projector-sized labels instead of Vega's 10 px grey."""
    return (chart.configure_axis(labelFontSize=14, titleFontSize=15, labelColor=INK, titleColor=INK)
            .configure_legend(labelFontSize=14, titleFontSize=14, labelColor=INK, titleColor=INK)
            .configure_title(fontSize=18, subtitleFontSize=14, color=INK, subtitleColor="#333333", anchor="start")
            .configure_view(strokeWidth=0))


def bleu_by_length_chart(cards: Mapping[str, dict], m: Messages | None = None) -> alt.Chart:
    """BLEU by sentence length, one line per model, dashed for the no-attention baseline."""
    m = _en(m)
    df = bleu_by_length_frame(cards)
    lengths = [name for *_, name in LENGTH_BUCKETS]
    title = alt.TitleParams(m("figures.bleu_title"), subtitle=m("figures.bleu_subtitle"))
    return _readable(alt.Chart(df, title=title).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("length:O", sort=lengths, title=m("figures.length_axis"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("BLEU:Q", title=m("figures.bleu_axis")),
        color=_model_color(cards, m),
        strokeDash=alt.StrokeDash("kind:N", title="", sort=["attention", "no attention"], legend=None),
        tooltip=[alt.Tooltip("model:N", title=m("figures.col_model")),
                 alt.Tooltip("length:O", title=m("figures.length_axis")),
                 alt.Tooltip("BLEU:Q", format=".1f")],
    ).properties(height=320))


def training_chart(cards: Mapping[str, dict], m: Messages | None = None) -> alt.Chart:
    """Training and validation loss per epoch, one colour per model, dashed for validation."""
    m = _en(m)
    df = history_frame(cards)
    title = alt.TitleParams(m("figures.training_title"), subtitle=m("figures.training_subtitle"))
    return _readable(alt.Chart(df, title=title).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("epoch:Q", title=m("figures.epoch_axis"), axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("loss:Q", title=m("figures.loss_axis"), scale=alt.Scale(zero=False)),
        color=_model_color(cards, m),
        strokeDash=alt.StrokeDash("split:N", title="", sort=["train", "valid"], legend=None),
        tooltip=[alt.Tooltip("model:N", title=m("figures.col_model")),
                 alt.Tooltip("epoch:Q", title=m("figures.epoch_axis"), format=".2f"),
                 alt.Tooltip("split:N", title=m("figures.split")),
                 alt.Tooltip("loss:Q", title=m("figures.loss_axis"), format=".3f")],
    ).properties(height=320))


def as_figure(spec):
    """A plotly Figure from a spec, without plotly's validation (the spec is built here, known good)."""
    import plotly.graph_objects as go

    return spec if isinstance(spec, go.Figure) else go.Figure(spec, _validate=False)


def figure_html(fig) -> str:
    """A standalone HTML page with plotly.js inlined, so the exported figure works offline."""
    return as_figure(fig).to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})


# ---------------------------------------------------------------- the guided lesson (attnviz/lesson.py)
# Predict, then reveal: the model's choice in red (HIGHLIGHT), the student's guess in orange (GUESS).

GUESS = "#ff7f0e"


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
    layout = dict(
        title=_title(html.escape(title), size * 1.15), font=dict(size=size, color=INK), paper_bgcolor="#ffffff",
        height=int(np.clip(120 + (40 if big else 32) * len(rows), 230, 700)),
        margin=dict(l=int(_widest(labels, size) + 14), r=16, t=int(size * 3.2), b=int(size * 3.6),
                    autoexpand=False),
        xaxis=dict(title=dict(text=html.escape(x_title)), range=x_range, zeroline=True, zerolinecolor="#888888",
                   automargin=False),
        yaxis=dict(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed", automargin=False,
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
    ticks = dict(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed", automargin=False,
                 tickfont=dict(size=size, color=INK))
    axis = dict(zeroline=True, zerolinecolor="#888888", automargin=False)
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
    student's `guess` cell in dashed orange, and row `blank_row` emptied (not revealed yet). A new spec."""
    data = [dict(d) for d in spec["data"]]
    layout = dict(spec["layout"])
    if blank_row is not None:
        z = np.array(data[0]["z"], dtype=float)  # (T, S)
        z[blank_row] = np.nan
        data[0]["z"] = z
    shapes = list(layout.get("shapes") or [])
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


# ---------------------------------------------------------------- the decoding lab (attnviz/views/lab.py)
# What-if edits, the beam as a tree, gold alignments over attention, attention against the effect of hiding.

FORCED_MARK = "✎ "  # prefix on a French word the reader chose (a what-if edit), not the model
GOLD_SURE, GOLD_POSSIBLE = "#e6550d", "#e6550d"  # outlines of the human aligner's sure / possible links
TREE_KEPT, TREE_DONE, TREE_FORCED, TREE_PRUNED = "#3182bd", "#31a354", "#756bb1", "#bbbbbb"
TREE_SELECTED = "#ff7f0e"
TREE_PRUNED_SHOWN = 2  # per step, the nearest misses drawn faded; the rest are counted ("+N")


def mark_forced_rows(spec: dict, trace: Trace) -> dict:
    """A heatmap spec whose French labels say which words the reader chose (`✎ la`): what-if edits.

    A fully forced translation (mode "forced") is said above the heatmap instead. A new spec.
    """
    forced = tuple(getattr(trace, "forced", ()) or ())
    if trace.mode == "forced" or not any(forced):
        return spec
    yaxis = dict(spec["layout"]["yaxis"])
    yaxis["ticktext"] = [(FORCED_MARK + w) if w and t < len(forced) and forced[t] else w
                         for t, w in enumerate(yaxis["ticktext"])]
    margin = dict(spec["layout"]["margin"])
    margin["l"] = int(margin.get("l", 0) + text_px(FORCED_MARK, FONT["size"]))
    return dict(spec, layout=dict(spec["layout"], yaxis=yaxis, margin=margin))


def gold_overlay(spec: dict, pair, weights: np.ndarray, m: Messages | None = None) -> dict:
    """A heatmap spec (rows French, columns English) with the human aligner's links outlined: sure
    links solid, possible-only links dashed, and a dot on each French word's most-attended English word.

    Args:
        spec: attention_heatmap of the forced gold French (rows beyond the gold words, <eos>, get no link).
        pair: an attnviz.alignment.AlignedPair whose tokens are the heatmap's.
        weights: (T, S) the attention drawn.
    """
    m = _en(m)
    layout = dict(spec["layout"])
    shapes = list(layout.get("shapes") or [])
    for (i, j), dash in [(link, "solid") for link in sorted(pair.sure)] + \
            [(link, "dot") for link in sorted(pair.possible - pair.sure)]:
        shapes.append(dict(type="rect", x0=i - 0.46, x1=i + 0.46, y0=j - 0.46, y1=j + 0.46,
                           line=dict(color=GOLD_SURE if dash == "solid" else GOLD_POSSIBLE,
                                     width=3.5 if dash == "solid" else 2.5, dash=dash)))
    layout["shapes"] = shapes
    n = len(pair.tgt_tokens)
    best = np.asarray(weights)[:n].argmax(axis=1)  # (n,) attention's pick for each gold French word
    dots = dict(type="scatter", mode="markers", x=(best + 0.33).tolist(), y=[j - 0.27 for j in range(n)],
                name=m("lab.gold_argmax"),  # in the cell's corner: the weight written in it stays readable
                marker=dict(symbol="circle", size=9, color=HIGHLIGHT, line=dict(color="#ffffff", width=1.5)),
                hoverinfo="skip", showlegend=True)
    keys = [dict(type="scatter", mode="lines", x=[None], y=[None], name=name,
                 line=dict(color=GOLD_SURE, width=3, dash=dash), showlegend=True)
            for name, dash in ((m("lab.gold_sure"), "solid"), (m("lab.gold_possible"), "dot"))]
    margin = dict(layout.get("margin") or {})
    margin["b"] = int(margin.get("b", 10)) + 44
    layout.update(margin=margin, showlegend=True,
                  legend=dict(orientation="h", x=0, y=0, yanchor="bottom", yref="container", xanchor="left",
                              font=dict(size=13, color=INK)))
    return dict(data=[*spec["data"], dots, *keys], layout=layout)


def _tree_positions(tree) -> tuple[dict[int, tuple[float, int]], dict[int, int]]:
    """Where each drawn node goes: (x slot, step); and per step how many pruned nodes are not drawn.

    Per step, the hypotheses that live on (kept, finished, forced) fill slots 0.. by total log-prob;
    the best few pruned ones follow after a gap, faded.
    """
    by_step: dict[int, list] = {}
    for node in tree.nodes:
        by_step.setdefault(node.step, []).append(node)
    pos, hidden = {}, {}
    for step, nodes in by_step.items():
        alive = sorted((n for n in nodes if n.status != "pruned"), key=lambda n: -n.cum_logp)
        pruned = sorted((n for n in nodes if n.status == "pruned"), key=lambda n: -n.cum_logp)
        for slot, n in enumerate(alive):
            pos[n.id] = (float(slot), step)
        shown = pruned[:TREE_PRUNED_SHOWN]
        for k, n in enumerate(shown):
            pos[n.id] = (tree.beam + 0.4 + k, step)
        hidden[step] = len(pruned) - len(shown)
    return pos, hidden


def beam_tree_figure(tree, *, selected: int = 0, m: Messages | None = None, big: bool = False) -> dict:
    """Beam search as a tree: one row per output step (first on top), each node a word with its log-prob.

    The hypotheses the beam kept sit left, best first; the nearest pruned ones follow, faded (the rest
    are counted). Finished hypotheses (<eos>) are squares labelled with their rank and length-normalised
    score; the winner's path is red, the `selected` rank's path (if another) orange; forced words are
    diamonds.

    Args:
        tree: trace.beam_tree (attnviz.trace.BeamTree).
        selected: rank (0 = best) of the hypothesis to highlight besides the winner.
    """
    m = _en(m)
    pos, hidden = _tree_positions(tree)
    size = 13 * (BIG if big else 1)
    winner = set(tree.path(tree.ranked[0]))
    chosen = set(tree.path(tree.ranked[selected])) if 0 < selected < len(tree.ranked) else set()
    rank_of = {node: r for r, node in enumerate(tree.ranked)}
    steps = max(p[1] for p in pos.values()) + 1
    first = [n for n in tree.nodes if n.parent < 0 and n.id in pos]
    root = (float(np.mean([pos[n.id][0] for n in first if tree.nodes[n.id].status != "pruned"] or [0.0])), -1)

    def where(node_id: int) -> tuple[float, int]:
        return root if node_id < 0 else pos[node_id]

    edges = {"pruned": ([], []), "alive": ([], []), "chosen": ([], []), "winner": ([], [])}
    for n in tree.nodes:
        if n.id not in pos:
            continue
        kind = ("winner" if n.id in winner else "chosen" if n.id in chosen
                else "pruned" if n.status == "pruned" else "alive")
        (x0, y0), (x1, y1) = where(n.parent), pos[n.id]
        edges[kind][0].extend([x0, x1, None])
        edges[kind][1].extend([y0, y1, None])
    style = {"pruned": dict(color="rgba(170,170,170,0.45)", width=1, dash="dot"),
             "alive": dict(color="rgba(49,130,189,0.35)", width=1.5),
             "chosen": dict(color=TREE_SELECTED, width=3.5), "winner": dict(color=HIGHLIGHT, width=4)}
    data = [dict(type="scatter", mode="lines", x=xs, y=ys, line=style[k], hoverinfo="skip", showlegend=False)
            for k, (xs, ys) in edges.items() if xs]
    status_name = {"kept": m("lab.tree_kept"), "finished": m("lab.tree_finished"),
                   "forced": m("lab.tree_forced"), "pruned": m("lab.tree_pruned")}
    symbols = {"kept": "circle", "finished": "square", "forced": "diamond", "pruned": "circle"}
    colors = {"kept": TREE_KEPT, "finished": TREE_DONE, "forced": TREE_FORCED, "pruned": TREE_PRUNED}
    for status in ("pruned", "kept", "forced", "finished"):
        nodes = [n for n in tree.nodes if n.id in pos and n.status == status]
        if not nodes:
            continue
        words = [html.escape(m("lab.tree_end") if n.token == "<eos>" else n.token, quote=False) for n in nodes]
        text = []
        for n, w in zip(nodes, words):
            line = f"{w}<br>{n.logp:+.2f}".replace("+-", "−").replace("-", "−")
            if n.id in rank_of:
                line += f"<br><b>#{rank_of[n.id] + 1} {tree.ranked_scores[rank_of[n.id]]:.2f}</b>"
            text.append(line)
        outline = [HIGHLIGHT if n.id in winner else TREE_SELECTED if n.id in chosen else "#ffffff" for n in nodes]
        data.append(dict(
            type="scatter", mode="markers+text", name=status_name[status],
            x=[pos[n.id][0] for n in nodes], y=[pos[n.id][1] for n in nodes], text=text,
            textposition="middle right", cliponaxis=False,  # beside the node: edges run above and below it
            textfont=dict(size=size * (0.8 if status == "pruned" else 1),  # the winner's words in red: read it down
                          color=["#999999" if status == "pruned" else HIGHLIGHT if n.id in winner else INK
                                 for n in nodes]),
            marker=dict(symbol=symbols[status], size=(8 if status == "pruned" else 12), color=colors[status],
                        opacity=0.6 if status == "pruned" else 1, line=dict(color=outline, width=2.5)),
            customdata=[[w, n.logp, n.cum_logp, status_name[status], n.step + 1] for n, w in zip(nodes, words)],
            hovertemplate=(m("lab.tree_hover") + "<extra></extra>"),
        ))
    data.append(dict(type="scatter", mode="markers+text", x=[root[0]], y=[-1], text=[m("lab.tree_start")],
                     textposition="top center", marker=dict(size=10, color=INK), hoverinfo="skip", showlegend=False,
                     textfont=dict(size=size, color=INK), cliponaxis=False))
    notes = [dict(x=tree.beam + 0.4 + TREE_PRUNED_SHOWN - 0.3, y=step, xanchor="left", showarrow=False,
                  text=f"+{k}", font=dict(size=size * 0.8, color="#999999"))
             for step, k in hidden.items() if k > 0]
    row = (64 if big else 56)
    layout = dict(
        height=int(120 + row * (steps + 1)), font=dict(size=size, color=INK), paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff", margin=dict(l=70, r=20, t=70, b=20, autoexpand=False),
        xaxis=dict(visible=False, range=[-0.6, tree.beam + TREE_PRUNED_SHOWN + 0.6], fixedrange=False),
        yaxis=dict(autorange="reversed", tickmode="array", tickvals=list(range(steps)),
                   ticktext=[str(t + 1) for t in range(steps)], title=dict(text=m("lab.tree_y")),
                   showgrid=True, gridcolor="#f0f0f0", zeroline=False, range=[steps + 0.1, -1.6]),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom", yref="paper", font=dict(size=size)),
        annotations=notes, showlegend=True,
    )
    layout["yaxis"].pop("autorange")  # an explicit reversed range: room for the start node and the labels
    return dict(data=data, layout=layout)


def beam_ranking_frame(tree, alternatives, m: Messages | None = None) -> pd.DataFrame:
    """The finished hypotheses, best first: rank, translation, words (with <eos>), sum of log-probs, score."""
    m = _en(m)
    rows = []
    for r, (node, score) in enumerate(zip(tree.ranked, tree.ranked_scores)):
        text = alternatives[r][0] if r < len(alternatives) else ""
        rows.append({m("lab.col_rank"): r + 1, m("lab.col_translation"): text,
                     m("lab.col_words"): len(tree.path(node)),
                     m("lab.col_sum"): round(tree.nodes[node].cum_logp, 3), m("lab.col_score"): round(score, 3)})
    return pd.DataFrame(rows)


def hide_effect_figure(effect, *, weights: np.ndarray | None = None, m: Messages | None = None,
                       big: bool = False, title: bool = True) -> dict:
    """Attention weight against the effect of hiding.

    Per English word (weights None): x its mean attention weight over the output steps, y how much the
    log-probability of all the chosen French words dropped when it was hidden (nats; above 0 = less likely).
    Per cell (weights = the trace's (T, S) weights): one point per (French word, English word), x the
    weight at that step, y the drop of that French word's log-probability alone.

    Args:
        effect: attnviz.causal.HideEffect.
    """
    m = _en(m)
    size = 13 * (BIG if big else 1)
    if weights is None:
        drop = -np.asarray(effect.effect, dtype=float)  # (S,)
        words = _safe(list(effect.src_tokens))
        x = np.asarray(effect.attention, dtype=float)
        x_title, y_title = m("lab.effect_x"), m("lab.effect_y")
    else:
        w = np.asarray(weights, dtype=float)  # (T, S)
        drop = -np.asarray(effect.per_step, dtype=float).T.ravel()  # (T * S,) row-major like w
        x = w.ravel()
        words = [f"{html.escape(fr, quote=False)} ← {html.escape(en, quote=False)}"
                 for fr in effect.tgt_tokens for en in effect.src_tokens]
        x_title, y_title = m("lab.effect_x_cell"), m("lab.effect_y_cell")
    ok = np.isfinite(drop)
    span = max(float(np.nanmax(np.abs(drop))) if ok.any() else 1.0, 0.1)
    cells = weights is not None  # many points: label only those that stand out
    labels = [w if k and (not cells or xi >= 0.3 or di >= 0.3 * span) else ""
              for w, k, xi, di in zip(words, ok, x, np.nan_to_num(drop))]
    data = [dict(type="scatter", mode="markers+text", x=x[ok], y=drop[ok], text=[w for w, k in zip(labels, ok) if k],
                 textposition="top center", cliponaxis=False,
                 marker=dict(size=8 if cells else 11, color=HIGHLIGHT, opacity=0.7 if cells else 1),
                 textfont=dict(size=size, color=INK), showlegend=False,
                 customdata=[w for w, k in zip(words, ok) if k],
                 hovertemplate=m("lab.effect_hover") + "<extra></extra>")]
    layout = dict(
        title=_title(html.escape(m("lab.effect_title")), size * 1.1) if title else None,
        font=dict(size=size, color=INK), paper_bgcolor="#ffffff", plot_bgcolor="#f7f7f7",
        height=int(380 * (BIG if big else 1)), margin=dict(l=70, r=30, t=60 if title else 24, b=60, autoexpand=False),
        xaxis=dict(title=dict(text=x_title), range=[-0.03, max(float(x.max()) * 1.15, 0.2)],
                   zeroline=True, zerolinecolor="#888888"),
        yaxis=dict(title=dict(text=y_title), range=[min(-0.1 * span, float(np.nanmin(drop[ok])) * 1.2
                                                                  if ok.any() else 0), span * 1.25],
                   zeroline=True, zerolinecolor="#888888"),
    )
    return dict(data=data, layout=layout)


def titled(spec: dict, title: str, big: bool = False) -> dict:
    """A spec with `title` (plain text; split into lines at " · " and at the first " → ") at the top, and the
    figure made taller by the room it takes, so exported images say what they show. A new spec."""
    size = 14 * (BIG if big else 1)
    lines = html.escape(title, quote=False).split(" · ")
    if " → " in lines[0]:  # the translation on a line of its own: the title fits a phone's width better
        lines[:1] = lines[0].split(" → ", 1)
        lines[1] = "→ " + lines[1]
    text = "<br>".join([f"<b>{lines[0]}</b>", *[f"<span style='font-size:{size * 0.9:.0f}px'>{x}</span>"
                                                  for x in lines[1:]]])
    room = int(size * 1.5 * len(lines) + 12)
    layout = dict(spec["layout"])
    margin = dict(layout.get("margin") or {})
    margin["t"] = int(margin.get("t", 40)) + room
    height = int(layout.get("height") or 450) + room
    layout.update(margin=margin, height=height,
                  title=dict(text=text, x=0, xref="paper", xanchor="left", y=1 - 12 / height, yref="container",
                             yanchor="top", font=dict(size=size, color=INK)))
    return dict(spec, layout=layout)


# ---------------------------------------------------------------- attention while it was learned


def learning_figure(snapshots: Mapping, example: int, scorer: str, *, m: Messages | None = None,
                    big: bool = False) -> dict:
    """One curated sentence's attention at each recorded training step, as a Plotly animation.

    Args:
        snapshots: a card's "attention_snapshots": {"examples": [{en, fr, src_tokens, tgt_tokens}],
            "frames": [{"step", "weights": [(T, S) list per example, or None], "final"?}]}.
        example: which curated sentence.
        scorer: the model's name, for the title.
    Returns:
        A figure spec whose slider and play button step through the frames in the browser: no server
        work per frame. The last frame is the bundled model's attention.
    """
    m = _en(m)
    ex = snapshots["examples"][example]
    frames = [f for f in snapshots["frames"] if f["weights"][example] is not None]
    if not frames:
        raise ValueError(f"the {scorer!r} model recorded no attention")
    src, tgt = _safe(ex["src_tokens"]), _safe(ex["tgt_tokens"])
    size = FONT["size"] * (BIG if big else 1)
    names = [f"{f['step']:,}" for f in frames]  # slider labels: training steps (optimiser updates)

    def heat(f: Mapping) -> dict:
        return dict(type="heatmap", z=f["weights"][example], zmin=0.0, zmax=1.0, colorscale=WEIGHT_SCALE,
                    showscale=False, xgap=1, ygap=1, hovertemplate="%{z:.3f}<extra></extra>")

    now = dict(frame=dict(duration=0, redraw=True), mode="immediate", transition=dict(duration=0))
    play = dict(now, frame=dict(duration=800, redraw=True), fromcurrent=True)
    angle = _tick_angle(len(src))
    # as attention_heatmap: few words stand upright but may tilt in a narrow column; reserve the room
    room = max(_x_label_room(src, size, a) for a in (-45, -90)) if angle == 0 else _x_label_room(src, size, angle)
    top = room + size * 2.4 + 16
    layout = dict(
        height=_heatmap_height(len(tgt), big) + 110, font=dict(FONT, size=size), plot_bgcolor="#eeeeee",
        paper_bgcolor="#ffffff", margin=dict(l=int(_widest(tgt, size) + 24), r=16, t=int(top), b=110),
        title=_title(html.escape(m(f"scorers.{scorer}")), size * 1.1),
        xaxis=dict(side="top", tickmode="array", tickvals=list(range(len(src))), ticktext=src,
                   **(dict(autotickangles=[0, -45, -90]) if angle == 0 else dict(tickangle=angle)),
                   showgrid=False, zeroline=False, tickfont=dict(size=size, color=INK)),
        yaxis=dict(tickmode="array", tickvals=list(range(len(tgt))), ticktext=tgt, autorange="reversed",
                   showgrid=False, zeroline=False, tickfont=dict(size=size, color=INK)),
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=0, xanchor="left", yanchor="top",
                          pad=dict(t=50), buttons=[dict(label=m("learn.play"), method="animate", args=[None, play])])],
        sliders=[dict(active=0, x=0.1, len=0.9, y=0, yanchor="top", pad=dict(t=40),
                      currentvalue=dict(prefix=m("learn.slider_prefix"), font=dict(size=size)), font=dict(size=size * 0.75),
                      steps=[dict(label=n, method="animate", args=[[n], now]) for n in names])],
    )
    return dict(data=[heat(frames[0])], layout=layout,
                frames=[dict(name=n, data=[heat(f)]) for f, n in zip(frames, names)])
