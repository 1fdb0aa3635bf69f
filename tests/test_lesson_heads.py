"""Lesson 2, "from one attention to many heads": the script (pure) on real traces of the tiny Transformer,
its figures, and the page (AppTest with the tiny fixture models): Back/Next, the `stage` and `answers`
link parameters, predict-then-reveal with the trace's own numbers, Korean, Back/Forward."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from attnviz import lesson, lesson_heads as script
from attnviz.checkpoint import load_bundle
from attnviz.figures import lesson_heads as figs
from attnviz.i18n import catalogue, messages
from attnviz.state import ASKING, VIEWS, format_answers, parse_answers
from attnviz.trace import Trace, trace_translation

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
N = len(script.STAGES)
GRUS = ["dot", "general", "concat"]


@pytest.fixture(scope="module")
def bundle(tiny_models_dir):
    return load_bundle(tiny_models_dir / "transformer")


@pytest.fixture(scope="module")
def traced(bundle):
    """The tiny Transformer's trace of a sentence, as the page makes it (greedy, nothing hidden)."""
    cache: dict[str, Trace] = {}

    def trace(en: str) -> Trace:
        if en not in cache:
            cache[en] = trace_translation(bundle, en, beam=1, blocked=())
        return cache[en]
    return trace


def stage_question(stage: script.Stage, traced) -> tuple[Trace, int, script.Question | None]:
    candidate, tr, _ = script.choose(stage, traced)
    t = script.focus_step(stage, candidate, tr)
    return tr, t, script.question_for(stage, tr, t, GRUS)


# ---------------------------------------------------------------- the script


def test_five_stages_each_asking_a_question_with_keys_apart_from_the_first_lesson():
    assert len(script.STAGES) == 5 and len(set(script.KEYS)) == 5
    assert not set(script.KEYS) & set(lesson.KEYS)  # one `answers` parameter holds both lessons' guesses
    assert all(st.question in script.QUESTION_KINDS for st in script.STAGES)
    assert set(script.KEYS) <= set(ASKING) and "lesson2" in VIEWS
    assert len(lesson.STAGES) == 9  # the first lesson keeps its ten minutes


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_stage_has_its_words_in_both_languages(lang):
    cat = catalogue(lang)
    for st in script.STAGES:
        for name in ("title", "body", "prompt", "after"):
            assert f"lesson_heads.{st.key}.{name}" in cat, (lang, st.key, name)
    for kind in script.QUESTION_KINDS:
        assert f"lesson_heads.reveal.{kind}_right" in cat and f"lesson_heads.reveal.{kind}_wrong" in cat
    assert cat["views.lesson2"] and cat["lesson_heads.start_lesson"]
    if lang == "ko":
        assert all(HANGUL.search(cat[f"lesson_heads.{st.key}.title"]) for st in script.STAGES)


def test_stage_numbers_are_clamped():
    assert script.stage_at(0)[0] == 1 and script.stage_at(99)[0] == N and script.stage_at("junk")[0] == 1


def test_the_lessons_model_is_the_first_with_heads_and_the_gru_is_general_first():
    assert script.heads_model({"dot": False, "transformer": True}) == "transformer"
    assert script.heads_model({"dot": False}) is None
    assert script.gru_model({"dot": False, "general": False, "none": False, "transformer": True}) == "general"
    assert script.gru_model({"none": False, "transformer": True}) is None


def test_a_stage_takes_the_first_sentence_the_model_translates_right_and_traces_no_more(traced):
    real = traced("I am tired.")
    fake = {c.en: real for c in script.PLAIN}
    right = script.Candidate("I am tired.", real.translation, "x")
    stage = script.Stage("onehead", (script.PLAIN[0], right, script.PLAIN[1]), "source")
    asked = []

    def translate(en):
        asked.append(en)
        return fake.get(en, real)
    cand, tr, status = script.choose(stage, translate)
    assert cand == right and status == script.RIGHT and len(asked) == 2  # stopped at the right one
    # none right: the first where it wrote the focus word; else the first candidate
    focus = script.Candidate("I am tired.", "Autre chose.", real.tgt_tokens[0])
    cand, _, status = script.choose(script.Stage("x", (script.PLAIN[0], focus), "source"), lambda en: real)
    assert status == script.FOCUS and cand == focus
    cand, _, status = script.choose(script.Stage("x", (script.PLAIN[0],), "source"), lambda en: real)
    assert status == script.OTHER and cand == script.PLAIN[0]


def test_the_focus_step_is_where_the_model_wrote_the_word_else_the_stages_step(traced):
    tr = traced("She reads a red book.")
    word = tr.tgt_tokens[1]
    stage = script.Stage("x", (), "source", step=3)
    assert script.focus_step(stage, script.Candidate("", "", word.upper()), tr) == tr.tgt_tokens.index(word)
    assert script.focus_step(stage, script.Candidate("", "", "zzz"), tr) == min(3, lesson.written_steps(tr) - 1)


def test_count_question_counts_the_layers_different_argmax_words(traced):
    tr = traced("The white car is fast.")
    h = tr.heads
    for layer in range(h.shape[0]):
        for t in range(tr.num_steps):
            q = script.count_question(tr, t, layer)
            found = {int(np.argmax(h.cross_weights[t, layer, a])) for a in range(h.shape[1])}
            assert q.options == tuple(str(n) for n in range(1, h.shape[1] + 1))
            assert q.answer == len(found) - 1 and q.values[q.answer] == len(found)


def test_the_one_head_question_and_its_worked_numbers_are_the_traces(traced):
    tr = traced("I am very tired.")
    h = tr.heads
    t = 1
    q = script.source_question(tr, t)
    assert list(q.values) == pytest.approx(list(h.cross_weights[t, h.layer, h.head]))
    assert q.answer == int(np.argmax(tr.weights[t])) and q.options == tr.src_tokens
    for j in range(len(tr.src_tokens)):
        dot, root, score = script.dot_terms(tr, t, j)
        assert root == pytest.approx(np.sqrt(h.keys.shape[-1]))
        assert score == pytest.approx(float(h.cross_scores[t, h.layer, h.head, j]), abs=1e-5)
        assert dot == pytest.approx(float(h.queries[t, h.layer, h.head] @ h.keys[h.layer, h.head, j]))
        assert script.dot_latex(tr, t, j).endswith(f"= {score:.2f}") and f"{dot:.2f}" in script.dot_latex(tr, t, j)


def test_the_punctuation_question_measures_every_head_on_the_full_stop(traced):
    tr = traced("The white car is fast.")
    h = tr.heads
    q = script.head_question(tr)
    n = lesson.written_steps(tr)
    stop = tr.src_tokens.index(".")
    want = [float(h.cross_weights[:n, l, a, stop].mean()) for l in range(h.shape[0]) for a in range(h.shape[1])]
    assert list(q.values) == pytest.approx(want)
    assert q.options[q.answer] == script.head_option(*np.unravel_index(int(np.argmax(want)), h.shape))
    assert script.head_of(script.head_option(1, 0)) == (1, 0)
    no_stop = traced("I am tired")
    assert script.head_question(no_stop) is None or script.punctuation(no_stop)


def test_the_self_attention_question_offers_every_french_word_and_the_mask_gives_later_ones_zero(traced):
    tr = traced("She reads a red book.")
    h = tr.heads
    layer, head = script.previous_word_head(tr)
    n = lesson.written_steps(tr)
    prev = [[np.mean([h.self_weights[t, l, a, t] for t in range(1, n)]) for a in range(h.shape[1])]
            for l in range(h.shape[0])]
    assert script.previous_word_weights(tr) == pytest.approx(np.array(prev))
    assert prev[layer][head] == pytest.approx(np.max(prev))
    for t in range(tr.num_steps):
        q = script.self_question(tr, t, layer, head)
        assert q.options == ("<bos>", *tr.tgt_tokens[:-1])
        assert list(q.values) == pytest.approx(list(h.self_weights[t, layer, head]))
        assert all(v == 0 for v in q.values[t + 1:]) and q.answer <= t  # the mask: nothing after word t
        assert sum(q.values) == pytest.approx(1.0)


def test_the_link_back_question_is_general_and_needs_it_loaded():
    q = script.scorer_question(["dot", "concat", "general", "none"])
    assert q.options == ("dot", "general", "concat") and q.options[q.answer] == "general"
    assert all(v is None for v in q.values)
    assert script.scorer_question(["dot", "concat"]) is None


def test_every_stage_builds_its_question_from_a_real_trace(traced):
    for stage in script.STAGES:
        tr, t, q = stage_question(stage, traced)
        assert tr.heads is not None and 0 <= t < tr.num_steps
        assert q is not None and q.kind == stage.question
        assert lesson.grade(q, q.answer).correct


def test_a_gru_trace_is_refused(tiny_models_dir):
    gru = trace_translation(load_bundle(tiny_models_dir / "dot"), "I am tired.")
    with pytest.raises(ValueError, match="no heads"):
        script.count_question(gru, 0, 0)


def test_the_bundled_transformer_answers_every_stage():
    from attnviz.checkpoint import DEFAULT_MODELS_DIR
    path = Path(DEFAULT_MODELS_DIR) / "transformer.json"
    if not path.exists():
        pytest.skip("no bundled Transformer")
    b = load_bundle(path.with_suffix(""))
    for stage in script.STAGES:
        cand, tr, status = script.choose(stage, lambda en: trace_translation(b, en))
        t = script.focus_step(stage, cand, tr)
        q = script.question_for(stage, tr, t, GRUS)
        assert q is not None, stage.key


# ---------------------------------------------------------------- figures


def test_the_layers_small_multiples_draw_each_heads_weights_and_outline_the_step(traced):
    tr = traced("The white car is fast.")
    h = tr.heads
    spec = figs.layer_heads_figure(tr, 1, 2, m=messages("en"))
    assert len(spec["data"]) == h.shape[1]
    for a, d in enumerate(spec["data"]):
        assert np.asarray(d["z"]) == pytest.approx(h.cross_weights[:, 1, a])
    j = int(np.argmax(h.cross_weights[2, 1, 0]))
    assert f"({h.cross_weights[2, 1, 0, j]:.2f})" in spec["layout"]["annotations"][0]["text"]
    assert all(s["y0"] == 1.5 and s["y1"] == 2.5 for s in spec["layout"]["shapes"])
    grid = figs.all_heads_figure(tr, column=5, values=script.punctuation_weights(tr))
    assert len(grid["data"]) == h.shape[0] * h.shape[1]
    assert all(s["x0"] == 4.5 for s in grid["layout"]["shapes"])


def test_query_keys_and_weighted_values_are_the_heads_numbers(traced):
    tr = traced("I am very tired.")
    h = tr.heads
    qk = figs.query_keys_figure(tr, 1)
    z = np.asarray(qk["data"][0]["z"])
    assert z[0] == pytest.approx(h.queries[1, h.layer, h.head]) and z[1:] == pytest.approx(h.keys[h.layer, h.head])
    total = np.asarray(figs.head_sum_figure(tr, 1)["data"][0]["z"])
    assert total[-1] == pytest.approx(tr.weights[1] @ h.values[h.layer, h.head])
    assert total[:-1].sum(0) == pytest.approx(total[-1])


def test_the_self_attention_figure_masks_later_words_and_marks_the_guess(traced):
    tr = traced("She reads a red book.")
    spec = figs.self_attention_figure(tr, 0, 1, 2, guess=1, m=messages("ko"))
    z = np.asarray(spec["data"][0]["z"], dtype=float)
    n = tr.num_steps
    later = np.triu(np.ones((n, n), dtype=bool), k=1)
    assert np.isnan(z[later]).all() and z[~later] == pytest.approx(tr.heads.self_weights[:, 0, 1][~later])
    assert len(spec["data"][1]["x"]) == later.sum()  # a × in every masked cell
    assert spec["layout"]["xaxis"]["ticktext"][0] == messages("ko")("lesson_heads.start")
    before = figs.self_attention_figure(tr, 0, 1, 2, upto=1)
    assert np.isnan(np.asarray(before["data"][0]["z"], dtype=float)[2:]).all()


# ---------------------------------------------------------------- the page


@pytest.fixture
def app(tiny_models_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["view"] = "lesson2"
    at.run()
    assert not at.exception
    return at


def progress(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def go(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception
    return at


def option_buttons(at: AppTest, key: str) -> list:
    return [b for b in at.button if (b.key or "").startswith(f"lesson2_{key}_")]


def tally_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "predictions so far" in m.value or "지금까지의 예측" in m.value)


def test_back_and_next_walk_through_the_five_stages_and_each_asks_first(app, traced):
    assert progress(app).startswith(f"Lesson 2 · stage 1 of {N}")
    assert app.button(key="lesson_prev").disabled
    for n in range(1, N + 1):
        stage = script.STAGES[n - 1]
        assert app.session_state["stage"] == n
        assert app.subheader[0].value == catalogue("en")[f"lesson_heads.{stage.key}.title"]
        _, _, q = stage_question(stage, traced)
        assert len(option_buttons(app, stage.key)) == len(q.options)  # predict first: nothing revealed
        assert not app.success and not [w for w in app.warning if "Not this time" in w.value]
        if n < N:
            go(app, "lesson_next")
    assert app.button(key="lesson_next").disabled
    go(app, "lesson_prev")
    assert app.session_state["stage"] == N - 1


@pytest.mark.parametrize("right", [True, False])
def test_each_reveal_says_the_traces_numbers(app, traced, right):
    made = 0
    for n, stage in enumerate(script.STAGES, start=1):
        tr, t, q = stage_question(stage, traced)
        pick = q.answer if right else next(i for i in range(len(q.options)) if i != q.answer)
        option_buttons(app, stage.key)[pick].click().run()
        assert not app.exception
        made += 1
        said = (app.success if right else app.warning)[0].value
        assert ("Right" in said) if right else ("Not this time" in said or "cannot look there" in said)
        if q.values[q.answer] is not None and q.kind != "count":
            assert f"{q.values[q.answer]:.2f}" in said
        if not right and q.values[pick] is not None:
            assert f"{q.values[pick]:.2f}" in said
        assert not option_buttons(app, stage.key)
        assert f"{made if right else 0} of {made}" in tally_text(app)
        if stage.key == "several":  # every head's word and weight, as the trace has them
            page = "\n".join(m.value for m in app.markdown)
            for a in range(tr.heads.shape[1]):
                w = tr.heads.cross_weights[t, tr.heads.layer, a]
                assert f"head {a + 1}: `{tr.src_tokens[int(np.argmax(w))]}` ({w.max():.2f})" in page
        if n < N:
            go(app, "lesson_next")
    end = app.success[-1].value
    assert "End of lesson 2" in end and f"{N} predictions" in end
    assert app.query_params["answers"] == format_answers([(k, app.session_state["lesson_guesses"][k])
                                                          for k in script.KEYS])
    go(app, "lesson2_restart")
    assert app.session_state["stage"] == 1 and "none yet" in tally_text(app)


def test_a_link_opens_its_stage_with_its_answers_and_a_reload_keeps_them(tiny_models_dir, monkeypatch, traced):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    _, _, q = stage_question(script.STAGES[1], traced)
    at.query_params.update(view="lesson2", stage="2", answers=f"look:1,onehead:{q.answer + 1}")
    at.run()
    assert not at.exception and progress(at).startswith(f"Lesson 2 · stage 2 of {N}")
    assert not option_buttons(at, "onehead") and "Right" in at.success[0].value
    assert "1 of 1" in tally_text(at)  # this lesson's tally; the first lesson's guess stays in the link
    go(at, "lesson_next")
    assert at.query_params["stage"] == "3" and at.query_params["answers"] == f"look:1,onehead:{q.answer + 1}"
    fresh = AppTest.from_file(APP, default_timeout=90)
    fresh.query_params.update(dict(at.query_params))
    fresh.run()
    assert not fresh.exception and progress(fresh).startswith(f"Lesson 2 · stage 3 of {N}")
    assert "1 of 1" in tally_text(fresh)


def test_answers_round_trip_through_the_link():
    answers, ok = parse_answers("several:2,masked:1,weigh:3,special:40")
    assert ok and answers == (("weigh", 2), ("several", 1), ("special", 39), ("masked", 0))
    assert parse_answers(format_answers(answers)) == (answers, True)


def test_junk_answers_for_this_lesson_are_dropped_with_a_note(tiny_models_dir, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(view="lesson2", stage="1", answers="several:99")
    at.run()
    assert not at.exception and any("answers=" in w.value for w in at.warning)
    assert option_buttons(at, "several") and "none yet" in tally_text(at)
    at.run()
    assert "answers" not in at.query_params


def test_back_and_forward_move_between_stages(app):
    seen = [dict(app.query_params)]
    for _ in range(2):
        go(app, "lesson_next")
        seen.append(dict(app.query_params))
    assert [q.get("stage", "1") for q in seen] == ["1", "2", "3"]
    for i in (1, 0, 2):
        app.query_params.clear()
        app.query_params.update(seen[i])
        app.run()
        assert not app.exception and progress(app).startswith(f"Lesson 2 · stage {i + 1} of {N}")


def switch_view(at: AppTest, view: str) -> AppTest:
    """The view menu: its widget value changes, then the page runs."""
    at.session_state["view"] = view
    at.run()
    assert not at.exception
    return at


def test_each_lesson_keeps_its_own_stage_when_switching_between_them(app):
    """Both lessons shared the `stage` key: lesson 1 at stage 4, then the view menu's lesson 2 opened at
    stage 4 too (and lesson 1 came back at lesson 2's stage)."""
    go(app, "lesson_next")  # lesson 2, stage 2
    switch_view(app, "lesson")
    assert progress(app).startswith("Stage 1 of 9") and "stage" not in app.query_params
    for _ in range(3):
        go(app, "lesson_next")  # lesson 1, stage 4
    assert app.query_params["stage"] == "4"
    switch_view(app, "lesson2")
    assert progress(app).startswith(f"Lesson 2 · stage 2 of {N}") and app.query_params["stage"] == "2"
    assert app.session_state["stage"] == 2
    switch_view(app, "translate")
    switch_view(app, "lesson")  # through another view: still its own place
    assert progress(app).startswith("Stage 4 of 9") and app.query_params["stage"] == "4"
    before = dict(app.query_params)
    switch_view(app, "lesson2")
    assert progress(app).startswith(f"Lesson 2 · stage 2 of {N}")
    app.query_params.clear()  # Back: the browser returns to lesson 1's address; the link's stage wins
    app.query_params.update(before)
    app.run()
    assert not app.exception and progress(app).startswith("Stage 4 of 9")
    switch_view(app, "lesson2")
    assert progress(app).startswith(f"Lesson 2 · stage 2 of {N}")


def test_the_class_bar_asks_about_the_lesson_on_screen_after_a_switch(app, tmp_path, monkeypatch):
    """The class bar runs before the lesson draws: it must read the new lesson's stage, not the old one's."""
    monkeypatch.setenv("ATTNVIZ_DATA_DIR", str(tmp_path / "data"))
    app.session_state["present"] = True
    app.run()
    for _ in range(4):
        go(app, "lesson_next")  # lesson 2, stage 5
    app.button(key="class_start").click().run()
    app.button(key="class_back").click().run()
    switch_view(app, "lesson")  # lesson 1, stage 1: no question there
    assert not [b for b in app.button if b.key == "class_ask_lesson"]
    switch_view(app, "lesson2")
    go(app, "class_ask_lesson")
    assert any("Which GRU scorer" in m.value for m in app.markdown)


def test_every_stage_reveals_in_korean_and_in_presenter_mode(app):
    app.session_state["lang"] = "ko"
    app.session_state["present"] = True
    app.run()
    for n, stage in enumerate(script.STAGES, start=1):
        option_buttons(app, stage.key)[0].click().run()
        assert not app.exception, stage.key
        assert HANGUL.search(progress(app)) and HANGUL.search(app.subheader[0].value)
        assert app.success or app.warning
        assert app.get("plotly_chart")
        if n < N:
            go(app, "lesson_next")
    assert HANGUL.search(app.success[-1].value)


def test_without_a_model_with_heads_the_lesson_says_so(tiny_models_dir, tmp_path, monkeypatch):
    for path in tiny_models_dir.iterdir():
        if not path.name.startswith("transformer"):
            shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(view="lesson2")
    at.run()
    assert not at.exception
    assert messages("en")("lesson_heads.no_heads_model") in [w.value for w in at.warning]
