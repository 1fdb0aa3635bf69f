"""The decoding lab's pure parts: gold links and AER for one sentence, and the lab's figures."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from attnviz.alignment import AlignedPair, alignment_error_rate, argmax_links, bundled_pairs, find_pair, sentence_aer
from attnviz.text import tokenize_en, tokenize_fr


def _pair() -> AlignedPair:
    return AlignedPair(en="The white car.", fr="La voiture blanche.", src_tokens=("The", "white", "car", "."),
                       tgt_tokens=("La", "voiture", "blanche", "."),
                       sure=frozenset({(0, 0), (1, 2), (2, 1), (3, 3)}),
                       possible=frozenset({(0, 0), (1, 2), (2, 1), (3, 3), (0, 1)}))


# ---------------------------------------------------------------- gold links, one sentence


def test_find_pair_matches_tokens_case_insensitively_and_ignores_eos():
    pair = bundled_pairs()[0]
    assert find_pair(pair.src_tokens, pair.tgt_tokens) == pair
    assert find_pair([t.lower() for t in pair.src_tokens], list(pair.tgt_tokens) + ["<eos>"]) == pair
    assert find_pair(pair.src_tokens, pair.tgt_tokens[:-1]) is None
    assert find_pair(("no", "such"), ("sentence",)) is None


def test_every_bundled_pair_is_found_from_its_own_text():
    for pair in bundled_pairs():
        assert find_pair(tokenize_en(pair.en), tokenize_fr(pair.fr)) == pair


def test_sentence_aer_perfect_wrong_and_eos_row():
    pair = _pair()
    perfect = np.zeros((5, 4))  # 4 French words + <eos>
    for i, j in pair.sure:
        perfect[j, i] = 1.0
    perfect[4, 3] = 1.0
    assert sentence_aer(perfect, pair) == 0.0
    assert sentence_aer(perfect[:4], pair) == 0.0
    wrong = np.eye(4)[[1, 0, 0, 0]]  # every French word looks at one wrong English word
    expected = alignment_error_rate([argmax_links(wrong)], [pair])
    assert sentence_aer(wrong, pair) == pytest.approx(expected) and expected > 0.5
    with pytest.raises(ValueError, match="does not fit"):
        sentence_aer(np.zeros((3, 4)), pair)


# ---------------------------------------------------------------- the lab's figures

from attnviz import figures  # noqa: E402
from attnviz.i18n import messages  # noqa: E402
from attnviz.checkpoint import load_bundle  # noqa: E402
from attnviz.trace import LEFT_OUT_PENALTY, trace_translation  # noqa: E402


@pytest.fixture(scope="module")
def dot(tiny_models_dir):
    return load_bundle(tiny_models_dir / "dot")


def test_forced_rows_are_marked_only_for_what_if_edits(dot):
    plain = trace_translation(dot, "She reads a red book.")
    spec = figures.attention_heatmap(plain)
    assert figures.mark_forced_rows(spec, plain) is spec
    word = plain.topk_tokens[0][1]
    edited = trace_translation(dot, "She reads a red book.", prefix=word)
    labels = figures.mark_forced_rows(figures.attention_heatmap(edited), edited)["layout"]["yaxis"]["ticktext"]
    assert labels[0] == figures.FORCED_MARK + edited.tgt_tokens[0]
    assert not any(lab.startswith(figures.FORCED_MARK) for lab in labels[1:])
    forced = trace_translation(dot, "She reads a red book.", target="Elle lit un livre rouge.")
    spec = figures.attention_heatmap(forced)
    assert figures.mark_forced_rows(spec, forced) is spec  # said above the heatmap instead


def test_gold_overlay_outlines_every_link_and_dots_the_argmax():
    pair = _pair()
    w = np.full((5, 4), 0.1)
    w[np.arange(4), [0, 1, 2, 3]] = 0.7
    spec = {"data": [{"type": "heatmap", "z": w}], "layout": {"margin": {"b": 10}}}
    out = figures.gold_overlay(spec, pair, w)
    shapes = out["layout"]["shapes"]
    assert len(shapes) == len(pair.possible)
    solid = {(round(s["x0"] + 0.46), round(s["y0"] + 0.46)) for s in shapes if s["line"]["dash"] == "solid"}
    assert solid == set(pair.sure)
    dots = out["data"][1]
    assert [round(x - 0.33) for x in dots["x"]] == [0, 1, 2, 3] and len(dots["y"]) == len(pair.tgt_tokens)


def test_beam_tree_figure_draws_the_tree_the_trace_holds(dot):
    trace = trace_translation(dot, "She reads a red book.", beam=3)
    tree = trace.beam_tree
    spec = figures.beam_tree_figure(tree)
    by_name = {d.get("name"): d for d in spec["data"] if d.get("mode") == "markers+text" and d.get("name")}
    kept = [n for n in tree.nodes if n.status == "kept"]
    finished = [n for n in tree.nodes if n.status == "finished"]
    assert len(by_name["kept"]["x"]) == len(kept) and len(by_name["finished (end)"]["x"]) == len(finished)
    pruned_shown = len(by_name["pruned"]["x"]) if "pruned" in by_name else 0
    assert pruned_shown <= figures.TREE_PRUNED_SHOWN * (max(n.step for n in tree.nodes) + 1)
    red = [d for d in spec["data"] if d.get("mode") == "lines" and d["line"]["color"] == figures.HIGHLIGHT][0]
    assert len(red["x"]) == 3 * len(tree.path(tree.winner))  # one segment per word of the winner, start included
    text = " ".join(by_name["finished (end)"]["text"])
    assert "#1" in text and f"{tree.ranked_scores[0]:.2f}" in text
    other = figures.beam_tree_figure(tree, selected=1) if len(tree.ranked) > 1 else spec
    assert other["data"] != spec["data"] or len(tree.ranked) == 1


def test_beam_ranking_frame_lists_every_result(dot):
    trace = trace_translation(dot, "She reads a red book.", beam=3, length_penalty="none")
    df = figures.beam_ranking_frame(trace.beam_tree, trace.alternatives)
    assert df["rank"].tolist() == list(range(1, len(trace.beam_tree.ranked) + 1))
    assert df["score (ranked by)"].is_monotonic_decreasing
    assert (df["sum of log p"] == df["score (ranked by)"]).all()  # no penalty: the score is the sum
    numbers = trace_translation(dot, "She reads 3 red books and 2 blue ones.", beam=4, length_penalty="none")
    df = figures.beam_ranking_frame(numbers.beam_tree, numbers.alternatives)
    left_out = list(numbers.beam_tree.left_out)
    assert df["words left out"].tolist() == left_out and any(left_out)
    assert list(df)[:4] == ["rank", "translation", "score (ranked by)", "words left out"]  # the ranking first
    expected = df["sum of log p"] - LEFT_OUT_PENALTY * df["words left out"]
    np.testing.assert_allclose(df["score (ranked by)"], expected, atol=1e-3)


def test_hide_effect_figure_per_word_and_per_cell(dot):
    from attnviz.causal import hide_effects

    trace = trace_translation(dot, "She reads a red book.")
    e = hide_effects(dot, trace)
    words = figures.hide_effect_figure(e)["data"][0]
    np.testing.assert_allclose(words["x"], e.attention)
    np.testing.assert_allclose(words["y"], -e.effect)
    cells = figures.hide_effect_figure(e, weights=trace.weights)["data"][0]
    assert len(cells["x"]) == trace.weights.size
    np.testing.assert_allclose(cells["x"], trace.weights.ravel())
    np.testing.assert_allclose(cells["y"], -e.per_step.T.ravel())


def test_titled_puts_sentence_translation_and_model_on_the_figure(dot):
    trace = trace_translation(dot, "She reads a red book.")
    spec = figures.titled(figures.attention_heatmap(trace), "“She <b>” → “Elle” · model: dot")
    assert "She &lt;b&gt;" in spec["layout"]["title"]["text"] and "model: dot" in spec["layout"]["title"]["text"]
    assert spec["layout"]["height"] > figures.attention_heatmap(trace)["layout"]["height"]


def test_a_long_title_wraps_and_is_cut_so_it_never_runs_off_the_figure(dot):
    trace = trace_translation(dot, "She reads a red book.")
    sentence = " ".join(["the big dog runs to the old house near the river"] * 6)
    text = figures.titled(figures.attention_heatmap(trace), f"“{sentence}” → “Elle lit.” · model: dot")["layout"]["title"]["text"]
    lines = [re.sub("<[^>]+>", "", line) for line in text.split("<br>")]
    assert len(lines) == 4 and all(len(line) <= figures.TITLE_LINE_CHARS for line in lines)
    assert lines[1].endswith("…") and lines[2:] == ["→ “Elle lit.”", "model: dot"]
    assert figures.wrapped("a b", 80) == ["a b"] and figures.wrapped("", 80) == [""]


# ---------------------------------------------------------------- the page (AppTest, tiny models)

from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app(tiny_models_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    at.session_state["lab"] = True  # the lab's expander: drawn only while open
    return _run(at)


def _open_tab(at: AppTest, name: str, lang: str = "en") -> AppTest:
    """Open one of the lab's tabs (edit | hide | gold): only the open tab is drawn."""
    at.session_state[f"lab_tab_{lang}"] = messages(lang)(f"lab.tab_{name}")
    return _run(at)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception
    return at


def _pick_another(at: AppTest) -> str:
    """Pick the first of the top words that the model did not write here; its word."""
    pills = at.button_group(key="lab_pick")
    i = next(i for i in range(len(pills.options)) if i != pills.value)
    pills.set_value(i)
    return pills.options[i].rsplit(" (", 1)[0]


def _texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.info, *at.caption, *at.warning])


def test_the_lab_waits_closed_until_opened_or_a_link_carries_an_edit(tiny_models_dir, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = _run(AppTest.from_file(APP, default_timeout=60))
    edit_tab = messages("en")("lab.tab_edit")
    assert edit_tab not in [t.label for t in at.tabs]  # closed: nothing of it is built
    assert "lab_pick" not in [b.key for b in at.button_group]
    at.session_state["lab"] = True
    assert edit_tab in [t.label for t in _run(at).tabs]
    edited = AppTest.from_file(APP, default_timeout=60)
    edited.query_params.update(sentence="I am cold.", prefix="Je")
    assert edit_tab in [t.label for t in _run(edited).tabs]  # the link's edit: its undo is at hand
    assert edited.button(key="lab_undo") is not None


def test_translate_view_has_the_lab_tabs_and_exports(app):
    assert [t.label for t in app.tabs][-3:] == ["✎ What if…?", "Is attention an explanation?",
                                                 "Attention vs. a human aligner"]
    labels = [d.label for d in app.get("download_button")]
    assert {"⬇ CSV", "⬇ JSON", "⬇ HTML"} <= set(labels)
    assert app.session_state["lab_img_format"] == "png"


def test_picking_another_top_word_forces_it_and_undo_brings_the_model_back(app):
    first = app.session_state["sentence"]
    word = _pick_another(app)
    _run(app)
    assert app.session_state["prefix"].lower() == word.lower() and app.session_state["sentence"] == first
    assert "Chosen by you" in _texts(app)
    assert app.button(key="lab_undo").label == "↶ Undo (1)"
    app.button(key="lab_undo").click()
    _run(app)
    assert app.session_state["prefix"] == "" and app.button(key="lab_undo").disabled


def test_a_typed_word_at_a_later_step_keeps_the_words_before_it(app):
    app.slider(key="lab_edit_step").set_value(2)
    _run(app)
    app.text_input(key="lab_typed").set_value("rouge")
    app.button(key="lab_go").click()
    _run(app)
    prefix = app.session_state["prefix"]
    assert prefix.endswith("rouge") and len(tokenize_fr(prefix)) >= 2
    app.button(key="lab_clear").click()
    _run(app)
    assert app.session_state["prefix"] == ""


def test_step_view_offers_the_what_if_at_the_current_step(app):
    app.session_state["view"] = "steps"
    _run(app)
    assert "lab_pick" not in [b.key for b in app.button_group]  # closed until opened: Next sends less
    app.session_state["steps_edit"] = True
    _run(app)
    app.button(key="next").click()
    _run(app)
    assert app.session_state["step"] == 2
    _pick_another(app)
    _run(app)
    assert len(tokenize_fr(app.session_state["prefix"])) >= 2  # step 1's word kept, step 2's chosen
    assert app.session_state["step"] == 2


def test_beam_shows_the_tree_the_penalty_and_each_hypothesis(app):
    app.session_state["beam"] = 3
    _run(app)
    assert app.radio(key="lab_hyp") is not None
    keys = [c.proto.id for c in app.get("plotly_chart")]
    assert any("beam_tree" in k for k in keys)
    app.session_state["lab_penalty"] = "gnmt"
    _run(app)
    assert app.slider(key="lab_alpha").value == pytest.approx(0.6)
    app.session_state["lab_penalty"] = "none"
    _run(app)
    assert "shorter hypotheses win" in _texts(app)
    if len(app.radio(key="lab_hyp").options) > 1:
        app.radio(key="lab_hyp").set_value(1)
        _run(app)
        assert "#2" in _texts(app)


def test_gold_picker_loads_the_sentence_forces_the_reference_and_shows_aer(app):
    pair = bundled_pairs()[1]
    _open_tab(app, "gold")
    app.selectbox(key="lab_gold").set_value(1)
    _run(app)
    assert app.session_state["sentence"] == pair.en and app.session_state["force"] == pair.fr
    assert [m.label for m in app.metric] == ["AER of this sentence"]
    aer = float(app.metric[0].value)
    assert 0.0 <= aer <= 1.0
    assert app.selectbox(key="lab_gold").value == 1


def test_hide_test_table_has_one_row_per_english_word_in_korean_too(app):
    assert not [d for d in app.dataframe if "Δ log p when hidden" in d.value.columns]  # a closed tab: not drawn
    _open_tab(app, "hide")
    frames = [d.value for d in app.dataframe if "Δ log p when hidden" in d.value.columns]
    assert len(frames) == 1 and len(frames[0]) == len(tokenize_en(app.session_state["sentence"]))
    app.session_state["lab_effect_per"] = "cell"
    _run(app)
    app.session_state["lang"] = "ko"
    _open_tab(app, "hide", "ko")
    assert "어텐션은 설명이 될까?" in [t.label for t in app.tabs]
    frames = [d.value for d in app.dataframe if len(d.value) == len(tokenize_en(app.session_state["sentence"]))]
    assert frames  # the Korean hide test is drawn too


def test_a_hand_aligned_sentence_typed_in_offers_its_reference(app):
    pair = bundled_pairs()[2]
    app.text_input(key="sentence").set_value(pair.en)
    _open_tab(app, "gold")
    assert app.session_state["force"] == ""  # the tiny model's own words are not the reference
    app.button(key="lab_gold_use").click()
    _run(app)
    assert app.session_state["force"] == pair.fr
    assert [m.label for m in app.metric] == ["AER of this sentence"]


def test_picking_a_word_in_a_forced_translation_lets_the_model_continue(app):
    app.session_state["whatif"] = True  # the sidebar's "What if…": drawn only while open
    _run(app)
    app.sidebar.text_input(key="force").set_value("Elle lit un livre rouge.")
    _run(app)
    assert "was given by you" in _texts(app)
    _pick_another(app)
    _run(app)
    assert app.session_state["force"] == "" and app.session_state["prefix"]
    app.button(key="lab_undo").click()
    _run(app)
    assert app.session_state["force"] == "Elle lit un livre rouge." and app.session_state["prefix"] == ""
