"""Every head of a Transformer trace: all layers × heads of cross-attention as small multiples in one figure
(bertviz's model view), and one head's encoder and decoder self-attention.
Letters: T output steps, S English words, L layers, A heads per layer."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..i18n import Messages
from ..trace import Trace
from ._base import (BIG, FITTED, FONT, HIGHLIGHT, INK, WEIGHT_SCALE, _en, _safe, _title, _widest, src_labels,
                    tgt_labels)
from .heatmap import _colorbar_room, _heatmap_height, _x_label_room, x_label_tilt

ROW_GAP = 10  # pixels between a panel and the next row's title
MASKED = "#bdbdbd"  # decoder self-attention: a later word, which the mask hides (not a weight of 0)
LABEL_GAP = 6  # pixels between the French words and the first column (its red outline, when shown)
PANEL_LEAST = 100  # CSS px: the narrowest panel (with its gap) whose title ("★ layer 1 · head 2") stays clear


def _has_heads(trace: Trace) -> None:
    if trace.heads is None:
        raise ValueError(f"the {trace.scorer!r} model has one attention, no heads")


def head_name(layer: int, head: int, m: Messages | None = None) -> str:
    """`layer 3 · head 2` for the 0-based (layer, head): pages count from 1."""
    return _en(m)("heads.name", layer=layer + 1, head=head + 1)


def grid_columns(heads: int, width: float) -> int:
    """Panels per row of the all-heads grid whose panels share `width` CSS px: the most that leave each
    panel PANEL_LEAST wide, and a divisor of `heads`, so every row holds heads of one layer (a screen:
    one row per layer; a phone: two panels a row, the figure growing taller instead)."""
    fits = [c for c in range(1, heads + 1) if heads % c == 0 and width / c >= PANEL_LEAST]
    return max(fits, default=1)


def heads_frame(trace: Trace) -> pd.DataFrame:
    """Every head's cross-attention in tidy form: one row per (layer, head, output step, English word).

    Columns: layer, head (0-based), step, src_pos, tgt, src, weight, score.
    """
    _has_heads(trace)
    h = trace.heads
    t, layers, heads, s = h.cross_weights.shape  # (T, L, A, S)
    idx = np.indices((layers, heads, t, s)).reshape(4, -1)  # (4, L·A·T·S)
    src, tgt = src_labels(trace), tgt_labels(trace)
    w = h.cross_weights.transpose(1, 2, 0, 3)  # (T, L, A, S) -> (L, A, T, S)
    sc = h.cross_scores.transpose(1, 2, 0, 3)  # (L, A, T, S)
    return pd.DataFrame({"layer": idx[0], "head": idx[1], "step": idx[2], "src_pos": idx[3],
                         "tgt": [tgt[i] for i in idx[2]], "src": [src[i] for i in idx[3]],
                         "weight": w.ravel(), "score": sc.ravel()})


def all_heads_figure(trace: Trace, *, m: Messages | None = None, columns: int | None = None,
                     own: tuple[int, int] | None = None, big: bool = False) -> dict:
    """Every cross-attention head as a small heatmap, L rows of A panels (or `columns` panels a row,
    read in the same order), on one shared 0–1 colour scale: bertviz's model view, as one figure.

    The panels are blocks of one heatmap trace on one pair of axes, with empty cells between them: a
    browser draws one trace in about a third of the time it takes for twelve subplots (measured with
    plotly.js in Chromium, 3 x 4 heads of a 13-word sentence: 54 against 150 ms).

    Args:
        trace: a trace with heads (ValueError without); the head it shows is outlined and titled in red.
        m: messages (English when None).
        columns: panels per row (default: A, one row per layer); see grid_columns.
        own: the model's own head (0-based), starred in its title.
        big: presenter mode: larger fonts and rows.
    Returns:
        A Plotly figure spec: one heatmap trace, each cell's hover giving the layer, the head, both
        words and the weight. French words label the first column, English words the last row.
    """
    m = _en(m)
    _has_heads(trace)
    grid = HeadsGrid.of(trace, columns, big)
    size = grid.font
    src, tgt = _safe(src_labels(trace)), _safe(tgt_labels(trace))
    angle = 0 if grid.s <= 2 else -90
    bottom = int(_x_label_room(src, size, angle)) + 6
    left = int(_widest(tgt, size) + 12 + LABEL_GAP)
    paper = grid.height_px
    h = trace.heads
    z = np.full(grid.shape, np.nan)  # (Y, X): the panels, NaN between them (drawn as paper)
    custom = np.full(grid.shape + (3,), "", dtype=object)  # (Y, X, 3): head, French word, English word
    annotations, shapes = [], []
    for p, (layer, head) in enumerate(np.ndindex(h.shape)):
        rows, cols = grid.block(p)
        z[rows, cols] = h.cross_weights[:, layer, head]  # (T, S)
        name = head_name(layer, head, m)
        custom[rows, cols, 0] = f"<b>{name}</b>"
        custom[rows, cols, 1] = np.array(tgt, dtype=object)[:, None]
        custom[rows, cols, 2] = np.array(src, dtype=object)[None, :]
        shown = (layer, head) == (h.layer, h.head)
        label = ("★ " if own == (layer, head) else "") + name
        annotations.append(dict(text=f"<b>{label}</b>" if shown else label, x=(cols.start + cols.stop - 1) / 2,
                                y=rows.start - 0.5, xref="x", yref="y", xanchor="center", yanchor="bottom",
                                yshift=2, showarrow=False, font=dict(size=size * 1.05, color=HIGHLIGHT if shown else INK)))
        if shown:  # the head the page shows above: outlined in the colour of its title
            shapes.append(dict(type="rect", xref="x", yref="y", x0=cols.start - 0.7, x1=cols.stop - 0.3,
                               y0=rows.start - 0.7, y1=rows.stop - 0.3, line=dict(color=HIGHLIGHT, width=3)))
    hover = (f"%{{customdata[0]}}<br>{m('figures.hover_fr')}: <b>%{{customdata[1]}}</b><br>{m('figures.hover_en')}: "
             f"<b>%{{customdata[2]}}</b><br>{m('figures.weight')}: %{{z:.3f}}<extra></extra>")
    bare = dict(showgrid=False, zeroline=False, fixedrange=True, **FITTED, ticks="", tickmode="array",
                tickfont=dict(size=size, color=INK))
    x_ticks, y_ticks = grid.ticks()
    layout = dict(
        height=grid.top + paper + bottom, font=dict(FONT, size=size), paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        margin=dict(l=left, r=_colorbar_room(m("figures.weight"), size), t=grid.top, b=bottom, autoexpand=False),
        xaxis=dict(bare, range=[-0.5, grid.shape[1] - 0.5], tickvals=x_ticks, ticktext=src * len(grid.x_starts),
                   tickangle=angle),
        yaxis=dict(bare, range=[grid.shape[0] - 0.5, -0.5], tickvals=y_ticks, ticktext=tgt * len(grid.y_starts),
                   ticklabelstandoff=LABEL_GAP),  # the range reversed: the first word on top
        coloraxis=dict(colorscale=WEIGHT_SCALE, cmin=0.0, cmax=1.0,
                       colorbar=dict(title=dict(text=m("figures.weight"), side="top"), thickness=14, len=min(1.0, 320 / paper),
                                     y=round(1 - grid.title_px / paper, 6), yanchor="top",  # below the modebar
                                     tickvals=[0, 0.25, 0.5, 0.75, 1.0],
                                     tickfont=dict(size=size * 0.9))),
        hoverlabel=dict(font=dict(size=size + 1)),
        annotations=annotations, shapes=shapes,
    )
    data = [dict(type="heatmap", z=z, coloraxis="coloraxis", customdata=custom, xgap=1, ygap=1,
                 hoverongaps=False, hovertemplate=hover)]
    return dict(data=data, layout=layout)


@dataclass(frozen=True)
class HeadsGrid:
    """Where each head's (T, S) panel sits in the all-heads heatmap's cells: `rows` x `cols` panels, each
    with `title_rows` empty rows above it for its title and `gap` empty columns after it."""
    t: int
    s: int
    n: int  # panels: layers x heads
    cols: int
    cell_px: float  # the height of one cell (one French word) in CSS px
    title_rows: int
    gap: int  # empty columns between two panels, so that their titles stay apart
    font: float
    top: int = 8  # pixels above the first row's titles

    @classmethod
    def of(cls, trace: Trace, columns: int | None, big: bool) -> "HeadsGrid":
        layers, heads = trace.heads.shape
        t, n = trace.num_steps, layers * heads
        size = 12 * (BIG if big else 1)
        panel = float(np.clip((size + 5) * t, 90, 400))  # each French word a row its label fits in
        cell = panel / t
        title_rows = math.ceil((size * 1.9 + ROW_GAP) / cell)
        s, cols = len(trace.src_tokens), max(1, min(columns or heads, n))
        gap = max(1, round(s / 8)) if cols >= heads else max(2, round(s / 4))  # reflowed: narrow panels (a phone)
        return cls(t, s, n, cols, cell, title_rows, gap, size)

    @property
    def rows(self) -> int:
        return math.ceil(self.n / self.cols)

    @property
    def shape(self) -> tuple[int, int]:
        """(Y, X) cells of the whole heatmap."""
        return self.rows * (self.title_rows + self.t), self.cols * (self.s + self.gap) - self.gap

    @property
    def height_px(self) -> int:
        return round(self.shape[0] * self.cell_px)

    @property
    def title_px(self) -> float:
        return self.title_rows * self.cell_px

    @property
    def y_starts(self) -> list[int]:
        return [r * (self.title_rows + self.t) + self.title_rows for r in range(self.rows)]

    @property
    def x_starts(self) -> list[int]:
        return [c * (self.s + self.gap) for c in range(self.cols)]

    def block(self, p: int) -> tuple[slice, slice]:
        """Panel p's cells, read row by row: (its T rows, its S columns)."""
        r, c = divmod(p, self.cols)
        y, x = self.y_starts[r], self.x_starts[c]
        return slice(y, y + self.t), slice(x, x + self.s)

    def ticks(self) -> tuple[list[int], list[int]]:
        """The cells the English words (x) and the French words (y) label, for every panel column and row."""
        return ([x + i for x in self.x_starts for i in range(self.s)],
                [y + i for y in self.y_starts for i in range(self.t)])


def fed_labels(trace: Trace, m: Messages | None = None) -> list[str]:
    """(T,) the words the decoder is fed at each step: the start mark, then each word it wrote before."""
    return [_en(m)("heads.start")] + tgt_labels(trace)[:-1]


def _square(z: np.ndarray, rows: list[str], cols: list[str], title: str, axes: tuple[str, str],
            hover: tuple[str, str], m: Messages, big: bool, gaps: str = "#eeeeee") -> dict:
    """A (R, C) weight heatmap laid out as attention_heatmap (words on top, first row at the top); NaN
    cells are drawn in `gaps` with no hover."""
    size = FONT["size"] * (BIG if big else 1)
    rows, cols = _safe(rows), _safe(cols)
    custom = np.empty(z.shape + (2,), dtype=object)  # (R, C, 2): the row's word, the column's word
    custom[..., 0] = np.array(rows, dtype=object)[:, None]
    custom[..., 1] = np.array(cols, dtype=object)[None, :]
    heat = dict(type="heatmap", z=z, zmin=0.0, zmax=1.0, colorscale=WEIGHT_SCALE, customdata=custom,
                hoverongaps=False, xgap=1, ygap=1,
                colorbar=dict(title=dict(text=m("figures.weight"), side="top"), tickvals=[0, 0.25, 0.5, 0.75, 1.0],
                              thickness=16, len=0.84, y=0.42, yanchor="middle", tickfont=dict(size=size * 0.9)),
                hovertemplate=(f"{hover[0]}: <b>%{{customdata[0]}}</b><br>{hover[1]}: <b>%{{customdata[1]}}</b><br>"
                               f"{m('figures.weight')}: %{{z:.3f}}<extra></extra>"))
    if z.shape[0] <= 16 and z.shape[1] <= 10:
        heat.update(texttemplate="%{z:.2f}", textfont=dict(size=size * 0.85))
    tilt, room = x_label_tilt(cols, size)
    top = room + size * 3.4 + 14  # the tick labels, the axis name and the title above them
    layout = dict(
        height=_heatmap_height(len(rows), big) + int(size * 1.8), font=dict(FONT, size=size), plot_bgcolor=gaps,
        paper_bgcolor="#ffffff",
        margin=dict(l=int(_widest(rows, size) + size * 2.2 + 22), r=_colorbar_room(m("figures.weight"), size),
                    t=int(top), b=10, autoexpand=False),
        xaxis=dict(title=dict(text=axes[0], standoff=6, font=dict(size=size * 0.9)), side="top", tickmode="array", tickvals=list(range(len(cols))),
                   ticktext=cols, showgrid=False, zeroline=False, **FITTED,
                   **tilt, tickfont=dict(size=size, color=INK)),
        yaxis=dict(title=dict(text=axes[1], standoff=6, font=dict(size=size * 0.9)), tickmode="array",
                   tickvals=list(range(len(rows))),
                   ticktext=rows, autorange="reversed", showgrid=False, zeroline=False, **FITTED,
                   tickfont=dict(size=size, color=INK)),
    )
    # The title at the very top: in a narrow column the English words tilt and push the axis name up, into
    # the place a title takes by default.
    layout["title"] = dict(_title(f"<b>{html.escape(title, quote=False)}</b>", size * 1.05), xref="container",
                           pad=dict(l=8), yref="container", y=1 - 8 / layout["height"], yanchor="top")
    return dict(data=[heat], layout=layout)


def encoder_self_figure(trace: Trace, weights: np.ndarray, *, m: Messages | None = None, big: bool = False) -> dict:
    """The shown head's encoder self-attention: each English word (row) over every English word.

    Args:
        trace: a trace with heads; its heads.layer / heads.head name the head drawn.
        weights: (L, A, S, S) trace.encoder_self_attention's weights for this sentence.
    """
    m = _en(m)
    _has_heads(trace)
    h = trace.heads
    words = src_labels(trace)
    if weights.shape[-2:] != (len(words), len(words)):
        raise ValueError(f"encoder self-attention is {weights.shape[-2]}×{weights.shape[-1]}, "
                         f"but the sentence has {len(words)} words")
    z = np.array(weights[h.layer, h.head], dtype=float)  # (S, S)
    return _square(z, words, words, m("heads.enc_title", name=head_name(h.layer, h.head, m)),
                   (m("heads.enc_x"), m("heads.enc_y")), (m("heads.enc_row"), m("heads.looks_at")), m, big)


def decoder_self_figure(trace: Trace, *, m: Messages | None = None, big: bool = False) -> dict:
    """The shown head's masked decoder self-attention: each French word being written (row) over the
    words fed so far (the start mark, then the words already written). Later words are masked: their
    cells are empty (NaN, drawn grey), never a weight of 0 drawn in the colour scale."""
    m = _en(m)
    _has_heads(trace)
    h = trace.heads
    z = np.array(h.self_weights[:, h.layer, h.head], dtype=float)  # (T, T)
    z[np.triu_indices_from(z, k=1)] = np.nan  # the mask: a word cannot look at words not yet written
    return _square(z, tgt_labels(trace), fed_labels(trace, m), m("heads.dec_title", name=head_name(h.layer, h.head, m)),
                   (m("heads.dec_x"), m("heads.dec_y")), (m("heads.dec_row"), m("heads.looks_at")), m, big,
                   gaps=MASKED)


__all__ = ["head_name", "grid_columns", "HeadsGrid", "heads_frame", "all_heads_figure", "fed_labels", "encoder_self_figure",
           "decoder_self_figure"]
