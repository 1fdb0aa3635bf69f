"""Copy through attention: where the model's best word is <unk>, it writes the English word attention
weighs most among those it may copy (unknown, a number, a name); the model without attention never
copies. The invariants hold in greedy, beam, prefix and forced decoding, in NumPy and in torch."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from attnviz import torchdecode as ref
from attnviz.checkpoint import Bundle
from attnviz.data import (Pair, hide_shared_names, names_written_the_same, numbers_as_digits, shared_names,
                          write_numbers_as_digits)
from attnviz.explain import step_narration
from attnviz.translate import trace_to_json
from attnviz.text import copyable
from attnviz.trace import copy_position, default_max_len, trace_translation
from attnviz.vocab import UNK, UNK_ID, Vocab
from tiny_models import tiny_model

COPYABLE = "Marie Lyon 3 Kenji"  # every word unknown to the tiny vocabulary, a name or a number
KNOWN = "i see the car ."  # every word known and lowercase: nothing may be copied
MIXED = "the Marie car ."  # only Marie may be copied, though attention often weighs "car" or "." more


def _unk_loving(scorer: str) -> Bundle:
    """A tiny model whose <unk> output row points where its attentional state always lies (a large
    bias drives tanh near +1): <unk> is its best word at every step, by a margin, and the other words
    keep distinct probabilities (no ties for beam search to break). Copy decides what is written."""
    model, src_vocab, tgt_vocab = tiny_model(scorer)
    with torch.no_grad():
        model.decoder.combine.bias += 3.0  # att_h = tanh(W [h; c] + b) close to +1 in every dimension
        model.decoder.out.head.weight[UNK_ID] = 0.6  # <unk> logit ≈ 0.6 · E, far above the others
    return Bundle.of_model(model, src_vocab, tgt_vocab, {}, path=None)


@pytest.fixture(scope="module", params=["dot", "general", "concat"])
def copier(request) -> Bundle:
    return _unk_loving(request.param)


def check_copies(trace) -> None:
    """The copy invariants of one trace."""
    assert np.allclose(trace.weights.sum(-1), 1.0)
    may = np.array([copyable(tok, known) for tok, known in zip(trace.src_tokens, trace.src_known)])
    for t in trace.copied_steps:
        pos = trace.copied[t]
        assert may[pos] and trace.weights[t][pos] > 0
        assert pos == int(np.argmax(np.where(may, trace.weights[t], -1)))  # the argmax of the words it may copy
        assert trace.tgt_tokens[t] == trace.src_tokens[pos]
        may[pos] = False  # each English word is copied once
    assert "<unk>" not in trace.tgt_tokens


def test_greedy_copies_each_word_once_from_the_attention_argmax(copier):
    trace = trace_translation(copier, COPYABLE)
    words = COPYABLE.split()
    assert trace.copied_steps == list(range(len(words)))  # <unk> is always best: every word, once, first
    assert sorted(trace.copied[: len(words)]) == list(range(len(words)))
    check_copies(trace)
    assert list(trace.tgt_tokens[: len(words)]) == [trace.src_tokens[p] for p in trace.copied[: len(words)]]


def test_the_pointer_picks_the_heaviest_word_it_may_copy():
    tokens, ids = ["My", "sister", "Camille", "sings", "3", "songs"], [5, 6, UNK_ID, 7, UNK_ID, 8]  # "My" is known
    weights = np.array([0.05, 0.5, 0.2, 0.05, 0.15, 0.05])
    assert copy_position(weights, tokens, ids) == 2  # "sister" weighs more, but a known word is translated
    assert copy_position(np.array([0.9, 0.02, 0.02, 0.02, 0.02, 0.02]), tokens, ids) in (2, 4)
    assert copy_position(np.array([0.5, 0.1, 0.0, 0.1, 0.2, 0.1]), tokens, ids) == 4  # a hidden word has weight 0
    assert copy_position(np.array([0.5, 0.3, 0.0, 0.2, 0.0, 0.0]), tokens, ids) == -1  # nothing left to copy
    assert copy_position(None, tokens, ids) == -1


def test_only_unknown_words_and_numbers_may_be_copied():
    assert copyable("Camille", False) and copyable("tomato", False) and copyable("3", True)
    for known in ("sister", "My", "I", "Monday", "September", "Tom"):  # French writes je, lundi, septembre
        assert not copyable(known, True)


def test_json_says_which_steps_were_copied(copier):
    trace = trace_translation(copier, COPYABLE)
    record = trace_to_json(trace)
    assert trace.copied_steps and len(trace.copied_steps) < trace.num_steps  # some steps copy, some do not
    assert record["copied"] == [pos if pos >= 0 else None for pos in trace.copied]


def test_known_words_are_never_copied_even_capitalised(copier):
    for sentence in (KNOWN, "I see the Car ."):  # "I", "Car": known words, translated, never copied
        trace = trace_translation(copier, sentence)
        assert all(trace.src_known) and trace.copied_steps == []
        assert "<unk>" not in trace.tgt_tokens


def test_without_attention_nothing_is_copied():
    trace = trace_translation(_unk_loving("none"), COPYABLE)
    assert trace.weights is None and trace.copied_steps == []
    assert "<unk>" not in trace.tgt_tokens


@pytest.mark.parametrize("sentence", [COPYABLE, MIXED])
def test_numpy_greedy_equals_the_torch_modules(copier, sentence):
    trace = trace_translation(copier, sentence)
    with torch.inference_mode():
        src = ref.encoded_source(copier, sentence)
        ids = ref.greedy_ids(copier, src, default_max_len(len(src.ids)))
        forced = ref.record(copier, src, trace.model_ids(copier.tgt_vocab), trace.mode)
    assert trace.model_ids(copier.tgt_vocab) == ids
    assert forced.tgt_tokens == trace.tgt_tokens and forced.copied == trace.copied
    assert np.allclose(forced.weights, trace.weights, atol=1e-5)
    assert ref.greedy_batch(copier, [COPYABLE, KNOWN, MIXED]) == [
        trace_translation(copier, s).translation for s in (COPYABLE, KNOWN, MIXED)]


@pytest.mark.parametrize("beam", [2, 3])
def test_beam_search_copies_and_agrees_with_the_reference(copier, beam):
    trace = trace_translation(copier, COPYABLE, beam=beam)
    check_copies(trace)
    copies = [n for n in trace.beam_tree.nodes if n.token_id == UNK_ID]
    assert copies and all(n.token in COPYABLE.split() for n in copies)  # every <unk> hypothesis copies
    with torch.inference_mode():
        src = ref.encoded_source(copier, COPYABLE)
        best_ids = ref.beam_ids(copier, src, default_max_len(len(src.ids)), beam)[0][0]
    assert trace.beam_tree.token_ids(trace.beam_tree.winner) == best_ids
    winner_words = [trace.beam_tree.nodes[n].token for n in trace.beam_tree.path(trace.beam_tree.winner)]
    assert winner_words == list(trace.tgt_tokens)  # the tree shows the copied words too


def test_prefix_then_copy(copier):
    trace = trace_translation(copier, COPYABLE, prefix="le")
    assert trace.forced[0] and trace.copied[0] == -1
    assert trace.copied_steps == list(range(1, len(COPYABLE.split()) + 1))
    check_copies(trace)


def test_a_word_copied_in_the_prefix_is_not_copied_again(copier):
    first = trace_translation(copier, COPYABLE).copied[0]
    word = COPYABLE.split()[first]
    trace = trace_translation(copier, COPYABLE, prefix=word)
    assert trace.forced[0] and trace.copied[0] == first
    assert first not in trace.copied[1:] and len(trace.copied_steps) == len(COPYABLE.split())
    check_copies(trace)


def test_once_every_word_is_copied_the_next_word_is_written_and_the_narration_says_why(copier):
    trace = trace_translation(copier, "Marie .")  # one word to copy, and <unk> is best at every step
    assert trace.copied_steps == [0] and trace.tgt_tokens[0] == "Marie"
    assert trace.topk_tokens[1][0] == "<unk>" and trace.tgt_tokens[1] != "Marie"
    text = step_narration(trace, 1)
    assert "already copied every word it may copy" in text and "`Marie`" in text and "Beam search" not in text


def test_a_forced_unknown_word_counts_as_copied_only_where_attention_points_at_it(copier):
    first = trace_translation(copier, COPYABLE).copied[0]
    word = COPYABLE.split()[first]
    other = next(w for w in COPYABLE.split() if w != word)
    assert trace_translation(copier, COPYABLE, target=word).copied[0] == first
    assert trace_translation(copier, COPYABLE, target=other).copied[0] == -1


def test_narration_of_a_copy_names_the_word_and_its_weight(copier):
    trace = trace_translation(copier, COPYABLE)
    text = step_narration(trace, 0)
    word = trace.tgt_tokens[0]
    assert "copies" in text and f"`{word}`" in text and f"{trace.weights[0].max():.2f}" in text
    assert "Beam search" not in text


def test_narration_says_when_attention_weighs_a_known_word_more_than_the_copied_one(copier):
    traces = [trace_translation(copier, s) for s in (MIXED, "i see the Marie car .", "the car is Marie .")]
    past = [(tr, t) for tr in traces for t in tr.copied_steps if int(np.argmax(tr.weights[t])) != tr.copied[t]]
    assert all(tr.copied_steps and all(tr.tgt_tokens[t] == "Marie" for t in tr.copied_steps) for tr in traces)
    assert past  # the tiny model looks at a known word while it copies
    for tr, t in past:
        text = step_narration(tr, t)
        top = tr.src_tokens[int(np.argmax(tr.weights[t]))]
        pos = tr.copied[t]
        assert f"`{top}`" in text and "never copies" in text and f"{tr.weights[t][pos]:.2f}" in text


def test_greedy_narration_never_mentions_beam_search_when_unk_could_not_be_copied(copier):
    trace = trace_translation(copier, KNOWN)
    text = step_narration(trace, 0)  # <unk> was best but every word is known: the next best was written
    assert "Beam search" not in text and "nothing to copy" in text


def test_numbers_are_never_in_a_vocabulary():
    vocab = Vocab.build([["I", "have", "3", "cats", "and", "12,50", "euros"]] * 3, min_freq=1, max_size=100)
    assert "3" not in vocab and "12,50" not in vocab and "cats" in vocab


def _pair(en: str, fr: str) -> Pair:
    return Pair(en, fr, tuple(en.split()), tuple(fr.split()))


def test_names_french_writes_the_same_are_copied_and_the_others_translated():
    pairs = [_pair("I saw Tom in Berlin .", "J' ai vu Tom à Berlin ."),
             _pair("Mary is in Berlin .", "Marie est à Berlin ."),
             _pair("Mary lives in London .", "Marie vit à Londres ."),
             _pair("Tom likes Mary .", "Tom aime Marie ."),
             _pair("I like it .", "Ça me plaît .")]
    assert names_written_the_same(pairs) == {"tom", "berlin"}  # not Mary (Marie), London, nor "I"
    assert names_written_the_same(pairs, max_seen=1) == set()  # Tom and Berlin are each in two pairs
    assert names_written_the_same(pairs[:1], max_seen=1) == {"tom", "berlin"}
    half = pairs + [_pair("Berlin is big .", "La ville est grande .")]
    assert names_written_the_same(half, min_share=0.8) == {"tom"}  # Berlin kept in 2 of 3 pairs
    assert names_written_the_same(half, min_share=0.6) == {"tom", "berlin"}


def test_a_copied_name_is_listed_but_read_as_unk_and_survives_the_card():
    vocab = Vocab.build([["Tom", "saw", "Berlin", "."]] * 2, min_freq=1, max_size=100).with_copied({"berlin"})
    assert vocab.encode(["Tom", "Berlin", "berlin"])[1:] == [UNK_ID, UNK_ID] and vocab.encode(["Tom"])[0] != UNK_ID
    assert "berlin" in vocab.tokens and "Berlin" not in vocab and "Tom" in vocab
    assert Vocab.from_json(vocab.to_json()).copied == {"berlin"}
    assert "copied" not in Vocab.build([["a"]], 1, 10).to_json()  # cards without copies keep their shape


def test_copy_practice_hides_shared_names_on_both_sides():
    pair = Pair("Julie lives in Lyon.", "Julie vit à Lyon.", ("Julie", "lives", "in", "Lyon", "."),
                ("Julie", "vit", "à", "Lyon", "."))
    assert shared_names(pair) == {"julie", "lyon"}
    hidden = hide_shared_names([pair], 1.0, random.Random(0))[0]
    assert hidden.src_tokens == (UNK, "lives", "in", UNK, ".") and hidden.tgt_tokens == (UNK, "vit", "à", UNK, ".")
    assert hide_shared_names([pair], 0.0, random.Random(0))[0] == pair


def test_number_practice_writes_number_words_as_digits_on_both_sides():
    pair = Pair("I have three cats.", "J'ai trois chats.", ("I", "have", "three", "cats", "."),
                ("J'", "ai", "trois", "chats", "."))
    assert numbers_as_digits(pair).src_tokens == ("I", "have", "3", "cats", ".")
    assert numbers_as_digits(pair).tgt_tokens == ("J'", "ai", "3", "chats", ".")
    assert write_numbers_as_digits([pair], 0.0, random.Random(0))[0] == pair
    assert write_numbers_as_digits([pair], 1.0, random.Random(0))[0] == numbers_as_digits(pair)


def test_number_practice_leaves_pairs_whose_sides_disagree():
    one = Pair("I have one cat.", "J'ai un chat.", ("I", "have", "one", "cat", "."), ("J'", "ai", "un", "chat", "."))
    unmatched = Pair("Two or three?", "Deux ?", ("Two", "or", "three", "?"), ("Deux", "?"))
    assert numbers_as_digits(one) is None  # "un" is also an article
    assert numbers_as_digits(unmatched).src_tokens == ("2", "or", "three", "?")


def test_the_heatmap_outlines_where_each_copy_came_from(copier):
    from attnviz import figures

    trace = trace_translation(copier, COPYABLE)
    fig = figures.attention_heatmap(trace)
    dotted = [(sh["x0"] + sh["x1"]) / 2 for sh in fig["layout"]["shapes"] if sh["line"].get("dash") == "dot"]
    assert dotted == [pytest.approx(trace.copied[t]) for t in trace.copied_steps]
    assert fig["layout"]["yaxis"]["ticktext"][0] == f"«{trace.tgt_tokens[0]}»"
    top = figures.topk_frame(trace, 0)
    assert top[top.chosen].word.tolist() == [f"<unk> → {trace.tgt_tokens[0]}"]
    assert figures.weights_frame(trace).query("copied").src_pos.tolist() == [trace.copied[t] for t in trace.copied_steps]


def test_the_page_lists_copies_and_says_why_no_attention_cannot_copy(copier):
    from attnviz.explain import copy_line

    assert "Copied through attention" in copy_line(trace_translation(copier, COPYABLE))
    assert copy_line(trace_translation(copier, KNOWN)) is None
    assert "No attention, no copy" in copy_line(trace_translation(_unk_loving("none"), COPYABLE))
