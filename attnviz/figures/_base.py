"""What every figure builder shares: colours, fonts, label helpers, titles, and turning a spec into
plotly / standalone HTML."""
from __future__ import annotations

import html
import textwrap
import unicodedata

from plotly.colors import diverging, sequential

from ..explain import isolate, marked
from ..i18n import Messages, messages
from ..trace import Trace

UNKNOWN_MARK = "*"  # suffix on a word the model does not know (it saw <unk>)
BLOCKED_MARK = "× "  # prefix on a source word hidden from attention


def _scale(colors: list[str]) -> list[list]:
    """A named plotly.py scale written out: plotly.js reads "Blues" the other way round."""
    return [[i / (len(colors) - 1), c] for i, c in enumerate(colors)]


WEIGHT_SCALE = _scale(sequential.Blues)  # one scale, 0 (white) to 1 (dark blue), for every attention picture
STATE_SCALE = _scale(diverging.RdBu_r)  # hidden-state numbers: blue negative, red positive, white 0
HIGHLIGHT = "#d62728"  # the current step / the chosen word
COPY_INK = "#17becf"  # the cell a copied French word came from (dotted outline)
COPY_SHAPE = "copied-from"  # the name of those outlines in a spec
BAR = "#9ecae1"
INK = "#111111"  # labels: near-black on white, readable on a projector
FONT = dict(size=15, color=INK)
BIG = 1.4  # presenter mode: every font this much larger
# Axes whose margins the builder computed from their labels: plotly.js need neither lay the chart out again
# (automargin) nor measure every tick label to hide those that overflow (ticklabeloverflow); the measuring
# alone was ~25 ms of forced layout per repaint of the all-heads grid (all heads, new sentence: 350 -> 287 ms)
FITTED = dict(automargin=False, ticklabeloverflow="allow")
SCORER_COLORS = {"dot": "#1f77b4", "general": "#ff7f0e", "concat": "#2ca02c", "none": "#7f7f7f",
                 "transformer": "#9467bd"}
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
    """French word labels: `mot*` when a forced word is not in the model's vocabulary, `«Marie»` when
    the word was copied from the English through attention."""
    return [f"«{isolate(tok)}»" if pos >= 0 else marked(tok, known)
            for tok, known, pos in zip(trace.tgt_tokens, trace.tgt_known, trace.copied)]


def _safe(labels: list[str]) -> list[str]:
    """Plotly reads pseudo-HTML in labels and hover text; user words must stay plain text."""
    return [html.escape(s, quote=False) for s in labels]


def text_px(text: str, size: float) -> float:
    """A generous estimate of a label's width in pixels (wide for CJK and emoji), for fixed margins."""
    text = html.unescape(text)
    return size * sum(1.05 if unicodedata.east_asian_width(c) in "WF" else 0.62 for c in text)


def _widest(labels: list[str], size: float) -> float:
    return max((text_px(s, size) for s in labels), default=0.0)


def px_lines(text: str, size: float, px: float) -> list[str]:
    """`text` broken at spaces into lines about `px` pixels wide at most (text_px; a longer word on its own)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_px(lines[-1] + " " + word, size) <= px:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _title(text: str, size: float) -> dict:
    """A figure title from the figure's left edge (not the plot's: a narrow column keeps more of it)."""
    return dict(text=text, x=0, xref="container", xanchor="left", pad=dict(l=4), font=dict(size=size, color=INK))




def as_figure(spec):
    """A plotly Figure from a spec, without plotly's validation (the spec is built here, known good)."""
    import plotly.graph_objects as go

    return spec if isinstance(spec, go.Figure) else go.Figure(spec, _validate=False)


def figure_html(fig) -> str:
    """A standalone HTML page with plotly.js inlined, so the exported figure works offline."""
    return as_figure(fig).to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})




TITLE_LINE_CHARS = 80  # a title line wraps after this many characters (57 with presenter fonts)
TITLE_LINE_WRAPS = 2  # and is cut with "…" after this many lines: a long sentence never runs off the figure


def wrapped(line: str, width: int, most: int = TITLE_LINE_WRAPS) -> list[str]:
    """`line` broken at spaces into lines of at most `width` characters (a longer word on its own),
    at most `most` of them, the last ending in "…" when words were left out."""
    lines = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def titled(spec: dict, title: str, big: bool = False) -> dict:
    """A spec with `title` (plain text; split into lines at " · " and at the first " → ", long lines
    wrapped) at the top, and the figure made taller by the room it takes, so exported images say what
    they show. A new spec."""
    size = 14 * (BIG if big else 1)
    parts = title.split(" · ")
    if " → " in parts[0]:  # the translation on a line of its own: the title fits a phone's width better
        parts[:1] = parts[0].split(" → ", 1)
        parts[1] = "→ " + parts[1]
    width = int(TITLE_LINE_CHARS / (BIG if big else 1))
    first, *rest = [[html.escape(x, quote=False) for x in wrapped(part, width)] for part in parts]
    lines = [f"<b>{x}</b>" for x in first] + [f"<span style='font-size:{size * 0.9:.0f}px'>{x}</span>"
                                              for part in rest for x in part]
    text = "<br>".join(lines)
    room = int(size * 1.5 * len(lines) + 12)
    layout = dict(spec["layout"])
    margin = dict(layout.get("margin") or {})
    margin["t"] = int(margin.get("t", 40)) + room
    height = int(layout.get("height") or 450) + room
    layout.update(margin=margin, height=height,
                  title=dict(text=text, x=0, xref="container", xanchor="left", pad=dict(l=8), y=1 - 12 / height,
                             yref="container", yanchor="top", font=dict(size=size, color=INK)))
    return dict(spec, layout=layout)
