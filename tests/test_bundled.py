"""Smoke test over the bundled models in models/: they load, translate, and attend like alignment."""
import numpy as np
import pytest

from attnviz.attention import SCORERS
from attnviz.checkpoint import DEFAULT_MODELS_DIR, bundle_paths, load_all
from attnviz.trace import trace_translation


@pytest.fixture(scope="module")
def bundles():
    return load_all(DEFAULT_MODELS_DIR)


def test_every_scorer_is_bundled_and_small_enough():
    assert [p.stem for p in bundle_paths()] == list(SCORERS)
    size = sum(f.stat().st_size for f in DEFAULT_MODELS_DIR.iterdir() if f.is_file())
    assert size <= 60 * 2**20


def test_cards_carry_training_curves_and_measured_metrics(bundles):
    for b in bundles.values():
        assert len(b.card["history"]) >= 2 and "valid_loss" in b.card["history"][0]
        m = b.card["metrics"]
        assert m["test_sentences"] >= 2000 and 0 < m["bleu_greedy"] <= 100
        assert set(m["bleu_by_length_greedy"]) == {"1-4", "5-8", "9-12", "13+"}
        assert (m["aer"] is None) == (b.scorer == "none")


def test_bundled_models_translate_simple_sentences(bundles):
    for b in bundles.values():
        t = trace_translation(b, "I like cats.")
        assert t.finished and "chat" in t.translation.lower(), (b.scorer, t.translation)


@pytest.mark.parametrize("scorer", ["dot", "general", "concat"])
def test_attention_crosses_for_adjective_noun_reordering(bundles, scorer):
    t = trace_translation(bundles[scorer], "I see the white car.", target="Je vois la voiture blanche.")
    src, tgt = list(t.src_tokens), list(t.tgt_tokens)
    looked_at = {tgt[j]: src[int(t.weights[j].argmax())] for j in range(len(tgt))}
    assert looked_at["voiture"] == "car" and looked_at["blanche"] == "white", looked_at
    assert np.isfinite(t.scores).all()
