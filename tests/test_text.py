from attnviz.text import detokenize_fr, normalize, tokenize_en, tokenize_fr
from attnviz.vocab import UNK_ID, Vocab


def test_english_splits_punctuation_and_clitics_but_keeps_negations():
    assert tokenize_en("I'm cold, Tom's car isn't.") == ["I", "'m", "cold", ",", "Tom", "'s", "car", "isn't", "."]
    assert tokenize_en("Don't   do that!") == ["Don't", "do", "that", "!"]


def test_french_elisions_and_inverted_pronouns_are_their_own_tokens():
    assert tokenize_fr("Je n'aime pas l'homme qu'il voit.") == [
        "Je", "n'", "aime", "pas", "l'", "homme", "qu'", "il", "voit", "."]
    assert tokenize_fr("As-tu faim ?") == ["As", "-tu", "faim", "?"]
    assert tokenize_fr("Aujourd'hui, a-t-il dit.") == ["Aujourd'hui", ",", "a", "-t-il", "dit", "."]


def test_lookalike_apostrophes_spaces_and_control_characters_are_normalised():
    assert tokenize_fr("J\u2019ai froid\u202f!") == ["J'", "ai", "froid", "!"]
    assert normalize("a\x00b\u200bc\n d") == "a b c d"


def test_an_emoji_variation_selector_is_no_word_of_its_own():
    assert tokenize_en("I \u2764\ufe0f my dog") == ["I", "\u2764", "my", "dog"]  # "❤️" is one symbol, not two


def test_detokenize_reads_like_french():
    assert detokenize_fr(["je", "suis", "froid", "."]) == "Je suis froid."
    assert detokenize_fr(["qu'", "est", "-ce", "que", "c'", "est", "?"]) == "Qu'est-ce que c'est ?"
    assert detokenize_fr([]) == ""


def test_tokenizer_round_trip_on_french_text():
    for s in ["La voiture blanche.", "Je n'aime pas les chats.", "Vas-y !", "C'est peut-être vrai, non ?"]:
        assert detokenize_fr(tokenize_fr(s)) == s


def test_vocab_lowercases_keeps_display_case_and_maps_unknowns():
    vocab = Vocab.build([["Tom", "sees", "Tom"], ["I", "see", "Tom"]], min_freq=1, max_size=100)
    ids = vocab.encode(["TOM", "zebra"])
    assert ids[1] == UNK_ID and ids[0] != UNK_ID
    assert vocab.decode(ids[:1]) == ["Tom"]
    assert Vocab.from_json(vocab.to_json()).tokens == vocab.tokens
