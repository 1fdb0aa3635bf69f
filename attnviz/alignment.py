"""Hand-aligned English-French pairs, and alignment error rate (AER) of attention against them.

AER follows Och & Ney (2003): sure links S, possible links P ⊇ S, predicted links A.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from attnviz.text import tokenize_en, tokenize_fr

DEFAULT_ALIGNMENTS = Path(__file__).parent / "resources" / "handaligned_en_fr.txt"

Link = tuple[int, int]  # (english_index, french_index)
_KEYS = ("en", "fr", "sure", "possible")
_REQUIRED = ("en", "fr", "sure")


@dataclass(frozen=True)
class AlignedPair:
    en: str
    fr: str
    src_tokens: tuple[str, ...]
    tgt_tokens: tuple[str, ...]
    sure: frozenset[Link]
    possible: frozenset[Link]  # always ⊇ sure


def _parse_links(text: str, where: str) -> frozenset[Link]:
    """`0-0 1-2 2-1` -> {(0, 0), (1, 2), (2, 1)}."""
    links = set()
    for item in text.split():
        src, sep, tgt = item.partition("-")
        if not (sep and src.isdigit() and tgt.isdigit()):
            raise ValueError(f"{where}: bad link {item!r}, expected 'i-j' with 0-based indices")
        links.add((int(src), int(tgt)))
    return frozenset(links)


def _check_in_range(links: frozenset[Link], n_src: int, n_tgt: int, where: str) -> None:
    for i, j in sorted(links):
        if i >= n_src or j >= n_tgt:
            raise ValueError(
                f"{where}: link {i}-{j} out of range "
                f"({n_src} English tokens, {n_tgt} French tokens)"
            )


def _make_pair(fields: dict[str, tuple[str, int]], path: Path, start: int) -> AlignedPair:
    """One block (key -> (value, line number)) -> a validated AlignedPair."""
    missing = [k for k in _REQUIRED if k not in fields]
    if missing:
        raise ValueError(f"{path}:{start}: pair is missing {', '.join(missing)}")
    en, fr = fields["en"][0], fields["fr"][0]
    src, tgt = tuple(tokenize_en(en)), tuple(tokenize_fr(fr))
    sure_text, sure_line = fields["sure"]
    poss_text, poss_line = fields.get("possible", ("", start))
    sure = _parse_links(sure_text, f"{path}:{sure_line}")
    possible = _parse_links(poss_text, f"{path}:{poss_line}")
    _check_in_range(sure, len(src), len(tgt), f"{path}:{sure_line}")
    _check_in_range(possible, len(src), len(tgt), f"{path}:{poss_line}")
    return AlignedPair(en, fr, src, tgt, sure, sure | possible)


def load_aligned_pairs(path: str | Path = DEFAULT_ALIGNMENTS) -> list[AlignedPair]:
    """Read the `en:/fr:/sure:/possible:` block file; the possible links include the sure ones."""
    path = Path(path)
    pairs: list[AlignedPair] = []
    fields: dict[str, tuple[str, int]] = {}
    start = 0
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate(lines + [""], start=1):
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            if fields:
                pairs.append(_make_pair(fields, path, start))
            fields = {}
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in _KEYS:
            expected = ", ".join(_KEYS)
            raise ValueError(f"{path}:{number}: expected one of {expected} then ':', got {raw!r}")
        if key in fields:
            raise ValueError(f"{path}:{number}: {key!r} given twice in one pair")
        start = start if fields else number
        fields[key] = (value.strip(), number)
    return pairs


def alignment_error_rate(predicted: Iterable[set[Link]], gold: Sequence[AlignedPair]) -> float:
    """Corpus AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|), each count summed over all pairs."""
    predicted = list(predicted)
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted alignments for {len(gold)} gold pairs")
    a_and_s = a_and_p = a_total = s_total = 0
    for links, pair in zip(predicted, gold):
        links = set(links)
        a_and_s += len(links & pair.sure)
        a_and_p += len(links & pair.possible)
        a_total += len(links)
        s_total += len(pair.sure)
    if a_total + s_total == 0:
        raise ValueError("AER is undefined with no predicted and no sure links")
    return 1.0 - (a_and_s + a_and_p) / (a_total + s_total)


def argmax_links(weights: np.ndarray) -> set[Link]:
    """(T, S) attention (rows: French positions) -> {(most attended English index, j)}."""
    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(f"attention weights must be a (T, S) matrix, got shape {weights.shape}")
    if weights.shape[0] and not weights.shape[1]:
        raise ValueError("attention weights have no source columns")
    return {(int(i), j) for j, i in enumerate(weights.argmax(axis=1))}


# ---------------------------------------------------------------- one sentence at a time (the page)


@lru_cache(maxsize=4)
def bundled_pairs(path: str | Path = DEFAULT_ALIGNMENTS) -> tuple[AlignedPair, ...]:
    """The hand-aligned pairs, read once (the page asks on every rerun)."""
    return tuple(load_aligned_pairs(path))


def _fold(tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(t.casefold() for t in tokens)


def find_pair(
    src_tokens: Sequence[str], tgt_tokens: Sequence[str], pairs: Sequence[AlignedPair] | None = None
) -> AlignedPair | None:
    """The gold pair with exactly these English and French tokens (case-insensitive), or None.

    `tgt_tokens` may end with "<eos>" (a trace's output): it is ignored, as it has no gold link.
    """
    tgt = list(tgt_tokens)
    if tgt[-1:] == ["<eos>"]:
        tgt = tgt[:-1]
    src_key, tgt_key = _fold(src_tokens), _fold(tgt)
    for pair in bundled_pairs() if pairs is None else pairs:
        if _fold(pair.src_tokens) == src_key and _fold(pair.tgt_tokens) == tgt_key:
            return pair
    return None


def sentence_aer(weights: np.ndarray, pair: AlignedPair) -> float:
    """AER of one sentence's argmax attention against its gold links.

    Args:
        weights: (T, S) attention of the forced gold French, T = len(pair.tgt_tokens) or one more
            (the <eos> row, which has no gold link, is dropped, as `evaluate` does).
        pair: the gold pair.
    """
    weights = np.asarray(weights)
    n_tgt, n_src = len(pair.tgt_tokens), len(pair.src_tokens)
    if weights.ndim != 2 or weights.shape[1] != n_src or weights.shape[0] not in (n_tgt, n_tgt + 1):
        raise ValueError(f"attention of shape {weights.shape} does not fit a pair of {n_src} English "
                         f"and {n_tgt} French tokens")
    return alignment_error_rate([argmax_links(weights[:n_tgt])], [pair])
