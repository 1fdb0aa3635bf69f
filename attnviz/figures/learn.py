"""Attention while it was learned: the training snapshots of a model card, animated."""
from __future__ import annotations

import html
from typing import Mapping

from ..i18n import Messages
from ..text import tokenize_fr
from ._base import BIG, FONT, INK, WEIGHT_SCALE, _en, _safe, _title, _widest
from .heatmap import _heatmap_height, _tick_angle, _x_label_room

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
                      # the step's name at the slider's right end: clear of the play button on its left
                      currentvalue=dict(prefix=m("learn.slider_prefix"), xanchor="right", font=dict(size=size)),
                      font=dict(size=size * 0.75),
                      steps=[dict(label=n, method="animate", args=[[n], now]) for n in names])],
    )
    return dict(data=[heat(frames[0])], layout=layout,
                frames=[dict(name=n, data=[heat(f)]) for f, n in zip(frames, names)])
