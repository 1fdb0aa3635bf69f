"""The everyday test set's measures: which names and numbers must come through, and whether they did."""
from __future__ import annotations

from attnviz.everyday import Item, came_through, kept_share, load_everyday, must_keep


def test_names_a_reference_writes_the_same_and_numbers_must_be_kept():
    item = Item("names", "Marie speaks Spanish with her 3 cats.", ("Marie parle espagnol avec ses 3 chats.",))
    assert must_keep(item) == ["Marie", "3"]  # not "Spanish" (espagnol), never "I"
    pronoun = Item("time", "On Mondays Marie swims.", ("Le lundi, Marie nage.", "Le lundi, on nage."))
    assert must_keep(pronoun) == ["Marie"]  # "On" is a reference's pronoun, not a name written the same


def test_a_number_may_come_through_in_digits_or_in_words():
    assert came_through("3", "J'ai 3 frères.") and came_through("3", "J'ai trois frères.")
    assert not came_through("3", "J'ai des frères.")
    assert came_through("3.50", "Ça coûte 3,50 euros.")  # the decimal mark may change
    assert came_through("Marie", "marie vit à Lyon.") and not came_through("Marie", "Les vaches vivent à Lyon.")


def test_kept_share_counts_only_sentences_with_names_or_numbers():
    items = [Item("names", "Julie is here.", ("Julie est ici.",)), Item("everyday", "I am tired.", ("Je suis fatigué.",)),
             Item("numbers", "I have 2 cats.", ("J'ai 2 chats.",))]
    assert kept_share(items, ["Julie est ici.", "Je suis fatigué.", "J'ai des chats."]) == (0.5, 2)


def test_the_bundled_set_is_well_formed():
    items = load_everyday()
    assert len(items) >= 150 and all(it.refs and it.en.strip() and it.category for it in items)
    assert sum(bool(must_keep(it)) for it in items) >= 50
