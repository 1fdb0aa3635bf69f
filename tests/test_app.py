"""The Streamlit page through streamlit.testing.v1.AppTest, pointed at the tiny fixture models."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from attnviz import explain
from attnviz.config import SCORER_NAMES
from attnviz.i18n import messages
from attnviz.state import MAX_CHARS, VIEWS
from attnviz.views import steps
from attnviz.views.common import DATA_REVISION, typed_arrays
from charts import chart_spec, untyped

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EN, KO = messages("en"), messages("ko")


def start(models_dir, monkeypatch, **params) -> AppTest:
    """The page opened from a link with these query parameters."""
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(tiny_models_dir, monkeypatch) -> AppTest:
    return start(tiny_models_dir, monkeypatch)


@pytest.fixture
def link(tiny_models_dir, monkeypatch):
    return lambda **params: start(tiny_models_dir, monkeypatch, **params)


def open_whatif(at: AppTest) -> AppTest:
    """Open the sidebar's "What if…" (force a translation, hide words): drawn only while open."""
    at.session_state["whatif"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything written as Markdown, alerts and captions, joined (to search in)."""
    parts = [*at.markdown, *at.warning, *at.info, *at.error, *at.caption, *at.subheader, *at.header, *at.title]
    return "\n".join(str(p.value) for p in parts)


def html_tables(at: AppTest) -> list[pd.DataFrame]:
    """The tables drawn as HTML (figures.table_html), as frames of their cell texts, in page order."""
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

        def handle_endtag(self, tag):
            if tag in ("td", "th"):
                self.rows[-1].append(self.cell)
                self.cell = None

    frames = []
    for h in at.get("html"):
        if 'class="av-table"' in h.proto.body:
            parser = Cells()
            parser.feed(h.proto.body)
            frames.append(pd.DataFrame(parser.rows[1:], columns=parser.rows[0]))
    return frames


def view(at: AppTest, name: str) -> AppTest:
    at.session_state["view"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def type_sentence(at: AppTest, text: str) -> AppTest:
    at.text_input(key="sentence").set_value(text).run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def chart(at: AppTest, key: str):
    """The Plotly chart drawn with this key (other panels may add charts of their own)."""
    return next(c for c in charts(at) if c.key == key)


def keys(at: AppTest) -> list[str]:
    return [c.key for c in charts(at)]


def bar_lists(at: AppTest) -> list[str]:
    """The HTML bar lists on the page (figures/bars.py: scores and weights, next words), in page order."""
    return [h.proto.body for h in at.get("html") if 'class="av-bars' in h.proto.body]


def bar_labels(page: str) -> list[str]:
    """The row labels of a bar list, as the reader sees them."""
    return [html.unescape(w) for w in re.findall(r"<tr[^>]*><th>(.*?)</th>", page)]


def title(c) -> str:
    return (spec(c)["layout"].get("title") or {}).get("text", "")


def spec(chart) -> dict:
    return chart_spec(chart)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- the views


def test_translate_view_shows_translation_and_heatmap(app):
    type_sentence(app, "The white car is fast.")  # not the default example: fixed words
    assert app.title[0].value.startswith("attnviz")
    switch = next(b for b in app.get("button_group") if b.key == "view")  # a segmented control keyed "view"
    assert app.session_state["view"] == "translate"
    assert list(switch.options) == [EN(f"views.{v}") for v in VIEWS]
    assert "heatmap" in keys(app)
    assert "English, as the model reads it:** `The` `white` `car` `is` `fast` `.`" in texts(app)
    assert any(m.value.startswith("### ") for m in app.markdown)  # the translation
    assert "How attention works" in texts(app)  # explainer next to the picture
    assert app.get("download_button")  # offline HTML export


def test_heatmap_spec_reaches_the_page_unchanged_and_without_automargin(app):
    type_sentence(app, "The white car is fast.")  # not the default example: fixed words
    fig = spec(chart(app, "heatmap"))
    hm = fig["data"][0]
    assert hm["type"] == "heatmap" and hm["zmin"] == 0 and hm["zmax"] == 1
    assert fig["layout"]["xaxis"]["ticktext"] == ["The", "white", "car", "is", "fast", "."]
    assert not fig["layout"]["xaxis"]["automargin"] and not fig["layout"]["yaxis"]["automargin"]
    assert fig["layout"]["margin"]["autoexpand"] is False


def test_every_chart_tells_plotly_its_data_never_changes_in_place(app):
    """layout.datarevision, one constant for every figure: without it plotly.js draws each chart twice
    (Streamlit hands it a JSON copy after mounting, and copied arrays count as new data)."""
    type_sentence(app, "The white car is fast.")
    first = spec(chart(app, "heatmap"))
    type_sentence(app, "Where is my car?")
    second = spec(chart(app, "heatmap"))
    assert first["data"][0]["z"] != second["data"][0]["z"]  # new data comes as a new chart, not in place
    assert first["layout"]["datarevision"] == second["layout"]["datarevision"] == DATA_REVISION
    view(app, "compare")
    assert {spec(c)["layout"].get("datarevision") for c in charts(app)} == {DATA_REVISION}


def test_typed_arrays_carry_the_numbers_bit_for_bit_and_leave_words_as_they_are():
    z = np.random.default_rng(0).standard_normal((3, 7)).astype(np.float32)  # (R, C)
    z[1, 2] = np.nan  # a gap between panels
    spec = {"data": [{"z": z, "customdata": np.array([["a"] * 7] * 3, dtype=object), "text": np.arange(20.0),
                      "y": np.arange(20, dtype=np.int64), "x": np.arange(3.0)}],
            "layout": {"annotations": [{"x": np.arange(16.0)}], "height": 300}}
    sent = json.loads(json.dumps(typed_arrays(spec), default=lambda a: a.tolist()))  # as the page sends it
    trace = sent["data"][0]
    assert trace["z"]["dtype"] == "f4" and trace["z"]["shape"] == "3, 7"
    back = np.asarray(untyped(sent)["data"][0]["z"], dtype=np.float32)
    assert np.array_equal(back, z, equal_nan=True)  # exact: the model's float32 numbers themselves
    assert trace["y"]["dtype"] == "i4" and untyped(trace["y"]) == list(range(20))  # int64 goes as int32
    assert trace["customdata"] == [["a"] * 7] * 3 and trace["text"] == list(np.arange(20.0))  # words stay words
    assert isinstance(typed_arrays(spec)["data"][0]["customdata"], list)  # words as a list: see the next test
    assert trace["x"] == [0.0, 1.0, 2.0]  # too small to be worth it
    assert sent["layout"]["annotations"][0]["x"]["dtype"] == "f8" and sent["layout"]["height"] == 300


def test_compare_puts_its_panels_one_a_row_where_two_would_squeeze_the_words(tiny_models_dir, monkeypatch):
    """Two panels a row left a 12-word sentence 141 px of heatmap at 1280 px (12 px a word, its words
    printed over each other) and 4 px at 853 px (1280x720 at 150 %): two a row only where every English
    word gets viewport.LEAST_WORD_PX."""
    long = "We have to leave before it starts to rain tomorrow morning."

    def widths(window, sentence):
        monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(view="compare", sentence=sentence)
        if window:
            at.session_state["viewport"] = {"size": window}  # as the page's size reporter tells it
        at.run()
        assert not at.exception, at.exception
        return {c.proto.weight for c in at.columns}

    assert widths(None, long) == {0.5}  # before the window has said, 1920 px wide: two a row
    assert widths([1280, 720], "The white car is fast.") == {0.5}
    assert widths([1280, 720], long) == {1.0}
    assert widths([853, 480], "The white car is fast.") == {1.0}


def test_step_by_step_puts_the_heatmap_above_the_text_where_beside_would_squeeze_its_words(tiny_models_dir,
                                                                                         monkeypatch):
    """Beside step 1's text (3/5 of the page), a 12-word sentence's heatmap gave each English word 13 px at
    1100 px and 7 px at 853 px (1280x720 at 150 %): there it takes the width and the text goes below."""
    long = "We have to leave before it starts to rain tomorrow morning."

    def widths(window):
        monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(view="steps", step="3", sentence=long)
        if window:
            at.session_state["viewport"] = {"size": window}
        at.run()
        assert not at.exception, at.exception
        assert {"fill", "states"} <= set(keys(at))  # the heatmap and step 1's figure, in either layout
        return [round(c.proto.weight, 2) for c in at.columns]

    assert widths(None)[:2] == [0.6, 0.4]  # 1920 px: beside
    assert widths([1280, 720])[:2] == [0.6, 0.4]  # 22 px a word
    assert 0.6 not in widths([1100, 720]) and 0.6 not in widths([853, 480])


def test_the_worked_softmax_writes_fewer_terms_where_its_column_is_narrow(tiny_models_dir, monkeypatch):
    """Written out on one line with five terms, stage 5's softmax was 513 px wide in the 326 px column of a
    1280 px window (its end hidden behind a scroll bar): two lines, and three terms of the sum there."""
    def denominator_terms(window):
        monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(view="lesson", stage="5")
        if window:
            at.session_state["viewport"] = {"size": window}
        at.run()
        assert not at.exception, at.exception
        (latex,) = [e.value for e in at.latex]
        assert r"\\" in latex  # the fraction on one line, the numbers and the weight on the next
        return latex.split(r"\frac{", 1)[1].split("}{", 1)[1].split(r"\\")[0].count("e^{")

    assert denominator_terms(None) == 5  # 1920 px: five terms
    assert denominator_terms([1280, 720]) == 3 and denominator_terms([390, 844]) == 3


def test_a_lesson_stage_puts_its_text_above_the_figures_where_beside_would_squeeze_it(tiny_models_dir, monkeypatch):
    """Beside the figures (5/11 of the page) a stage's text had 244 px in a 1100 px window and 193 px in an
    853 px one (1280x720 at 150 %): a line of three words. There the text goes above the figures."""
    def weights(window, view, stage):
        monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(view=view, stage=stage)
        if window:
            at.session_state["viewport"] = {"size": window}
        at.run()
        assert not at.exception, at.exception
        assert len(charts(at)) >= 1 and at.markdown  # the text and the figures, in either layout
        return {round(c.proto.weight, 2) for c in at.columns}

    beside = {round(5 / 11, 2), round(6 / 11, 2)}
    assert beside <= weights(None, "lesson", "5") and beside <= weights([1280, 720], "lesson", "5")
    assert not beside & weights([1100, 720], "lesson", "5") and not beside & weights([853, 480], "lesson", "4")
    assert beside <= weights(None, "lesson2", "2") and not beside & weights([853, 480], "lesson2", "2")


def test_every_figure_goes_to_the_json_engine_without_plotlys_slow_fallback(tiny_models_dir, monkeypatch):
    """plotly hands a figure to orjson where it is installed; orjson refuses NumPy arrays of words, and
    plotly then walks the whole figure in Python before trying again (2.8 of 19.4 ms a click, A/B).
    No figure of any view may take that path."""
    pytest.importorskip("orjson")  # without it plotly uses the json module, which has no such fallback
    import plotly.io._json as plotly_json

    def refuse(*args, **kwargs):
        raise AssertionError("a figure took plotly's clean_to_json_compatible fallback")

    monkeypatch.setattr(plotly_json, "clean_to_json_compatible", refuse)
    drawn = 0
    for params in ({"view": "translate", "beam": "3"}, {"view": "steps"}, {"view": "compare"},
                   {"view": "learn"}, {"view": "lesson", "stage": "4"}):
        at = start(tiny_models_dir, monkeypatch, sentence="The white car is fast.", **params)
        drawn += len(at.get("plotly_chart"))
    assert drawn >= 8  # the views above did draw figures


def test_the_page_sends_the_traces_numbers_exactly(app):
    """The heatmap's weights reach plotly.js as the trace's float32 numbers, not rounded decimals."""
    type_sentence(app, "The white car is fast.")
    sent = json.loads(chart(app, "heatmap").proto.spec)["data"][0]["z"]
    assert sent["dtype"] in ("f4", "f8")
    z = np.asarray(untyped(sent))
    assert z.shape[1] == 6 and np.allclose(np.nansum(z, axis=1), 1.0, atol=1e-5)  # rows of softmax weights


def test_compare_view_has_a_panel_per_scorer_and_the_quality_section(app):
    view(app, "compare")
    # each panel: the model's name and its translation in one markdown element
    heads = [md.value.split("\n\n")[0] for md in app.main.markdown if md.value.startswith("### ")]
    assert heads == [f"### {explain.md_escape(explain.scorer_label(s))}" for s in SCORER_NAMES]
    assert [k for k in keys(app) if k.startswith("cmp-")] == ["cmp-dot", "cmp-general", "cmp-concat",
                                                                 "cmp-transformer"]  # none: no heatmap
    assert EN("app.no_attention") in [i.value for i in app.info]
    assert "Measured quality" in app.header[0].value
    table = html_tables(app)[0]
    assert table["model"].tolist() == [explain.scorer_label(s) for s in SCORER_NAMES]
    assert {"BLEU", "chrF", "AER"} <= set(table.columns)
    assert not app.get("vega_lite_chart")  # the charts wait for their toggle (vega-embed is slow to boot)
    app.toggle(key="quality_charts").set_value(True).run()
    assert not app.exception, app.exception
    assert len(app.get("vega_lite_chart")) == 2  # BLEU by length, training curves


def test_quality_table_has_no_none_and_formatted_counts(app):
    view(app, "compare")
    table = html_tables(app)[0]
    cells = [str(v) for v in table.to_numpy().ravel()]
    assert not any(c in ("None", "nan", "NaN", "<NA>") for c in cells)
    params = table["parameters"].tolist()
    assert all("," in p for p in params if len(p.replace(",", "")) > 3)  # 12,345 not 12345
    assert table["AER"].tolist()[SCORER_NAMES.index("none")] == "–"  # the no-attention model has no alignment
    body = next(h.proto.body for h in app.get("html") if 'class="av-table"' in h.proto.body)
    assert f'<th title="{html.escape(EN("explain.metric_bleu_help"))}">BLEU</th>' in body  # each metric explained


def test_step_view_plays_back_step_by_step(app):
    view(app, "steps")
    assert "**Step 1 of" in texts(app)
    assert {"fill", "states", "context"} <= set(keys(app))
    assert [EN("figures.scores_title") in b for b in bar_lists(app)] == [True, False]  # scores, then next words
    for caption in ("(1) Look.", "(2) Score.", "(3) Weigh and sum.", "Next word."):
        assert caption in texts(app)
    n = int(app.slider(key="step_slider").max)
    click(app, "next")
    assert app.session_state["step"] == 2 and "**Step 2 of" in texts(app)
    assert app.query_params["step"] == ["2"] or app.query_params["step"] == "2"
    click(app, "prev")
    assert app.session_state["step"] == 1
    app.slider(key="step_slider").set_value(n).run()
    assert f"**Step {n} of {n}.**" in texts(app)
    click(app, "next")  # Next at the end stays at the end
    assert app.session_state["step"] == n


def test_next_word_comes_after_the_three_steps(app):
    view(app, "steps")
    order = [m.value for m in app.markdown]
    at = {key: next(i for i, v in enumerate(order) if v.startswith(head))
          for key, head in (("look", "**(1) Look"), ("score", "**(2) Score"), ("next", "**Next word"))}
    assert at["look"] < at["score"] < at["next"]
    lists = bar_lists(app)  # the scores and weights, then the next words (HTML bar lists)
    assert EN("figures.scores_title") in lists[0] and EN("figures.topk_title") in lists[-1]


def test_play_keeps_the_layout_and_pause_stops(app):
    view(app, "steps")
    assert app.button(key="play").label == EN("steps.play")
    paused = (keys(app), len(bar_lists(app)))
    click(app, "play")
    assert app.session_state["playing"] and app.session_state["step"] == 2  # first step at once
    assert app.button(key="play").label == EN("steps.pause")
    assert (keys(app), len(bar_lists(app))) == paused  # the same figures in the same places: nothing jumps
    assert "(2) Score." in texts(app)
    click(app, "play")
    assert not app.session_state["playing"] and app.button(key="play").label == EN("steps.play")
    assert app.session_state["step"] == 2


def test_leaving_step_by_step_keeps_the_step(app):
    view(app, "steps")
    click(app, "next")
    click(app, "next")
    for name in ("translate", "compare", "how", "steps"):
        view(app, name)
    assert app.session_state["step"] == 3 and "**Step 3 of" in texts(app)


def test_explainer_view(app):
    view(app, "how")
    body = texts(app)
    assert "softmax" in body and r"\exp(e_i)" in body and "concat" in body


def test_explainer_points_only_to_sections_that_exist():
    for m in (EN, KO):
        more = m("explain.explainer_more")
        assert "Model quality" not in more
        assert m("views.compare") in more and m("compare.quality").split(" (")[0] in more


# ---------------------------------------------------------------- links: every view, both languages


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", VIEWS)
def test_every_view_opens_from_a_link_in_both_languages(link, name, lang):
    m = messages(lang)
    at = link(view=name, lang=lang, sentence="She reads a red book.", model="general")
    assert at.session_state["view"] == name and at.session_state["lang"] == lang
    assert at.session_state["model"] == "general"
    assert at.title[0].value == m("app.title")
    assert at.text_input(key="sentence").value == "She reads a red book."
    assert not at.warning or all("`" in w.value or "*" in w.value for w in at.warning)
    q = dict(at.query_params)
    assert q.get("view", "translate") in (name, [name]) and q.get("lang") in (lang, [lang], None)
    if lang == "ko":
        body = texts(at)
        assert any("\uac00" <= c <= "\ud7a3" for c in body)  # Hangul on the page
        for english in ("English sentence", "Step 1 of", "How attention works", "Measured quality", "Look."):
            assert english not in body


def test_shared_link_opens_steps_at_step_3(link):
    at = link(sentence="She reads a red book.", model="dot", view="steps", step="3")
    assert at.session_state["step"] == 3 and "**Step 3 of" in texts(at)
    assert spec(chart(at, "fill"))["layout"]["shapes"][0]["y0"] == 1.5  # the heatmap outlines row 3


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("params, name", [
    ({"model": "bogus"}, "model"), ({"beam": "0"}, "beam"), ({"beam": "junk"}, "beam"),
    ({"view": "nowhere"}, "view"), ({"lang": "xx"}, "lang"), ({"step": "-2"}, "step"),
    ({"present": "maybe"}, "present"), ({"hide": "1,99"}, "hide"),
])
def test_bad_link_values_fall_back_with_a_note(link, params, name, lang):
    at = link(lang=lang, **params) if name != "lang" else link(**params)
    m = messages(lang if name != "lang" else "en")
    notes = [w.value for w in at.warning]
    assert any(f"`{name}=" in n for n in notes), notes
    assert any(m("notes.bad_param", name="x", value="y", fallback="z").split("`")[0] in n for n in notes)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_step_past_the_end_is_clamped_with_a_note(link, lang):
    at = link(view="steps", step="99", lang=lang)
    n = int(at.slider(key="step_slider").max)
    assert at.session_state["step"] == n
    assert messages(lang)("notes.step_clamped", step=99, last=n) in [w.value for w in at.warning]
    assert at.query_params["step"] in (str(n), [str(n)])  # the link now names the step shown


def other_model(at: AppTest) -> str:
    """A model that is not the default one (the default is left out of the link)."""
    return next(k for k in ("general", "concat", "dot") if k != at.session_state["model"])


def test_changing_controls_updates_the_link(app):
    model = other_model(app)
    app.sidebar.radio[0].set_value(model).run()
    app.sidebar.slider[0].set_value(3).run()
    type_sentence(app, "Where is my car?")
    q = dict(app.query_params)
    assert q["model"] in (model, [model]) and q["beam"] in ("3", ["3"])
    assert q["sentence"] in ("Where is my car?", ["Where is my car?"])


def test_copy_link_holds_the_whole_view(app):
    model = other_model(app)
    app.sidebar.radio[0].set_value(model).run()
    view(app, "steps")
    click(app, "next")
    (box,) = [h.proto.body for h in app.sidebar.get("html") if 'class="av-link"' in h.proto.body]
    link = html.unescape(re.search(r'<code class="av-link">(.*?)</code>', box).group(1))
    assert link.startswith("/?") or link.startswith("http")
    for part in (f"model={model}", "view=steps", "step=2"):
        assert part in link


# ---------------------------------------------------------------- presenter mode


def test_presenter_mode_from_a_link(link):
    at = link(present="1", view="steps")
    assert not at.title and not at.sidebar.children if hasattr(at.sidebar, "children") else not at.title
    assert not at.sidebar.get("radio")
    assert [t.key for t in at.get("text_input")] == ["sentence"]  # only the small sentence box (a popover)
    assert at.button(key="exit_present")  # a visible way out
    assert "**Step 1 of" in texts(at)
    assert {"fill", "states", "context"} <= set(keys(at)) and len(bar_lists(at)) == 2  # heatmap, steps, top-k
    click(at, "exit_present")
    assert at.title and at.sidebar.radio  # the full page is back
    assert "present" not in at.query_params


def test_presenter_toggle_keeps_the_other_settings(app):
    app.sidebar.radio[0].set_value("general").run()
    app.sidebar.toggle[0].set_value(True).run()
    assert not app.title and app.session_state["model"] == "general"
    click(app, "exit_present")
    assert app.sidebar.radio[0].value == "general"


def test_keyboard_script_and_presenter_style_are_ours_only(link):
    at = link(present="1")
    bodies = [h.proto.body for h in at.get("html")]
    assert any("keydown" in b for b in bodies) and any("stHeader" in b for b in bodies)


# ---------------------------------------------------------------- Korean


def test_language_switch_renders_the_page_in_korean(app):
    next(b for b in app.sidebar.get("button_group") if b.key == "lang").set_value("ko").run()
    assert not app.exception
    assert app.title[0].value == KO("app.title")
    assert KO("translate.as_read") in texts(app)
    view(app, "steps")
    assert "5단계 중 1단계" in texts(app) or "단계 중 1단계" in texts(app)
    assert app.button(key="play").label == KO("steps.play")
    titles = [title(c) for c in charts(app)]
    assert KO("figures.states_title") in titles and KO("figures.topk_title") in bar_lists(app)[-1]


@pytest.mark.parametrize("text, key", [("", "refusals.no_english_word"), ("    ", "refusals.no_english_word")])
def test_core_refusals_are_said_in_korean(link, text, key):
    at = link(lang="ko", sentence=text or " ")
    assert KO(key) in [i.value for i in at.info]


@pytest.mark.parametrize("lang, say", [("en", EN), ("ko", KO)])
def test_punctuation_alone_is_refused_with_a_message_not_made_up_french(link, lang, say):
    at = link(lang=lang, sentence="?!... ,,,")
    assert say("refusals.only_punctuation") in [w.value for w in at.warning]
    assert not charts(at)  # no heatmap of a translation of nothing


def test_hiding_every_word_is_said_in_the_readers_language(link):
    at = link(lang="ko", sentence="I am cold.", hide="1,2,3,4")
    assert KO("refusals.block_everything") in [w.value for w in at.warning]
    assert "cannot block" not in texts(at)


# ---------------------------------------------------------------- choices


def test_example_pills_fill_the_sentence(app):
    next(b for b in app.get("button_group") if b.key == "example").set_value(explain.EXAMPLES[2]).run()
    assert not app.exception
    assert app.text_input(key="sentence").value == explain.EXAMPLES[2]
    assert "`I` `don't` `like` `cats` `.`" in texts(app)


def test_no_attention_model_explains_itself(app):
    app.sidebar.radio[0].set_value("none").run()
    assert EN("app.no_attention") in [i.value for i in app.info]
    assert "heatmap" not in keys(app)
    view(app, "steps")
    assert "No attention" in texts(app) and not app.exception


def test_beam_search_lists_the_candidates(app):
    app.sidebar.slider[0].set_value(3).run()
    assert "Beam search kept" in texts(app)
    assert list(app.dataframe[0].value.columns)[:2] == ["rank", "translation"]


def test_forced_translation_is_marked_as_forced_with_its_probability(app):
    open_whatif(app).sidebar.text_input(key="force").set_value("La voiture blanche est rapide.").run()
    head = next(m.value for m in app.markdown if m.value.startswith("### "))
    assert "Forced by you, not written by the model" in head and "probability" in head
    view(app, "steps")
    assert "You forced" in texts(app)


def test_forced_capital_is_the_models_own_word(app):
    """A forced `Je` is the model's `je`: one bar, and the narration does not say it preferred `je`."""
    open_whatif(app).sidebar.text_input(key="force").set_value("Je suis froid.").run()
    view(app, "steps")
    line = next(m.value for m in app.markdown if "**Step 1 of" in m.value)
    assert "preferred `je`" not in line and "preferred `Je`" not in line
    words = [w.lower() for w in bar_labels(bar_lists(app)[-1])]
    assert len(words) == len(set(words))  # `je` and `Je` never as two bars


@pytest.mark.parametrize("target", ["<b>x</b> 😀", "\x00", "zzz " * 70])
def test_odd_forced_french_is_harmless(app, target):
    open_whatif(app).sidebar.text_input(key="force").set_value(target).run()
    for name in ("steps", "compare", "translate"):
        view(app, name)
    assert not app.error


def sidebar_keys(at: AppTest) -> set[str]:
    return {w.key for w in [*at.sidebar.text_input, *at.sidebar.multiselect]}


def test_what_if_waits_closed_opens_for_a_link_that_uses_it_and_stays_in_force_when_closed(app, link):
    assert sidebar_keys(app) == set()  # closed: its widgets are not built nor sent to the browser
    assert sidebar_keys(open_whatif(app)) == {"force", "hide"}
    forced = link(sentence="I am cold.", force="Je suis froid.")
    assert sidebar_keys(forced) == {"force", "hide"}  # the link's forced translation shows where it is set
    forced.session_state["whatif"] = False
    forced.run()
    assert sidebar_keys(forced) == set() and forced.session_state["force"] == "Je suis froid."
    assert "Forced by you" in next(m.value for m in forced.markdown if m.value.startswith("### "))
    forced.session_state["lang"] = "ko"  # closed stays closed in the other language, open stays open
    forced.run()
    assert sidebar_keys(forced) == set()
    hidden = link(sentence="I am cold.", hide="1")
    assert sidebar_keys(hidden) == {"force", "hide"}
    hidden.session_state["lang"] = "ko"
    hidden.run()
    assert sidebar_keys(hidden) == {"force", "hide"}


def test_blocking_words_and_blocking_all_of_them(app):
    type_sentence(app, "The white car is fast.")  # not the default example: fixed words
    ms = open_whatif(app).sidebar.multiselect[0]
    assert ms.options[2] == "3. car"
    ms.set_value(["3. car"]).run()
    assert "Hidden from attention" in texts(app) and "`car`" in texts(app)
    app.sidebar.multiselect[0].set_value(list(app.sidebar.multiselect[0].options)).run()
    assert not app.exception
    assert EN("refusals.block_everything") in [w.value for w in app.warning]


# ---------------------------------------------------------------- bad input never breaks the page


@pytest.mark.parametrize("text", ["", "    ", "\x00\x07\x1b\n"])
def test_empty_input_asks_for_a_sentence_and_the_explainer_fills_the_page(app, text):
    type_sentence(app, text)
    assert "Type an English sentence" in texts(app)
    assert not app.main.columns  # no empty left column beside a lone explainer
    assert "How attention works" in texts(app)
    for name in ("compare", "steps", "how"):
        view(app, name)


def test_far_too_long_input_is_cut_and_the_page_says_so(app):
    type_sentence(app, " ".join(["the white car is fast"] * 40))
    assert any("200 words" in w.value and f"first {explain.MAX_WORDS}" in w.value for w in app.warning)
    assert "heatmap" in keys(app)
    view(app, "steps")
    view(app, "compare")


@pytest.mark.parametrize("box", ["sentence", "force"])
def test_pasting_more_than_1000_characters_keeps_the_first_part_and_says_so(app, box):
    text = "the white car is fast " * 60  # 1,320 characters
    widget = app.text_input(key="sentence") if box == "sentence" else open_whatif(app).sidebar.text_input(key="force")
    assert not widget.max_chars or widget.max_chars >= len(text)  # the box itself must not drop it
    widget.set_value(text).run()
    assert not app.exception
    assert app.session_state[box] == text[:MAX_CHARS]
    assert EN("notes.cut_chars", chars=len(text), limit=MAX_CHARS) in [w.value for w in app.warning]


@pytest.mark.parametrize("text", ["مرحبا بالعالم كيف حالك", "שלום עולם מה שלומך", "我喜欢红色的汽车", "12345 67890",
                                  "Je vois la voiture blanche."])
def test_mostly_unknown_words_are_not_headlined_as_a_translation(app, text):
    type_sentence(app, text)
    assert any("reads English only" in w.value for w in app.warning), [w.value for w in app.warning]
    assert not any(m.value.startswith("### ") for m in app.markdown)
    assert any("Not a translation" in m.value for m in app.markdown)


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
    for name in ("compare", "steps", "how", "translate"):
        view(app, name)
    for h in app.get("html"):  # only our own style and scripts are ever raw HTML, and the link, escaped
        body = re.sub(r'<code class="av-link">[^<>]*</code>', "", h.proto.body)  # no tag can hide in it
        assert "alert" not in body and "<b>bold" not in body


def test_markup_stays_text(app):
    type_sentence(app, "<script>alert(1)</script>")
    line = next(m.value for m in app.markdown if m.value.startswith("**English"))
    assert "`<*`" in line and "`script*`" in line  # tokens shown as code, never as a tag


def test_rtl_words_keep_their_mark_on_the_right(app):
    type_sentence(app, "the שלום car")
    line = next(m.value for m in app.markdown if m.value.startswith("**English"))
    assert "`\u2068שלום\u2069*`" in line
    assert "\u2068שלום\u2069*" in spec(chart(app, "heatmap"))["layout"]["xaxis"]["ticktext"]


def test_missing_models_folder_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tmp_path / "nowhere"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "No models to show" in at.error[0].value
    assert "softmax" in texts(at)  # the explainer still teaches


# ---------------------------------------------------------------- playback timing (the fragment's own logic)


def test_pause_always_wins_whenever_it_is_pressed():
    """Press Pause at 32 points of the step cycle, with timer ticks before, at and after it: the step
    shown at the press never changes afterwards (the bug: 4 of 32 presses were ignored)."""
    n, every = 50, steps.PLAY_EVERY
    tick_every = every / steps.TICKS_PER_STEP
    for k in range(32):
        state = {"playing": True, "step": 1, "play_step0": 1, "play_t0": 0.0}
        press = 2 * every + k * every / 32
        t = 0.0
        while t < press:
            steps.tick(state, n, now=t)
            t += tick_every
        state["playing"] = False  # what the Pause button's callback does
        shown = state["step"]
        for late in (0.0, 0.01, tick_every / 2, tick_every, every, 5 * every):  # ticks already on their way
            assert not steps.tick(state, n, now=press + late)
            assert state["step"] == shown


def test_play_keeps_its_pace_when_ticks_come_late_or_twice():
    """Steps change every PLAY_EVERY seconds, at most one tick late, however irregular the ticks."""
    import random

    rng = random.Random(0)
    n, every = 40, steps.PLAY_EVERY
    tick_every = every / steps.TICKS_PER_STEP
    state = {"playing": True, "step": 1, "play_step0": 1, "play_t0": 0.0}
    t, changes, last = 0.0, [], 1
    while state["playing"]:
        t += tick_every * rng.uniform(0.2, 1.5)  # late, early, doubled ticks
        steps.tick(state, n, now=t)
        if state["step"] != last:
            assert state["step"] == last + 1  # never skips a step
            changes.append(t)
            last = state["step"]
    gaps = [b - a for a, b in zip(changes, changes[1:])]
    assert min(gaps) >= every - 1.5 * tick_every and max(gaps) <= every + 1.5 * tick_every
    assert state["step"] == n


def test_forcing_too_many_french_words_is_said_in_the_readers_language(link):
    from attnviz.trace import MAX_TARGET_TOKENS

    at = link(lang="ko", force="mot " * (MAX_TARGET_TOKENS + 50))
    assert KO("refusals.too_many_words_force", words=MAX_TARGET_TOKENS + 50, limit=MAX_TARGET_TOKENS) in [w.value for w in at.warning]
