"""Prefix-constrained decoding, the in-loop record, the length limit and the input caps (every scorer)."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from attnviz import torchdecode as ref
from attnviz import trace as core
from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_all
from attnviz.fastdecode import fast_decoder
from attnviz.trace import MAX_INPUT_CHARS, MAX_TARGET_TOKENS, default_max_len, trace_translation

SENTENCES = ["I see the white house.", "I don't like cats.", "Tom's house is small and the dog is big."]


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def check_trace(t):
    """What every Trace must hold, whatever produced it."""
    n, s = t.num_steps, len(t.src_tokens)
    assert len(t.forced) == len(t.tgt_known) == len(t.topk_tokens) == n
    assert t.dec_states.shape == (n, t.enc_out.shape[1]) and t.chosen_probs.shape == (n,)
    assert t.stop_reason == ("eos" if t.finished else "length")
    assert np.isfinite(t.topk_probs).all() and ((0 < t.chosen_probs) & (t.chosen_probs <= 1)).all()
    assert (np.diff(t.topk_probs, axis=1) <= 1e-7).all()
    if t.scorer == "none":
        assert t.scores is None and t.weights is None and t.contexts is None
        return
    assert t.scores.shape == t.weights.shape == (n, s)
    np.testing.assert_allclose(t.weights.sum(-1), 1.0, atol=1e-5)
    allowed = [i for i in range(s) if i not in t.blocked]
    np.testing.assert_allclose(t.weights[:, allowed], _softmax(t.scores[:, allowed]), atol=1e-5)
    assert np.all(t.weights[:, list(t.blocked)] == 0)
    np.testing.assert_allclose(t.contexts, t.weights @ t.enc_out, atol=1e-5)


def assert_same_record(a, b):
    """Two traces of the same words: the same numbers (the fast step against the model's modules)."""
    assert a.tgt_known == b.tgt_known  # an unknown forced word: as typed in one, <unk> in the other
    assert [w.lower() for w, k in zip(a.tgt_tokens, a.tgt_known) if k] == [
        w.lower() for w, k in zip(b.tgt_tokens, b.tgt_known) if k]
    assert a.topk_tokens == b.topk_tokens
    for x, y in [(a.enc_out, b.enc_out), (a.dec_states, b.dec_states), (a.scores, b.scores),
                 (a.weights, b.weights), (a.contexts, b.contexts)]:
        if x is None:
            assert y is None
        else:  # float32 in both, summed in other orders: 1e-5, relative for the unbounded states
            np.testing.assert_allclose(x, y, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(a.topk_probs, b.topk_probs, atol=1e-5)
    np.testing.assert_allclose(a.chosen_probs, b.chosen_probs, atol=1e-5)


def forced_pass(bundle, t):
    """The reference: one forced pass of the model's own torch modules over the trace's words."""
    src = ref.encoded_source(bundle, t.source, t.blocked)
    return ref.record(bundle, src, t.model_ids(bundle.tgt_vocab), t.mode)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_greedy_record_made_while_decoding_equals_a_forced_pass(tiny_bundle, sentence):
    t = trace_translation(tiny_bundle, sentence)
    check_trace(t)
    with torch.inference_mode():
        src = ref.encoded_source(tiny_bundle, sentence)
        reference = ref.greedy_ids(tiny_bundle, src, default_max_len(len(src.ids)))
    assert t.model_ids(tiny_bundle.tgt_vocab) == reference  # the model's own greedy search
    assert_same_record(t, forced_pass(tiny_bundle, t))


def test_blocked_record_equals_a_forced_pass(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[0], blocked=[1, 3], prefix="je")
    check_trace(t)
    assert_same_record(t, forced_pass(tiny_bundle, t))


@pytest.mark.parametrize("prefix", [["Je", "vois"], "Je vois", "je VOIS"])
def test_prefix_is_kept_marked_and_shown_as_the_model_writes_it(tiny_bundle, prefix):
    t = trace_translation(tiny_bundle, SENTENCES[0], prefix=prefix)
    check_trace(t)
    assert t.mode == "greedy" and t.tgt_tokens[:2] == ("je", "vois")  # never "Je": the vocabulary is lowercase
    assert t.forced[:2] == (True, True) and not any(t.forced[2:]) and t.prefix_len == 2
    assert t.translation.startswith("Je vois") and all(t.tgt_known[:2])
    # after the prefix it decodes greedily: each free word is the most probable allowed one
    for step in range(2, t.num_steps):
        allowed = [w for w in t.topk_tokens[step] if w not in ("<unk>", "<pad>", "<bos>")]
        assert t.tgt_tokens[step] == allowed[0]
    assert_same_record(t, forced_pass(tiny_bundle, t))


def test_forced_words_are_the_models_words_so_the_narration_can_compare_them(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[0], target="JE vois la maison blanche.")
    assert t.tgt_tokens[:2] == ("je", "vois") and all(t.forced)
    for word, top in zip(t.tgt_tokens, t.topk_tokens):  # a forced word the model also ranks: one spelling
        assert word in top or word.lower() not in [w.lower() for w in top]


def test_unknown_prefix_words_go_in_as_unk_and_are_marked(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[0], prefix="Zorglub vois")
    check_trace(t)
    assert t.tgt_tokens[:2] == ("Zorglub", "vois") and t.tgt_known[:2] == (False, True)
    assert t.forced[:2] == (True, True)
    assert_same_record(t, forced_pass(tiny_bundle, t))


def test_prefix_with_beam_search_starts_every_hypothesis_with_the_prefix(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[1], prefix="je", beam=3)
    check_trace(t)
    assert t.mode == "beam" and t.forced[0] and not any(t.forced[1:])
    assert all(text.lower().startswith("je") for text, _ in t.alternatives)
    tree = t.beam_tree
    assert [n.status for n in tree.nodes if n.step == 0] == ["forced"]


def test_an_empty_prefix_is_plain_decoding_and_prefix_with_target_is_refused(tiny_bundle):
    plain = trace_translation(tiny_bundle, SENTENCES[0])
    assert trace_translation(tiny_bundle, SENTENCES[0], prefix="  ").tgt_tokens == plain.tgt_tokens
    with pytest.raises(ValueError, match="not both"):
        trace_translation(tiny_bundle, SENTENCES[0], prefix="je", target="je vois")


def test_length_limit_cuts_decoding_and_says_so(tiny_bundle):
    t = trace_translation(tiny_bundle, SENTENCES[2], max_len=3)
    check_trace(t)
    assert t.num_steps == 3 and t.stop_reason == "length" and not t.finished
    t = trace_translation(tiny_bundle, SENTENCES[2], beam=2, max_len=2)
    assert t.num_steps == 2 and t.stop_reason == "length"
    # a prefix longer than the limit still gets one free step after it
    t = trace_translation(tiny_bundle, SENTENCES[0], prefix="je vois la maison", max_len=2)
    assert t.num_steps == 5 and t.prefix_len == 4


def test_default_length_limit_follows_the_training_data_ratio():
    assert [default_max_len(s) for s in (1, 10, 50)] == [7, 20, 80]  # ceil(1.5 S) + 5
    assert default_max_len(10) < 2 * 10 + 10  # tighter than the old limit


def test_over_long_text_is_refused_before_it_is_tokenised(tiny_bundle, monkeypatch):
    def never(_):
        raise AssertionError("tokenised an over-long text")

    core._tokens_en.cache_clear()
    monkeypatch.setattr(core, "tokenize_en", never)
    monkeypatch.setattr(core, "tokenize_fr", never)
    long = "a" * (MAX_INPUT_CHARS + 1)
    with pytest.raises(ValueError, match="1,001 characters; the limit is 1,000"):
        trace_translation(tiny_bundle, long)
    with pytest.raises(ValueError, match="forced French sentence has 1,001 characters"):
        trace_translation(tiny_bundle, "The car.", target=long)
    with pytest.raises(ValueError, match="French prefix has 1,001 characters"):
        trace_translation(tiny_bundle, "The car.", prefix=long)
    with pytest.raises(ValueError, match="French prefix"):
        trace_translation(tiny_bundle, "The car.", prefix=["a"] * 600)  # 1,199 characters joined


def test_too_many_forced_words_are_refused(tiny_bundle):
    many = ". " * (MAX_TARGET_TOKENS + 1)  # few characters, many tokens
    assert len(many) <= MAX_INPUT_CHARS
    with pytest.raises(ValueError, match=f"{MAX_TARGET_TOKENS + 1} words; the limit is {MAX_TARGET_TOKENS}"):
        trace_translation(tiny_bundle, "The car.", target=many)
    with pytest.raises(ValueError, match="limit"):
        trace_translation(tiny_bundle, "The car.", prefix=many)
    t = trace_translation(tiny_bundle, "The car.", target=". " * MAX_TARGET_TOKENS)  # at the cap: fine
    assert t.num_steps == MAX_TARGET_TOKENS + 1


def test_top_words_are_exact_even_when_they_sit_in_a_tail_cluster(tiny_bundle):
    """The cheap top-k of the adaptive softmax against the full distribution, on many states."""
    fd = fast_decoder(tiny_bundle)
    out = tiny_bundle.model.decoder.out
    enc_out, h0 = fd.encode(tiny_bundle.src_vocab.encode(core.tokenize_en(SENTENCES[2])))
    keys = fd.keys(enc_out, None)
    if isinstance(h0, np.ndarray):  # a GRU state: odd states, so that the tails matter
        h = np.random.default_rng(0).normal(size=(6, h0.shape[1])).astype(np.float32) * 3
    else:  # a Transformer's empty cache, one row per word fed
        h = h0[[0] * 6]
    step = fd.step([5, 6, 7, 8, 9, 10], h, keys)
    with torch.inference_mode():
        full = out.log_prob(torch.from_numpy(step.att_h))  # (N, V) the model's own adaptive softmax
    tops = fd.top_words(step, 5, 3, (0, 1, 2))
    for r, (top, sel, expanded) in enumerate(tops):
        order = full[r].argsort(descending=True).tolist()
        assert [i for _, i in top] == order[:5]
        assert [i for _, i in sel] == [i for i in order if i not in (0, 1, 2)][:3]
        np.testing.assert_allclose([lp for lp, _ in top], full[r, order[:5]].numpy(), atol=1e-5)
        for word in (order[0], order[-1], len(full[r]) - 1):
            assert abs(fd.word_log_prob(step, r, word, expanded) - float(full[r, word])) < 1e-5


def test_cli_prefix_marks_the_forced_steps(tiny_models_dir):
    r = subprocess.run([sys.executable, "-m", "attnviz", "translate", "I see the white house.", "--prefix",
                        "Je vois", "--json", "--scorer", "concat", "--models", str(tiny_models_dir)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)["results"][0]
    assert res["target_tokens"][:2] == ["je", "vois"]
    assert res["forced"] == [True, True] + [False] * (len(res["target_tokens"]) - 2)


def test_fast_encoder_is_the_models_encoder(tiny_bundle):
    ids = tiny_bundle.src_vocab.encode(core.tokenize_en(SENTENCES[2]))
    enc = ref.encode(tiny_bundle, ids)
    enc_out, dec_h0 = fast_decoder(tiny_bundle).encode(ids)
    np.testing.assert_allclose(enc_out, enc.enc_out[0].numpy(), atol=1e-5, rtol=1e-5)
    if isinstance(dec_h0, np.ndarray):  # a GRU's first state (a Transformer starts from no words fed)
        np.testing.assert_allclose(dec_h0, enc.dec_h0[0].numpy(), atol=1e-6, rtol=0)


BUNDLED = ["I see the white car.", "The old man gave his white car to the young woman.", "Where is Tom?",
           "I don't think she would have agreed to that without asking her parents first."]


@pytest.mark.parametrize("beam", [1, 3])
def test_bundled_models_decode_as_their_own_modules(beam):
    """The four real models: the fast step picks the words their modules pick, with their numbers."""
    for bundle in load_all(DEFAULT_MODELS_DIR).values():
        for sentence in BUNDLED:
            t = trace_translation(bundle, sentence, beam=beam)
            check_trace(t)
            with torch.inference_mode():
                src = ref.encoded_source(bundle, sentence)
                limit = default_max_len(len(src.ids))
                ids = (ref.greedy_ids(bundle, src, limit) if beam == 1
                       else ref.beam_ids(bundle, src, limit, beam)[0][0])
            assert t.model_ids(bundle.tgt_vocab) == ids, (bundle.scorer, sentence)
            assert_same_record(t, forced_pass(bundle, t))
