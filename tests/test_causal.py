"""The hide test: the change in log-probability of the chosen French words when an English word is hidden."""
from __future__ import annotations

import numpy as np
import pytest

from attnviz.causal import hide_effects
from attnviz.checkpoint import load_bundle
from attnviz.trace import trace_translation

SENTENCE = "She reads a red book."


@pytest.fixture(scope="module")
def dot(tiny_models_dir):
    return load_bundle(tiny_models_dir / "dot")


def test_effects_are_the_measured_log_probability_change(dot):
    trace = trace_translation(dot, SENTENCE)
    e = hide_effects(dot, trace)
    assert e.src_tokens == trace.src_tokens and e.per_step.shape == (len(trace.src_tokens), trace.num_steps)
    np.testing.assert_allclose(e.base_logprob, np.log(trace.chosen_probs).sum(), rtol=1e-5)
    np.testing.assert_allclose(e.attention, trace.weights.mean(axis=0))
    np.testing.assert_allclose(e.attention.sum(), 1.0, atol=1e-6)
    np.testing.assert_allclose(e.effect, e.per_step.sum(axis=1))
    hidden = trace_translation(dot, SENTENCE, target=trace.translation, blocked=(3,))
    expected = np.log(hidden.chosen_probs).sum() - np.log(trace.chosen_probs).sum()
    np.testing.assert_allclose(e.effect[3], expected, rtol=1e-4, atol=1e-5)
    assert np.abs(e.effect).max() > 1e-4  # hiding words does change something


@pytest.mark.parametrize("scorer", ["dot", "general", "concat"])
def test_hiding_a_word_with_weight_zero_changes_nothing(tiny_models_dir, scorer):
    bundle = load_bundle(tiny_models_dir / scorer)
    trace = trace_translation(bundle, SENTENCE, blocked=(1,))  # "reads" gets weight 0 at every step
    assert np.all(trace.weights[:, 1] == 0)
    e = hide_effects(bundle, trace)
    assert e.attention[1] == 0 and e.effect[1] == 0 and np.all(e.per_step[1] == 0)
    assert np.abs(np.delete(e.effect, 1)).max() > 0  # the other words do matter


def test_the_last_word_attention_can_see_is_not_hidden(dot):
    trace = trace_translation(dot, "red book", blocked=(0,))
    e = hide_effects(dot, trace)
    assert e.effect[0] == 0 and np.isnan(e.effect[1])


def test_no_attention_no_hide_test(tiny_models_dir):
    none = load_bundle(tiny_models_dir / "none")
    with pytest.raises(ValueError, match="no attention"):
        hide_effects(none, trace_translation(none, SENTENCE))


def test_greedy_beam_and_forced_traces_all_work(dot):
    for trace in (trace_translation(dot, SENTENCE, beam=3),
                  trace_translation(dot, SENTENCE, target="Elle lit un livre rouge.")):
        e = hide_effects(dot, trace)
        assert np.isfinite(e.effect).all() and e.tgt_tokens == trace.tgt_tokens
