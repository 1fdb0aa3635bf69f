"""The Streamlit page through streamlit.testing.v1.AppTest, pointed at the tiny fixture models."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attnviz import explain

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app(tiny_models_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything written as Markdown, alerts and captions, joined (to search in)."""
    parts = [*at.markdown, *at.warning, *at.info, *at.error, *at.caption, *at.subheader]
    return "\n".join(str(p.value) for p in parts)


def view(at: AppTest, name: str) -> AppTest:
    at.session_state["view"] = name
    at.run()
    assert not at.exception
    return at


def type_sentence(at: AppTest, text: str) -> AppTest:
    at.text_input(key="sentence").set_value(text).run()
    assert not at.exception
    return at


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


# ---------------------------------------------------------------- the four views


def test_translate_view_shows_translation_and_heatmap(app):
    assert app.title[0].value.startswith("attnviz")
    assert [t.label for t in app.tabs] == ["Translate", "Compare scorers", "Step by step", "How attention works"]
    assert len(charts(app)) == 1
    assert "English, as the model reads it:** `The` `white` `car` `is` `fast` `.`" in texts(app)
    assert any(m.value.startswith("### ") for m in app.markdown)  # the translation
    assert "How attention works" in texts(app)  # explainer next to the picture
    assert app.get("download_button")  # offline HTML export


def test_compare_view_has_a_panel_per_scorer_and_the_quality_section(app):
    view(app, "Compare scorers")
    heads = [s.value for s in app.main.subheader]
    assert heads == [explain.scorer_label(s) for s in ("dot", "general", "concat", "none")]
    assert len(charts(app)) == 3  # no heatmap for the no-attention model
    assert explain.NO_ATTENTION_NOTE in [i.value for i in app.info]
    assert "Measured quality" in app.header[0].value
    table = app.dataframe[0].value
    assert table["model"].tolist() == ["dot", "general", "concat", "none"]
    assert {"BLEU", "chrF", "AER"} <= set(table.columns)
    assert len(app.get("vega_lite_chart")) == 2  # BLEU by length, training curves


def test_step_view_plays_back_step_by_step(app):
    view(app, "Step by step")
    assert "**Step 1 of" in texts(app)
    assert len(charts(app)) == 5  # filling heatmap, top-k, states, scores and weights, context
    for caption in ("(1) Look.", "(2) Score.", "(3) Weigh and sum.", "Next word."):
        assert caption in texts(app)
    n = int(app.slider(key="step").max)
    app.button[2].click().run()  # Next
    assert app.session_state["step"] == 2 and "**Step 2 of" in texts(app)
    app.button[1].click().run()  # Back
    assert app.session_state["step"] == 1
    app.slider(key="step").set_value(n).run()
    assert f"**Step {n} of {n}.**" in texts(app)
    app.button[2].click().run()  # Next at the end stays at the end
    assert app.session_state["step"] == n


def test_play_and_pause(app):
    view(app, "Step by step")
    assert app.button[0].label == "Play"
    app.button[0].click().run()
    assert app.session_state["playing"] and app.session_state["step"] == 2  # first tick at once
    assert app.button[0].label == "Pause"
    app.button[0].click().run()
    assert not app.session_state["playing"] and app.button[0].label == "Play"
    assert not app.exception


def test_explainer_view(app):
    view(app, "How attention works")
    body = texts(app)
    assert "softmax" in body and r"\exp(e_i)" in body and "concat" in body


# ---------------------------------------------------------------- choices


def test_example_pills_fill_the_sentence(app):
    app.button_group[0].set_value(explain.EXAMPLES[2]).run()
    assert not app.exception
    assert app.text_input(key="sentence").value == explain.EXAMPLES[2]
    assert "`Where` `is` `my` `car` `?`" in texts(app)


def test_no_attention_model_explains_itself(app):
    app.sidebar.radio[0].set_value("none").run()
    assert explain.NO_ATTENTION_NOTE in [i.value for i in app.info]
    assert not charts(app)
    view(app, "Step by step")
    assert "No attention" in texts(app) and not app.exception


def test_beam_search_lists_the_candidates(app):
    app.sidebar.slider[0].set_value(3).run()
    assert "Beam search kept" in texts(app)
    assert list(app.dataframe[0].value.columns)[:2] == ["rank", "translation"]


def test_forcing_a_french_sentence(app):
    app.sidebar.text_input[0].set_value("La voiture blanche est rapide.").run()
    view(app, "Step by step")
    assert "You forced" in texts(app)


@pytest.mark.parametrize("target", ["<b>x</b> 😀", "\x00", "zzz " * 70])
def test_odd_forced_french_is_harmless(app, target):
    app.sidebar.text_input[0].set_value(target[:explain.MAX_CHARS // 3]).run()
    for name in ("Step by step", "Compare scorers", "Translate"):
        view(app, name)
    assert not app.error


def test_blocking_words_and_blocking_all_of_them(app):
    ms = app.sidebar.multiselect[0]
    assert ms.options[2] == "3. car"
    ms.set_value(["3. car"]).run()
    assert "Hidden from attention" in texts(app) and "`car`" in texts(app)
    app.sidebar.multiselect[0].set_value(list(app.sidebar.multiselect[0].options)).run()
    assert not app.exception
    assert any("cannot block every source word" in w.value for w in app.warning)


# ---------------------------------------------------------------- bad input never breaks the page


@pytest.mark.parametrize("text", ["", "    ", "\x00\x07\x1b\n"])
def test_empty_input_asks_for_a_sentence(app, text):
    type_sentence(app, text)
    assert "Type an English sentence" in texts(app)
    assert app.get("tabs") or app.tabs  # the page stays usable
    for name in ("Compare scorers", "Step by step", "How attention works"):
        view(app, name)


def test_far_too_long_input_is_cut_and_the_page_says_so(app):
    type_sentence(app, " ".join(["the white car is fast"] * 40))
    assert any("200 words" in w.value and f"first {explain.MAX_WORDS}" in w.value for w in app.warning)
    assert len(charts(app)) == 1
    view(app, "Step by step")
    view(app, "Compare scorers")


@pytest.mark.parametrize("text", [
    "zorglub blorf quux",  # only unknown words
    "I love 🚗🚀 and 😀",  # emoji
    "<script>alert('x')</script> <b>bold</b> [link](javascript:alert(1)) $x$ **y**",  # markup
    "the\x00 white\x07 car\x1b[31m is\u200b fast\r\n",  # control characters
    "!!! ??? ...",  # punctuation only
])
def test_odd_input_gets_a_clear_page_not_a_traceback(app, text):
    type_sentence(app, text)
    assert not app.error
    for name in ("Compare scorers", "Step by step", "How attention works", "Translate"):
        view(app, name)
    assert not app.get("html")  # no user markup is ever rendered as HTML


def test_only_unknown_words_are_flagged(app):
    type_sentence(app, "zorglub blorf quux")
    assert any("none" in w.value and "<unk>" in w.value for w in app.warning)


def test_markup_stays_text(app):
    type_sentence(app, "<script>alert(1)</script>")
    line = next(m.value for m in app.markdown if m.value.startswith("**English"))
    assert "`<*`" in line and "`script*`" in line  # tokens shown as code, never as a tag


def test_missing_models_folder_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tmp_path / "nowhere"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "No models to show" in at.error[0].value
    assert "softmax" in texts(at)  # the explainer still teaches
