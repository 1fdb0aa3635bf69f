"""The Transformer: every head's numbers against its torch modules, softmax and masking per head."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attnviz.checkpoint import load_bundle, save_bundle
from attnviz.config import ModelConfig, default_config, weight_shapes
from attnviz.fastdecode import fast_decoder
from attnviz.torchdecode import encoded_source, forced_heads, record
from attnviz.trace import trace_translation
from attnviz.vocab import EOS_ID, PAD_ID
from tiny_models import tiny_model

SENTENCES = ["I see the white house.", "Tom's house is small and the dog is big.", "Where is Tom?"]


@pytest.fixture(scope="module")
def tiny_transformer(tiny_models_dir):
    return load_bundle(tiny_models_dir / "transformer")


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize("beam", [1, 3])
def test_every_head_is_softmax_of_its_scores_and_rows_sum_to_one(tiny_transformer, sentence, beam):
    heads = trace_translation(tiny_transformer, sentence, beam=beam).heads
    assert heads.cross_weights.shape == heads.cross_scores.shape
    np.testing.assert_allclose(heads.cross_weights.sum(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(heads.cross_weights, _softmax(heads.cross_scores), atol=1e-6)
    np.testing.assert_allclose(heads.self_weights.sum(-1), 1.0, atol=1e-6)


def test_decoder_self_attention_never_looks_at_later_words(tiny_transformer):
    heads = trace_translation(tiny_transformer, SENTENCES[1]).heads
    t = heads.self_weights.shape[0]
    later = np.triu(np.ones((t, t), dtype=bool), k=1)  # (T, T) True where column j > row i
    assert np.all(heads.self_weights.transpose(1, 2, 0, 3)[..., later] == 0)
    assert np.all(heads.self_weights[0, :, :, 0] == 1.0)  # the first word can only look at itself


@pytest.mark.parametrize("sentence", SENTENCES)
def test_every_head_equals_the_torch_modules(tiny_transformer, sentence):
    """The NumPy step, one word at a time with its caches, against one forced pass of the torch decoder."""
    got = trace_translation(tiny_transformer, sentence)
    ids = tiny_transformer.tgt_vocab.encode(got.tgt_tokens[:-1]) + [EOS_ID]
    ids = [i if pos < 0 else 1 for i, pos in zip(ids, got.copied)]  # a copied word is <unk> to the model
    want = record(tiny_transformer, encoded_source(tiny_transformer, sentence), ids, "greedy")
    for name in ("cross_scores", "cross_weights", "queries", "keys", "values", "cross_out", "self_weights", "memory"):
        np.testing.assert_allclose(getattr(got.heads, name), getattr(want.heads, name), atol=1e-5, rtol=1e-5,
                                   err_msg=name)


def test_a_decoder_shallower_than_its_encoder_decodes_as_its_torch_modules(tmp_path):
    """decoder_layers (here 1 under a 2-layer encoder): the bundle's tensors are the torch model's, and
    every head of the NumPy decoder equals the torch decoder's."""
    model, src_vocab, tgt_vocab = tiny_model("transformer", seed=7, decoder_layers=1, attention_layer=0)
    bundle = load_bundle(save_bundle(model, src_vocab, tgt_vocab, tmp_path / "transformer"))
    assert weight_shapes(bundle.cfg) == {k: tuple(v.shape) for k, v in model.state_dict().items()}
    names = weight_shapes(bundle.cfg)
    assert any(k.startswith("encoder.layers.1.") for k in names)
    assert not any(k.startswith("decoder.layers.1.") for k in names)
    got = trace_translation(bundle, SENTENCES[1], beam=2)
    assert got.heads.shape == (1, 2)
    ids = bundle.tgt_vocab.encode(got.tgt_tokens[:-1]) + [EOS_ID]
    ids = [i if pos < 0 else 1 for i, pos in zip(ids, got.copied)]
    want = record(bundle, encoded_source(bundle, SENTENCES[1]), ids, "greedy")
    for name in ("cross_scores", "cross_weights", "queries", "cross_out", "self_weights"):
        np.testing.assert_allclose(getattr(got.heads, name), getattr(want.heads, name), atol=1e-5, rtol=1e-5,
                                   err_msg=name)


def test_the_default_recipe_shows_a_layer_the_decoder_has():
    assert default_config("transformer", 50, 60, decoder_layers=2).attention_layer == 1
    assert default_config("transformer", 50, 60).attention_layer == ModelConfig.attention_layer
    assert default_config("transformer", 50, 60, decoder_layers=2).dec_layers == 2
    assert ModelConfig(scorer="transformer").dec_layers == ModelConfig.layers  # bundles without the field


def test_a_fresh_model_adds_words_and_positions_at_the_same_scale():
    """Embeddings drawn N(0, 1/D): after the ×√D scaling a word vector is as large as a position
    encoding (per dimension about 1 against √½), not 16× larger as torch's default init made it."""
    from attnviz.transformer import Transformer, positions

    torch.manual_seed(0)
    cfg = default_config("transformer", 500, 600)
    model = Transformer(cfg)
    for emb in (model.encoder.emb, model.decoder.emb):
        scaled = emb.weight.detach()[PAD_ID + 1:] * cfg.hidden ** 0.5  # (V - 1, D) what the first layer sees of each word
        assert 0.9 < float(scaled.std()) < 1.1
        assert float(emb.weight.detach()[PAD_ID].abs().sum()) == 0.0  # the padding word adds nothing
    assert abs(float(positions(30, cfg.hidden).pow(2).mean().sqrt()) - 0.5 ** 0.5) < 1e-3  # sin² + cos² = 1


def test_for_head_shows_that_heads_three_steps(tiny_transformer):
    trace = trace_translation(tiny_transformer, SENTENCES[0])
    layers, heads = trace.heads.shape
    for layer in range(layers):
        for head in range(heads):
            view = trace.for_head(layer, head)
            np.testing.assert_allclose(view.weights, _softmax(view.scores), atol=1e-6)
            q, k = view.dec_states, trace.heads.keys[layer, head]  # (T, K), (S, K)
            np.testing.assert_allclose(view.scores, q @ k.T / np.sqrt(k.shape[1]), atol=1e-5)
            np.testing.assert_allclose(view.contexts, view.weights @ view.enc_out, atol=1e-6)
            assert view.heads.layer == layer and view.heads.head == head
    with pytest.raises(ValueError, match="no head"):
        trace.for_head(layers, 0)


def test_the_trace_shows_the_bundles_chosen_head(tiny_transformer):
    trace = trace_translation(tiny_transformer, SENTENCES[0])
    cfg = tiny_transformer.cfg
    assert (trace.heads.layer, trace.heads.head) == (cfg.attention_layer, cfg.attention_head)
    np.testing.assert_array_equal(trace.weights, trace.heads.cross_weights[:, cfg.attention_layer, cfg.attention_head])


def test_a_hidden_word_gets_no_weight_in_any_head_of_any_layer(tiny_transformer):
    heads = trace_translation(tiny_transformer, SENTENCES[1], blocked=[0, 3]).heads
    assert np.all(heads.cross_weights[..., [0, 3]] == 0)
    np.testing.assert_allclose(heads.cross_weights.sum(-1), 1.0, atol=1e-6)


def test_encoder_self_attention_equals_the_torch_encoder(tiny_transformer):
    ids = tiny_transformer.src_vocab.encode(SENTENCES[1].replace(".", " .").split())
    _, weights = fast_decoder(tiny_transformer).encode_layers(ids)  # (L, A, S, S)
    with torch.inference_mode():
        want = tiny_transformer.model.encoder.self_attention(torch.tensor([ids]))
    np.testing.assert_allclose(weights, np.stack([a.weights[0].numpy() for a in want]), atol=1e-6)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)


def test_training_snapshots_keep_every_head(tiny_transformer):
    every = forced_heads(tiny_transformer, "I see the white house.", "Je vois la maison blanche.")
    layers, heads = tiny_transformer.cfg.layers, tiny_transformer.cfg.heads
    assert every.shape[:2] == (layers, heads)
    np.testing.assert_allclose(every.sum(-1), 1.0, atol=1e-6)


def test_cli_json_has_every_head_only_with_heads(tiny_models_dir):
    import json
    import subprocess
    import sys

    def run(*extra):
        r = subprocess.run([sys.executable, "-m", "attnviz", "translate", "Where is Tom?", "--scorer", "transformer",
                            "--json", "--models", str(tiny_models_dir), *extra], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["results"][0]

    plain, full = run(), run("--heads")
    assert "all_heads" not in plain and plain["head"] == [1, 1]
    every = full["all_heads"]
    t, s = len(full["target_tokens"]), len(full["source_tokens"])
    assert np.array(every["cross_weights"]).shape == (t, every["layers"], every["heads"], s)
    assert np.array(every["self_weights"]).shape == (t, every["layers"], every["heads"], t)
    np.testing.assert_allclose(np.array(every["cross_weights"])[:, 1, 1], full["weights"], atol=1e-6)
