"""Text ─► tokens, and French tokens ─► readable text. Pure string functions, no model.

Tokens keep their surface form (what the person typed); the model sees `token.lower()`.
"""
from __future__ import annotations

import re
import unicodedata

# Sentence lengths the model cards report BLEU for: (fewest words, most words, name).
LENGTH_BUCKETS = ((1, 4, "1-4"), (5, 8, "5-8"), (9, 12, "9-12"), (13, 10**6, "13+"))


def word_count(sentence: str) -> int:
    """English words, punctuation not counted (the unit of the length buckets)."""
    return sum(any(c.isalnum() for c in w) for w in sentence.split())


# Apostrophes, quotes and spaces that look alike but would otherwise become different tokens.
_LOOKALIKES = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"',
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "\u2013": "-", "\u2014": "-", "\u2026": "...",
} | {c: None for c in range(0xFE00, 0xFE10)})  # variation selectors ("❤️" = ❤ + U+FE0F): no token of their own

# A number, a word (letters/digits joined by ' or -), an ellipsis, or any other single symbol.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:['\-]\w+)*'?|\.\.\.|[^\w\s]")

# English clitics split off the word they lean on ("I'm" -> "I", "'m"). Negations ("don't",
# "can't") stay one token: a learner reads them as one word, and they map to "ne ... pas".
_EN_CLITIC = re.compile(r"^(\w+)('s|'re|'ve|'ll|'d|'m)$", re.IGNORECASE)

# French elisions become their own token ("l'homme" -> "l'", "homme"); aujourd'hui is one word.
_FR_ELISION = re.compile(
    r"^(jusqu|lorsqu|puisqu|quoiqu|presqu|qu|l|d|j|n|s|t|m|c)'(\w.*)$", re.IGNORECASE
)
# Inverted pronouns split off the verb ("as-tu" -> "as", "-tu"; "a-t-il" -> "a", "-t-il").
_FR_INVERSION = re.compile(
    r"^(\w+?)(-t)?(-(?:je|tu|il|elle|on|nous|vous|ils|elles|ce|moi|toi|le|la|les|lui|leur|y|en))$",
    re.IGNORECASE,
)
_FR_WHOLE_WORDS = {"aujourd'hui", "prud'homme", "presqu'île"}

_NO_SPACE_BEFORE = {".", ",", ")", "...", "]", "%"}
_NO_SPACE_AFTER = {"(", "[", "#"}


def is_number(token: str) -> bool:
    """A token with a digit in it ("3", "7", "12,50"): never in a vocabulary, always copied."""
    return any(c.isdigit() for c in token)


def copyable(token: str, known: bool) -> bool:
    """A source word the decoder may copy when its best word is <unk>: one the model does not know
    (a name it never saw or always copies, a rare word) or a number. A word it knows is written from
    its own vocabulary, never in English: "sister", but also "I", "Monday", "September" or a name it
    learnt ("Tom"), which French may write otherwise (je, lundi, septembre)."""
    return not known or is_number(token)


def normalize(text: str) -> str:
    """Unicode NFC, one kind of apostrophe/quote/space, no control characters, single spaces."""
    text = unicodedata.normalize("NFC", text).translate(_LOOKALIKES)
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(text.split())


def _split(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def tokenize_en(text: str) -> list[str]:
    """English words and punctuation as a learner would count them; clitics ('m, 's) split off."""
    tokens = []
    for tok in _split(text):
        m = _EN_CLITIC.match(tok)
        tokens.extend(m.groups() if m else [tok])
    return tokens


def _split_fr_word(tok: str) -> list[str]:
    if tok.lower() in _FR_WHOLE_WORDS:
        return [tok]
    m = _FR_ELISION.match(tok)
    if m:
        return [m.group(1) + "'"] + _split_fr_word(m.group(2))
    m = _FR_INVERSION.match(tok)
    if m:
        return [m.group(1), (m.group(2) or "") + m.group(3)]
    return [tok]


def tokenize_fr(text: str) -> list[str]:
    """French words and punctuation; elisions (l', qu', n') and inverted pronouns (-tu) split off."""
    return [piece for tok in _split(text) for piece in _split_fr_word(tok)]


def detokenize_fr(tokens: list[str]) -> str:
    """Join French tokens into readable text: `je suis froid .` -> `Je suis froid.`"""
    out = ""
    for tok in tokens:
        glue = (
            not out
            or out.endswith("'")
            or out[-1:] in _NO_SPACE_AFTER
            or tok in _NO_SPACE_BEFORE
            or (tok.startswith("-") and len(tok) > 1)
        )
        out += tok if glue else " " + tok
    return out[:1].upper() + out[1:]
