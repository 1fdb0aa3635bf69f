"""The lesson's copy stage: the bundled attention model copies the name and the number of its sentence
from the English words attention points at, the question asks where it looks, and the model without
attention, which cannot copy, is shown beside it."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attnviz import lesson
from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_all
from attnviz.trace import trace_translation

APP = str(Path(__file__).resolve().parent.parent / "app.py")
STAGE = next(i for i, st in enumerate(lesson.STAGES, start=1) if st.key == "copy")


@pytest.fixture(scope="module")
def traces():
    bundles = load_all(DEFAULT_MODELS_DIR)
    stage = lesson.STAGES[STAGE - 1]
    return {role: trace_translation(bundles[need.scorer], stage.sentence, blocked=need.blocked)
            for role, need in lesson.needs(stage, list(bundles)).items()}


def test_the_attention_model_copies_the_focus_word_and_the_question_asks_where_it_looks(traces):
    stage = lesson.STAGES[STAGE - 1]
    main = traces["main"]
    t = lesson.focus_step(stage, main)
    assert main.tgt_tokens[t] == stage.focus and main.copied[t] >= 0
    q = lesson.question_for(stage, traces, {})
    assert q.kind == "source" and q.answer == main.copied[t] == int(main.weights[t].argmax())


def test_the_model_without_attention_cannot_copy(traces):
    assert traces["none"].weights is None and traces["none"].copied_steps == []
    assert "Kenji" not in traces["none"].translation


def test_the_stage_draws_and_reveals_the_copy(monkeypatch):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(view="lesson", stage=str(STAGE))
    at.run()
    assert not at.exception
    next(b for b in at.button if b.key == "lesson_copy_0").click().run()  # the first English word
    assert not at.exception
    text = " ".join(str(x.value) for x in [*at.markdown, *at.info, *at.warning, *at.success])
    assert "copies" in text and "Copied through attention" in text and "No attention, no copy" in text


def test_before_the_answer_the_heatmap_hides_where_the_focus_word_was_copied_from(traces):
    from attnviz import figures

    stage = lesson.STAGES[STAGE - 1]
    main = traces["main"]
    t = lesson.focus_step(stage, main)
    copy_rows = lambda spec: [round((sh["y0"] + sh["y1"]) / 2) for sh in spec["layout"]["shapes"]  # noqa: E731
                              if sh.get("name") == figures.COPY_SHAPE]
    asked = figures.mark_cells(figures.attention_heatmap(main, upto=t), blank_row=t)
    assert t not in copy_rows(asked)  # the dotted outline would give the answer away
    assert copy_rows(figures.attention_heatmap(main)) == main.copied_steps  # shown once revealed
