
import pytest

from attnviz.data import batches, read_pairs, references_by_source, split_of, split_pairs
from tiny_models import TINY_PAIRS, tiny_vocabs


def test_read_pairs_tokenizes_and_filters_by_length(tmp_path):
    f = tmp_path / "p.tsv"
    f.write_text("Hi.\tSalut !\tCC-BY attribution\nno tab here\nA b c d e.\tA b c d e.\n\t\n", encoding="utf-8")
    pairs = read_pairs(f, max_len=4)
    assert [p.en for p in pairs] == ["Hi."]
    assert pairs[0].tgt_tokens == ("Salut", "!")


def test_missing_or_empty_data_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        read_pairs(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(ValueError, match="empty.txt"):
        read_pairs(tmp_path / "empty.txt")


def test_split_is_by_normalised_english_sentence():
    assert split_of("The white car.") == split_of("the  WHITE car.")
    splits = split_pairs(read_pairs(TINY_PAIRS) * 2)
    for part in (splits.train, splits.valid, splits.test):
        others = {p.en for q in (splits.train, splits.valid, splits.test) if q is not part for p in q}
        assert not {p.en for p in part} & others


def test_references_group_all_translations():
    pairs = read_pairs(TINY_PAIRS)
    refs = references_by_source(pairs + pairs[:1])
    assert refs[pairs[0].en] == [pairs[0].fr, pairs[0].fr]


def test_batches_cover_every_pair_once_with_bos_eos_and_padding():
    pairs = read_pairs(TINY_PAIRS)
    sv, tv = tiny_vocabs()
    seen = 0
    for b in batches(pairs, sv, tv, batch_tokens=20, seed=1):
        seen += b.src.size(0)
        assert (b.tgt_in[:, 0] == 2).all()  # <bos>
        assert b.tgt_in.shape == b.tgt_out.shape
        assert ((b.tgt_out == 3).sum(1) == 1).all()  # exactly one <eos> per row
        assert (b.src_len == (b.src != 0).sum(1)).all()
    assert seen == len(pairs)
