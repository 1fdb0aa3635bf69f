"""Pure figure builders: Trace (or model cards) ─► tidy DataFrame ─► plotly Figure / altair Chart.

Nothing here displays anything or runs a model; every number drawn is read from a Trace or a card.
Letters: T output steps, S source words, H hidden size, K top next words.
"""
from __future__ import annotations

import html
from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .evaluate import LENGTH_BUCKETS
from .trace import Trace

UNKNOWN_MARK = "*"  # suffix on a word the model does not know (it saw <unk>)
BLOCKED_MARK = "× "  # prefix on a source word hidden from attention
WEIGHT_SCALE = "Blues"  # one scale, 0 (white) to 1 (dark blue), for every attention picture
STATE_SCALE = "RdBu_r"  # hidden-state numbers: blue negative, red positive, white 0
HIGHLIGHT = "#d62728"  # the current step / the chosen word
BAR = "#9ecae1"
FONT = dict(size=15)
SCORER_COLORS = {"dot": "#1f77b4", "general": "#ff7f0e", "concat": "#2ca02c", "none": "#7f7f7f"}
TEXT_IN_CELLS_MAX = (10, 16)  # (words, steps): write weights in the cells only while they are big enough


def _has_attention(trace: Trace) -> None:
    if trace.weights is None or trace.scores is None or trace.contexts is None:
        raise ValueError(f"the {trace.scorer!r} model has no attention: it has no scores or weights to draw")


def src_labels(trace: Trace) -> list[str]:
    """English word labels: `car*` when unknown to the model, `× car` when blocked from attention."""
    return [(BLOCKED_MARK if i in trace.blocked else "") + tok + ("" if known else UNKNOWN_MARK)
            for i, (tok, known) in enumerate(zip(trace.src_tokens, trace.src_known))]


def tgt_labels(trace: Trace) -> list[str]:
    """French word labels: `mot*` when a forced word is not in the model's vocabulary."""
    return [tok + ("" if known else UNKNOWN_MARK) for tok, known in zip(trace.tgt_tokens, trace.tgt_known)]


def _safe(labels: list[str]) -> list[str]:
    """Plotly reads pseudo-HTML in labels and hover text; user words must stay plain text."""
    return [html.escape(s, quote=False) for s in labels]


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


def _heatmap_height(rows: int) -> int:
    return int(np.clip(140 + 34 * rows, 280, 1000))


def attention_heatmap(trace: Trace, upto: int | None = None, title: str | None = None) -> go.Figure:
    """Softmax weights as a heatmap: rows French output words (first on top), columns English words.

    Args:
        trace: a trace of a model with attention (ValueError for "none").
        upto: draw only rows 0..upto and outline row `upto` (playback); None draws every row.
        title: optional figure title.
    Returns:
        A Figure with one Heatmap trace, colour scale fixed to [0, 1]; hover shows both words,
        the weight and the raw score.
    """
    df = weights_frame(trace)
    shape = (trace.num_steps, len(trace.src_tokens))  # (T, S)
    z = df.pivot(index="step", columns="src_pos", values="weight").to_numpy(copy=True)  # (T, S)
    if upto is not None:
        trace.check_step(upto)
        z[upto + 1:] = np.nan  # not decoded yet
    hover = np.stack([np.array(_safe(list(df["tgt"])), dtype=object).reshape(shape),
                      np.array(_safe(list(df["src"])), dtype=object).reshape(shape),
                      df["score"].to_numpy().reshape(shape)], axis=-1)  # (T, S, 3)
    fig = go.Figure(go.Heatmap(
        z=z, zmin=0.0, zmax=1.0, colorscale=WEIGHT_SCALE, customdata=hover, hoverongaps=False,
        colorbar=dict(title=dict(text="weight"), tickvals=[0, 0.25, 0.5, 0.75, 1.0]),
        hovertemplate=("French: <b>%{customdata[0]}</b><br>English: <b>%{customdata[1]}</b><br>"
                       "weight: %{z:.3f}<br>raw score: %{customdata[2]:.3f}<extra></extra>"),
        texttemplate="%{z:.2f}" if shape[1] <= TEXT_IN_CELLS_MAX[0] and shape[0] <= TEXT_IN_CELLS_MAX[1] else None,
        xgap=1, ygap=1,
    ))
    tgt = _safe(tgt_labels(trace))
    if upto is not None:
        tgt = [w if t <= upto else "" for t, w in enumerate(tgt)]  # future words are not known yet
        fig.add_shape(type="rect", x0=-0.5, x1=shape[1] - 0.5, y0=upto - 0.5, y1=upto + 0.5,
                      line=dict(color=HIGHLIGHT, width=3))
    fig.update_xaxes(title_text="English input", side="top", tickmode="array",
                     tickvals=list(range(shape[1])), ticktext=_safe(src_labels(trace)),
                     tickangle=_tick_angle(shape[1]), showgrid=False, zeroline=False, automargin=True)
    fig.update_yaxes(title_text="French output", tickmode="array", tickvals=list(range(shape[0])),
                     ticktext=tgt, autorange="reversed", showgrid=False, zeroline=False, automargin=True)
    fig.update_layout(height=_heatmap_height(shape[0]), font=FONT, plot_bgcolor="#eeeeee",
                      margin=dict(l=10, r=10, t=110 if title else 80, b=10),
                      title=dict(text=html.escape(title), x=0, font=dict(size=16)) if title else None)
    return fig


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


def _states_heatmap(df: pd.DataFrame, title: str, zmax: float) -> go.Figure:
    rows, dims = int(df["row"].max()) + 1, int(df["dim"].max()) + 1
    labels = _safe(list(df.groupby("row", sort=True)["label"].first()))
    z = df.pivot(index="row", columns="dim", values="value").to_numpy()  # (R, H)
    word = np.array(labels, dtype=object)[:, None].repeat(dims, axis=1)  # (R, H)
    fig = go.Figure(go.Heatmap(
        z=z, zmin=-zmax, zmax=zmax, zmid=0, colorscale=STATE_SCALE, customdata=word,
        colorbar=dict(title=dict(text="value"), thickness=12),
        hovertemplate="%{customdata}<br>number %{x} of " + str(dims) + ": %{z:.3f}<extra></extra>",
    ))
    fig.update_yaxes(tickmode="array", tickvals=list(range(rows)), ticktext=labels, autorange="reversed",
                     zeroline=False, automargin=True)
    fig.update_xaxes(title_text=f"the {dims} numbers of a hidden state", showgrid=False, zeroline=False,
                     automargin=True)
    fig.update_layout(title=dict(text=title, x=0, font=dict(size=15)), font=dict(size=13),
                      height=int(np.clip(110 + 22 * rows, 200, 760)), margin=dict(l=10, r=10, t=50, b=10))
    return fig


def _state_range(trace: Trace) -> float:
    """Colour range for hidden-state numbers: the 99th percentile, so a few outliers don't wash it out."""
    return float(np.percentile(np.abs(trace.enc_out), 99)) or 1.0


def encoder_states_figure(trace: Trace) -> go.Figure:
    """Step (1): the set of encoder hidden states, one row of H numbers per English word."""
    return _states_heatmap(states_frame(trace.enc_out, src_labels(trace)),
                           "(1) encoder hidden states, one per English word", _state_range(trace))


def context_figure(trace: Trace, t: int) -> go.Figure:
    """Step (3), second half: each state times its weight, and their sum, the context vector."""
    rows = np.vstack([weighted_states(trace, t), trace.contexts[t][None, :]])  # (S + 1, H)
    labels = [f"{w:.2f} × {s}" for w, s in zip(trace.weights[t], src_labels(trace))] + ["= context"]
    fig = _states_heatmap(states_frame(rows, labels), "(3b) weight × state, summed into the context vector",
                          _state_range(trace))
    fig.add_shape(type="rect", xref="paper", x0=0, x1=1, y0=len(labels) - 1.5, y1=len(labels) - 0.5,
                  line=dict(color=HIGHLIGHT, width=2))
    return fig


def _bars(labels: list[str], values: np.ndarray, colors: list[str], title: str, x_title: str,
          x_range: list[float] | None, fmt: str) -> go.Figure:
    fig = go.Figure(go.Bar(
        y=list(range(len(labels))), x=values, orientation="h", marker_color=colors,
        text=[format(v, fmt) for v in values], textposition="auto", customdata=_safe(labels),
        hovertemplate="%{customdata}: %{x:.3f}<extra></extra>",
    ))
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(labels))), ticktext=_safe(labels),
                     autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=x_title, range=x_range, zeroline=True, zerolinecolor="#888888", automargin=True)
    fig.update_layout(title=dict(text=title, x=0, font=dict(size=15)), font=dict(size=13),
                      height=int(np.clip(110 + 26 * len(labels), 220, 900)), margin=dict(l=10, r=10, t=50, b=10))
    return fig


def scores_weights_figure(trace: Trace, t: int) -> go.Figure:
    """Steps (2) and (3a) side by side, one row per English word: its raw score, then its softmax weight.

    The word with the largest weight is drawn in red in both panels.
    """
    df = step_frame(trace, t)
    top = int(df["weight"].idxmax())  # a blocked word has weight 0, so it is never the one
    colors = [HIGHLIGHT if i == top else BAR for i in df["src_pos"]]
    labels, rows = _safe(list(df["src"])), list(range(len(df)))
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=("(2) raw scores", "(3a) softmax weights (sum = 1)"))
    for col, field in enumerate(("score", "weight"), start=1):
        v = df[field].to_numpy()
        fig.add_trace(go.Bar(y=rows, x=v, orientation="h", marker_color=colors, showlegend=False,
                             text=[f"{x:.2f}" for x in v], textposition="auto", customdata=labels,
                             hovertemplate="%{customdata}: " + field + " %{x:.3f}<extra></extra>"), row=1, col=col)
    fig.update_yaxes(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed", automargin=True)
    fig.update_xaxes(automargin=True)
    fig.update_xaxes(title_text="score (any number)", zeroline=True, zerolinecolor="#888888", row=1, col=1)
    fig.update_xaxes(title_text="weight", range=[0, 1], row=1, col=2)
    fig.update_annotations(font=dict(size=15))
    fig.update_layout(font=dict(size=13), height=int(np.clip(140 + 26 * len(rows), 240, 900)),
                      margin=dict(l=10, r=10, t=50, b=60))
    return fig


def topk_frame(trace: Trace, t: int) -> pd.DataFrame:
    """Step t's most probable next words; the chosen word is added if it is not among them.

    Columns: word, prob, chosen.
    """
    trace.check_step(t)
    chosen = trace.tgt_tokens[t]
    words, probs = list(trace.topk_tokens[t]), list(trace.topk_probs[t])
    if chosen not in words:  # a forced word the model did not rank in its top K
        words.append(chosen)
        probs.append(float(trace.chosen_probs[t]))
    return pd.DataFrame({"word": words, "prob": probs, "chosen": [w == chosen for w in words]})


def topk_figure(trace: Trace, t: int) -> go.Figure:
    """The next-word probabilities at step t, the word actually written highlighted."""
    df = topk_frame(trace, t)
    colors = [HIGHLIGHT if c else BAR for c in df["chosen"]]
    return _bars(list(df["word"]), df["prob"].to_numpy(), colors, "next word: top probabilities",
                 "probability", [0, 1], ".2f")


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


def _model_color(cards: Mapping[str, dict]) -> alt.Color:
    """The same colour for a model in every chart; the legend draws lines, not dots."""
    names = list(cards)
    return alt.Color("model:N", title="model", scale=alt.Scale(
        domain=names, range=[SCORER_COLORS.get(n, "#9467bd") for n in names]),
        legend=alt.Legend(symbolType="stroke"))


def bleu_by_length_chart(cards: Mapping[str, dict]) -> alt.Chart:
    """BLEU by sentence length, one line per model, dashed for the no-attention baseline."""
    df = bleu_by_length_frame(cards)
    lengths = [name for *_, name in LENGTH_BUCKETS]
    title = alt.TitleParams("BLEU by English sentence length", subtitle="solid: attention · dashed: no attention")
    return alt.Chart(df, title=title).mark_line(point=True).encode(
        x=alt.X("length:O", sort=lengths, title="sentence length (words)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("BLEU:Q", title="BLEU (greedy)"),
        color=_model_color(cards),
        strokeDash=alt.StrokeDash("kind:N", title="", sort=["attention", "no attention"],
                                  legend=None),
        tooltip=["model", "length", alt.Tooltip("BLEU:Q", format=".1f")],
    ).properties(height=320)


def training_chart(cards: Mapping[str, dict]) -> alt.Chart:
    """Training and validation loss per epoch, one colour per model, dashed for validation."""
    df = history_frame(cards)
    title = alt.TitleParams("Training curves (cross-entropy per word)",
                            subtitle="solid: training loss · dashed: validation loss")
    return alt.Chart(df, title=title).mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=_model_color(cards),
        strokeDash=alt.StrokeDash("split:N", title="", sort=["train", "valid"],
                                  legend=None),
        tooltip=["model", "epoch", "split", alt.Tooltip("loss:Q", format=".3f")],
    ).properties(height=320)


def figure_html(fig: go.Figure) -> str:
    """A standalone HTML page with plotly.js inlined, so the exported figure works offline."""
    return fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})
