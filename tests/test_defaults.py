"""The first thing a visitor sees must be right: the default model (best measured BLEU) translates every
built-in example correctly. Runs the real bundled models in models/ (greedy decoding, as the page does).
"""
from __future__ import annotations

import pytest

from attnviz import explain
from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_all
from attnviz.trace import trace_translation

# Reference translations, written by hand: a small set of accepted French translations per example.
REFERENCES = {
    "The white car is fast.": {"La voiture blanche est rapide."},
    "I am hungry.": {"J'ai faim."},
    "Where is my car?": {"Où est ma voiture ?", "Où se trouve ma voiture ?"},
    "She reads a red book.": {"Elle lit un livre rouge."},
    "I don't like cats.": {"Je n'aime pas les chats.", "Je n'aime pas les chattes."},
    "We have to leave before it starts to rain.": {
        "Nous devons partir avant qu'il commence à pleuvoir.",
        "Nous devons partir avant qu'il ne commence à pleuvoir.",
        "Il nous faut partir avant qu'il commence à pleuvoir.",
        "Nous devons partir avant qu'il se mette à pleuvoir.",
    },
}
# Sentences a first visitor tried (issue 7, section 6) that the default model must get right too.
ALSO = {
    "He bought a new red car.": {"Il a acheté une nouvelle voiture rouge.", "Il a acheté une voiture rouge neuve."},
    "I am hungry.": {"J'ai faim."},
}


@pytest.fixture(scope="module")
def bundles():
    return load_all(DEFAULT_MODELS_DIR)


@pytest.fixture(scope="module")
def default_model(bundles) -> str:
    return explain.best_model({name: b.card for name, b in bundles.items()})


def test_the_default_model_is_the_one_with_the_best_measured_bleu(bundles, default_model):
    bleu = {name: b.card["metrics"]["bleu_greedy"] for name, b in bundles.items() if name != "none"}
    assert default_model == max(bleu, key=bleu.get) == "dot"


def test_every_example_has_a_reference():
    assert set(explain.EXAMPLES) == set(REFERENCES)


@pytest.mark.parametrize("sentence", list(REFERENCES) + [s for s in ALSO if s not in REFERENCES])
def test_the_default_model_translates_the_example_correctly(bundles, default_model, sentence):
    trace = trace_translation(bundles[default_model], sentence)
    accepted = REFERENCES.get(sentence) or ALSO[sentence]
    assert trace.finished and trace.translation in accepted, trace.translation
