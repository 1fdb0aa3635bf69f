"""Presenter mode for the back row, and what a new user found misbehaving (issue 14, sections 3 and 4),
through AppTest and the pure builders; tests/e2e/test_presenter_browser.py checks them in Chromium."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attnviz import figures
from attnviz.checkpoint import load_all, load_bundle
from attnviz.trace import trace_translation
from attnviz.figures._base import BIG, FONT, text_px
from attnviz.figures.learn import reference_case
from attnviz.i18n import messages
from attnviz.views import copylink, keys, steps, viewport
from test_app import start  # the page opened from a link with these query parameters

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EN, KO = messages("en"), messages("ko")
KOREAN = "나는 학생이다 그리고 너는"




@pytest.fixture(scope="module")
def tiny_cards(tiny_models_dir):
    return {name: b.card for name, b in load_all(tiny_models_dir).items()}


@pytest.fixture(scope="module")
def tiny_trace(tiny_models_dir):
    return trace_translation(load_bundle(tiny_models_dir / "dot"), "She reads a red book.")


@pytest.fixture
def link(tiny_models_dir, monkeypatch):
    return lambda **params: start(tiny_models_dir, monkeypatch, **params)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return run(at)


def pick_view(at: AppTest, name: str) -> AppTest:
    """Switch views with the view switch itself (its callback runs, as a click's would)."""
    next(b for b in at.get("button_group") if b.key == "view").set_value(name)
    return run(at)


def texts(at: AppTest) -> str:
    parts = [*at.markdown, *at.warning, *at.info, *at.caption]
    return "\n".join(str(p.value) for p in parts)


def chart_keys(at: AppTest) -> list[str]:
    return [c.key for c in at.get("plotly_chart")]


def bar_lists(at: AppTest) -> int:
    return sum('class="av-bars' in h.proto.body for h in at.get("html"))


def emoji_only(text: str) -> list[str]:
    """Characters that need an emoji font: a machine without one draws a box (e.g. ⏸ U+23F8)."""
    return [c for c in text if ord(c) >= 0x1F000 or 0x2300 <= ord(c) <= 0x23FF
            or unicodedata.category(c) == "So" and ord(c) >= 0x2600 and ord(c) < 0x2800]


# ---------------------------------------------------------------- Step by step: Play / Pause


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_play_pause_labels_are_plain_text_with_shipped_icons(link, lang):
    at = link(view="steps", lang=lang)
    m = messages(lang)
    for key in ("play", "pause", "back", "next"):
        assert not emoji_only(m(f"steps.{key}")), m(f"steps.{key}")
    assert at.button(key="play").proto.icon == ":material/play_arrow:"
    click(at, "play")
    assert at.button(key="play").label == m("steps.pause")
    assert at.button(key="play").proto.icon == ":material/pause:"


@pytest.mark.parametrize("present", ["", "1"])
def test_play_and_pause_draw_the_same_page(link, present):
    at = link(view="steps", present=present, sentence="She reads a red book.")
    paused = (chart_keys(at), bar_lists(at))
    click(at, "play")
    assert at.session_state["playing"]
    assert (chart_keys(at), bar_lists(at)) == paused  # nothing appears, nothing goes: the layout stays
    click(at, "play")
    assert not at.session_state["playing"] and (chart_keys(at), bar_lists(at)) == paused


def test_presenter_step_rows_fit_the_window(monkeypatch):
    for w, h in ((1920, 1080), (1280, 720)):
        monkeypatch.setattr(viewport, "size", lambda w=w, h=h: (w, h))
        top, bottom = steps.present_rows()
        reserve = steps.PRESENT_RESERVE if h >= viewport.BIG_FROM else steps.PRESENT_RESERVE_SMALL
        assert top + bottom + reserve <= h and top > bottom >= 160
    monkeypatch.setattr(viewport, "size", lambda: (1920, 1080))
    assert steps.present_rows()[0] >= 450  # the projector's heatmap stays as large as before


# ---------------------------------------------------------------- playback pauses when the page moves on


@pytest.mark.parametrize("leave", ["view", "model", "sentence", "beam"])
def test_leaving_step_by_step_or_changing_the_input_pauses(link, leave):
    at = link(view="steps", sentence="She reads a red book.")
    click(at, "play")
    assert at.session_state["playing"]
    if leave == "view":
        pick_view(at, "translate")
    elif leave == "model":
        model = at.session_state["model"]
        at.sidebar.radio[0].set_value(next(k for k in ("general", "dot", "concat") if k != model))
        run(at)
    elif leave == "sentence":
        at.text_input(key="sentence").set_value("I see the white car.")
        run(at)
    else:
        at.sidebar.slider(key="beam").set_value(3)
        run(at)
    assert not at.session_state["playing"]
    step = at.session_state["step"]
    if leave == "view":
        pick_view(at, "steps")
    assert not at.session_state["playing"] and at.session_state["step"] == step  # no jump on return
    assert at.button(key="play").label == EN("steps.play")


# ---------------------------------------------------------------- Step by step: input it cannot read


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_step_by_step_warns_about_another_language_and_narrates_no_translation(link, lang):
    m = messages(lang)
    at = link(view="steps", lang=lang, sentence=KOREAN)
    warning = m("explain.english_only", words="§").split("§")[0]
    assert any(w.value.startswith(warning) for w in at.warning), [w.value for w in at.warning]
    narration = next(md.value for md in at.markdown if md.value.startswith("#### "))
    head = m("steps.not_english", word="§").split("§")[0]
    assert head in narration
    for word in KOREAN.split():  # never "`les` looked mostly at `나는`"
        assert f"`{word}`" not in narration
    click(at, "next")
    narration = next(md.value for md in at.markdown if md.value.startswith("#### "))
    assert head in narration


def test_english_input_keeps_its_narration(link):
    at = link(view="steps", sentence="She reads a red book.")
    narration = next(md.value for md in at.markdown if md.value.startswith("#### "))
    assert EN("steps.not_english", word="§").split("§")[0] not in narration


# ---------------------------------------------------------------- presenter mode: a sentence box


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_presenter_mode_has_a_small_sentence_box(link, lang):
    at = link(present="1", lang=lang)
    (box,) = at.get("text_input")
    assert box.key == "sentence" and box.label == messages(lang)("controls.sentence")
    box.set_value("She reads a red book.")  # not the default sentence: it shows in the link
    run(at)
    assert at.session_state["present"] and at.session_state["sentence"] == "She reads a red book."
    assert at.query_params.get("sentence") in ("She reads a red book.", ["She reads a red book."])
    assert not at.title  # still presenter mode


# ---------------------------------------------------------------- Copy link


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_copy_link_is_one_button_that_confirms(link, lang):
    m = messages(lang)
    at = link(lang=lang)
    bodies = [h.proto.body for h in at.sidebar.get("html")]
    (body,) = [b for b in bodies if "av-copy-button" in b]
    assert f">{m('controls.copy_link')}</button>" in body
    assert f'data-done="{m("controls.link_copied")}"' in body
    assert "clipboard.writeText" in body and 'execCommand("copy")' in body  # http on a LAN: the fallback
    assert "hover" not in m("controls.share_help") and "마우스" not in m("controls.share_help")
    assert any('class="av-link"' in b for b in bodies)  # the link itself stays one tap away, to read
    assert "code.av-link" in body  # ... and follows the address when Back / Next move the step alone


def test_copy_link_text_is_escaped():
    m = lambda key, **kw: '"><script>x</script>'  # noqa: E731
    assert "<script>x" not in copylink.button_html(m)
    assert "<script>x" not in copylink.link_html('/?sentence="><script>x</script>')


# ---------------------------------------------------------------- figures for the back row


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("big", [False, True])
def test_colour_bar_title_and_ticks_have_room(tiny_trace, lang, big):
    m = messages(lang)
    spec = figures.attention_heatmap(tiny_trace, m=m, big=big)
    size = FONT["size"] * (BIG if big else 1)
    bar = spec["data"][0]["colorbar"]
    assert bar["x"] == 1.0 and bar["xanchor"] == "left"  # starts at the cells' right edge
    room = spec["layout"]["margin"]["r"]
    assert room >= bar["xpad"] + text_px(m("figures.weight"), size)  # "weight" whole, not "weig"
    assert room >= bar["xpad"] + bar["thickness"] + text_px("0.75", size * 0.9)  # "0.75", not "0.7"


def test_lesson_quality_chart_grows_in_presenter_mode(tiny_cards):
    small = figures.bleu_by_length_chart(tiny_cards, EN).to_dict()["config"]["axis"]
    big = figures.bleu_by_length_chart(tiny_cards, EN, big=True).to_dict()["config"]["axis"]
    assert big["labelFontSize"] > small["labelFontSize"] >= 14


def test_explainer_formula_is_drawn_at_full_size():
    for m in (EN, KO):
        assert r"\dfrac{\exp(e_i)}" in m("explain.explainer_short") + m("explain.explainer_more")


def test_presenter_style_scales_tables_formulas_and_small_windows():
    assert ".katex-display" in keys.PRESENTER_CSS and "td" in keys.PRESENTER_CSS
    assert "max-height: 899px" in keys.PRESENTER_CSS
    assert ".modebar-container" in keys.PAGE_CSS  # phones: no toolbar over the titles


# ---------------------------------------------------------------- Watch it learn


def test_learning_reference_reads_the_same_for_every_model():
    ref = "La voiture blanche est rapide."
    assert reference_case(["la", "voiture", "blanche", "est", "rapide", ".", "<eos>"], ref)[0] == "La"
    assert reference_case(["La", "voiture"], ref) == ["La", "voiture"]
    assert reference_case(["je", "vois", "tom", "<eos>"], "Je vois Tom.") == ["Je", "vois", "Tom", "<eos>"]


def test_learning_figure_plays_from_the_start_and_keeps_its_step_label_clear():
    example = {"en": "The car.", "fr": "La voiture.", "src_tokens": ["The", "car", "."],
               "tgt_tokens": ["la", "voiture", ".", "<eos>"]}
    frames = [{"step": k, "weights": [[[1 / 3] * 3] * 4]} for k in (0, 10)]
    spec = figures.learning_figure({"examples": [example], "frames": frames}, 0, "dot", m=EN)
    play = spec["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["fromcurrent"] is False  # every chart starts at frame 0: "play all" plays them in step
    assert spec["layout"]["sliders"][0]["currentvalue"]["xanchor"] == "right"  # away from the play button
    assert spec["layout"]["yaxis"]["ticktext"][0] == "La"  # as the reference, for every model


def test_learn_view_offers_play_all_together(link):
    at = link(view="learn")
    bodies = [h.proto.body for h in at.get("html")]
    if len(at.get("plotly_chart")) > 1:
        assert any("av-play-all" in b and EN("learn.play_all") in b for b in bodies)


def test_the_viewport_asks_for_the_real_size_only_when_the_page_depends_on_it(monkeypatch):
    """A first load that would look the same at the real size costs no second run (views/viewport.py)."""
    import types
    fake = types.SimpleNamespace(session_state={})
    monkeypatch.setattr(viewport, "st", fake)
    same = lambda: fake.session_state.pop(viewport.SAME, (viewport.ANY, viewport.ANY))  # noqa: E731
    assert viewport.fit(400, 200) == 400  # a short sentence: the same in any window 600 px tall or more
    w, h = same()
    assert w == viewport.ANY and h[0] == 600 and h[0] <= 1000 <= h[1]  # the bench's 1400x1000: no report
    assert viewport.fit(2000, 200) == 880  # a long one: the window's height decides, any change reports
    assert same()[1] == (1070, 1090)
    assert viewport.big_fonts(True) and same()[1] == (viewport.BIG_FROM, viewport.ANY[1])
    assert not viewport.big_fonts(False) and same() == (viewport.ANY, viewport.ANY)
    fake.session_state["viewport"] = {"size": [1280, 720]}  # a 720p projector, once reported
    assert not viewport.big_fonts(True) and same()[1] == (0, viewport.BIG_FROM - 1)
    assert viewport.size() == (1280, 720) and same() == ((1270, 1290), (710, 730))
    assert viewport.wide(1205) and same()[0] == (1205, viewport.ANY[1])  # any window as wide or wider: no report
    assert not viewport.wide(1421) and same()[0] == (0, 1420)
    assert viewport.fit(400, 200, least=260) == 400 and viewport.fit(900, 200) == 520
    assert same()[1] == (710, 730)  # the narrowest of this run's notes
    assert "v.same.h" in viewport._JS and "v.last" in viewport._JS  # the page's side of the same rule


@pytest.mark.parametrize("window, columns, height", [((1920, 1080), 3, 349), ((1280, 720), 5, 473)])
def test_presenter_compare_fits_five_models_in_two_rows_of_readable_heatmaps(monkeypatch, window, columns, height):
    """Three rows of two left 187 px per heatmap at 1920x1080, its French words printed over each other."""
    from attnviz.state import Settings
    from attnviz.views import compare, viewport

    monkeypatch.setattr(viewport, "size", lambda: window)
    s = Settings(present=True)
    assert compare.columns(s, 5) == columns and compare.columns(Settings(), 5) == 2
    assert compare.panel_height(s, 5) == height and compare.panel_height(Settings(), 5) is None
    assert compare.panel_height(s, 5, wrapped=30) == height - 30  # names or translations on two lines
