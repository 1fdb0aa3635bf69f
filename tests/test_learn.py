"""Watch attention learn: the animation spec from a card's snapshots, and the view with and without them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from attnviz import figures
from attnviz.i18n import messages

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EXAMPLE = {"en": "I see it.", "fr": "Je le vois.", "src_tokens": ["I", "see", "it", "."],
           "tgt_tokens": ["je", "le", "vois", ".", "<eos>"]}


def snapshots() -> dict:
    uniform = np.full((5, 4), 0.25).tolist()
    learned = np.eye(5, 4)[:, [0, 2, 1, 3]]  # (T, S): a crossing, as "le vois" for "see it"
    learned[4, 3] = 1.0
    return {"examples": [EXAMPLE], "frames": [{"step": 0, "weights": [uniform]},
                                              {"step": 10, "weights": [uniform]},
                                              {"step": 500, "weights": [learned.tolist()], "final": True}]}


def test_learning_figure_has_one_frame_per_recorded_step_and_starts_untrained():
    spec = figures.learning_figure(snapshots(), 0, "dot", m=messages("en"))
    assert [f["name"] for f in spec["frames"]] == ["0", "10", "500"]
    assert spec["data"][0]["z"] == snapshots()["frames"][0]["weights"][0]  # opens on step 0
    assert spec["frames"][-1]["data"][0]["z"] == snapshots()["frames"][-1]["weights"][0]
    assert [s["label"] for s in spec["layout"]["sliders"][0]["steps"]] == ["0", "10", "500"]
    assert spec["layout"]["xaxis"]["ticktext"] == EXAMPLE["src_tokens"]
    assert spec["layout"]["yaxis"]["ticktext"] == ["Je", "le", "vois", ".", "&lt;eos&gt;"]  # as the reference; escaped


def test_learning_figure_refuses_a_model_without_attention():
    none = {"examples": [EXAMPLE], "frames": [{"step": 0, "weights": [None]}]}
    with pytest.raises(ValueError, match="no attention"):
        figures.learning_figure(none, 0, "none")


def run(models_dir: Path, monkeypatch, lang: str = "en") -> AppTest:
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(view="learn", lang=lang)
    at.run()
    assert not at.exception
    return at


def test_view_says_when_the_bundles_recorded_nothing(tiny_models_dir, monkeypatch):
    at = run(tiny_models_dir, monkeypatch)
    assert messages("en")("learn.not_recorded") in [i.value for i in at.info]
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_view_animates_every_attention_model_that_recorded_frames(tiny_models_dir, tmp_path, monkeypatch, lang):
    for path in tiny_models_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    for scorer in ("dot", "concat"):
        card = json.loads((tmp_path / f"{scorer}.json").read_text())
        card["attention_snapshots"] = snapshots()
        (tmp_path / f"{scorer}.json").write_text(json.dumps(card))
    at = run(tmp_path, monkeypatch, lang)
    assert len(at.get("plotly_chart")) == 2  # dot and concat; general recorded nothing, none has no attention
    assert messages(lang)("learn.reference", fr=EXAMPLE["fr"]) in [c.value for c in at.caption]
