"""Vocab: token <-> id for one language, with the special tokens and a display form per token.

The model sees lowercase tokens; `display` maps each back to its most common written form
(`tom` -> `Tom`), learned from mid-sentence occurrences in the training data. A source vocabulary
may also name words it treats as unknown although it lists them (`copied`: names French writes the
same way, data.names_written_the_same), so the decoder copies them instead of guessing.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .text import is_number

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(4)


@dataclass
class Vocab:
    tokens: list[str]
    display: dict[str, str] = field(default_factory=dict)
    copied: frozenset[str] = frozenset()  # lowercase words encoded as <unk> although listed

    def __post_init__(self) -> None:
        if tuple(self.tokens[:4]) != SPECIALS:
            raise ValueError(f"a Vocab must start with {SPECIALS}, got {self.tokens[:4]}")
        self.index = {tok: i for i, tok in enumerate(self.tokens) if tok not in self.copied}  # copied: <unk>

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token.lower() in self.index

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Surface tokens -> ids (lowercased; unknown and copied words -> <unk>)."""
        return [self.index.get(t.lower(), UNK_ID) for t in tokens]

    def with_copied(self, words: Iterable[str]) -> "Vocab":
        """The same vocabulary, with `words` (lowercase) always encoded as <unk>."""
        return Vocab(self.tokens, self.display, frozenset(words))

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids -> display tokens (specials kept as they are)."""
        return [self.display.get(self.tokens[i], self.tokens[i]) for i in ids]

    @classmethod
    def build(cls, sentences: Iterable[list[str]], min_freq: int, max_size: int) -> "Vocab":
        """Keep the `max_size` most frequent lowercase tokens seen at least `min_freq` times.

        Numbers are never kept: every number is <unk>, so the model learns to write <unk> where the
        source has one, and the decoder copies it through attention (trace.py).
        """
        counts, surface = Counter(), Counter()
        for sent in sentences:
            counts.update(t.lower() for t in sent)
            surface.update(sent[1:])  # sentence-initial capitals say nothing about case
        kept = [t for t, n in counts.most_common() if n >= min_freq and not is_number(t)]
        kept = kept[: max_size - len(SPECIALS)]
        best: dict[str, tuple[int, str]] = {}
        for form, n in surface.items():
            key = form.lower()
            if n > best.get(key, (0, ""))[0]:
                best[key] = (n, form)
        display = {t: best[t][1] for t in kept if t in best and best[t][1] != t}
        return cls(list(SPECIALS) + kept, display)

    def to_json(self) -> dict:
        out = {"tokens": self.tokens, "display": self.display}
        return out | ({"copied": sorted(self.copied)} if self.copied else {})

    @classmethod
    def from_json(cls, obj: dict) -> "Vocab":
        return cls(list(obj["tokens"]), dict(obj.get("display", {})), frozenset(obj.get("copied", ())))
