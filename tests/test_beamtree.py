"""Beam search traced in the loop: the tree of hypotheses, its ranking, and each hypothesis's own trace."""
import math

import numpy as np
import pytest
import torch

from attnviz.torchdecode import beam_ids, encoded_source
from attnviz.trace import LEFT_OUT_PENALTY, default_max_len, length_normalised, ranking_score, trace_translation
from test_prefix import assert_same_record, check_trace, forced_pass

SENTENCES = ["The white car.", "I don't like cats.", "Tom's house is small and the dog is big."]


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize("beam", [2, 4])
def test_the_tree_agrees_with_the_reference_beam_search(tiny_bundle, sentence, beam):
    t = trace_translation(tiny_bundle, sentence, beam=beam)
    check_trace(t)
    tree = t.beam_tree
    with torch.inference_mode():
        src = encoded_source(tiny_bundle, sentence)
        reference = beam_ids(tiny_bundle, src, default_max_len(len(src.ids)), beam)
    got = [(tree.token_ids(n), score) for n, score in zip(tree.ranked, tree.ranked_scores)]
    assert [ids for ids, _ in got] == [ids for ids, _ in reference]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in reference], atol=1e-5)
    # the winning path is the trace's words
    assert tree.winner == tree.ranked[0]
    assert tree.token_ids(tree.winner) == t.model_ids(tiny_bundle.tgt_vocab)
    assert t.alternatives[0][0] == t.translation and len(t.alternatives) == len(tree.ranked)


@pytest.mark.parametrize("beam", [2, 3])
def test_tree_structure_is_a_beam_search(tiny_bundle, beam):
    t = trace_translation(tiny_bundle, SENTENCES[2], beam=beam)
    nodes = t.beam_tree.nodes
    assert all(n.id == i for i, n in enumerate(nodes))
    assert {n.status for n in nodes} <= {"kept", "pruned", "finished"}
    for n in nodes:
        parent = nodes[n.parent] if n.parent >= 0 else None
        assert parent is None or (parent.status == "kept" and parent.step == n.step - 1)
        assert math.isclose(n.cum_logp, (parent.cum_logp if parent else 0.0) + n.logp, abs_tol=1e-9)
        assert n.token not in ("<pad>", "<unk>", "<bos>") and n.logp <= 0
    steps = max(n.step for n in nodes) + 1
    for step in range(steps):
        here = [n for n in nodes if n.step == step]
        chosen = [n for n in here if n.status != "pruned"]
        assert len(chosen) <= beam
        # the chosen ones are the most probable continuations of this step
        if chosen and len(chosen) < len(here):
            assert min(n.cum_logp for n in chosen) >= max(n.cum_logp for n in here if n.status == "pruned") - 1e-9
        parents = {n.parent for n in here}
        assert all(sum(1 for n in here if n.parent == p) == beam for p in parents)  # top `beam` of each
        kept = [n.id for n in here if n.status == "kept"]
        assert kept == sorted({n.parent for n in nodes if n.step == step + 1}) or step == steps - 1
    assert all(nodes[n].status == "finished" for n in t.beam_tree.ranked) or not t.finished


def test_length_penalty_ranks_the_finished_hypotheses(tiny_bundle):
    for penalty in ("none", "average", 0.6, 1):
        t = trace_translation(tiny_bundle, SENTENCES[1], beam=4, length_penalty=penalty)
        tree = t.beam_tree
        lengths = [len(tree.path(n)) for n in tree.ranked]
        expected = [ranking_score(tree.nodes[n].cum_logp, k, penalty, out)
                    for n, k, out in zip(tree.ranked, lengths, tree.left_out)]
        np.testing.assert_allclose(tree.ranked_scores, expected)
        assert list(tree.ranked_scores) == sorted(tree.ranked_scores, reverse=True)
        assert tree.length_penalty == penalty
    assert length_normalised(-6.0, 3, "none") == -6.0 and length_normalised(-6.0, 3, "average") == -2.0
    assert length_normalised(-6.0, 1, 1.0) == -6.0  # GNMT: ((5 + 1) / 6) ** alpha == 1
    assert ranking_score(-6.0, 3, "average", 2) == -2.0 - 2 * LEFT_OUT_PENALTY  # two copyable words left out
    for bad in ("mean", -1, float("nan"), True):
        with pytest.raises(ValueError, match="length penalty"):
            trace_translation(tiny_bundle, SENTENCES[1], beam=2, length_penalty=bad)


def test_each_hypothesis_has_its_own_trace(tiny_bundle):
    best = trace_translation(tiny_bundle, SENTENCES[2], beam=3)
    tree = best.beam_tree
    for k, node in enumerate(tree.ranked):
        t = trace_translation(tiny_bundle, SENTENCES[2], beam=3, hypothesis=k)
        check_trace(t)
        assert t.hypothesis == k and t.beam_tree == tree and t.alternatives == best.alternatives
        assert t.model_ids(tiny_bundle.tgt_vocab) == tree.token_ids(node)
        assert t.translation == t.alternatives[k][0]
        np.testing.assert_allclose(np.log(t.chosen_probs), [tree.nodes[i].logp for i in tree.path(node)],
                                   atol=1e-6)
        assert_same_record(t, forced_pass(tiny_bundle, t))  # its own attention, as the model computes it
    with pytest.raises(ValueError, match="out of range"):
        trace_translation(tiny_bundle, SENTENCES[2], beam=3, hypothesis=len(tree.ranked))
    with pytest.raises(ValueError, match="beam"):
        trace_translation(tiny_bundle, SENTENCES[2], hypothesis=1)


def test_greedy_has_no_tree_and_the_tree_stays_small(tiny_bundle):
    assert trace_translation(tiny_bundle, SENTENCES[0]).beam_tree is None
    sentence = " ".join(["the white car and the red cat"] * 3) + "."  # 22 words
    t = trace_translation(tiny_bundle, sentence, beam=8)
    assert len(t.beam_tree.nodes) <= 8 * 8 * default_max_len(len(t.src_tokens))
