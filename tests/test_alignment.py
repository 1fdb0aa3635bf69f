from pathlib import Path

import numpy as np
import pytest

from attnviz.alignment import (
    DEFAULT_ALIGNMENTS,
    AlignedPair,
    alignment_error_rate,
    argmax_links,
    load_aligned_pairs,
)
from attnviz.text import tokenize_en, tokenize_fr


@pytest.fixture(scope="module")
def pairs() -> list[AlignedPair]:
    return load_aligned_pairs()


def _pair(sure: set, extra_possible: set = frozenset()) -> AlignedPair:
    return AlignedPair(
        en="The white car.",
        fr="La voiture blanche.",
        src_tokens=("The", "white", "car", "."),
        tgt_tokens=("La", "voiture", "blanche", "."),
        sure=frozenset(sure),
        possible=frozenset(sure) | frozenset(extra_possible),
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aligned.txt"
    path.write_text(text, encoding="utf-8")
    return path


# --- the bundled file -------------------------------------------------------------------------


def test_bundled_file_has_at_least_40_pairs(pairs):
    assert DEFAULT_ALIGNMENTS.is_file()
    assert len(pairs) >= 40
    assert len({p.en for p in pairs}) == len(pairs), "duplicate English sentences"


def test_bundled_tokens_come_from_the_tokenizers(pairs):
    for p in pairs:
        assert p.src_tokens == tuple(tokenize_en(p.en))
        assert p.tgt_tokens == tuple(tokenize_fr(p.fr))


def test_bundled_indices_in_range_and_possible_contains_sure(pairs):
    for p in pairs:
        assert p.sure, p.en
        assert p.sure <= p.possible, p.en
        for i, j in p.possible:
            assert 0 <= i < len(p.src_tokens), (p.en, i)
            assert 0 <= j < len(p.tgt_tokens), (p.fr, j)


def test_bundled_every_french_token_is_linked(pairs):
    for p in pairs:
        linked = {j for _, j in p.possible}
        assert linked == set(range(len(p.tgt_tokens))), (p.fr, p.tgt_tokens)


def test_bundled_white_car_is_reordered(pairs):
    car = next(p for p in pairs if p.en == "The white car.")
    assert car.fr == "La voiture blanche."
    assert car.sure == {(0, 0), (1, 2), (2, 1), (3, 3)}


def test_bundled_negation_is_sure_to_pas_and_possible_to_ne(pairs):
    p = next(p for p in pairs if p.en == "I don't like cats.")
    dont, ne, pas = p.src_tokens.index("don't"), p.tgt_tokens.index("n'"), p.tgt_tokens.index("pas")
    assert (dont, pas) in p.sure
    assert (dont, ne) in p.possible - p.sure


# --- AER --------------------------------------------------------------------------------------


def test_aer_is_zero_when_prediction_equals_sure(pairs):
    assert alignment_error_rate([set(p.sure) for p in pairs], pairs) == 0.0


def test_aer_is_one_for_disjoint_links():
    gold = [_pair({(0, 0), (1, 2)}, {(2, 2)})]
    assert alignment_error_rate([{(3, 0), (0, 3)}], gold) == 1.0


def test_aer_mixed_case_by_hand():
    # A = {0-0 (sure), 2-2 (possible only), 1-1 (wrong)}, S = {0-0, 1-2}, P = S + {2-2}
    # AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|) = 1 - (1 + 2) / (3 + 2) = 0.4
    gold = [_pair({(0, 0), (1, 2)}, {(2, 2)})]
    assert alignment_error_rate([{(0, 0), (2, 2), (1, 1)}], gold) == pytest.approx(0.4)


def test_aer_sums_counts_over_the_corpus_rather_than_averaging():
    # pair 1 as above (1, 2, 3, 2) + pair 2 with nothing predicted (0, 0, 0, 1):
    # 1 - (1 + 2) / (3 + 3) = 0.5, not the mean of per-pair AERs (0.4 + 1.0) / 2 = 0.7
    gold = [_pair({(0, 0), (1, 2)}, {(2, 2)}), _pair({(3, 3)})]
    assert alignment_error_rate([{(0, 0), (2, 2), (1, 1)}, set()], gold) == pytest.approx(0.5)


def test_aer_rejects_length_mismatch():
    with pytest.raises(ValueError, match="1 predicted alignments for 2 gold pairs"):
        alignment_error_rate([{(0, 0)}], [_pair({(0, 0)}), _pair({(1, 1)})])


# --- argmax_links -----------------------------------------------------------------------------


def test_argmax_links_one_link_per_target_row_in_en_fr_order():
    # rows: French "La voiture blanche ." ; columns: English "The white car ."
    weights = np.array([
        [0.7, 0.1, 0.1, 0.1],
        [0.1, 0.2, 0.6, 0.1],
        [0.1, 0.8, 0.05, 0.05],
        [0.0, 0.0, 0.1, 0.9],
    ])
    assert argmax_links(weights) == {(0, 0), (2, 1), (1, 2), (3, 3)}


def test_argmax_links_non_square_and_gives_plain_ints():
    weights = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])  # 2 French rows, 3 English columns
    links = argmax_links(weights)
    assert links == {(1, 0), (0, 1)}
    assert all(type(i) is int and type(j) is int for i, j in links)


def test_argmax_links_rejects_non_matrix():
    with pytest.raises(ValueError, match="shape"):
        argmax_links(np.ones(3))


# --- the file format --------------------------------------------------------------------------


def test_loader_adds_sure_links_to_possible(tmp_path):
    path = _write(tmp_path, "# comment\n\nen: The white car.\nfr: La voiture blanche.\n"
                            "sure: 0-0 1-2 2-1 3-3\npossible:\n\n"
                            "en: I'm hungry.\nfr: J'ai faim.\nsure: 0-0 2-2 3-3\npossible: 1-1\n")
    first, second = load_aligned_pairs(path)
    assert first.possible == first.sure == {(0, 0), (1, 2), (2, 1), (3, 3)}
    assert second.src_tokens == ("I", "'m", "hungry", ".")
    assert second.possible == {(0, 0), (1, 1), (2, 2), (3, 3)}


def test_out_of_range_index_names_file_and_line(tmp_path):
    path = _write(tmp_path, "# header\n\nen: The white car.\nfr: La voiture blanche.\n"
                            "sure: 0-0 1-2 2-1 3-4\npossible:\n")
    with pytest.raises(ValueError, match=r"aligned\.txt:5: link 3-4 out of range"):
        load_aligned_pairs(path)


def test_out_of_range_possible_link_names_its_line(tmp_path):
    path = _write(tmp_path, "en: The white car.\nfr: La voiture blanche.\n"
                            "sure: 0-0\npossible: 9-0\n")
    with pytest.raises(ValueError, match=r"aligned\.txt:4: link 9-0 out of range"):
        load_aligned_pairs(path)


def test_malformed_link_names_the_line(tmp_path):
    path = _write(tmp_path, "en: The white car.\nfr: La voiture blanche.\nsure: 0-0 1:2\n")
    with pytest.raises(ValueError, match=r"aligned\.txt:3: bad link '1:2'"):
        load_aligned_pairs(path)


def test_unknown_key_names_the_line(tmp_path):
    path = _write(tmp_path, "en: The white car.\nfrench: La voiture blanche.\nsure: 0-0\n")
    with pytest.raises(ValueError, match=r"aligned\.txt:2: expected one of en, fr, sure"):
        load_aligned_pairs(path)


def test_missing_sure_names_the_first_line_of_the_pair(tmp_path):
    path = _write(tmp_path, "\n\nen: The white car.\nfr: La voiture blanche.\n\n")
    with pytest.raises(ValueError, match=r"aligned\.txt:3: pair is missing sure"):
        load_aligned_pairs(path)


def test_repeated_key_names_the_line(tmp_path):
    path = _write(tmp_path, "en: The white car.\nfr: La voiture blanche.\nfr: Une voiture.\n")
    with pytest.raises(ValueError, match=r"aligned\.txt:3: 'fr' given twice"):
        load_aligned_pairs(path)
