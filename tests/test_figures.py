"""Figure builders: hand-written Traces in, labelled figures and tidy frames out (no display)."""
from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from attnviz import figures, load_all, trace_translation
from attnviz.trace import Trace


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def hand_trace(scorer: str = "dot", src=("The", "white", "car", "."), tgt=("la", "voiture", "blanche", ".", "<eos>"),
               src_known=None, tgt_known=None, blocked=(), mode: str = "greedy", seed: int = 0) -> Trace:
    """A small, fully consistent Trace written by hand (no model)."""
    rng = np.random.default_rng(seed)
    s, t, h, k = len(src), len(tgt), 6, 3
    enc = rng.normal(size=(s, h))  # (S, H)
    scores = rng.normal(size=(t, s)) * 2  # (T, S)
    masked = np.where(np.isin(np.arange(s), blocked), -np.inf, scores)
    weights = softmax(masked)  # (T, S)
    vocab = ["la", "le", "voiture", "blanche", "auto", ".", "<eos>"]
    topk = tuple(tuple([w] + [v for v in vocab if v != w][: k - 1]) for w in tgt)
    probs = np.tile([0.7, 0.2, 0.1], (t, 1))  # (T, K)
    attention = scorer != "none"
    return Trace(
        scorer=scorer, mode=mode, source=" ".join(src), src_tokens=tuple(src),
        src_known=tuple(src_known or [True] * s), tgt_tokens=tuple(tgt), tgt_known=tuple(tgt_known or [True] * t),
        translation=" ".join(tgt[:-1]), enc_out=enc, dec_states=rng.normal(size=(t, h)),
        scores=scores if attention else None, weights=weights if attention else None,
        contexts=weights @ enc if attention else None, topk_tokens=topk, topk_probs=probs,
        chosen_probs=probs[:, 0].copy(), blocked=tuple(blocked),
    )


def valid(spec: dict) -> go.Figure:
    """The spec through plotly's full validation: a misspelt property fails here, not in the browser."""
    assert isinstance(spec, dict)
    return go.Figure(spec)


@pytest.fixture(scope="module")
def tiny_cards(tiny_models_dir):
    return {name: b.card for name, b in load_all(tiny_models_dir).items()}


# ---------------------------------------------------------------- attention heatmap


def test_weights_frame_is_tidy_and_matches_the_matrices():
    tr = hand_trace()
    df = figures.weights_frame(tr)
    assert len(df) == tr.num_steps * len(tr.src_tokens)
    assert list(df.columns) == ["step", "src_pos", "tgt", "src", "weight", "score", "src_known", "blocked", "copied"]
    row = df[(df.step == 1) & (df.src_pos == 2)].iloc[0]
    assert (row.tgt, row.src) == ("voiture", "car")
    assert row.weight == pytest.approx(tr.weights[1, 2]) and row.score == pytest.approx(tr.scores[1, 2])


def test_heatmap_labels_axes_with_the_tokens_and_fixes_the_colour_scale():
    tr = hand_trace()
    fig = valid(figures.attention_heatmap(tr))
    hm = fig.data[0]
    assert list(fig.layout.xaxis.ticktext) == list(tr.src_tokens)
    assert list(fig.layout.yaxis.ticktext) == list(tr.tgt_tokens[:-1]) + ["&lt;eos&gt;"]
    assert fig.layout.yaxis.autorange == "reversed"  # first French word on top
    assert (hm.zmin, hm.zmax) == (0.0, 1.0)
    assert hm.colorbar.title.text == "weight"
    np.testing.assert_allclose(np.asarray(hm.z, dtype=float), tr.weights)
    assert hm.customdata[1][2][0] == "voiture" and hm.customdata[1][2][1] == "car"
    assert hm.customdata[1][2][2] == pytest.approx(tr.scores[1, 2])
    for part in ("customdata[0]", "customdata[1]", "%{z", "raw score"):
        assert part in hm.hovertemplate


def test_a_compact_heatmap_gives_its_height_to_the_cells():
    tr = hand_trace()
    full, compact = (figures.attention_heatmap(tr, height=200, compact=c) for c in (False, True))
    assert compact["data"][0]["showscale"] is False and "showscale" not in full["data"][0]
    assert compact["layout"]["xaxis"]["title"]["text"] == "" == compact["layout"]["yaxis"]["title"]["text"]
    plot = lambda spec: spec["layout"]["height"] - spec["layout"]["margin"]["t"] - spec["layout"]["margin"]["b"]  # noqa: E731
    assert plot(compact) > plot(full) and compact["layout"]["margin"]["r"] < full["layout"]["margin"]["r"]
    np.testing.assert_allclose(np.asarray(compact["data"][0]["z"], dtype=float), tr.weights)  # the same numbers
    squeezed = figures.attention_heatmap(tr, height=90, compact=True)  # 5 rows in a short panel
    rows_px = (90 - squeezed["layout"]["margin"]["t"] - squeezed["layout"]["margin"]["b"]) / tr.num_steps
    assert squeezed["layout"]["yaxis"]["tickfont"]["size"] <= max(7, rows_px)  # labels no taller than their rows
    narrow = figures.attention_heatmap(tr, height=300, compact=True, width=150)  # 4 columns in a narrow panel
    cols_px = (150 - narrow["layout"]["margin"]["l"] - narrow["layout"]["margin"]["r"]) / len(tr.src_tokens)
    assert narrow["layout"]["xaxis"]["tickfont"]["size"] <= max(7, cols_px)  # and no wider than their columns


def test_heatmap_keeps_repeated_words_in_separate_columns():
    tr = hand_trace(src=("the", "cat", "saw", "the", "dog"))
    fig = valid(figures.attention_heatmap(tr))
    assert list(fig.layout.xaxis.tickvals) == [0, 1, 2, 3, 4]
    assert np.asarray(fig.data[0].z).shape == (tr.num_steps, 5)


def test_heatmap_marks_unknown_and_blocked_words():
    tr = hand_trace(src_known=[True, False, True, True], blocked=(2,))
    labels = list(valid(figures.attention_heatmap(tr)).layout.xaxis.ticktext)
    assert labels[1] == "white" + figures.UNKNOWN_MARK
    assert labels[2] == figures.BLOCKED_MARK + "car"
    assert np.allclose(tr.weights[:, 2], 0)


def test_heatmap_escapes_markup_in_words():
    tr = hand_trace(src=("<script>", "alert", "&", "."))
    fig = valid(figures.attention_heatmap(tr))
    assert fig.layout.xaxis.ticktext[0] == "&lt;script&gt;"
    assert fig.data[0].customdata[0][0][1] == "&lt;script&gt;"
    assert "<script>" not in json.dumps(fig.layout.xaxis.ticktext)


def test_heatmap_fills_in_row_by_row_for_playback():
    tr = hand_trace()
    fig = valid(figures.attention_heatmap(tr, upto=1))
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.isfinite(z[:2]).all() and np.isnan(z[2:]).all()
    assert list(fig.layout.yaxis.ticktext[2:]) == ["", "", ""]  # future words are not known yet
    (box,) = fig.layout.shapes
    assert (box.y0, box.y1) == (0.5, 1.5)
    with pytest.raises(ValueError, match="out of range"):
        figures.attention_heatmap(tr, upto=tr.num_steps)


def test_no_attention_has_no_heatmap():
    with pytest.raises(ValueError, match="no attention"):
        figures.attention_heatmap(hand_trace("none"))


# ---------------------------------------------------------------- one decoder step


def rows_of(page: str) -> list[tuple[str, list[str], bool]]:
    """(label, numbers, highlighted) for each body row of a bar list (figures/bars.py)."""
    body = page.split("<tbody>")[1]
    out = []
    for row in body.split("</tr>")[:-1]:
        label = html.unescape(re.search(r"<th>(.*?)</th>", row).group(1))
        out.append((label, re.findall(r'<td class="av-num">(.*?)</td>', row), 'class="av-top"' in row))
    return out


def test_scores_and_weights_list_shows_the_trace_numbers():
    tr, t = hand_trace(), 2
    page = figures.scores_weights_html(tr, t)
    rows = rows_of(page)
    assert [label for label, _, _ in rows] == list(tr.src_tokens)
    assert [[float(x) for x in nums] for _, nums, _ in rows] == [
        [round(float(s), 2), round(float(w), 2)] for s, w in zip(tr.scores[t], tr.weights[t])]
    assert "(2) raw scores" in page and "(3a) softmax weights<br>(sum = 1)" in page
    top = int(np.argmax(tr.weights[t]))
    assert [hi for _, _, hi in rows] == [i == top for i in range(len(rows))]
    assert f"{tr.scores[t][top]:.3f}" in page  # the unrounded number, in the row's tooltip


def test_a_bar_spans_its_value_on_the_axis_from_lo_to_hi():
    page = figures.bar_table(["a", "b"], [figures.Column("c", [-2.0, 6.0], -2.0, 6.0)], [False, True])
    bars = re.findall(r'class="av-bar" style="left:([\d.]+)%;width:([\d.]+)%', page)
    assert bars == [("0.00", "25.00"), ("25.00", "75.00")]  # zero at 25 %: -2 goes left of it, 6 right
    assert 'style="left:25.00%"' in page  # the zero line


def test_bar_lists_escape_words_as_typed():
    tr = hand_trace(src=("<b>x</b>", "&", "car", "."))
    page = figures.scores_weights_html(tr, 0)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_encoder_states_figure_is_one_row_per_source_word():
    tr = hand_trace()
    fig = valid(figures.encoder_states_figure(tr))
    np.testing.assert_allclose(np.asarray(fig.data[0].z, dtype=float), tr.enc_out)
    assert list(fig.layout.yaxis.ticktext) == list(tr.src_tokens)


def test_weighted_states_sum_to_the_context_vector():
    tr, t = hand_trace(), 3
    np.testing.assert_allclose(figures.weighted_states(tr, t).sum(0), tr.contexts[t])
    fig = valid(figures.context_figure(tr, t))
    z = np.asarray(fig.data[0].z, dtype=float)  # (S + 1, H)
    np.testing.assert_allclose(z[:-1], tr.weights[t][:, None] * tr.enc_out)
    np.testing.assert_allclose(z[-1], tr.contexts[t])
    assert fig.layout.yaxis.ticktext[-1] == "= context"
    assert fig.layout.yaxis.ticktext[0] == f"{tr.weights[t][0]:.2f} × The"


def test_topk_highlights_the_chosen_word_and_adds_a_forced_one():
    tr = hand_trace()
    df = figures.topk_frame(tr, 1)
    assert df.loc[df.chosen, "word"].tolist() == ["voiture"]
    forced = hand_trace(mode="forced")
    object.__setattr__(forced, "topk_tokens", (("le", "la", "auto"),) * forced.num_steps)
    df = figures.topk_frame(forced, 2)
    assert df["word"].tolist()[-1] == "blanche" and df["chosen"].tolist() == [False, False, False, True]
    assert df["prob"].iloc[-1] == pytest.approx(forced.chosen_probs[2])
    rows = rows_of(figures.topk_html(forced, 2))
    assert [hi for _, _, hi in rows] == [False, False, False, True] and rows[-1][0] == "blanche"


@pytest.mark.parametrize("builder", [figures.scores_weights_html, figures.context_figure])
def test_step_builders_refuse_no_attention(builder):
    with pytest.raises(ValueError, match="no attention"):
        builder(hand_trace("none"), 0)


def test_every_builder_works_on_real_traces_of_every_scorer(tiny_bundle):
    tr = trace_translation(tiny_bundle, "The white car is fast.", max_len=6)
    assert rows_of(figures.topk_html(tr, 0))
    assert valid(figures.encoder_states_figure(tr)).data
    if tr.weights is None:
        return
    fig = valid(figures.attention_heatmap(tr))
    assert list(fig.layout.xaxis.ticktext) == ["The", "white", "car", "is", "fast", "."]
    for t in range(tr.num_steps):
        np.testing.assert_allclose(figures.weighted_states(tr, t).sum(0), tr.contexts[t], atol=1e-5)


def test_figure_html_inlines_plotly_for_offline_use():
    page = figures.figure_html(figures.attention_heatmap(hand_trace()))
    assert "<html>" in page[:100] and "Plotly.newPlot" in page
    assert '<script src="http' not in page and "<script charset=\"utf-8\" src=" not in page
    assert len(page) > 1_000_000  # plotly.js itself is inside


# ---------------------------------------------------------------- model cards


def test_metrics_frame_reads_the_cards(tiny_cards):
    df = figures.metrics_frame(tiny_cards)
    assert df["model"].tolist() == ["dot", "general", "concat", "none", "transformer"]
    for _, row in df.iterrows():
        m = tiny_cards[row.model]["metrics"]
        assert row.BLEU == pytest.approx(m["bleu_greedy"]) and row.chrF == pytest.approx(m["chrf_greedy"])
        assert row["BLEU (beam)"] == pytest.approx(m["bleu_beam2"]) and row["beam width"] == 2
    assert np.isnan(df.set_index("model").loc["none", "AER"])  # no attention, no alignment
    assert not np.isnan(df.set_index("model").loc["dot", "AER"])


def test_metrics_frame_tolerates_cards_without_metrics():
    df = figures.metrics_frame({"dot": {"metrics": {}}, "none": {}})
    assert df["model"].tolist() == ["dot", "none"] and df["BLEU"].isna().all()
    assert figures.bleu_by_length_frame({"dot": {"metrics": {}}}).empty
    assert figures.history_frame({"dot": {}}).empty


def test_bleu_by_length_frame_and_chart(tiny_cards):
    df = figures.bleu_by_length_frame(tiny_cards)
    dot = tiny_cards["dot"]["metrics"]["bleu_by_length_greedy"]
    got = df[df.model == "dot"].set_index("length")["BLEU"].to_dict()
    assert got == pytest.approx(dot)
    assert set(df.loc[df.model == "none", "kind"]) == {"no attention"}
    spec = figures.bleu_by_length_chart(tiny_cards).to_dict()
    assert spec["encoding"]["x"]["field"] == "length" and spec["encoding"]["y"]["field"] == "BLEU"
    assert spec["encoding"]["strokeDash"]["field"] == "kind"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["dot", "general", "concat", "none", "transformer"]


def test_history_frame_and_training_chart(tiny_cards):
    df = figures.history_frame(tiny_cards)
    assert len(df) == 5 * 3 * 2  # models x epochs x (train, valid)
    first = df[(df.model == "concat") & (df.epoch == 1) & (df.split == "valid")]["loss"].item()
    assert first == pytest.approx(tiny_cards["concat"]["history"][0]["valid_loss"])
    spec = figures.training_chart(tiny_cards).to_dict()
    assert spec["encoding"]["x"]["field"] == "epoch" and spec["encoding"]["y"]["field"] == "loss"


def test_history_frame_leaves_out_the_averaged_checkpoint():
    history = [{"epoch": 1, "train_loss": 3.0, "valid_loss": 2.0, "fraction": 1.0},
               {"epoch": "average", "averaged_epochs": 3, "valid_loss": 1.5, "seconds": 0.0}]  # train.py's entry
    df = figures.history_frame({"concat": {"history": history}})
    assert list(df["epoch"]) == [1.0, 1.0] and list(df["loss"]) == [3.0, 2.0]
    figures.training_chart({"concat": {"history": history}}).to_dict()
    assert figures.metrics_frame({"concat": {"history": history}})["epochs"].tolist() == [1]  # not 2


def test_history_frame_places_cut_epochs_where_they_ended_and_skips_their_train_loss():
    history = [{"epoch": 1, "train_loss": 3.0, "valid_loss": 2.0, "fraction": 1.0},
               {"epoch": 2, "train_loss": 0.9, "valid_loss": 1.9, "fraction": 0.002}]
    df = figures.history_frame({"dot": {"history": history}})
    assert df[df.split == "train"].epoch.tolist() == [1.0]
    assert df[df.split == "valid"].epoch.tolist() == [1.0, 1.002]


# ---------------------------------------------------------------- classroom: languages, sizes, speed


def test_figures_speak_the_readers_language():
    from attnviz.i18n import messages

    ko = messages("ko")
    tr = hand_trace()
    fig = figures.attention_heatmap(tr, m=ko)
    assert fig["layout"]["xaxis"]["title"]["text"] == "영어 입력" and fig["layout"]["yaxis"]["title"]["text"] == "프랑스어 출력"
    assert "가중치" in fig["data"][0]["hovertemplate"] and "원점수" in fig["data"][0]["hovertemplate"]
    assert ko("figures.topk_title") in figures.topk_html(tr, 0, m=ko)
    states = valid(figures.encoder_states_figure(tr, m=ko))
    assert states.layout.title.text == ko("figures.states_title") and "%{x}" in states.data[0].hovertemplate
    page = figures.scores_weights_html(tr, 1, m=ko)
    assert ko("figures.scores_title") in page and ko("figures.weights_title") in page


def test_heatmap_has_fixed_margins_wide_enough_for_its_labels():
    tr = hand_trace(src=("supercalifragilistic", "b", "c", "."), tgt=("extraordinairement", "b", "<eos>"))
    fig = figures.attention_heatmap(tr)
    lay = fig["layout"]
    assert lay["margin"]["autoexpand"] is False
    assert not lay["xaxis"]["automargin"] and not lay["yaxis"]["automargin"]
    assert lay["margin"]["l"] >= figures.text_px("extraordinairement", 15)  # the longest French label fits
    wide = hand_trace(src=tuple(f"word{i}" for i in range(15)))
    assert figures.attention_heatmap(wide)["layout"]["xaxis"]["tickangle"] == -90
    assert figures.attention_heatmap(wide)["layout"]["margin"]["t"] >= figures.text_px("word14", 15)
    cjk = figures.text_px("자동차", 15)
    assert cjk > figures.text_px("car", 15) * 1.5  # wide characters get wide room


def test_a_middling_sentence_leans_at_45_degrees_but_may_stand_upright_where_that_would_overlap():
    """9-14 English words: 45 degrees where the words fit, 90 where they would run into each other (a
    phone's Compare panels, seen); the top margin has room for 90, so neither tilt is clipped."""
    words = ("Nina", "wants", "to", "visit", "her", "grandmother", "in", "Portugal", ".")
    fig = valid(figures.attention_heatmap(hand_trace(src=words)))
    assert list(fig.layout.xaxis.autotickangles) == [-45, -90] and fig.layout.xaxis.tickangle is None
    assert fig.layout.margin.t >= figures.text_px("grandmother", 15)
    assert list(valid(figures.attention_heatmap(hand_trace()))["layout"]["xaxis"]["autotickangles"]) == [0, -45, -90]


def test_in_cell_numbers_only_where_cells_are_big_enough():
    assert "texttemplate" in figures.attention_heatmap(hand_trace())["data"][0]
    long = hand_trace(src=tuple(f"w{i}" for i in range(figures.TEXT_IN_CELLS_MAX[0] + 1)))
    assert "texttemplate" not in figures.attention_heatmap(long)["data"][0]
    assert "texttemplate" not in figures.attention_heatmap(hand_trace(), cell_text=False)["data"][0]
    assert "%{z:.3f}" in figures.attention_heatmap(long)["data"][0]["hovertemplate"]  # hover still has them


def test_presenter_figures_are_larger():
    tr = hand_trace()
    small, big = figures.attention_heatmap(tr), figures.attention_heatmap(tr, big=True)
    assert big["layout"]["font"]["size"] > small["layout"]["font"]["size"]
    assert big["layout"]["xaxis"]["tickfont"]["size"] >= 20
    assert figures.attention_heatmap(tr, height=600)["layout"]["height"] == 600


def test_a_spec_costs_far_less_than_a_validated_figure():
    import time

    tr = hand_trace(src=tuple(f"w{i}" for i in range(10)), tgt=tuple(f"m{i}" for i in range(12)) + ("<eos>",))
    start = time.perf_counter()
    for _ in range(20):
        figures.attention_heatmap(tr)
    spec_ms = (time.perf_counter() - start) / 20 * 1000
    start = time.perf_counter()
    for _ in range(5):
        go.Figure(figures.attention_heatmap(tr))
    valid_ms = (time.perf_counter() - start) / 5 * 1000
    assert spec_ms < valid_ms  # generous: the real gap is ~0.1 ms against ~10 ms


def test_quality_table_reads_well(tiny_cards):
    from attnviz.i18n import messages

    table = figures.quality_table(tiny_cards)
    cells = [str(v) for v in table.to_numpy().ravel()]
    assert "None" not in cells and "nan" not in cells
    assert table["parameters"].tolist()[0] == format(tiny_cards["dot"]["parameters"], ",d")
    assert table.set_index("model").loc["no attention (baseline)", "AER"] == "–"
    big = figures.quality_table({"dot": {"parameters": 6924800, "metrics": {"bleu_greedy": 40.3127}}})
    assert big["parameters"].tolist() == ["6,924,800"] and big["BLEU"].tolist() == ["40.31"]
    assert "AER" not in big.columns  # a column no model has is left out
    ko = figures.quality_table(tiny_cards, messages("ko"))
    assert "모델" in ko.columns and "매개변수 수" in ko.columns


def test_altair_labels_are_large_and_dark(tiny_cards):
    for chart in (figures.bleu_by_length_chart(tiny_cards), figures.training_chart(tiny_cards)):
        cfg = chart.to_dict()["config"]
        assert cfg["axis"]["labelFontSize"] >= 14 and cfg["axis"]["labelColor"] == figures.INK
        assert cfg["legend"]["labelFontSize"] >= 14 and cfg["title"]["fontSize"] >= 16


def test_small_tables_are_escaped_html_with_numbers_right_aligned_and_help_on_headers():
    table = pd.DataFrame({"model": ["<b>dot</b>"], "BLEU": ["45.58"], "parameters": ["8,812,345"], "AER": ["–"]})
    body = figures.table_html(table, {"BLEU": 'higher is "better"'})
    assert "<b>dot" not in body and "&lt;b&gt;dot&lt;/b&gt;" in body  # a cell is text, never markup
    assert '<td class="num">45.58</td>' in body and '<td class="num">8,812,345</td>' in body
    assert '<td class="num">–</td>' in body and '<th title="higher is &quot;better&quot;">BLEU</th>' in body
    assert "<th>model</th>" in body


def test_the_training_chart_marks_where_a_model_went_on_with_a_teachers_translations(tiny_cards):
    from attnviz.i18n import messages

    cards = {**tiny_cards, "transformer": {**tiny_cards["transformer"], "distilled": {"teacher": "dot", "from_epoch": 3}}}
    marks = figures.course_marks(cards, messages("ko"))
    assert marks.model.tolist() == ["transformer"] and marks.epoch.tolist() == [2.0]  # after its 2 human epochs
    assert "dot" in marks.label[0] and "번역" in marks.label[0]
    spec = figures.training_chart(cards).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "rule", "text"]
    assert figures.course_marks(tiny_cards).empty and "layer" not in figures.training_chart(tiny_cards).to_dict()


def test_the_training_chart_keeps_an_earlier_teacher_and_marks_a_dropped_layer(tiny_cards):
    from attnviz.i18n import messages

    origin = {"epochs": 5, "distilled": {"teacher": "dot", "from_epoch": 3}, "dropped_decoder_layer": 2,
              "config": {"layers": 3, "decoder_layers": 0}}
    card = {**tiny_cards["transformer"], "continued_from": origin,
            "distilled": {"teacher": "dot+general+concat", "from_epoch": 6}}
    marks = figures.course_marks({"transformer": card}, messages("en"))
    assert marks.epoch.tolist() == [2.0, 5.0]  # both changes after epoch 5 share one label
    assert "learns dot's" in marks.label[0] and "dot+general+concat" in marks.label[1]
    assert "a decoder of 2 layers" in marks.label[1] and "layer 2 left out" in marks.label[1]
    assert "2개 층" in figures.course_marks({"transformer": card}, messages("ko")).label[1]
    spec = figures.training_chart({"transformer": card}).to_dict()
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    tops = [row["top"] for row in spec["datasets"][text["data"]["name"]]]
    assert tops == [0, 2 * figures.MARK_LINE_PX]  # the second label starts below the first's two lines


def test_a_lesson_bar_chart_title_wraps_to_a_phones_width_and_makes_room_for_itself():
    """"(3) Softmax weights for the next French word (sum = 1)" ran off a 390 px phone's figure."""
    from attnviz.figures._base import text_px
    from attnviz.figures.lesson import TITLE_PX, guess_bars

    short = guess_bars(["a", "b"], [0.4, 0.6], "(2) Raw scores", "score")
    long = guess_bars(["a", "b"], [0.4, 0.6], "(3) Softmax weights for the next French word (sum = 1)", "weight")
    lines = long["layout"]["title"]["text"].split("<br>")
    assert len(lines) == 2 and all(text_px(x, 14 * 1.15) <= TITLE_PX for x in lines)
    assert "<br>" not in short["layout"]["title"]["text"]
    grown = long["layout"]["margin"]["t"] - short["layout"]["margin"]["t"]
    assert grown > 0 and long["layout"]["height"] - short["layout"]["height"] == grown  # the plot keeps its size
