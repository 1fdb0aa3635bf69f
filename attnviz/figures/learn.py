"""Attention while it was learned: the training snapshots of a model card, animated (one attention per
model, and a Transformer's heads, one layer at a time)."""
from __future__ import annotations

import html
from typing import Mapping

import numpy as np

from ..i18n import Messages
from ..text import tokenize_fr
from ._base import BIG, FONT, INK, WEIGHT_SCALE, _en, _safe, _title, _widest
from .heatmap import _heatmap_height, x_label_tilt
from .lesson_heads import heads_grid as _heads_grid  # small multiples, one panel per head

FRAME_MS = 800  # one training snapshot shown this long while playing

# ---------------------------------------------------------------- attention while it was learned


def reference_case(tokens: list[str], reference: str) -> list[str]:
    """The French tokens written as the reference writes them (`La`, not one model's `la`): each model's
    card stores its own vocabulary's spelling, and the same forced sentence must read the same."""
    ref = tokenize_fr(reference)
    return [r if i < len(ref) and (r := ref[i]).casefold() == tok.casefold() else tok for i, tok in enumerate(tokens)]



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
    src, tgt = _safe(ex["src_tokens"]), _safe(reference_case(ex["tgt_tokens"], ex.get("fr", "")))
    size = FONT["size"] * (BIG if big else 1)
    names = [f"{f['step']:,}" for f in frames]  # slider labels: training steps (optimiser updates)

    def heat(f: Mapping) -> dict:
        return dict(type="heatmap", z=f["weights"][example], zmin=0.0, zmax=1.0, colorscale=WEIGHT_SCALE,
                    showscale=False, xgap=1, ygap=1, hovertemplate="%{z:.3f}<extra></extra>")

    now = dict(frame=dict(duration=0, redraw=True), mode="immediate", transition=dict(duration=0))
    # from the first frame: "play all together" starts every model's animation at once, in step
    play = dict(now, frame=dict(duration=FRAME_MS, redraw=True), fromcurrent=False)
    tilt, room = x_label_tilt(src, size)  # as attention_heatmap
    top = room + size * 2.4 + 16
    layout = dict(
        height=_heatmap_height(len(tgt), big) + 110, font=dict(FONT, size=size), plot_bgcolor="#eeeeee",
        paper_bgcolor="#ffffff", margin=dict(l=int(_widest(tgt, size) + 24), r=16, t=int(top), b=110),
        title=_title(html.escape(m(f"scorers.{scorer}")), size * 1.1),
        xaxis=dict(side="top", tickmode="array", tickvals=list(range(len(src))), ticktext=src,
                   **tilt, showgrid=False, zeroline=False, tickfont=dict(size=size, color=INK)),
        yaxis=dict(tickmode="array", tickvals=list(range(len(tgt))), ticktext=tgt, autorange="reversed",
                   showgrid=False, zeroline=False, tickfont=dict(size=size, color=INK)),
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=0, xanchor="left", yanchor="top",
                          pad=dict(t=50), buttons=[dict(label=m("learn.play"), method="animate", args=[None, play])])],
        sliders=[dict(active=0, x=0.1, len=0.9, y=0, yanchor="top", pad=dict(t=40),
                      # the step's name at the slider's right end: clear of the play button on its left
                      currentvalue=dict(prefix=m("learn.slider_prefix"), xanchor="right", font=dict(size=size)),
                      font=dict(size=size * 0.75),
                      steps=[dict(label=n, method="animate", args=[[n], now]) for n in names])],
    )
    return dict(data=[heat(frames[0])], layout=layout,
                frames=[dict(name=n, data=[heat(f)]) for f, n in zip(frames, names)])


# ---------------------------------------------------------------- a Transformer's heads while it was learned


def head_frames(snapshots: Mapping, example: int) -> list[Mapping]:
    """The snapshot frames that recorded every head for this example (a card's frames[i]["heads"]: per
    example (L, A, T, S)); [] for a model with one attention, or one trained before heads were recorded."""
    return [f for f in snapshots.get("frames", ())
            if f.get("heads") and example < len(f["heads"]) and f["heads"][example] is not None]


def learning_heads_figure(snapshots: Mapping, example: int, layer: int, scorer: str, *,
                          m: Messages | None = None, big: bool = False, cols: int | None = None) -> dict:
    """One layer's cross-attention heads side by side at each recorded training step, as one Plotly
    animation (the slider and play button move every head together, in the browser).

    Args:
        snapshots: a card's "attention_snapshots" whose frames carry "heads": per example a nested list
            (L, A, T, S) of every cross-attention head's softmax weights.
        example: which curated sentence.
        layer: which layer (0-based); ValueError for one the model does not have.
        scorer: the model's name, for the title.
        cols: panels per row (default: every head of the layer in one row).
    Returns:
        A figure spec with one heatmap per head and one animation frame per recorded step; the last
        frame is the bundled model.
    """
    m = _en(m)
    frames = head_frames(snapshots, example)
    if not frames:
        raise ValueError(f"the {scorer!r} model's card recorded no heads")
    first = np.asarray(frames[0]["heads"][example], dtype=float)  # (L, A, T, S)
    layers, heads = first.shape[:2]
    if not 0 <= layer < layers:
        raise ValueError(f"no layer {layer + 1}: the {scorer!r} model has layers 1..{layers}")
    ex = snapshots["examples"][example]
    src, tgt = ex["src_tokens"], reference_case(ex["tgt_tokens"], ex.get("fr", ""))
    if first.shape[2:] != (len(tgt), len(src)):
        raise ValueError(f"heads of shape {first.shape[2:]} for {len(tgt)} French and {len(src)} English words")
    titles = [m("learn.head_title", layer=layer + 1, head=a + 1) for a in range(heads)]
    spec = _heads_grid(list(first[layer]), titles, src, tgt, cols=cols or heads, m=m, big=big,
                      panel_height=int(np.clip((30 if big else 24) * len(tgt), 140, 360)))
    size = FONT["size"] * (BIG if big else 1)
    names = [f"{f['step']:,}" for f in frames]
    now = dict(frame=dict(duration=0, redraw=True), mode="immediate", transition=dict(duration=0))
    play = dict(now, frame=dict(duration=FRAME_MS, redraw=True), fromcurrent=False)
    room = 110  # under the panels: the play button and the slider
    layout = dict(spec["layout"])
    layout["height"] += room
    layout["margin"] = dict(layout["margin"], b=layout["margin"]["b"] + room)
    layout["title"] = None
    layout.update(
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=0, xanchor="left", yanchor="top",
                          pad=dict(t=50), buttons=[dict(label=m("learn.play"), method="animate", args=[None, play])])],
        sliders=[dict(active=0, x=0.1, len=0.9, y=0, yanchor="top", pad=dict(t=40),
                      currentvalue=dict(prefix=m("learn.slider_prefix"), xanchor="right", font=dict(size=size)),
                      font=dict(size=size * 0.75),
                      steps=[dict(label=n, method="animate", args=[[n], now]) for n in names])])
    out = []
    for f, n in zip(frames, names):
        w = np.asarray(f["heads"][example], dtype=float)[layer]  # (A, T, S)
        out.append(dict(name=n, data=[dict(type="heatmap", z=w[a]) for a in range(heads)],
                        traces=list(range(heads))))
    return dict(data=spec["data"], layout=layout, frames=out)
