"""A Transformer's heads on the page: the all-heads grid, self-attention figures, and the head picker
(Translate, from a link), on the tiny 2-layer 2-head fixture and, when present, the bundled model."""
from __future__ import annotations

import base64
import json
import math
import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from attnviz import figures
from attnviz.checkpoint import load_bundle
from attnviz.i18n import messages
from attnviz.trace import encoder_self_attention, trace_translation
from charts import chart_spec, untyped
from test_app import start  # the page opened from a link with these query parameters

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "models"
EN, KO = messages("en"), messages("ko")
SENTENCE = "The white car is fast."


@pytest.fixture(scope="module")
def trace(tiny_models_dir):
    return trace_translation(load_bundle(tiny_models_dir / "transformer"), SENTENCE)


# ---------------------------------------------------------------- figure builders


def test_grid_has_one_panel_per_layer_and_head_on_one_colour_scale(trace):
    layers, heads = trace.heads.shape
    fig = figures.all_heads_figure(trace, own=(0, 0))
    (d,) = fig["data"]  # one heatmap trace: the panels are its blocks, NaN between them
    assert d["type"] == "heatmap" and d["coloraxis"] == "coloraxis" and d["hoverongaps"] is False
    axis = fig["layout"]["coloraxis"]
    assert (axis["cmin"], axis["cmax"]) == (0.0, 1.0) and axis["colorscale"] == figures.WEIGHT_SCALE
    z = np.asarray(d["z"], dtype=float)
    grid = figures.HeadsGrid.of(trace, None, False)
    assert z.shape == grid.shape
    for p in range(layers * heads):  # panel p is layer p // A, head p % A, read row by row
        layer, head = divmod(p, heads)
        rows, cols = grid.block(p)
        np.testing.assert_array_equal(z[rows, cols], trace.heads.cross_weights[:, layer, head])
    assert np.isnan(z).sum() == z.size - layers * heads * trace.num_steps * len(trace.src_tokens)
    go.Figure(fig)  # plotly accepts the hand-built layout


def test_grid_hover_gives_layer_head_both_words_and_the_weight(trace):
    fig = figures.all_heads_figure(trace, m=KO)
    (d,) = fig["data"]
    assert "%{z:.3f}" in d["hovertemplate"]
    assert KO("figures.hover_fr") in d["hovertemplate"] and KO("figures.hover_en") in d["hovertemplate"]
    custom = np.asarray(d["customdata"])  # (Y, X, 3): the head, the French word, the English word
    rows, cols = figures.HeadsGrid.of(trace, None, False).block(3)  # layer 2, head 2
    block = custom[rows, cols]
    assert {str(c) for c in block[..., 0].ravel()} == {"<b>2층 · 2번 헤드</b>"}
    assert list(block[0, :, 2]) == ["The", "white", "car", "is", "fast", "."]
    assert list(block[:, 0, 1]) == [w.replace("<", "&lt;").replace(">", "&gt;") for w in figures.tgt_labels(trace)]
    assert block[-1, 0, 1] == "&lt;eos&gt;"  # words are plain text in the hover, never markup


def test_grid_marks_the_shown_head_and_stars_the_models_own(trace):
    shown = trace.for_head(0, 1)
    fig = figures.all_heads_figure(shown, own=(1, 1))
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles[1] == "<b>layer 1 · head 2</b>" and titles[3] == "★ layer 2 · head 2"
    assert [a["font"]["color"] for a in fig["layout"]["annotations"]].count(figures.HIGHLIGHT) == 1
    (outline,) = fig["layout"]["shapes"]
    rows, cols = figures.HeadsGrid.of(trace, None, False).block(1)
    assert outline["x0"] < cols.start - 0.5 and outline["x1"] > cols.stop - 0.5  # around panel 2's cells
    assert outline["y0"] < rows.start - 0.5 and outline["y1"] > rows.stop - 0.5


@pytest.mark.parametrize("columns", [1, 2, 3])
def test_grid_reflows_into_fewer_columns_for_a_phone(trace, columns):
    fig = figures.all_heads_figure(trace, columns=columns)
    rows = math.ceil(4 / columns)
    grid = figures.HeadsGrid.of(trace, columns, False)
    blocks = [grid.block(p) for p in range(4)]
    assert len({c.start for _, c in blocks}) == columns and len({r.start for r, _ in blocks}) == rows
    assert np.asarray(fig["data"][0]["z"]).shape == grid.shape
    assert [figures.grid_columns(4, w) for w in (90, 230, 370, 400, 820)] == [1, 2, 2, 4, 4]
    assert figures.grid_columns(3, 250) == 1  # rows hold one layer each: 3 heads never reflow into 2


def test_a_phone_gets_one_panel_a_row_and_a_wide_screen_one_layer_a_row():
    from attnviz.views.heads import panels_width

    # 390 px: two panels a row left each title ~80 px for ~100 px of "★ layer 2 · head 3" (seen overlapping)
    assert figures.grid_columns(4, panels_width(390, 1.0)) == 1
    assert figures.grid_columns(4, panels_width(1920, 2 / 3)) == 4


def test_tidy_frame_has_every_head(trace):
    df = figures.heads_frame(trace)
    t, s = trace.num_steps, len(trace.src_tokens)
    assert len(df) == 2 * 2 * t * s
    row = df[(df["layer"] == 1) & (df["head"] == 0) & (df["step"] == 1) & (df["src_pos"] == 2)].iloc[0]
    assert row.weight == trace.heads.cross_weights[1, 1, 0, 2] and row.src == "car"


def test_decoder_self_attention_has_nothing_above_the_diagonal(trace):
    fig = figures.decoder_self_figure(trace)
    z = np.asarray(fig["data"][0]["z"], dtype=float)  # (T, T)
    t = trace.num_steps
    assert z.shape == (t, t)
    assert np.isnan(z[np.triu_indices(t, k=1)]).all()  # masked: drawn as empty cells, not as 0-blue
    assert np.isfinite(z[np.tril_indices(t)]).all()
    np.testing.assert_allclose(np.nansum(z, axis=1), 1.0, atol=1e-6)
    assert fig["data"][0]["hoverongaps"] is False and fig["layout"]["plot_bgcolor"] == "#bdbdbd"
    assert fig["layout"]["xaxis"]["ticktext"][0] == EN("heads.start")  # the words fed: the start mark first
    assert fig["layout"]["xaxis"]["ticktext"][1:] == figures.tgt_labels(trace)[:-1]
    assert "layer 2 · head 2" in fig["layout"]["title"]["text"]


def test_encoder_self_attention_is_the_shown_heads(tiny_models_dir, trace):
    bundle = load_bundle(tiny_models_dir / "transformer")
    weights = encoder_self_attention(bundle, trace)  # (L, A, S, S)
    shown = trace.for_head(0, 1)
    fig = figures.encoder_self_figure(shown, weights, m=KO)
    np.testing.assert_array_equal(fig["data"][0]["z"], weights[0, 1])
    assert fig["layout"]["xaxis"]["ticktext"] == fig["layout"]["yaxis"]["ticktext"] == list(trace.src_tokens)
    assert "1층 · 2번 헤드" in fig["layout"]["title"]["text"]
    with pytest.raises(ValueError, match="words"):
        figures.encoder_self_figure(shown, weights[:, :, :2, :2])


def test_builders_refuse_a_model_without_heads(tiny_models_dir):
    gru = trace_translation(load_bundle(tiny_models_dir / "general"), SENTENCE)
    for build in (figures.all_heads_figure, figures.decoder_self_figure, figures.heads_frame):
        with pytest.raises(ValueError, match="no heads"):
            build(gru)


# ---------------------------------------------------------------- the page


def array(value) -> np.ndarray:
    """A spec's array: a list, or plotly's typed-array form {"dtype", "bdata" (base64), "shape"}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(x) for x in str(value.get("shape", len(flat))).split(",")]).astype(float)
    return np.asarray(value, dtype=float)


def heatmap_z(at: AppTest) -> np.ndarray:
    chart = next(c for c in at.get("plotly_chart") if c.key == "heatmap")
    return array(chart_spec(chart)["data"][0]["z"])


def query(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def texts(at: AppTest) -> str:
    return "\n".join(str(p.value) for p in [*at.markdown, *at.warning, *at.caption])


def test_link_draws_the_head_it_names_and_keeps_it(tiny_models_dir, monkeypatch, trace):
    at = start(tiny_models_dir, monkeypatch, model="transformer", sentence=SENTENCE, layer="1", head="2")
    np.testing.assert_allclose(heatmap_z(at), trace.heads.cross_weights[:, 0, 1], atol=1e-12)
    assert at.selectbox(key="heads_pick_translate").value == (1, 2)
    assert (query(at, "layer"), query(at, "head")) == ("1", "2")
    assert "layer 1 · head 2" in texts(at)  # the heatmap's caption names the head
    at.selectbox(key="heads_pick_translate").set_value((0, 0)).run()  # back to the model's own head
    assert not at.exception, at.exception
    np.testing.assert_allclose(heatmap_z(at), trace.weights, atol=1e-12)
    assert query(at, "layer") is None and query(at, "head") is None  # the link names no head


def test_picking_a_head_writes_it_in_the_link(tiny_models_dir, monkeypatch, trace):
    at = start(tiny_models_dir, monkeypatch, model="transformer", sentence=SENTENCE, lang="ko")
    picker = at.selectbox(key="heads_pick_translate")
    assert picker.value == (0, 0) and "2층 · 2번 헤드" in picker.format_func((0, 0))  # the model's own
    picker.set_value((2, 1)).run()
    assert not at.exception, at.exception
    assert (query(at, "layer"), query(at, "head")) == ("2", "1")
    np.testing.assert_allclose(heatmap_z(at), trace.heads.cross_weights[:, 1, 0], atol=1e-12)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_head_the_model_lacks_falls_back_with_a_note(tiny_models_dir, monkeypatch, trace, lang):
    at = start(tiny_models_dir, monkeypatch, model="transformer", sentence=SENTENCE, head="9", lang=lang)
    m = messages(lang)
    note = m("notes.bad_head_only", layer=2, head=9, layers=2, heads=2, shown_layer=2, shown_head=2)
    assert note in [w.value for w in at.warning]  # names the head the link asked for, no layer it did not
    np.testing.assert_allclose(heatmap_z(at), trace.weights, atol=1e-12)  # the model's own head
    assert at.selectbox(key="heads_pick_translate").value == (0, 0)
    assert query(at, "head") is None and at.session_state["head"] == 0  # the link no longer carries it


@pytest.mark.parametrize("params, key", [({"layer": "99"}, "notes.bad_layer"), ({"layer": "9", "head": "9"}, "notes.bad_head")])
def test_a_layer_the_model_lacks_is_named_and_dropped_from_the_link(tiny_models_dir, monkeypatch, trace, params, key):
    at = start(tiny_models_dir, monkeypatch, model="transformer", sentence=SENTENCE, **params)
    layer, head = int(params["layer"]), int(params.get("head", 2))
    assert EN(key, layer=layer, head=head, layers=2, heads=2, shown_layer=2, shown_head=2) in [w.value for w in at.warning]
    assert query(at, "layer") is None and query(at, "head") is None


@pytest.mark.parametrize("value", ["-1", "0", "x"])
def test_a_head_that_is_no_number_says_so_without_jargon(tiny_models_dir, monkeypatch, value):
    at = start(tiny_models_dir, monkeypatch, model="transformer", sentence=SENTENCE, head=value)
    assert EN("notes.bad_head_param", name="head", value=value) in [w.value for w in at.warning]
    assert "showing 0" not in " ".join(w.value for w in at.warning)


@pytest.mark.parametrize("mode", [{}, {"present": "1"}], ids=["page", "presenter"])
def test_all_heads_and_self_attention_open_on_demand(tiny_models_dir, monkeypatch, mode):
    at = start(tiny_models_dir, monkeypatch, model="transformer", sentence=SENTENCE, layer="1", head="1", **mode)
    keys = [c.key for c in at.get("plotly_chart")]
    assert "heads_all_fig" not in keys and "heads_enc" not in keys  # the first paint: one heatmap
    assert [e.label for e in at.expander][:2] == [EN("heads.all_title"), EN("heads.self_title")]
    at.session_state["heads_all"] = True
    at.session_state["heads_self"] = True
    at.run()
    assert not at.exception, at.exception
    specs = {c.key: c.proto.spec for c in at.get("plotly_chart")}
    def no_constants(name):  # JSON.parse takes no NaN or Infinity: the gaps between panels are in the bytes
        raise AssertionError(f"{name} in a chart's JSON")
    charts = {key: untyped(json.loads(spec, parse_constant=no_constants)) for key, spec in specs.items()}
    assert len(charts["heads_all_fig"]["layout"]["annotations"]) == 4  # a title per head
    assert "<b>layer 1 · head 1</b>" in [a["text"] for a in charts["heads_all_fig"]["layout"]["annotations"]]
    assert "layer 1 · head 1" in charts["heads_enc"]["layout"]["title"]["text"]
    assert "layer 1 · head 1" in charts["heads_dec"]["layout"]["title"]["text"]
    assert EN("heads.enc_caption") in texts(at) and EN("heads.dec_caption") in texts(at)


@pytest.mark.parametrize("model", ["general", "none"])
def test_models_without_heads_show_no_picker(tiny_models_dir, monkeypatch, model):
    at = start(tiny_models_dir, monkeypatch, model=model, sentence=SENTENCE, layer="2", head="1")
    assert not [s for s in at.selectbox if s.key == "heads_pick_translate"]
    assert EN("heads.all_title") not in [e.label for e in at.expander]
    assert not any("head" in w.value for w in at.warning)  # ignored, no note


@pytest.mark.skipif(not (BUNDLED / "transformer.safetensors").exists(), reason="no bundled transformer")
def test_bundled_transformer_layer_2_head_3_from_a_link(tmp_path, monkeypatch):
    for suffix in (".json", ".safetensors"):  # a folder with the transformer alone: one model to load
        os.symlink(BUNDLED / f"transformer{suffix}", tmp_path / f"transformer{suffix}")
    bundle = load_bundle(BUNDLED / "transformer")
    want = trace_translation(bundle, SENTENCE).heads.cross_weights[:, 1, 2]
    at = start(tmp_path, monkeypatch, model="transformer", sentence=SENTENCE, layer="2", head="3")
    np.testing.assert_allclose(heatmap_z(at), want, atol=1e-12)
    assert (query(at, "layer"), query(at, "head")) == ("2", "3")
    assert "layer 2 · head 3" in texts(at)
