"""The decoding lab's pure parts: gold links and AER for one sentence, and the lab's figures."""
from __future__ import annotations

import numpy as np
import pytest

from attnviz.alignment import AlignedPair, alignment_error_rate, argmax_links, bundled_pairs, find_pair, sentence_aer
from attnviz.text import tokenize_en, tokenize_fr


def _pair() -> AlignedPair:
    return AlignedPair(en="The white car.", fr="La voiture blanche.", src_tokens=("The", "white", "car", "."),
                       tgt_tokens=("La", "voiture", "blanche", "."),
                       sure=frozenset({(0, 0), (1, 2), (2, 1), (3, 3)}),
                       possible=frozenset({(0, 0), (1, 2), (2, 1), (3, 3), (0, 1)}))


# ---------------------------------------------------------------- gold links, one sentence


def test_find_pair_matches_tokens_case_insensitively_and_ignores_eos():
    pair = bundled_pairs()[0]
    assert find_pair(pair.src_tokens, pair.tgt_tokens) == pair
    assert find_pair([t.lower() for t in pair.src_tokens], list(pair.tgt_tokens) + ["<eos>"]) == pair
    assert find_pair(pair.src_tokens, pair.tgt_tokens[:-1]) is None
    assert find_pair(("no", "such"), ("sentence",)) is None


def test_every_bundled_pair_is_found_from_its_own_text():
    for pair in bundled_pairs():
        assert find_pair(tokenize_en(pair.en), tokenize_fr(pair.fr)) == pair


def test_sentence_aer_perfect_wrong_and_eos_row():
    pair = _pair()
    perfect = np.zeros((5, 4))  # 4 French words + <eos>
    for i, j in pair.sure:
        perfect[j, i] = 1.0
    perfect[4, 3] = 1.0
    assert sentence_aer(perfect, pair) == 0.0
    assert sentence_aer(perfect[:4], pair) == 0.0
    wrong = np.eye(4)[[1, 0, 0, 0]]  # every French word looks at one wrong English word
    expected = alignment_error_rate([argmax_links(wrong)], [pair])
    assert sentence_aer(wrong, pair) == pytest.approx(expected) and expected > 0.5
    with pytest.raises(ValueError, match="does not fit"):
        sentence_aer(np.zeros((3, 4)), pair)
