"""Figures and tables from the model cards: measured quality, BLEU by length, training curves."""
from __future__ import annotations

import html
from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd

from ..config import ModelConfig
from ..text import LENGTH_BUCKETS
from ..i18n import Messages
from ._base import BIG, INK, SCORER_COLORS, _en

# ---------------------------------------------------------------- model cards


def _beam_key(metrics: Mapping) -> str | None:
    return next((k for k in sorted(metrics) if k.startswith("bleu_beam")), None)


def trained_epochs(card: Mapping) -> list[dict]:
    """The card's history entries of epochs trained, without {"epoch": "average", ...} (the averaged weights)."""
    return [h for h in card.get("history") or [] if isinstance(h.get("epoch"), int)]


def metrics_frame(cards: Mapping[str, dict]) -> pd.DataFrame:
    """One row per model from card['metrics'] (NaN where a model is not evaluated yet)."""
    rows = []
    for scorer, card in cards.items():
        m = card.get("metrics") or {}
        beam = _beam_key(m)
        rows.append({"model": scorer, "BLEU": m.get("bleu_greedy"), "chrF": m.get("chrf_greedy"),
                     "BLEU (beam)": m.get(beam) if beam else None,
                     "beam width": int(beam.removeprefix("bleu_beam")) if beam else None,
                     "AER": m.get("aer"), "AER held-out": m.get("aer_held_out"), "attention entropy": m.get("attention_entropy"),
                     "test sentences": m.get("test_sentences"), "parameters": card.get("parameters"),
                     "epochs": len(trained_epochs(card)) or None})
    return pd.DataFrame(rows).astype({"BLEU": float, "chrF": float, "BLEU (beam)": float, "AER": float,
                                      "AER held-out": float, "attention entropy": float})


QUALITY_COLUMNS = {  # metrics_frame column -> (message key, format)
    "model": ("figures.col_model", None), "BLEU": ("explain.metric_bleu", ".2f"),
    "chrF": ("explain.metric_chrf", ".2f"), "BLEU (beam)": ("explain.metric_bleu_beam", ".2f"),
    "beam width": ("figures.col_beam_width", "d"), "AER": ("explain.metric_aer", ".2f"),
    "AER held-out": ("figures.col_aer_held_out", ".2f"),
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


TABLE_STYLE = """<style>
.av-table { overflow-x: auto; font-family: inherit; font-size: 0.9rem; }
.av-table table { border-collapse: collapse; width: max-content; min-width: 100%; }
.av-table th, .av-table td { padding: 0.3rem 0.75rem; border-bottom: 1px solid rgba(49, 51, 63, 0.15); white-space: nowrap; }
.av-table th { text-align: left; font-weight: 600; color: rgba(49, 51, 63, 0.8); }
.av-table th[title] { text-decoration: underline dotted; cursor: help; }
.av-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>"""


def table_html(table: pd.DataFrame, helps: Mapping[str, str] | None = None) -> str:
    """A small table as plain HTML (a browser draws it at once; st.dataframe's canvas grid costs ~40 ms
    to mount): every cell escaped, numbers (and "–", no number) right-aligned, a column's help as its
    header's tooltip."""
    helps = helps or {}

    def cell(value, tag: str, title: str | None = None) -> str:
        text = html.escape(str(value))
        number = tag == "td" and (text == "–" or text.replace(",", "").replace(".", "").lstrip("-").isdigit())
        attrs = (' class="num"' if number else "") + (f' title="{html.escape(title)}"' if title else "")
        return f"<{tag}{attrs}>{text}</{tag}>"

    head = "".join(cell(col, "th", helps.get(col)) for col in table.columns)
    body = "".join("<tr>" + "".join(cell(v, "td") for v in row) + "</tr>" for row in table.itertuples(index=False))
    return f'{TABLE_STYLE}<div class="av-table"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


HEAD_COLUMNS = {  # card["metrics"]["heads"] entry -> message key of its column
    "aer_held_out": "figures.col_head_aer_held_out", "aer_all": "figures.col_head_aer_all",
    "cross_punct": "figures.col_head_punct", "enc_prev": "figures.col_head_prev",
    "enc_self": "figures.col_head_self", "enc_next": "figures.col_head_next", "enc_punct": "figures.col_head_enc_punct",
}


def head_frame(card: dict, m: Messages | None = None) -> pd.DataFrame | None:
    """What each head of a Transformer does, measured by `evaluate` (card["metrics"]["heads"]): one row
    per layer × head (1-based), the shown head marked; None for a model without heads."""
    m = _en(m)
    heads = (card.get("metrics") or {}).get("heads")
    if not heads:
        return None
    shown = tuple(heads["shown"])
    per_layer = np.array(heads["aer_all"]).shape[1]
    layers = max(len(heads[name]) for name in HEAD_COLUMNS)  # the encoder may have more layers than the decoder
    cell = lambda name, l, h: format(heads[name][l][h], ".2f") if l < len(heads[name]) else "–"  # noqa: E731
    rows = []
    for layer in range(layers):
        for head in range(per_layer):
            row = {m("figures.col_layer"): layer + 1, m("figures.col_head"): head + 1}
            row.update({m(key): cell(name, layer, head) for name, key in HEAD_COLUMNS.items()})
            row[m("figures.col_head_shown")] = "✓" if (layer, head) == shown else ""
            rows.append(row)
    return pd.DataFrame(rows)


# A cross-attention head "rests" on punctuation when it puts at least this share of its weight there while
# writing a word that is not punctuation; below it, the finding says that no head does (a sentence of seven
# words and a full stop gives punctuation 1/8 of a uniform head's weight).
RESTS_ON_PUNCTUATION = 0.25


def head_findings(card: dict, m: Messages | None = None) -> list[str]:
    """The head table's measured findings, one sentence each: the head that aligns best with people
    (on the held-out half), the cross-attention head that rests most on punctuation (or that none
    does, below RESTS_ON_PUNCTUATION), and the encoder heads that look most at the previous and at the
    next word."""
    m = _en(m)
    heads = (card.get("metrics") or {}).get("heads")
    if not heads:
        return []

    def best(name: str, lowest: bool = False) -> tuple[int, int, float]:
        a = np.array(heads[name])
        flat = int(a.argmin() if lowest else a.argmax())
        layer, head = np.unravel_index(flat, a.shape)
        return int(layer) + 1, int(head) + 1, float(a[layer, head])

    shown = heads["shown"]
    out = []
    for key, (name, lowest) in {"aligns": ("aer_held_out", True), "punct": ("cross_punct", False),
                                "prev": ("enc_prev", False), "next": ("enc_next", False)}.items():
        layer, head, value = best(name, lowest)
        if key == "punct" and value < RESTS_ON_PUNCTUATION:
            key = "no_punct"
        out.append(m(f"figures.head_finding_{key}", layer=layer, head=head, value=f"{value:.2f}"))
    out.append(m("figures.head_finding_shown", layer=shown[0] + 1, head=shown[1] + 1,
                 value=f"{heads['aer_held_out'][shown[0]][shown[1]]:.2f}"))
    return out


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
        for h in trained_epochs(card):
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


def _readable(chart: alt.Chart, big: bool = False) -> alt.Chart:
    """Dark, projector-sized labels instead of Vega's 10 px grey (presenter mode: BIG times larger)."""
    k = BIG if big else 1
    return (chart.configure_axis(labelFontSize=14 * k, titleFontSize=15 * k, labelColor=INK, titleColor=INK)
            .configure_legend(labelFontSize=14 * k, titleFontSize=14 * k, labelColor=INK, titleColor=INK,
                              symbolSize=100 * k)
            .configure_title(fontSize=18 * k, subtitleFontSize=14 * k, color=INK, subtitleColor="#333333",
                             anchor="start")
            .configure_view(strokeWidth=0))


def bleu_by_length_chart(cards: Mapping[str, dict], m: Messages | None = None, big: bool = False) -> alt.Chart:
    """BLEU by sentence length, one line per model, dashed for the no-attention baseline (big: presenter mode)."""
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
    ).properties(height=320), big)


def course_marks(cards: Mapping[str, dict], m: Messages | None = None) -> pd.DataFrame:
    """Where a model's training changed course: it switched to a teacher's translations (train
    --distilled; also the switch of the run it was continued from), or its decoder lost a layer (train
    --drop-decoder-layer). Columns: model, epoch (the epochs seen before, on history_frame's axis), label."""
    m = _en(m)
    rows = []
    for scorer, card in cards.items():
        origin = card.get("continued_from") or {}
        for switch in (origin.get("distilled"), card.get("distilled")):
            if switch:
                rows.append({"model": scorer, "epoch": float(switch["from_epoch"] - 1),
                             "label": m("figures.distilled_mark", model=scorer, teacher=switch["teacher"] or "?")})
        if origin.get("dropped_decoder_layer"):
            depth = ModelConfig.from_json(origin.get("config") or {}).dec_layers  # before the layer left
            rows.append({"model": scorer, "epoch": float(origin["epochs"]),
                         "label": m("figures.layer_dropped_mark", model=scorer, layers=depth - 1,
                                    layer=origin["dropped_decoder_layer"])})
    marks = pd.DataFrame(rows, columns=["model", "epoch", "label"])  # one label a place: changes at once, one text
    return marks.groupby(["model", "epoch"], as_index=False, sort=False).agg({"label": "\n".join})


MARK_LINE_PX = 15  # one line of a training-chart mark's label (fontSize 12)


def training_chart(cards: Mapping[str, dict], m: Messages | None = None) -> alt.Chart:
    """Training and validation loss per epoch, one colour per model, dashed for validation; a grey rule
    where a model went on with a teacher's translations (its validation loss, on human translations,
    then jumps: the teacher writes one of several right translations, and the model learns that one)."""
    m = _en(m)
    df = history_frame(cards)
    title = alt.TitleParams(m("figures.training_title"), subtitle=m("figures.training_subtitle"))
    lines = _loss_lines(df, cards, m)
    marks = course_marks(cards, m)
    if marks.empty:
        return _readable(lines.properties(title=title, height=320))
    rule = alt.Chart(marks).mark_rule(color="#777777", strokeDash=[2, 2]).encode(x="epoch:Q")
    rows = marks.label.str.count("\n") + 1  # lines of text in each label
    marks = marks.assign(top=(rows.cumsum() - rows) * MARK_LINE_PX)  # each label below the one before: no overlap
    label = alt.Chart(marks).mark_text(align="right", baseline="top", dx=-4, dy=4, color="#444444", fontSize=12,
                                          lineBreak="\n").encode(
        x="epoch:Q", y=alt.Y("top:Q", scale=None, axis=None), text="label:N")
    return _readable(alt.layer(lines, rule, label).properties(title=title, height=320))


def _loss_lines(df: pd.DataFrame, cards: Mapping[str, dict], m: Messages) -> alt.Chart:
    return (alt.Chart(df).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("epoch:Q", title=m("figures.epoch_axis"), axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("loss:Q", title=m("figures.loss_axis"), scale=alt.Scale(zero=False)),
        color=_model_color(cards, m),
        strokeDash=alt.StrokeDash("split:N", title="", sort=["train", "valid"], legend=None),
        tooltip=[alt.Tooltip("model:N", title=m("figures.col_model")),
                 alt.Tooltip("epoch:Q", title=m("figures.epoch_axis"), format=".2f"),
                 alt.Tooltip("split:N", title=m("figures.split")),
                 alt.Tooltip("loss:Q", title=m("figures.loss_axis"), format=".3f")],
    ))
