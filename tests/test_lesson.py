"""The guided lesson: its script and scoring (pure), its sentences on the bundled models, and the page
(AppTest with the tiny fixture models): Back/Next, predict-then-reveal, the running tally, Korean."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from attnviz import lesson
from attnviz.architectures import TRANSFORMERS
from attnviz.explain import md_escape
from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_all
from attnviz.i18n import catalogue
from attnviz.trace import Trace, trace_translation

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def hand_trace(src=("I", "see", "the", "white", "car", "."), tgt=("je", "vois", "la", "voiture", "blanche", ".", "<eos>"),
               scores=None, blocked=(), topk=None, probs=None) -> Trace:
    """A small consistent Trace written by hand; by default each French word looks at its English word."""
    s, t, h = len(src), len(tgt), 4
    rng = np.random.default_rng(0)
    if scores is None:
        look = {0: 0, 1: 1, 2: 2, 3: 4, 4: 3, 5: 5, 6: 5}  # voiture -> car, blanche -> white: crossed
        scores = np.full((t, s), -2.0)
        for j, i in look.items():
            scores[j, i] = 4.0
    masked = np.where(np.isin(np.arange(s), blocked), -np.inf, scores)
    weights = softmax(masked)
    enc = rng.normal(size=(s, h))
    topk = topk or tuple((w, "le", "chat") for w in tgt)
    probs = np.array(probs if probs is not None else [[0.7, 0.2, 0.1]] * t)
    return Trace(scorer="dot", mode="greedy", source=" ".join(src), src_tokens=tuple(src),
                 src_known=(True,) * s, tgt_tokens=tuple(tgt), tgt_known=(True,) * t,
                 translation=" ".join(tgt[:-1]), enc_out=enc, dec_states=rng.normal(size=(t, h)),
                 scores=scores, weights=weights, contexts=weights @ enc, topk_tokens=tuple(topk),
                 topk_probs=probs, chosen_probs=probs[:, 0].copy(), blocked=tuple(blocked))


# ---------------------------------------------------------------- the script


def test_the_script_has_nine_stages_with_at_least_three_predictions():
    assert len(lesson.STAGES) == 9 and len(set(lesson.KEYS)) == 9
    assert lesson.KEYS[0] == "plain" and lesson.STAGES[0].model == "none"
    assert sum(bool(st.question) for st in lesson.STAGES) >= 3
    assert all(st.question in ("", *lesson.QUESTION_KINDS) for st in lesson.STAGES)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_stage_and_question_has_its_words_in_both_languages(lang):
    c = catalogue(lang)
    for st in lesson.STAGES:
        assert f"lesson.{st.key}.title" in c and f"lesson.{st.key}.body" in c
        if st.question:
            assert f"lesson.{st.key}.prompt" in c
    for kind in lesson.QUESTION_KINDS:
        assert f"lesson.reveal.{kind}_right" in c and f"lesson.reveal.{kind}_wrong" in c
    if lang == "ko":
        assert all(HANGUL.search(c[f"lesson.{st.key}.title"]) for st in lesson.STAGES)


def test_stage_numbers_are_clamped():
    assert lesson.stage_at(0) == (1, lesson.STAGES[0])
    assert lesson.stage_at(3)[1].key == "look"
    assert lesson.stage_at(99) == (9, lesson.STAGES[-1])


def test_the_attention_model_is_dot_when_loaded_else_another_with_attention():
    assert lesson.attention_model(["general", "dot", "none"]) == "dot"
    assert lesson.attention_model(["general", "concat", "none"]) == "general"
    assert lesson.attention_model(["none", "concat"]) == "concat"
    with pytest.raises(ValueError, match="attention"):
        lesson.attention_model(["none"])
    assert lesson.stage_model(lesson.STAGES[0], ["dot", "none"]) == "none"
    assert lesson.stage_model(lesson.STAGES[0], ["dot"]) == "dot"  # no baseline loaded


# ---------------------------------------------------------------- predict, then reveal: scoring


def test_a_guess_is_right_only_when_it_is_the_models_argmax():
    tr = hand_trace()
    q = lesson.source_question(tr, 4)  # blanche
    assert q.options == tr.src_tokens and q.answer == 3  # white
    assert q.values == pytest.approx(tuple(tr.weights[4]))
    right, wrong = lesson.grade(q, 3), lesson.grade(q, 4)
    assert right.correct and right.value == pytest.approx(tr.weights[4, 3])
    assert not wrong.correct and wrong.value == pytest.approx(tr.weights[4, 4]) and wrong.best == right.value
    with pytest.raises(ValueError, match="option 6"):
        lesson.grade(q, 6)


def test_the_tally_counts_predictions_made_and_right():
    tr = hand_trace()
    qs = {"look": lesson.source_question(tr, 1), "reorder": lesson.source_question(tr, 4)}
    assert lesson.tally(qs, {}) == (0, 0)
    assert lesson.tally(qs, {"look": 1}) == (1, 1)
    assert lesson.tally(qs, {"look": 1, "reorder": 4}) == (1, 2)
    assert lesson.tally(qs, {"look": 0, "reorder": 3, "plain": 0, "score": 99}) == (1, 2)  # no such questions
    assert lesson.tally(qs, {"look": 1, "reorder": 17}) == (1, 1)  # an option that does not exist


def test_next_word_question_mixes_the_models_top_words_with_words_of_the_same_sentence():
    tgt = ("je", "suis", "très", "fatigué", ".", "<eos>")
    topk = tuple((w, "me", "fais") for w in tgt)
    tr = hand_trace(src=("I", "am", "very", "tired", "."), tgt=tgt, scores=np.zeros((6, 5)), topk=topk,
                    probs=[[0.9, 0.06, 0.04]] * 6)
    q = lesson.next_word_question(tr, 1)
    assert {"suis", "me", "fais"} <= set(q.options) and "<eos>" not in q.options and len(q.options) == 5
    assert list(q.options) == sorted(q.options, key=str.casefold)  # the answer is not always first
    assert q.options[q.answer] == "suis" and q.values[q.answer] == pytest.approx(0.9)
    distractors = [v for o, v in zip(q.options, q.values) if o not in ("suis", "me", "fais")]
    assert distractors == [None, None]  # the model has no number for them: outside its top K
    g = lesson.grade(q, q.options.index("fais"))
    assert not g.correct and g.value == pytest.approx(0.04)


def test_translation_question_offers_the_real_translation_among_other_what_ifs():
    real, plain, other = hand_trace(), hand_trace(), hand_trace()
    real = Trace(**{**real.__dict__, "translation": "Elle lit un livre."})
    plain = Trace(**{**plain.__dict__, "translation": "Elle lit un livre rouge."})
    other = Trace(**{**other.__dict__, "translation": "Elle lit un livre rouge."})  # duplicates collapse
    q = lesson.translation_question(real, [plain, other])
    assert q.options == ("Elle lit un livre rouge.", "Elle lit un livre.")
    assert q.options[q.answer] == "Elle lit un livre."


def test_scorer_question_reads_the_measured_bleu_and_needs_measurements():
    cards = {"dot": {"metrics": {"bleu_greedy": 40.3}}, "general": {"metrics": {"bleu_greedy": 37.2}},
             "none": {"metrics": {"bleu_greedy": 18.9}}}
    q = lesson.scorer_question(cards)
    assert q.options == ("dot", "general", "none") and q.answer == 0 and q.values == (40.3, 37.2, 18.9)
    assert lesson.scorer_question({**cards, "concat": {}}) is None


def test_a_question_rejects_inconsistent_options():
    with pytest.raises(ValueError, match="kind"):
        lesson.Question("colour", ("a",), (None,), 0)
    with pytest.raises(ValueError, match="answer"):
        lesson.Question("source", ("a", "b"), (0.5, 0.5), 2)


# ---------------------------------------------------------------- numbers for the narration


def test_softmax_worked_example_always_shows_the_chosen_words_own_term():
    src = tuple(f"w{i}" for i in range(12))
    scores = np.arange(12, dtype=float)[None, :].repeat(2, axis=0)  # w11 scores highest, w0 lowest
    tr = hand_trace(src=src, tgt=("a", "<eos>"), scores=scores)
    text = lesson.softmax_latex(tr, 0, 0)  # the lowest-scoring word: not among the shown top scores
    numerator, denominator = text.split(r"\frac{", 1)[1].split("}{", 1)
    assert r"\alpha_{\text{w0}}" in text and numerator == "e^{0.00}"
    assert "e^{0.00} + e^{7.00}" in denominator  # its own term is written out, before the top scores
    assert r"\dots" in text  # the rest are summed as "…"
    total = float(np.exp(scores[0]).sum())
    assert f"{total:.2f}" in text and f"{tr.weights[0, 0]:.2f}" in text.rsplit("=", 1)[1]


def test_softmax_terms_skip_blocked_words():
    tr = hand_trace(blocked=(4,))
    assert 4 not in lesson.softmax_terms(tr, 3, 0)
    assert "e^{" in lesson.softmax_latex(tr, 3, 0)


def test_latex_text_escapes_special_characters():
    assert lesson.latex_text("a_b$c") == r"a\_b\$c"
    assert lesson.latex_text("{x}") == r"\{x\}"


def test_crossing_finds_the_noun_before_the_adjective():
    stage = lesson.STAGES[lesson.KEYS.index("reorder")]
    c = lesson.crossing(hand_trace(), stage)
    assert c["noun_step"] == 3 and c["adj_step"] == 4 and c["crossed"]
    assert c["adj_weight"] == pytest.approx(hand_trace().weights[4, 3])
    straight = hand_trace(tgt=("je", "vois", "la", "blanche", "voiture", ".", "<eos>"))  # same looks, other order
    scores = np.full((7, 6), -2.0)
    for j, i in {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 5}.items():
        scores[j, i] = 4.0
    straight = hand_trace(scores=scores)
    assert not lesson.crossing(straight, stage)["crossed"]


def test_focus_step_finds_the_focus_word_or_falls_back_to_the_adjective():
    stage = lesson.STAGES[lesson.KEYS.index("reorder")]
    assert lesson.focus_step(stage, hand_trace()) == 4  # blanche
    other = hand_trace(tgt=("je", "vois", "la", "voiture", "blanc", ".", "<eos>"))
    assert lesson.focus_step(stage, other) == 4  # the step that looked most at "white"
    look = lesson.STAGES[lesson.KEYS.index("look")]
    short = hand_trace(src=("Hi",), tgt=("<eos>",), scores=np.zeros((1, 1)))
    assert lesson.focus_step(look, short) == 0  # clamped into a short trace


def test_length_bucket_counts_words_as_the_evaluation_does():
    assert lesson.length_bucket("I want to buy a small black dog for my children.") == "9-12"
    assert lesson.length_bucket("I am cold.") == "1-4"


# ---------------------------------------------------------------- the script's sentences on the bundled models


@pytest.fixture(scope="module")
def bundles():
    return load_all(DEFAULT_MODELS_DIR)


def stage_traces(stage, bundles) -> dict[str, Trace]:
    return {role: trace_translation(bundles[need.scorer], stage.sentence, blocked=need.blocked)
            for role, need in lesson.needs(stage, list(bundles)).items()}


def test_every_stage_sentence_is_translated_sensibly_by_the_bundled_models(bundles):
    by = {st.key: stage_traces(st, bundles) for st in lesson.STAGES}
    plain = by["plain"]
    assert plain["attention"].translation == "Je veux acheter un petit chien noir pour mes enfants."
    assert "petit chien noir" not in plain["main"].translation  # the baseline loses the long sentence
    assert by["look"]["main"].translation == "Je suis très fatigué."
    reorder = by["reorder"]["main"]
    assert reorder.translation == "Je vois la voiture blanche."
    assert lesson.crossing(reorder, lesson.STAGES[5])["crossed"]
    hide = by["hide"]
    assert hide["alt0"].translation == "Elle lit un livre rouge." and hide["main"].translation == "Elle lit un livre."
    scorers = {name: tr.translation for name, tr in by["scorers"].items()}
    assert set(scorers) == {"dot", "general", "concat"} and all(scorers.values())
    # whether each is right is the page's to say, against the catalogue's reference (retraining changes them)


def test_the_bundled_models_answer_the_lessons_questions(bundles):
    cards = {name: b.card for name, b in bundles.items()}
    answers = {}
    for st in lesson.STAGES:
        q = lesson.question_for(st, stage_traces(st, bundles), cards)
        assert (q is None) == (not st.question), st.key
        if q:
            assert len(q.options) >= 3, st.key
            answers[st.key] = q.options[q.answer]
    gru_scorers = [name for name in cards if name != "none" and name not in TRANSFORMERS]  # the first lesson's options
    best = max(gru_scorers, key=lambda n: cards[n]["metrics"]["bleu_greedy"])
    assert answers == {"look": "am", "weigh": "suis", "reorder": "white", "copy": "Kenji",
                       "hide": "Elle lit un livre.", "scorers": best}


# ---------------------------------------------------------------- the page


@pytest.fixture
def app(tiny_models_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = "lesson"
    at.run()
    assert not at.exception
    return at


def progress(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def tally_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "predictions so far" in m.value or "지금까지의 예측" in m.value)


def go(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception
    return at


def option_buttons(at: AppTest, stage: str) -> list:
    return [b for b in at.button if (b.key or "").startswith(f"lesson_{stage}_")]


def test_back_and_next_walk_through_all_nine_stages(app):
    assert progress(app).startswith("Stage 1 of 9")
    assert any(c.value.startswith("9 short stages") for c in app.caption)  # the intro counts the same stages
    assert app.button(key="lesson_prev").disabled and not app.button(key="lesson_next").disabled
    assert "none yet" in tally_text(app)
    for n in range(2, 10):
        go(app, "lesson_next")
        assert app.session_state["stage"] == n and progress(app).startswith(f"Stage {n} of 9")
        assert app.subheader[0].value == catalogue("en")[f"lesson.{lesson.KEYS[n - 1]}.title"]
        assert tally_text(app)  # the tally is on every stage
    assert app.button(key="lesson_next").disabled
    go(app, "lesson_prev")
    assert app.session_state["stage"] == 8


def test_predict_then_reveal_scores_the_guess_against_the_model_and_keeps_a_tally(app, tiny_models_dir):
    bundles = load_all(tiny_models_dir)
    cards = {k: b.card for k, b in bundles.items()}
    go(go(app, "lesson_next"), "lesson_next")  # stage 3: look
    stage = lesson.STAGES[2]
    q = lesson.question_for(stage, stage_traces(stage, bundles), cards)
    buttons = option_buttons(app, "look")
    assert [b.label for b in buttons] == list(q.options)  # one button per English word
    assert "Predict first" in " ".join(m.value for m in app.markdown)
    assert not app.success and not app.warning  # nothing revealed yet
    buttons[q.answer].click().run()
    assert not app.exception
    assert "Right" in app.success[0].value and f"{q.values[q.answer]:.2f}" in app.success[0].value
    assert not option_buttons(app, "look")  # the answer stays revealed
    assert "1 of 1" in tally_text(app)

    for _ in range(3):
        go(app, "lesson_next")  # stage 6: reorder
    stage = lesson.STAGES[5]
    q = lesson.question_for(stage, stage_traces(stage, bundles), cards)
    wrong = next(i for i in range(len(q.options)) if i != q.answer)
    option_buttons(app, "reorder")[wrong].click().run()
    assert "Not this time" in app.warning[0].value and f"{q.values[wrong]:.2f}" in app.warning[0].value
    assert "1 of 2" in tally_text(app)

    go(app, "lesson_prev")
    assert "1 of 2" in tally_text(app)  # shown on a stage without a question too
    for _ in range(4):
        go(app, "lesson_next")  # stage 9: the scorers
    option_buttons(app, "scorers")[0].click().run()
    assert not app.exception
    end = app.success[-1].value
    assert "End of the lesson" in end and "3 predictions" in end
    go(app, "lesson_restart")
    assert app.session_state["stage"] == 1 and "none yet" in tally_text(app)


def test_every_stage_reveals_without_error_in_both_languages(app):
    for lang in ("en", "ko"):
        app.session_state["lang"] = lang
        app.session_state["stage"] = 1
        app.session_state["lesson_guesses"] = {}
        app.run()
        for n in range(1, 10):
            key = lesson.KEYS[n - 1]
            if buttons := option_buttons(app, key):
                buttons[0].click().run()
                assert not app.exception, (lang, key)
                assert app.success or app.warning
            if n < 9:
                go(app, "lesson_next")
        if lang == "ko":
            assert HANGUL.search(progress(app)) and HANGUL.search(tally_text(app))
            assert all(HANGUL.search(s.value) for s in app.subheader)


def test_the_stage_survives_leaving_the_lesson_and_coming_back(app):
    go(go(app, "lesson_next"), "lesson_next")
    app.session_state["view"] = "translate"
    app.run()
    assert not app.get("progress")
    app.session_state["view"] = "lesson"
    app.run()
    assert progress(app).startswith("Stage 3 of 9")


def test_a_bad_stage_in_the_session_is_clamped(app):
    app.session_state["stage"] = 42
    app.run()
    assert not app.exception and progress(app).startswith("Stage 9 of 9")


def test_the_lesson_works_in_presenter_mode(app):
    app.session_state["present"] = True
    app.run()
    assert not app.exception and progress(app).startswith("Stage 1 of 9")
    go(app, "lesson_next")
    assert app.session_state["stage"] == 2 and app.get("plotly_chart")


# ---------------------------------------------------------------- the lesson's figures


def test_guess_bars_colour_the_models_choice_and_name_the_guess():
    from attnviz import figures
    tr = hand_trace()
    spec = figures.lesson_weights_figure(tr, 4, guess=1)
    bar = spec["data"][0]
    assert bar["marker"]["color"][3] == figures.HIGHLIGHT and bar["marker"]["color"][1] == figures.GUESS
    assert "your guess" in spec["layout"]["yaxis"]["ticktext"][1] and "your guess" not in spec["layout"]["yaxis"]["ticktext"][3]
    assert list(bar["x"]) == pytest.approx(list(tr.weights[4]))
    top = figures.lesson_topk_figure(tr, 4, guess="chat")
    assert top["data"][0]["marker"]["color"] == [figures.HIGHLIGHT, figures.BAR, figures.GUESS]
    assert "blanche" in top["layout"]["yaxis"]["ticktext"][0]


def test_mark_cells_outlines_the_crossing_and_hides_the_row_to_predict():
    from attnviz import figures
    tr = hand_trace()
    spec = figures.mark_cells(figures.attention_heatmap(tr, upto=4), blank_row=4)
    assert np.isnan(spec["data"][0]["z"][4]).all() and not np.isnan(spec["data"][0]["z"][3]).any()
    full = figures.mark_cells(figures.attention_heatmap(tr), [(3, 4), (4, 3)], guess=(4, 0))
    rects = [(sh["y0"] + 0.5, sh["x0"] + 0.5, sh["line"]["color"]) for sh in full["layout"]["shapes"]]
    assert (3, 4, figures.HIGHLIGHT) in rects and (4, 3, figures.HIGHLIGHT) in rects
    assert any(c == figures.GUESS and round(t) == 4 and round(i) == 0 for t, i, c in rects)
    assert not np.isnan(np.asarray(full["data"][0]["z"], dtype=float)).any()


def test_mark_last_state_and_the_quality_and_small_heatmap_figures(tiny_models_dir):
    from attnviz import figures
    tr = hand_trace()
    spec = figures.mark_last_state(figures.encoder_states_figure(tr))
    assert spec["layout"]["shapes"][-1]["y0"] == pytest.approx(len(tr.src_tokens) - 1.5)
    cards = {k: b.card for k, b in load_all(tiny_models_dir).items()}
    q = figures.lesson_quality_figure(cards, guess="general")
    bleu = [c["metrics"]["bleu_greedy"] for c in cards.values()]
    assert list(q["data"][0]["x"]) == pytest.approx(bleu)
    assert q["data"][0]["marker"]["color"][int(np.argmax(bleu))] == figures.HIGHLIGHT
    small = figures.lesson_small_heatmap(tr)
    assert "texttemplate" not in small["data"][0] and "texttemplate" in figures.attention_heatmap(tr)["data"][0]


def test_explore_opens_the_stages_sentence_in_step_by_step_at_its_word(app, tiny_models_dir):
    for _ in range(5):
        go(app, "lesson_next")  # stage 6: reorder
    stage = lesson.STAGES[5]
    tr = stage_traces(stage, load_all(tiny_models_dir))["main"]
    go(app, "lesson_explore")
    assert app.session_state["view"] == "steps" and app.session_state["sentence"] == stage.sentence
    assert app.session_state["step"] == lesson.focus_step(stage, tr) + 1
    assert f"Step {lesson.focus_step(stage, tr) + 1} of" in " ".join(m.value for m in app.markdown)
    app.session_state["view"] = "lesson"
    app.run()
    assert progress(app).startswith("Stage 6 of 9")  # back in the lesson where the student left it


def test_junk_stage_numbers_fall_back_to_the_first_stage():
    assert lesson.stage_at("junk")[0] == 1 and lesson.stage_at(None)[0] == 1 and lesson.stage_at(float("inf"))[0] == 1


def test_a_link_opens_the_lesson_at_its_stage_and_next_updates_the_link(tiny_models_dir, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(view="lesson", stage="6")
    at.run()
    assert not at.exception and at.session_state["stage"] == 6
    go(at, "lesson_next")
    assert at.session_state["stage"] == 7 and at.query_params["stage"] in ("7", ["7"])


# ---------------------------------------------------------------- the lesson keeps its place, and Back works


N = len(lesson.STAGES)


def reload(at: AppTest) -> AppTest:
    """A browser reload: a new session opened on the address the page last wrote."""
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params.update(dict(at.query_params))
    fresh.run()
    assert not fresh.exception
    return fresh


def browser_goes_to(at: AppTest, address: dict) -> AppTest:
    """Back / Forward: the browser shows an earlier address and Streamlit reruns the script with it."""
    at.query_params.clear()
    at.query_params.update(address)
    at.run()
    assert not at.exception
    return at


def answer(at: AppTest, key: str, right: bool, tiny_models_dir) -> lesson.Question:
    bundles = load_all(tiny_models_dir)
    stage = lesson.STAGES[lesson.KEYS.index(key)]
    q = lesson.question_for(stage, stage_traces(stage, bundles), {k: b.card for k, b in bundles.items()})
    option_buttons(at, key)[q.answer if right else next(i for i in range(len(q.options)) if i != q.answer)].click()
    at.run()
    assert not at.exception
    return q


def test_a_reload_keeps_the_stage_and_the_tally(app, tiny_models_dir):
    """Issue 14: stage 3 right, stage 5 wrong, "1 of 2 right"; after a reload it said "none yet" and the
    end screen counted 3 predictions of the 5 made."""
    go(go(app, "lesson_next"), "lesson_next")
    answer(app, "look", True, tiny_models_dir)
    go(go(app, "lesson_next"), "lesson_next")
    answer(app, "weigh", False, tiny_models_dir)
    assert "1 of 2" in tally_text(app)
    assert app.query_params["stage"] == "5" and app.query_params["answers"].startswith("look:")
    again = reload(app)
    assert progress(again).startswith(f"Stage 5 of {N} ") and "1 of 2" in tally_text(again)
    assert any("Not this time" in w.value for w in again.warning)  # still revealed: no second guess
    assert not option_buttons(again, "weigh")
    go(again, "lesson_next")
    answer(again, "reorder", True, tiny_models_dir)
    last = reload(again)
    assert progress(last).startswith(f"Stage 6 of {N} ") and "2 of 3" in tally_text(last)
    while not last.button(key="lesson_next").disabled:  # on to the last stage, without answering on the way
        go(last, "lesson_next")
    option_buttons(last, "scorers")[0].click().run()
    end = last.success[-1].value
    assert "End of the lesson" in end and "4 predictions" in end  # every prediction made, across reloads


def test_a_link_with_junk_answers_opens_with_a_note(tiny_models_dir, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(view="lesson", stage="3", answers="look:999,nowhere:1,weigh:x")
    at.run()
    assert not at.exception and progress(at).startswith(f"Stage 3 of {N} ")
    notes = " ".join(w.value for w in at.warning)
    assert "answers=" in notes and "none yet" in tally_text(at)
    assert option_buttons(at, "look")  # the junk guess was not taken as one: the question is asked
    at.run()
    assert "answers" not in at.query_params  # and the link no longer carries it


def test_a_stage_past_the_end_opens_the_last_stage_with_a_note(tiny_models_dir, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(view="lesson", stage="77")
    at.run()
    assert not at.exception and progress(at).startswith(f"Stage {N} of {N} ")
    assert catalogue("en")["notes.stage_clamped"].format(stage=77, last=N) in [w.value for w in at.warning]
    at.run()
    assert at.query_params["stage"] == str(N) and not at.warning  # said once; the link now names the last stage


def test_back_and_forward_move_between_stages_and_views(app):
    """Issue 14: the app wrote the address back, so three presses of Back did nothing."""
    seen = [dict(app.query_params)]
    for _ in range(2):
        go(app, "lesson_next")
        seen.append(dict(app.query_params))
    assert [q.get("stage", "1") for q in seen] == ["1", "2", "3"]
    browser_goes_to(app, seen[1])
    assert progress(app).startswith(f"Stage 2 of {N} ") and app.query_params == seen[1]
    browser_goes_to(app, seen[0])
    assert progress(app).startswith(f"Stage 1 of {N} ")
    browser_goes_to(app, seen[1])  # Forward
    assert progress(app).startswith(f"Stage 2 of {N} ")
    app.session_state["view"] = "translate"  # the view switch
    app.run()
    assert not app.get("progress") and "view" not in app.query_params  # translate: the default
    browser_goes_to(app, seen[1])
    assert app.session_state["view"] == "lesson" and progress(app).startswith(f"Stage 2 of {N} ")
    go(app, "lesson_next")  # a click after Back is a click: the page moves on from where it is
    assert progress(app).startswith(f"Stage 3 of {N} ")


def test_back_keeps_the_predictions_made(app, tiny_models_dir):
    go(go(app, "lesson_next"), "lesson_next")
    before = dict(app.query_params)
    q = answer(app, "look", True, tiny_models_dir)
    go(app, "lesson_next")
    browser_goes_to(app, before)  # the address from before the guess
    assert progress(app).startswith(f"Stage 3 of {N} ") and "1 of 1" in tally_text(app)
    assert not option_buttons(app, "look") and q.options[q.answer] in app.success[0].value


# ---------------------------------------------------------------- stage 5 asks what was not shown; stage 8 says wrong


def page_text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [m.value for m in at.success] + [m.value for m in at.warning]
                     + [m.value for m in at.info] + [m.value for m in at.caption])


def test_no_stage_reveals_the_word_a_later_stage_asks_for(app, tiny_models_dir):
    """Stage 3 used to say "the next French word it wrote is `suis`" and stage 5 then asked for it."""
    bundles = load_all(tiny_models_dir)
    shown = []
    for n, stage in enumerate(lesson.STAGES, start=1):
        if stage.question == "next_word":
            tr = stage_traces(stage, bundles)["main"]
            t = lesson.focus_step(stage, tr)
            word = tr.tgt_tokens[t]
            if word not in tr.tgt_tokens[:t]:  # a word written before is not a reveal
                assert all(f"`{word}`" not in text for text in shown), (stage.key, word)
        if buttons := option_buttons(app, stage.key):
            buttons[0].click().run()  # answer, to see each reveal too
        shown.append(page_text(app))
        if n < len(lesson.STAGES):
            go(app, "lesson_next")


def test_the_last_stage_shows_the_reference_and_says_which_translations_are_wrong(app, tiny_models_dir):
    for _ in range(lesson.KEYS.index("scorers")):
        go(app, "lesson_next")
    reference = catalogue("en")["lesson.scorers.reference"]
    text = page_text(app)
    assert f"«{md_escape(reference)}»" in text and "A French speaker would write" in text
    bundles = load_all(tiny_models_dir)
    traces = stage_traces(lesson.STAGES[lesson.KEYS.index("scorers")], bundles)
    wrong = [n for n, tr in traces.items() if not lesson.same_translation(tr.translation, reference)]
    assert text.count("**Wrong.**") == len(wrong) and text.count("**Right.**") == len(traces) - len(wrong)


def test_a_translation_is_compared_with_the_reference_once_normalised():
    ref = "La voiture blanche est rapide."
    assert lesson.same_translation("la voiture blanche est rapide .", ref)
    assert lesson.same_translation("La  voiture blanche est rapide", ref)
    assert not lesson.same_translation("La voiture blanche rapide.", ref)
    assert not lesson.same_translation("La voiture est rapide.", ref)
    assert not lesson.same_translation("La voiture blanche la voiture est rapide.", ref)
    assert lesson.same_translation("L’eau est froide.", "L'eau est froide.")
    assert not lesson.same_translation("", "") and not lesson.same_translation("x", " ")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_answer_buttons_sit_in_a_wrapping_row_as_wide_as_their_labels(app, lang):
    """At 1920 wide the model names were cut ("concat (Bahdan…") in equal columns."""
    app.session_state["lang"] = lang
    app.session_state["stage"] = lesson.KEYS.index("scorers") + 1
    app.run()
    assert len(option_buttons(app, "scorers")) >= 3
    rows = [block for block, kids in blocks(app) if any((getattr(k, "key", None) or "").startswith("lesson_scorers_") for k in kids)]
    assert len(rows) == 1  # all in one block, not one column each
    flex = rows[0].proto.flex_container
    assert flex.direction == flex.HORIZONTAL and flex.wrap  # a row that wraps: the browser test measures the labels


def blocks(at: AppTest):
    """(block, its direct element children) for every block of the page."""
    def walk(node):
        kids = getattr(node, "children", None)
        if isinstance(kids, dict):
            leaves = [c for c in kids.values() if not isinstance(getattr(c, "children", None), dict)]
            yield node, leaves
            for c in kids.values():
                yield from walk(c)
    yield from walk(at._tree)
