"""Exports: tidy CSV, the CLI's JSON schema, file names and titles that say what they are, offline HTML."""
from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from attnviz import exports, figures
from attnviz.i18n import messages
from attnviz.trace import trace_translation
from attnviz.translate import trace_to_json


@pytest.fixture(scope="module")
def trace(tiny_models_dir):
    from attnviz.checkpoint import load_bundle

    return trace_translation(load_bundle(tiny_models_dir / "dot"), "She reads a red book.")


def test_slug_and_file_names_say_what_the_file_is(trace):
    assert exports.slug("She reads a red book.") == "she-reads-a-red-book"
    assert exports.slug("Où est l'élève ?") == "ou-est-l-eleve"
    assert exports.slug("…!?") == "sentence"
    assert exports.slug("word " * 40).endswith("word") and len(exports.slug("word " * 40)) <= exports.SLUG_MAX
    assert exports.file_name("attention", trace, "png") == "attention-dot-she-reads-a-red-book.png"
    assert exports.file_name("attention", trace, ".svg") == "attention-dot-she-reads-a-red-book.svg"


def test_tidy_csv_has_one_row_per_step_and_word_with_the_trace_numbers(trace):
    df = pd.read_csv(io.StringIO(exports.tidy_csv(trace)), keep_default_na=False)
    assert list(df.columns) == ["step", "french_word", "english_word", "score", "weight"]
    t_len, s_len = trace.weights.shape
    assert len(df) == t_len * s_len
    assert df["step"].tolist() == [t + 1 for t in range(t_len) for _ in range(s_len)]
    assert df["english_word"].tolist()[:s_len] == list(trace.src_tokens)
    assert df["french_word"].tolist()[-1] == "<eos>"
    np.testing.assert_allclose(df["weight"].to_numpy().reshape(t_len, s_len), trace.weights, atol=1e-6)
    np.testing.assert_allclose(df["score"].to_numpy().reshape(t_len, s_len), trace.scores, atol=1e-6)
    np.testing.assert_allclose(df.groupby("step")["weight"].sum(), 1.0, atol=1e-5)


def test_csv_refuses_a_model_without_attention(tiny_models_dir):
    from attnviz.checkpoint import load_bundle

    none = trace_translation(load_bundle(tiny_models_dir / "none"), "She reads a red book.")
    with pytest.raises(ValueError, match="no attention"):
        exports.tidy_csv(none)


def test_json_is_the_cli_schema_reusing_trace_to_json(trace):
    obj = json.loads(exports.trace_json(trace))
    assert obj["source"] == "She reads a red book."
    assert obj["results"] == [json.loads(json.dumps(trace_to_json(trace)))]
    assert obj["results"][0]["target_tokens"] == list(trace.tgt_tokens)


def test_figure_title_carries_sentence_translation_and_model(trace):
    for lang in ("en", "ko"):
        title = exports.figure_title(trace, messages(lang))
        assert trace.source in title and trace.translation in title and "dot" in title


def test_plotly_config_names_the_download_and_refuses_other_formats():
    cfg = exports.plotly_config("attention-dot-x", "svg")
    assert cfg["toImageButtonOptions"] == {"format": "svg", "filename": "attention-dot-x", "scale": 2}
    assert "sendDataToCloud" in cfg["modeBarButtonsToRemove"] and cfg["displaylogo"] is False
    with pytest.raises(ValueError, match="png or svg"):
        exports.plotly_config("x", "gif")


def test_standalone_html_is_titled_offline_and_has_no_cloud_button(trace):
    title = exports.figure_title(trace, messages("en"))
    page = exports.standalone_html(figures.attention_heatmap(trace), title + " <b>", "attention-dot-x")
    assert re.search(r"<title>[^<]*She reads a red book\.[^<]*&lt;b&gt;</title>", page)
    assert not re.search(r"<script[^>]*\bsrc=", page) and not re.search(r"<link[^>]*\bhref=", page)
    assert '"displaylogo": false' in page and '"sendDataToCloud"' in page  # removed from the modebar
    assert '"filename": "attention-dot-x"' in page
    assert "She reads a red book." in page.split("</head>", 1)[1]  # the figure itself is titled too


def test_a_transformer_figure_title_keeps_its_head_on_the_model_line(tiny_models_dir):
    from attnviz.checkpoint import load_bundle
    from attnviz.trace import trace_translation

    trace = trace_translation(load_bundle(tiny_models_dir / "transformer"), "She reads a red book.")
    spec = figures.titled(figures.attention_heatmap(trace), exports.figure_title(trace, messages("en")))
    last_line = spec["layout"]["title"]["text"].split("<br>")[-1]
    assert "layer 2" in last_line and "head 2" in last_line  # not split over two lines at " · "
