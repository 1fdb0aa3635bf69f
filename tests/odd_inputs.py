"""Odd inputs for robustness tests: a seeded, repeatable mix of the text a person (or a file) can throw
at the translator. Used by test_battery.py (core and CLI); the page tests may reuse odd_inputs().
"""
from __future__ import annotations

import random

ENGLISH = ["I see the white car.", "Tom is cold.", "We like cats.", "Where is the station?",
           "She doesn't know why.", "I'm going home now.", "They'll be here at 3 o'clock."]
FRENCH = ["Je vois la voiture blanche.", "Qu'est-ce que c'est ?", "Aujourd'hui, l'homme a-t-il faim ?",
          "Où est la gare ?", "Ça coûte 3,50 € — déjà payé !", "« Bonjour », dit-elle."]
WORDS = ["the", "cat", "dog", "car", "white", "is", "I", "see", "red", "house", "and", "not", "very"]

# Characters str.splitlines() breaks at besides \n and \r: one of them must never split a record.
LINE_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
CONTROLS = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]
FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069",
                "\ufeff", "\u00ad", "\u034f", "\u061c"]
EMOJI = ["\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466",  # family, joined by ZWJ
         "\U0001F3F3\uFE0F\u200D\U0001F308",  # rainbow flag
         "\U0001F1EB\U0001F1F7",  # regional indicators: flag of France
         "\U0001F44D\U0001F3FD",  # thumbs up, skin tone
         "\u2764\uFE0F", "\U0001F600", "\U0001F9D1\u200D\U0001F4BB", "1\uFE0F\u20E3"]
MARKUP = ["<script>alert('x')</script>", "<b>bold</b> & &amp; &lt;", "**bold** _it_ `code` [a](http://x.y)",
          "# Title\n- item", "$x^2$ and $$\\frac{a}{b}$$", "\\begin{equation} e = mc^2 \\end{equation}",
          "{{ name }} {% if %} ${HOME} %s %d %(x)s", "'; DROP TABLE users; --", "\" ' \\ / \\\\ \\n \\t",
          "| a | b |\n|---|---|", "<img src=x onerror=alert(1)>", "javascript:alert(1)", ":::: ---- ____"]
NUMBERS = ["3", "3.14", "1,000,000", "-42", "1e10", "0x1F", "\u0663\u0664", "\uff11\uff12\uff13", "\u2167",
           "\u00bd", "10\u00b2", "NaN", "inf", "9" * 60, "1/0"]
WHITESPACE = ["", " ", "  \t ", "\u3000", "\u00a0", "\u2003\u2009", "\u200b", "\t", "\n", "\r\n", "\r"]


def _chars(rng: random.Random, lo: int, hi: int, n: int) -> str:
    return "".join(chr(rng.randrange(lo, hi)) for _ in range(n))


def _astral(rng: random.Random, n: int) -> str:
    """Code points from planes 1..16 (assigned or not), including their noncharacters."""
    out = []
    for _ in range(n):
        plane = rng.randrange(1, 17)
        out.append(chr(plane * 0x10000 + rng.choice([rng.randrange(0xFFFE), 0xFFFE, 0xFFFF])))
    return "".join(out)


def _kind(rng: random.Random, k: int) -> str:
    """Input number k of the battery; each kind comes up in turn, its content drawn from rng."""
    word = lambda: rng.choice(WORDS)  # noqa: E731
    sentence = lambda: rng.choice(ENGLISH)  # noqa: E731
    kinds = [
        lambda: sentence(),
        lambda: rng.choice(FRENCH),
        lambda: f"{word()}{rng.choice(LINE_BREAKS)}{word()} {word()}",
        lambda: "".join(rng.choice(CONTROLS + [word()]) for _ in range(rng.randrange(1, 8))),
        lambda: _chars(rng, 0x4E00, 0xA000, rng.randrange(1, 30)),  # CJK ideographs
        lambda: _chars(rng, 0xAC00, 0xD7A4, rng.randrange(1, 12)) + " " + word(),  # Hangul
        lambda: _chars(rng, 0x0600, 0x0700, rng.randrange(1, 20)),  # Arabic
        lambda: f"{word()} \u05e9\u05dc\u05d5\u05dd {_chars(rng, 0x05D0, 0x05EB, 5)} {word()}.",  # Hebrew in English
        lambda: word() + "".join(chr(rng.randrange(0x0300, 0x0370)) for _ in range(rng.randrange(1, 40))),
        lambda: f"{sentence()[:-1]} {rng.choice(EMOJI)}{rng.choice(EMOJI)}.",
        lambda: _astral(rng, rng.randrange(1, 10)),
        lambda: f"{word()} {_astral(rng, 2)} {word()}",
        lambda: _chars(rng, 0xE000, 0xF900, rng.randrange(1, 6)) + " " + word(),  # private use
        lambda: chr(0xF0000 + rng.randrange(0xFFFE)) + chr(0x100000 + rng.randrange(0xFFFE)),  # private planes
        lambda: f"{word()} {_chars(rng, 0xD800, 0xE000, rng.randrange(1, 4))} {word()}",  # lone surrogates
        lambda: f"{word()} {_chars(rng, 0xFDD0, 0xFDF0, 2)} \ufffe\uffff {word()}",  # noncharacters
        lambda: rng.choice(MARKUP),
        lambda: f"{sentence()} {rng.choice(MARKUP)}",
        lambda: " ".join(word() for _ in range(rng.choice([49, 50, 51, 60, 200]))),  # at and over the limit
        lambda: rng.choice("ab\u00e9\u4e00") * rng.choice([1000, 1001, 3000, 20000]),  # one huge "word"
        lambda: (word() + " ") * rng.randrange(300, 2000),  # thousands of characters
        lambda: rng.choice(WHITESPACE),
        lambda: rng.choice(NUMBERS) + rng.choice(["", " cats.", " %", " €"]),
        lambda: "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 40))),  # BMP mix
        lambda: "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(1, 20))),  # anything at all
        lambda: f"{rng.choice(FORMAT_CHARS)}{sentence()}{rng.choice(FORMAT_CHARS)}",
        lambda: f"{sentence()}\t{rng.choice(FRENCH)}",  # a tab: in a file line, the rest is forced French
        lambda: " ".join(rng.choice([word(), rng.choice(NUMBERS), rng.choice(EMOJI), "l'", "-tu", "...", "«",
                                     "'s", "n't", "'", "-", "--"]) for _ in range(rng.randrange(1, 15))),
    ]
    return kinds[k % len(kinds)]()


def odd_inputs(n: int = 1000, seed: int = 0) -> list[str]:
    """n odd inputs, the same for the same (n, seed): every kind above in turn, content drawn at random.

    Some hold lone surrogates (Python strings only; they cannot be written as UTF-8) and some are
    empty, whitespace-only, over MAX_SOURCE_TOKENS words, or thousands of characters long.
    """
    rng = random.Random(seed)
    return [_kind(rng, k) for k in range(n)]
