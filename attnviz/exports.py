"""Exports that carry their context: tidy CSV, the CLI's JSON, figure titles, file names, offline HTML.

Pure functions from a Trace (or a plotly Figure) to text; the page only offers them for download.
"""
from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from .trace import Trace
from .translate import trace_to_json

CSV_COLUMNS = ("step", "french_word", "english_word", "score", "weight")
SLUG_MAX = 60  # characters of the sentence kept in a file name: long enough to recognise it
# Modebar buttons that need a server or a cloud account: never shown, so no button is dead offline.
DEAD_BUTTONS = ("sendDataToCloud", "editInChartStudio")


def slug(text: str, limit: int = SLUG_MAX) -> str:
    """`She reads a red book.` -> `she-reads-a-red-book`: ASCII letters and digits joined by `-`.

    Accents are dropped (é -> e); a text with no such character gives `sentence`.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(words) > limit:
        words = words[:limit].rsplit("-", 1)[0] if "-" in words[:limit] else words[:limit]
    return words or "sentence"


def file_stem(kind: str, trace: Trace) -> str:
    """`attention-dot-she-reads-a-red-book`: what the file shows, which model, which sentence."""
    return f"{slug(kind)}-{slug(trace.scorer)}-{slug(trace.source)}"


def file_name(kind: str, trace: Trace, ext: str) -> str:
    return f"{file_stem(kind, trace)}.{ext.lstrip('.')}"


def tidy_frame(trace: Trace) -> pd.DataFrame:
    """One row per (output step, English word): step (1-based), both words, raw score, softmax weight.

    Words are the tokens as the model read and wrote them (the final step is `<eos>`).
    ValueError for a model without attention: it has no scores or weights.
    """
    if trace.weights is None or trace.scores is None:
        raise ValueError(f"the {trace.scorer!r} model has no attention: there are no weights to export")
    rows = [(t + 1, fr, en, float(trace.scores[t, i]), float(trace.weights[t, i]))
            for t, fr in enumerate(trace.tgt_tokens) for i, en in enumerate(trace.src_tokens)]
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def tidy_csv(trace: Trace) -> str:
    """The tidy frame as CSV text (UTF-8, header row, numbers with 6 decimals)."""
    return tidy_frame(trace).to_csv(index=False, float_format="%.6f", lineterminator="\n")


def trace_json(trace: Trace) -> str:
    """The whole trace as one object of `python -m attnviz translate --json`: {"source", "results": [...]}."""
    return json.dumps({"source": trace.source, "results": [trace_to_json(trace)]}, ensure_ascii=False, indent=1)


def figure_title(trace: Trace, m: Callable[..., str]) -> str:
    """The sentence, its translation and the model, in the reader's language (plain text)."""
    model = m(f"scorers.{trace.scorer}") if _has(m, f"scorers.{trace.scorer}") else trace.scorer
    if trace.heads is not None:  # a Transformer: the head the picture shows, kept on one line by titled()
        head = m("heads.name", layer=trace.heads.layer + 1, head=trace.heads.head + 1).replace(" · ", "\u00a0·\u00a0")
        model = f"{model}, {head}"
    return m("lab.figure_title", sentence=trace.source, translation=trace.translation or "…", model=model)


def _has(m: Callable[..., str], key: str) -> bool:
    try:
        m(key)
    except KeyError:
        return False
    return True


def with_title(fig: go.Figure, title: str) -> go.Figure:
    """A copy of `fig` titled `title` (escaped: Plotly reads pseudo-HTML), with room above for it."""
    out = go.Figure(fig)
    top = max(int(out.layout.margin.t or 0), 80) + 30
    out.update_layout(title=dict(text=html.escape(title, quote=False), x=0, font=dict(size=15)),
                      margin=dict(t=top))
    return out


def plotly_config(stem: str, image_format: str = "png") -> dict:
    """Streamlit/Plotly config: the modebar's camera button saves `<stem>.<png|svg>`, no cloud buttons."""
    if image_format not in ("png", "svg"):
        raise ValueError(f"image format must be png or svg, got {image_format!r}")
    return {"displaylogo": False, "modeBarButtonsToRemove": list(DEAD_BUTTONS),
            "toImageButtonOptions": {"format": image_format, "filename": stem, "scale": 2}}


def standalone_html(fig: go.Figure | dict, title: str, stem: str) -> str:
    """A page that works offline: plotly.js inlined, a <title>, the figure titled (if it is not yet),
    no cloud buttons. `fig`: a plotly Figure or a figure spec (attnviz.figures).

    The modebar keeps zoom, pan, reset and the image download (done in the browser, no server).
    """
    fig = fig if isinstance(fig, go.Figure) else go.Figure(fig, _validate=False)
    config = plotly_config(stem, "png")
    page = (fig if fig.layout.title.text else with_title(fig, title)).to_html(
        include_plotlyjs=True, full_html=True, config=config)
    head = f"<head><title>{html.escape(title)}</title>"
    return page.replace("<head>", head, 1) if "<head>" in page else f"<!DOCTYPE html>{head}</head>{page}"
