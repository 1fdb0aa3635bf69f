"""Watch it learn, for a Transformer: one layer's heads at each recorded training step (the card's
attention_snapshots.frames[i]["heads"], per example (L, A, T, S)), and the view with and without them.

The bundled Transformer's card has no snapshots yet, so a fixture card carries made-up frames of the right
shape (random softmax rows)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from attnviz import figures
from attnviz.i18n import messages
from charts import chart_spec

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EXAMPLES = [{"en": "I see it.", "fr": "Je le vois.", "src_tokens": ["I", "see", "it", "."],
             "tgt_tokens": ["je", "le", "vois", ".", "<eos>"]},
            {"en": "Go.", "fr": "Va.", "src_tokens": ["Go", "."], "tgt_tokens": ["va", ".", "<eos>"]}]
LAYERS, HEADS = 2, 2  # the tiny Transformer's shape (tests/tiny_models.py)
STEPS = (0, 10, 200)


def softmax_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    x = rng.normal(size=shape) * 2
    e = np.exp(x - x.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).round(3)


def head_snapshots(seed: int = 0) -> dict:
    """A card's attention_snapshots with every head recorded: frames[i]["heads"][example] is (L, A, T, S)."""
    rng = np.random.default_rng(seed)
    frames = []
    for step in STEPS:
        heads = [softmax_rows(rng, (LAYERS, HEADS, len(ex["tgt_tokens"]), len(ex["src_tokens"]))) for ex in EXAMPLES]
        frames.append({"step": step, "weights": [h[1, 0].tolist() for h in heads],
                       "heads": [h.tolist() for h in heads], **({"final": True} if step == STEPS[-1] else {})})
    return {"examples": EXAMPLES, "frames": frames}


def test_the_heads_figure_has_one_panel_per_head_and_one_frame_per_step():
    snaps = head_snapshots()
    spec = figures.learning_heads_figure(snaps, 0, 1, "transformer", m=messages("en"))
    assert len(spec["data"]) == HEADS and [f["name"] for f in spec["frames"]] == [f"{s:,}" for s in STEPS]
    for a in range(HEADS):  # opens on step 0; each frame moves every head of the chosen layer
        assert np.asarray(spec["data"][a]["z"]) == pytest.approx(np.asarray(snaps["frames"][0]["heads"][0])[1, a])
        for f, frame in zip(snaps["frames"], spec["frames"]):
            assert np.asarray(frame["data"][a]["z"]) == pytest.approx(np.asarray(f["heads"][0])[1, a])
    assert all(frame["traces"] == list(range(HEADS)) for frame in spec["frames"])
    assert [s["label"] for s in spec["layout"]["sliders"][0]["steps"]] == ["0", "10", "200"]
    assert spec["layout"]["xaxis"]["ticktext"] == EXAMPLES[0]["src_tokens"]
    assert spec["layout"]["yaxis"]["ticktext"][:3] == ["Je", "le", "vois"]  # spelt as the reference
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles == [f"<b>layer 2 · head {a + 1}</b>" for a in range(HEADS)]


def test_the_heads_figure_in_korean_and_for_another_example_and_layer():
    spec = figures.learning_heads_figure(head_snapshots(), 1, 0, "transformer", m=messages("ko"), big=True)
    assert "1층 · 2번 헤드" in spec["layout"]["annotations"][1]["text"]
    assert np.asarray(spec["data"][0]["z"]).shape == (3, 2)


def test_the_heads_figure_refuses_cards_without_heads_and_layers_it_lacks():
    gru = {"examples": EXAMPLES, "frames": [{"step": 0, "weights": [None, None]}]}
    assert figures.head_frames(gru, 0) == []
    with pytest.raises(ValueError, match="no heads"):
        figures.learning_heads_figure(gru, 0, 0, "dot")
    with pytest.raises(ValueError, match="no layer 3"):
        figures.learning_heads_figure(head_snapshots(), 0, 2, "transformer")


def run(models_dir: Path, monkeypatch, lang: str = "en") -> AppTest:
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(models_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(view="learn", lang=lang)
    at.run()
    assert not at.exception
    return at


def test_the_view_says_clearly_when_the_transformers_card_has_no_head_snapshots(tiny_models_dir, monkeypatch):
    at = run(tiny_models_dir, monkeypatch)
    m = messages("en")
    assert m("learn.no_heads", model=m("scorers.transformer")) in [i.value for i in at.info]
    assert not at.get("plotly_chart")


def fixture_dir(tiny_models_dir: Path, tmp_path: Path, heads: bool) -> Path:
    for path in tiny_models_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    for scorer in ("dot", "transformer"):
        card = json.loads((tmp_path / f"{scorer}.json").read_text())
        snaps = head_snapshots()
        if scorer == "dot" or not heads:
            for f in snaps["frames"]:
                f.pop("heads")
        card["attention_snapshots"] = snaps
        (tmp_path / f"{scorer}.json").write_text(json.dumps(card))
    return tmp_path


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_view_plays_the_transformers_heads_and_the_layer_can_be_picked(tiny_models_dir, tmp_path, monkeypatch,
                                                                           lang):
    at = run(fixture_dir(tiny_models_dir, tmp_path, heads=True), monkeypatch, lang)
    m = messages(lang)
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # dot and the Transformer's own head side by side, then the Transformer's heads
    assert m("learn.heads_title", model=m("scorers.transformer")) in [h.value for h in at.subheader]
    picker = at.segmented_control(key="learn_layer_transformer")
    assert picker.value == 1  # the layer the page shows (the tiny model's attention_layer)
    spec = chart_spec(charts[-1])
    assert len(spec["data"]) == HEADS and len(spec["frames"]) == len(STEPS)
    picker.set_value(0).run()
    assert not at.exception
    spec = chart_spec(at.get("plotly_chart")[-1])
    first = np.asarray(head_snapshots()["frames"][0]["heads"][0])  # (L, A, T, S)
    assert np.asarray(spec["data"][0]["z"]) == pytest.approx(first[0, 0])


def test_a_transformer_card_with_snapshots_but_no_heads_says_so(tiny_models_dir, tmp_path, monkeypatch):
    at = run(fixture_dir(tiny_models_dir, tmp_path, heads=False), monkeypatch)
    m = messages("en")
    assert m("learn.no_heads", model=m("scorers.transformer")) in [i.value for i in at.info]
    assert len(at.get("plotly_chart")) == 2  # the one-attention animations are still there
