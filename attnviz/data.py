"""Read English<TAB>French pairs, split them by English sentence, and pad them into batches.

text file ─► Pair(en, fr, src_tokens, tgt_tokens) ─► Splits ─► Batch(src, src_len, tgt_in, tgt_out)
"""
from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from .text import is_number, normalize, tokenize_en, tokenize_fr
from .vocab import BOS_ID, EOS_ID, PAD_ID, UNK, Vocab

TEST_PERCENT, VALID_PERCENT = 3, 2  # of distinct English sentences: ~3,500 test, ~2,300 valid


@dataclass(frozen=True)
class Pair:
    en: str
    fr: str
    src_tokens: tuple[str, ...]
    tgt_tokens: tuple[str, ...]


@dataclass
class Splits:
    train: list[Pair]
    valid: list[Pair]
    test: list[Pair]


@dataclass
class Batch:
    src: torch.Tensor  # (B, S) source ids, padded
    src_len: torch.Tensor  # (B,)
    tgt_in: torch.Tensor  # (B, T) <bos> y1 .. y_{T-1}
    tgt_out: torch.Tensor  # (B, T) y1 .. y_T <eos>, padded with PAD_ID (ignored by the loss)


def read_pairs(path: str | Path, max_len: int | None = None) -> list[Pair]:
    """Read tab-separated English/French pairs (extra columns ignored), tokenized.

    Raises:
        FileNotFoundError / ValueError naming the file when it is missing or holds no pairs.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no data file at {path} (expected English<TAB>French lines)")
    pairs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 2:
                continue
            src, tgt = tokenize_en(cols[0]), tokenize_fr(cols[1])
            if not src or not tgt or (max_len and (len(src) > max_len or len(tgt) > max_len)):
                continue
            pairs.append(Pair(cols[0], cols[1], tuple(src), tuple(tgt)))
    if not pairs:
        raise ValueError(f"{path} holds no English<TAB>French pairs")
    return pairs


def split_of(en: str) -> str:
    """'train' | 'valid' | 'test', fixed by a hash of the normalised English sentence.

    All translations of one English sentence land in the same split, so test sentences are
    never seen in training, and the split does not depend on the file's order.
    """
    key = normalize(en).lower().encode("utf-8")
    bucket = int(hashlib.md5(key).hexdigest()[:8], 16) % 100
    if bucket < TEST_PERCENT:
        return "test"
    return "valid" if bucket < TEST_PERCENT + VALID_PERCENT else "train"


def split_pairs(pairs: list[Pair]) -> Splits:
    parts: dict[str, list[Pair]] = {"train": [], "valid": [], "test": []}
    for p in pairs:
        parts[split_of(p.en)].append(p)
    return Splits(**parts)


def references_by_source(pairs: list[Pair]) -> dict[str, list[str]]:
    """English sentence -> all its French translations (the multi-reference test set)."""
    refs: dict[str, list[str]] = defaultdict(list)
    for p in pairs:
        refs[p.en].append(p.fr)
    return dict(refs)


def shared_names(pair: Pair) -> set[str]:
    """Lowercased names and numbers written the same on both sides ("Tom", "Paris", "3"): the words
    a translator should copy rather than translate."""
    fr = {t.lower() for t in pair.tgt_tokens}
    return {t.lower() for t in pair.src_tokens if (t[:1].isupper() or is_number(t)) and t.lower() in fr}


def names_written_the_same(pairs: list[Pair], min_share: float = 0.8, max_seen: int = 500) -> frozenset[str]:
    """Lowercased English names that French writes the same way, capital included ("Tom", "Berlin",
    "Madrid"; not "Mary" -> "Marie" nor "London" -> "Londres"), in at least `min_share` of the pairs that
    have them, and in at most `max_seen` pairs. A name is a word written with a capital in most of its
    mid-sentence occurrences. Names seen more often ("Tom": 13,901 training pairs, "Boston": 581) stay
    known: the model has learnt them, and hiding them cost BLEU (0.35 on the Tatoeba test for dot).

    These words are the source vocabulary's `copied` set: the model always sees them as <unk>, so it
    writes <unk> where attention points at one and the decoder copies the English word, however rare
    the name was in training (a known but rare "Madrid" otherwise came out as a guessed French word).
    """
    capital, seen, same = Counter(), Counter(), Counter()
    for p in pairs:
        fr = set(p.tgt_tokens)
        for t in p.src_tokens[1:]:
            capital[t.lower()] += 1 if t[:1].isupper() else -1
        for t in {t for t in p.src_tokens if t[:1].isupper() and t.isalpha()}:
            seen[t.lower()] += 1
            same[t.lower()] += t in fr
    return frozenset(w for w, n in seen.items()
                     if capital[w] > 0 and w != "i" and n <= max_seen and same[w] >= min_share * n)


def hide_shared_names(pairs: list[Pair], rate: float, rng: random.Random) -> list[Pair]:
    """Copy practice: in a `rate` share of the pairs that have them, a shared name becomes <unk> on
    both sides, so the model learns that an unknown source word is written as <unk> where attention
    points at it, which the decoder then copies. (Numbers are <unk> always: no vocabulary has them.)"""
    out = []
    for p in pairs:
        names = shared_names(p)
        if names and rng.random() < rate:
            hide = lambda toks: tuple(UNK if t.lower() in names else t for t in toks)  # noqa: E731
            p = Pair(p.en, p.fr, hide(p.src_tokens), hide(p.tgt_tokens))
        out.append(p)
    return out


# English number words and the French word each one is written as, for number practice. "one" is left
# out (un / une is also an article), and so are "hundred" and up (deux cents, not 200).
NUMBER_WORDS = dict(zip(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split(),
    zip(range(2, 21), "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
        "seize dix-sept dix-huit dix-neuf vingt".split()),
)) | {"thirty": (30, "trente"), "forty": (40, "quarante"), "fifty": (50, "cinquante"), "sixty": (60, "soixante")}


def numbers_as_digits(pair: Pair) -> Pair | None:
    """The pair with each number word written once on both sides ("three" / "trois") as digits on both
    ("3" / "3"), or None when it has none. Tatoeba writes numbers in words: fewer than 1 % of its English
    sentences have a digit, too few for the model to learn that a digit is copied."""
    src = [t.lower() for t in pair.src_tokens]
    tgt = [t.lower() for t in pair.tgt_tokens]
    digits = {en: str(value) for en, (value, fr) in NUMBER_WORDS.items()
              if src.count(en) == 1 and tgt.count(fr) == 1}
    if not digits:
        return None
    french = {NUMBER_WORDS[en][1]: d for en, d in digits.items()}
    return Pair(pair.en, pair.fr,
                tuple(digits.get(t.lower(), t) for t in pair.src_tokens),
                tuple(french.get(t.lower(), t) for t in pair.tgt_tokens))


def write_numbers_as_digits(pairs: list[Pair], rate: float, rng: random.Random) -> list[Pair]:
    """Number practice: in a `rate` share of the pairs that have number words on both sides, they
    become digits on both sides. Digits are <unk> in every vocabulary, so the model learns to write
    <unk> where the English has a number, which the decoder then copies through attention."""
    out = []
    for p in pairs:
        as_digits = numbers_as_digits(p) if rate > 0 else None
        out.append(as_digits if as_digits is not None and rng.random() < rate else p)
    return out


def _pad(rows: list[list[int]]) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [PAD_ID] * (width - len(r)) for r in rows], dtype=torch.long)


def make_batch(pairs: list[Pair], src_vocab: Vocab, tgt_vocab: Vocab) -> Batch:
    src = [src_vocab.encode(p.src_tokens) for p in pairs]
    tgt = [tgt_vocab.encode(p.tgt_tokens) for p in pairs]
    return Batch(
        src=_pad(src),
        src_len=torch.tensor([len(s) for s in src]),
        tgt_in=_pad([[BOS_ID] + t for t in tgt]),
        tgt_out=_pad([t + [EOS_ID] for t in tgt]),
    )


def batches(
    pairs: list[Pair], src_vocab: Vocab, tgt_vocab: Vocab, batch_tokens: int, seed: int | None
) -> Iterator[Batch]:
    """Length-bucketed batches of about `batch_tokens` target tokens; shuffled when seed is set."""
    rng = random.Random(seed)
    order = sorted(pairs, key=lambda p: (len(p.tgt_tokens), len(p.src_tokens), rng.random()))
    groups, group, width = [], [], 0
    for p in order:
        width = max(width, len(p.tgt_tokens) + 1)
        if group and width * (len(group) + 1) > batch_tokens:
            groups.append(group)
            group, width = [], len(p.tgt_tokens) + 1
        group.append(p)
    if group:
        groups.append(group)
    if seed is not None:
        rng.shuffle(groups)
    for g in groups:
        yield make_batch(g, src_vocab, tgt_vocab)
