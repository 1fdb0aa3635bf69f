"""A damaged or incomplete models folder: the page names the broken bundle and shows the others."""
from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_a_bundle_missing_its_weights_is_named_and_the_rest_still_work(tiny_models_dir, tmp_path, monkeypatch):
    for path in tiny_models_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "general.safetensors").unlink()
    (tmp_path / "concat.json").write_text("{ not json")
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")  # the page escapes Markdown
    assert "general.safetensors" in warnings and "concat.json" in warnings
    assert len(at.radio(key="model").options) == 3  # dot, none and transformer
    assert at.get("plotly_chart")  # the page still translates with the models that loaded
