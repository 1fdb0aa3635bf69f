"""The first thing a visitor sees must be right: the default model (best measured BLEU) translates every
built-in example correctly. Runs the real bundled models in models/ (greedy decoding, as the page does).
"""
from __future__ import annotations

import pytest

from attnviz import explain
from attnviz.architectures import TRANSFORMERS
from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_all
from attnviz.trace import trace_translation

# Reference translations, written by hand: a small set of accepted French translations per example.
REFERENCES = {
    "I see the white car.": {"Je vois la voiture blanche."},
    "I am hungry.": {"J'ai faim."},
    "Where is my car?": {"Où est ma voiture ?", "Où se trouve ma voiture ?"},
    "I don't like cats.": {"Je n'aime pas les chats.", "Je n'aime pas les chattes."},
    "Kenji is 12 years old.": {"Kenji a 12 ans.", "Kenji a douze ans."},
    "Julie lives in Lyon.": {"Julie vit à Lyon.", "Julie habite à Lyon.", "Julie habite Lyon."},
    "We have to leave before it starts to rain.": {
        "Nous devons partir avant qu'il commence à pleuvoir.",
        "Nous devons partir avant qu'il ne commence à pleuvoir.",
        "Il nous faut partir avant qu'il commence à pleuvoir.",
        "Nous devons partir avant qu'il se mette à pleuvoir.",
        "Nous devons partir avant qu'il pleuve.",
        "Nous devons partir avant qu'il ne pleuve.",
    },
}
# Sentences a first visitor tried (issue 7, section 6) that the default model must get right too.
ALSO = {
    "He bought a new red car.": {"Il a acheté une nouvelle voiture rouge.", "Il a acheté une voiture rouge neuve."},
    "I am hungry.": {"J'ai faim."},
    "She reads a red book.": {"Elle lit un livre rouge."},
}


@pytest.fixture(scope="module")
def bundles():
    return load_all(DEFAULT_MODELS_DIR)


@pytest.fixture(scope="module")
def default_model(bundles) -> str:
    return explain.best_model({name: b.card for name, b in bundles.items()})


def test_the_default_model_is_the_single_attention_with_the_best_measured_bleu(bundles, default_model):
    bleu = {name: b.card["metrics"]["bleu_greedy"] for name, b in bundles.items()
            if name != "none" and name not in TRANSFORMERS}
    assert default_model == max(bleu, key=bleu.get)


def test_a_transformer_that_measures_best_is_not_the_default():
    """The page teaches one attention first; a link without `model` keeps its meaning."""
    cards = {"dot": {"config": {"scorer": "dot"}, "metrics": {"bleu_greedy": 46.0}},
             "transformer": {"config": {"scorer": "transformer"}, "metrics": {"bleu_greedy": 48.0}},
             "general": {"config": {"scorer": "general"}, "metrics": {"bleu_greedy": 45.0}}}
    assert explain.best_model(cards) == "dot"
    assert explain.best_model({"transformer": cards["transformer"], "concat": {"config": {"scorer": "concat"}}}) \
        == "concat"


def test_every_example_has_a_reference():
    assert set(explain.EXAMPLES) == set(REFERENCES)


@pytest.mark.parametrize("sentence", list(REFERENCES) + [s for s in ALSO if s not in REFERENCES])
def test_the_default_model_translates_the_example_correctly(bundles, default_model, sentence):
    trace = trace_translation(bundles[default_model], sentence)
    accepted = REFERENCES.get(sentence) or ALSO[sentence]
    assert trace.finished and trace.translation in accepted, trace.translation


# Long inputs: decoding stops at the documented length limit (trace.default_max_len), never runs away,
# and the page says when the output was cut.
LONG = (
    "I played football with my friends yesterday and then I played football again because I love playing "
    "football so much.",
    "I like cats and dogs and birds and fish and horses and cows and pigs and sheep and rabbits and mice and "
    "goats and ducks.",
    "yes yes yes yes yes yes yes yes yes yes yes yes",
)


@pytest.mark.parametrize("scorer", ["dot", "general", "concat", "none"])
@pytest.mark.parametrize("sentence", LONG)
def test_long_inputs_stop_at_the_length_limit(bundles, scorer, sentence):
    from attnviz.trace import default_max_len

    trace = trace_translation(bundles[scorer], sentence)
    limit = default_max_len(len(trace.src_tokens))
    assert trace.num_steps <= limit
    assert trace.stop_reason == ("eos" if trace.finished else "length")
    assert trace.finished or trace.num_steps == limit


def test_the_page_says_when_the_output_was_cut(bundles, default_model, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    trace = trace_translation(bundles[default_model], LONG[2])
    if trace.stop_reason != "length":
        pytest.skip(f"the default model ends {LONG[2]!r} by itself now")

    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(DEFAULT_MODELS_DIR))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    at.text_input(key="sentence").set_value(LONG[2]).run()
    assert not at.exception
    cut = [c.value for c in at.caption if "Why it was cut" in str(c.value)]
    assert len(cut) == 1 and f"= {trace.num_steps} words" in cut[0], cut


def test_the_copy_example_copies_the_name_and_the_number(bundles, default_model):
    """The built-in example for copy: both words the model cannot write come from the English."""
    trace = trace_translation(bundles[default_model], "Kenji is 12 years old.")
    copied = {trace.tgt_tokens[t] for t in trace.copied_steps}
    assert copied == {"Kenji", "12"}
    for t in trace.copied_steps:
        assert trace.copied[t] == int(trace.weights[t].argmax())


@pytest.mark.parametrize("view", ["translate", "compare", "steps", "lesson", "lesson2", "learn", "how"])
def test_every_view_opens_on_the_bundled_models(view, monkeypatch):
    """The shipped cards and bundles, not the tiny fixtures: their training history holds the averaged
    checkpoint, their metrics every field evaluate writes."""
    from streamlit.testing.v1 import AppTest

    from attnviz.state import VIEWS

    assert view in VIEWS
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(DEFAULT_MODELS_DIR))
    at = AppTest.from_file(str(DEFAULT_MODELS_DIR.parent / "app.py"), default_timeout=120)
    at.query_params.update({"view": view, "sentence": "Julie lives in Lyon."})
    at.run()
    assert not at.exception, at.exception
