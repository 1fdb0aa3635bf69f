"""Step by step for one Transformer head: the note's three steps with the head's real query, keys and
values, every head of the layer joined and projected, and the page that shows them, in both languages."""
from __future__ import annotations

import math

import numpy as np
import pytest

from attnviz import explain
from attnviz.checkpoint import load_bundle
from attnviz.figures import headsteps
from attnviz.i18n import messages
from attnviz.trace import trace_translation
from test_app import bar_lists, keys, link, texts  # noqa: F401  (link: the fixture, used by name)

SENTENCE = "She reads a red book."
EN, KO = messages("en"), messages("ko")


@pytest.fixture(scope="module")
def tiny_transformer(tiny_models_dir):
    return load_bundle(tiny_models_dir / "transformer")


@pytest.fixture(scope="module")
def trace(tiny_transformer):
    return trace_translation(tiny_transformer, SENTENCE)


def _bold(m, key: str) -> str:
    """A caption's bold heading, e.g. "(1) Query and keys." (no fields in it)."""
    return m(key).split("**")[1]


@pytest.mark.parametrize("m", [EN, KO])
def test_captions_quote_the_heads_own_numbers(trace, m):
    h = trace.heads
    for t in range(trace.num_steps):
        text = explain.step_captions(trace, t, m)
        assert set(text) == {"look", "score", "weigh", "heads", "differs", "choose"}
        q, k = trace.dec_states[t], h.keys[h.layer, h.head]  # (K,), (S, K)
        i = int(np.argmax(trace.weights[t]))
        root = math.sqrt(q.size)
        np.testing.assert_allclose(q @ k[i] / root, trace.scores[t][i], rtol=1e-5, atol=1e-6)  # q·k/√K
        assert f"{float(q @ k[i]):.2f} / {root:.4g} = {trace.scores[t][i]:.2f}" in text["score"]
        assert f"{trace.scores[t][i]:.2f}" in text["weigh"] and f"= {trace.weights[t][i]:.2f}$" in text["weigh"]
        assert f"{np.linalg.norm(q):.2f}" in text["look"] and f"{q[0]:.2f}" in text["look"]
        assert f"{np.linalg.norm(trace.contexts[t]):.2f}" in text["weigh"]
        joined, projected = explain.head_outputs(trace, t)
        assert f"{np.linalg.norm(joined):.2f}" in text["heads"] and f"{np.linalg.norm(projected):.2f}" in text["heads"]
        assert f"{joined.size}" in text["heads"]
        # the Transformer has queries, keys and values, not a decoder state and encoder hidden states
        words = " ".join(text.values())
        assert _bold(m, "explain.cap_look") not in words
        gru_words = ("hidden state", "decoder's state", "context vector", "은닉 상태", "디코더의 상태", "문맥 벡터")
        for gru in gru_words:
            assert gru not in words
    name = m("explain.head_name", layer=h.layer + 1, head=h.head + 1)
    assert name in explain.step_narration(trace, 0, m) and name in text["differs"]


def test_the_heads_joined_are_every_heads_weighted_sum_and_project_to_the_layers_output(tiny_transformer, trace):
    h = trace.heads
    layers, n_heads = h.shape
    k_dim = h.keys.shape[-1]
    w = tiny_transformer.weights[f"decoder.layers.{h.layer}.cross_att.o.weight"]  # (D, D)
    b = tiny_transformer.weights[f"decoder.layers.{h.layer}.cross_att.o.bias"]
    for t in range(trace.num_steps):
        joined, projected = explain.head_outputs(trace, t)
        assert joined.shape == (n_heads * k_dim,)
        each = [trace.for_head(h.layer, a).contexts[t] for a in range(n_heads)]  # weights @ values, per head
        np.testing.assert_allclose(joined, np.concatenate(each), atol=1e-6)
        np.testing.assert_allclose(joined[h.head * k_dim:(h.head + 1) * k_dim], trace.contexts[t], atol=1e-6)
        np.testing.assert_array_equal(projected, h.cross_out[t, h.layer])
        np.testing.assert_allclose(joined @ w.T + b, projected, atol=1e-5)  # the layer's output matrix


def test_another_head_is_named_and_narrated_with_its_numbers(trace):
    other = trace.for_head(0, 1)
    text = explain.step_captions(other, 0, EN)
    said = explain.step_narration(other, 0, EN)
    assert said.startswith("**Step 1 of") and "layer 1, head 2" in said
    i = int(np.argmax(other.weights[0]))
    assert f"= {other.scores[0][i]:.2f}." in text["score"]
    assert "Layer 1's" in text["heads"]


def test_figures_draw_the_query_keys_values_and_joined_heads(trace):
    h, t = trace.heads, 1
    s_len = len(trace.src_tokens)
    qk = headsteps.query_keys_figure(trace, t, m=KO)
    z = np.asarray(qk["data"][0]["z"])
    assert z.shape == (1 + s_len, h.keys.shape[-1])
    np.testing.assert_allclose(z[0], trace.dec_states[t])
    np.testing.assert_allclose(z[1:], h.keys[h.layer, h.head])
    assert qk["layout"]["yaxis"]["ticktext"][0] == KO("steps.query_row")
    assert qk["layout"]["title"]["text"] == KO("steps.qk_title")
    vals = headsteps.values_figure(trace, t)
    np.testing.assert_allclose(np.asarray(vals["data"][0]["z"])[-1], trace.contexts[t], atol=1e-6)
    out = headsteps.heads_out_figure(trace, t)
    z = np.asarray(out["data"][0]["z"])
    joined, projected = explain.head_outputs(trace, t)
    np.testing.assert_allclose(z, np.vstack([joined, projected]))
    assert [a["text"] for a in out["layout"]["annotations"]] == [EN("steps.head_short", head=a + 1)
                                                                 for a in range(h.shape[1])]


def test_a_gru_trace_keeps_its_wording_and_has_no_head_figures(tiny_models_dir):
    gru = trace_translation(load_bundle(tiny_models_dir / "general"), SENTENCE)
    text = explain.step_captions(gru, 0, EN)
    assert set(text) == {"look", "score", "weigh", "choose"}
    assert text["look"].startswith("**(1) Look.**") and "hidden states" in text["look"]
    assert explain.step_narration(gru, 0, EN).startswith("**Step 1 of") and "head" not in explain.step_title(gru, 0, EN)
    with pytest.raises(ValueError):
        headsteps.query_keys_figure(gru, 0)
    with pytest.raises(ValueError):
        explain.head_outputs(gru, 0)


# ---------------------------------------------------------------- the page


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_step_view_walks_one_head_through_the_three_steps(link, trace, lang):
    m = messages(lang)
    at = link(view="steps", model="transformer", step="2", sentence=SENTENCE, lang=lang)
    assert at.session_state["step"] == 2
    body = texts(at)
    for key in ("explain.tf_look", "explain.tf_score", "explain.tf_weigh", "explain.tf_heads", "explain.tf_choose"):
        assert _bold(m, key) in body, key
    assert m("explain.tf_differs").split("**")[1] in [i.value.split("**")[1] for i in at.info]
    assert {"fill", "query-keys", "values", "heads-out"} <= set(keys(at)) and "states" not in keys(at)
    assert _bold(m, "explain.cap_look") not in body  # no "encoder hidden states" for a Transformer
    assert m("figures.scores_title") in bar_lists(at)[0]
    h = trace.heads  # the step's title names the head shown: the model's own without layer= and head=
    own = m("explain.head_name", layer=h.layer + 1, head=h.head + 1)
    assert m("explain.step_head_heads", step=2, total=trace.num_steps, head=own) in body
    assert explain.step_captions(trace, 1, m)["score"] in body  # the same numbers as the trace's


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_link_picks_the_head_or_falls_back_with_a_note(link, trace, lang):
    m = messages(lang)
    h = trace.heads
    layers, heads = h.shape
    layer = 1 if h.layer + 1 != 1 else layers  # a head that is not the model's own
    at = link(view="steps", model="transformer", sentence=SENTENCE, lang=lang, layer=str(layer), head="1")
    picked = trace.for_head(layer - 1, 0)
    assert m("explain.head_name", layer=layer, head=1) in texts(at)
    assert explain.step_captions(picked, 0, m)["score"] in texts(at)
    at.selectbox(key="heads_pick_steps").set_value((layer, 2)).run()  # the picker (views/heads.py)
    assert not at.exception, at.exception
    assert m("explain.head_name", layer=layer, head=2) in texts(at)
    assert explain.step_captions(trace.for_head(layer - 1, 1), 0, m)["weigh"] in texts(at)
    at = link(view="steps", model="transformer", sentence=SENTENCE, lang=lang, layer="9", head="1")
    assert m("notes.bad_head", layer=9, head=1, layers=layers, heads=heads, shown_layer=h.layer + 1,
             shown_head=h.head + 1) in [w.value for w in at.warning]


def test_presenter_mode_draws_the_head_figures(link):
    at = link(view="steps", model="transformer", sentence=SENTENCE, present="1")
    assert {"fill", "query-keys", "values", "heads-out"} <= set(keys(at))
    assert len(bar_lists(at)) == 2  # scores and weights, next words
