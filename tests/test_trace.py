"""The invariants of a Trace, for every scorer (tiny untrained models)."""
import numpy as np
import pytest
import torch

from attnviz.attention import SCORERS, attend, make_scorer
from attnviz.torchdecode import greedy_batch
from attnviz.trace import MAX_SOURCE_TOKENS, default_max_len, trace_translation

SENTENCES = ["The white car.", "I don't like cats.", "Tom's house is small and the dog is big."]


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_weights_are_the_softmax_of_scores_and_context_their_weighted_sum(tiny_bundle, sentence):
    t = trace_translation(tiny_bundle, sentence)
    assert t.finished == (t.tgt_tokens[-1] == "<eos>") and len(t.src_tokens) == t.enc_out.shape[0]
    assert t.finished or t.num_steps == default_max_len(len(t.src_tokens))  # cut at the default max_len
    assert t.stop_reason == ("eos" if t.finished else "length") and t.forced == (False,) * t.num_steps
    arrays = [a for a in (t.enc_out, t.dec_states, t.scores, t.weights, t.contexts, t.topk_probs) if a is not None]
    assert all(np.isfinite(a).all() for a in arrays)
    if t.scorer == "none":
        assert t.scores is None and t.weights is None and t.contexts is None
        return
    assert t.weights.shape == t.scores.shape == (t.num_steps, len(t.src_tokens))
    np.testing.assert_allclose(t.weights.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(t.weights, _softmax(t.scores), atol=1e-5)
    np.testing.assert_allclose(t.contexts, t.weights @ t.enc_out, atol=1e-5)


def test_greedy_output_is_the_most_probable_word_and_probabilities_are_sorted(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[0])
    assert (np.diff(t.topk_probs, axis=1) <= 1e-9).all()
    for step, word in enumerate(t.tgt_tokens):
        allowed = [w for w in t.topk_tokens[step] if w not in ("<unk>", "<pad>", "<bos>")]
        assert word == allowed[0]


def test_forcing_the_greedy_output_reproduces_the_same_numbers(tiny_bundle):
    greedy = trace_translation(tiny_bundle, SENTENCES[1])
    words = [w for w in greedy.tgt_tokens if w != "<eos>"]
    forced = trace_translation(tiny_bundle, SENTENCES[1], target=greedy.translation)  # as force= gets it
    n = len(words)  # forcing always ends with <eos>; an unfinished greedy run does not
    assert forced.mode == "forced" and list(forced.tgt_tokens[:n]) == words
    np.testing.assert_allclose(forced.chosen_probs[:n], greedy.chosen_probs[:n], atol=1e-6)
    if greedy.weights is not None:
        np.testing.assert_allclose(forced.weights[:n], greedy.weights[:n], atol=1e-6)


def test_batched_decoding_equals_one_sentence_decoding(tiny_bundle):
    batched = greedy_batch(tiny_bundle, SENTENCES)
    assert batched == [trace_translation(tiny_bundle, s).translation for s in SENTENCES]


def test_blocked_positions_get_zero_weight(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[0], blocked=[1])
    assert t.blocked == (1,)
    if t.weights is not None:
        assert np.all(t.weights[:, 1] == 0)
        np.testing.assert_allclose(t.weights.sum(-1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="every source word"):
        trace_translation(tiny_bundle, "Hi.", blocked=[0, 1])
    with pytest.raises(ValueError, match="positions"):
        trace_translation(tiny_bundle, "Hi.", blocked=[7])


def test_beam_returns_ranked_alternatives_and_a_consistent_trace(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[0], beam=3)
    assert t.mode == "beam" and t.alternatives
    assert t.alternatives[0][0] == t.translation
    scores = [s for _, s in t.alternatives]
    assert scores == sorted(scores, reverse=True)


def test_bad_input_raises_a_readable_value_error(tiny_bundle):
    for bad in ["", "   ", "!!!"[:0]]:
        with pytest.raises(ValueError, match="no English word"):
            trace_translation(tiny_bundle, bad)
    with pytest.raises(ValueError, match="limit"):
        trace_translation(tiny_bundle, "word " * (MAX_SOURCE_TOKENS + 1))


def test_unknown_words_are_marked_and_still_translated(tiny_bundle):
    t = trace_translation(tiny_bundle, "Zyxw <script>alert(1)</script> 🙂")
    assert not any(t.src_known[:1]) and "<" in t.src_tokens
    assert np.isfinite(t.topk_probs).all()


@pytest.mark.parametrize("name", [n for n in SCORERS if n != "none"])
def test_attend_masks_padding_to_zero_weight(name):
    torch.manual_seed(0)
    scorer = make_scorer(name, 8)
    enc_out, dec_h = torch.randn(2, 5, 8), torch.randn(2, 3, 8)  # (B, S, H), (B, T, H)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    weights, context = attend(scorer(dec_h, enc_out), enc_out, mask)
    assert torch.all(weights[0, :, 3:] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))
    torch.testing.assert_close(context, weights @ enc_out)


def test_unknown_scorer_lists_the_choices():
    with pytest.raises(ValueError, match="dot, general, concat, none"):
        make_scorer("luong", 8)
