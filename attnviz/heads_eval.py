"""What each Transformer head does, measured: AER of every cross-attention head against the
hand alignments, how much weight each head puts on punctuation, and what each encoder
self-attention head looks at (the previous word, itself, the next word: Voita et al. 2019).

The hand-aligned pairs are split in two by position: the even-numbered half ("dev") chooses the head
that single-attention views show (choose_head); the odd-numbered half ("held out") reports how well
that head aligns, so the reported number never comes from the pairs that picked it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .alignment import AlignedPair, alignment_error_rate, argmax_links
from .checkpoint import Bundle
from .trace import encoder_self_attention, trace_translation

PUNCTUATION = frozenset(".,!?;:")


def dev_split(gold: Sequence[AlignedPair]) -> tuple[list[AlignedPair], list[AlignedPair]]:
    """(dev: pairs 0, 2, 4, ..., held out: pairs 1, 3, 5, ...)."""
    return list(gold[0::2]), list(gold[1::2])


def forced_heads(bundle: Bundle, gold: Sequence[AlignedPair]) -> list[np.ndarray]:
    """Every cross-attention head under forced decoding of each gold French: (T, L, A, S) per pair,
    the <eos> row dropped (it has no gold link)."""
    return [trace_translation(bundle, p.en, target=p.fr).heads.cross_weights[:-1] for p in gold]


def head_aer(weights: list[np.ndarray], gold: Sequence[AlignedPair]) -> np.ndarray:
    """(L, A) corpus AER of each head's argmax links."""
    layers, heads = weights[0].shape[1:3]
    return np.array([[alignment_error_rate([argmax_links(w[:, l, a]) for w in weights], gold)
                      for a in range(heads)] for l in range(layers)])


def layer_mean_aer(weights: list[np.ndarray], gold: Sequence[AlignedPair]) -> np.ndarray:
    """(L,) corpus AER of the mean of each layer's heads."""
    return np.array([alignment_error_rate([argmax_links(w[:, l].mean(1)) for w in weights], gold)
                     for l in range(weights[0].shape[1])])


def choose_head(bundle: Bundle, dev: Sequence[AlignedPair]) -> tuple[int, int]:
    """The (layer, head), 0-based, whose argmax attention has the lowest AER on the dev pairs."""
    aer = head_aer(forced_heads(bundle, dev), dev)
    layer, head = np.unravel_index(int(np.argmin(aer)), aer.shape)
    return int(layer), int(head)


@dataclass
class HeadTable:
    """Per-head measurements (all (L, A) arrays) and where they come from."""

    aer_dev: np.ndarray  # AER on the dev half
    aer_held_out: np.ndarray  # AER on the held-out half
    aer_all: np.ndarray  # AER on every hand-aligned pair
    cross_punct: np.ndarray  # mean cross-attention weight on English punctuation, over French words that are not
    enc_prev: np.ndarray  # encoder self-attention: mean weight on the previous English word
    enc_self: np.ndarray  # on the word itself
    enc_next: np.ndarray  # on the next word
    enc_punct: np.ndarray  # on punctuation
    sentences: int  # sentences the punctuation and encoder measures average over

    def to_json(self) -> dict:
        return {k: (np.round(v, 4).tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}


def cross_punctuation(bundle: Bundle, pairs: Sequence[AlignedPair]) -> np.ndarray:
    """(L, A) mean weight each cross-attention head puts on English punctuation while writing a
    French word that is not punctuation (forced decoding of the gold French)."""
    total, count = 0.0, 0
    for p in pairs:
        w = trace_translation(bundle, p.en, target=p.fr).heads.cross_weights[:-1]  # (T, L, A, S)
        src_p = np.array([t in PUNCTUATION for t in p.src_tokens])
        rows = np.array([t not in PUNCTUATION for t in p.tgt_tokens])
        total = total + w[rows][..., src_p].sum(-1).sum(0)  # (L, A)
        count += int(rows.sum())
    return total / max(count, 1)


def encoder_roles(bundle: Bundle, sentences: Sequence[str]) -> dict[str, np.ndarray]:
    """(L, A) mean encoder self-attention weight on the previous word, the word itself, the next
    word and punctuation, over every English word of `sentences` that has both neighbours."""
    sums = {k: 0.0 for k in ("prev", "self", "next", "punct")}
    count = 0
    for sentence in sentences:
        trace = trace_translation(bundle, sentence, max_len=1)
        w = encoder_self_attention(bundle, trace)  # (L, A, S, S)
        s = w.shape[-1]
        if s < 3:
            continue
        i = np.arange(1, s - 1)
        punct = np.array([t in PUNCTUATION for t in trace.src_tokens])
        sums["prev"] = sums["prev"] + w[:, :, i, i - 1].sum(-1)
        sums["self"] = sums["self"] + w[:, :, i, i].sum(-1)
        sums["next"] = sums["next"] + w[:, :, i, i + 1].sum(-1)
        sums["punct"] = sums["punct"] + w[:, :, i][..., punct].sum(-1).sum(-1)
        count += len(i)
    return {k: v / max(count, 1) for k, v in sums.items()}


def head_table(bundle: Bundle, gold: Sequence[AlignedPair]) -> HeadTable:
    dev, held_out = dev_split(gold)
    weights = forced_heads(bundle, gold)
    roles = encoder_roles(bundle, [p.en for p in gold])
    return HeadTable(aer_dev=head_aer(weights[0::2], dev), aer_held_out=head_aer(weights[1::2], held_out),
                     aer_all=head_aer(weights, gold), cross_punct=cross_punctuation(bundle, gold),
                     enc_prev=roles["prev"], enc_self=roles["self"], enc_next=roles["next"],
                     enc_punct=roles["punct"], sentences=len(gold))


def format_head_table(table: HeadTable, chosen: tuple[int, int]) -> str:
    head = (f"{'layer':>5} {'head':>4} {'AER dev':>8} {'AER held-out':>12} {'AER all':>8} {'punct (cross)':>13} "
            f"{'enc prev':>8} {'enc self':>8} {'enc next':>8} {'enc punct':>9}")
    lines = [head, "-" * len(head)]
    decoder, heads = table.aer_all.shape
    encoder = table.enc_prev.shape[0]  # the encoder may have more layers than the decoder: "-" where a side has none
    cell = lambda a, l, h, width: f"{a[l, h]:>{width}.3f}" if l < a.shape[0] else f"{'-':>{width}}"  # noqa: E731
    for l in range(max(decoder, encoder)):
        for a in range(heads):
            mark = "  <- shown" if (l, a) == chosen else ""
            lines.append(f"{l + 1:>5} {a + 1:>4} {cell(table.aer_dev, l, a, 8)} {cell(table.aer_held_out, l, a, 12)} "
                         f"{cell(table.aer_all, l, a, 8)} {cell(table.cross_punct, l, a, 13)} "
                         f"{cell(table.enc_prev, l, a, 8)} {cell(table.enc_self, l, a, 8)} "
                         f"{cell(table.enc_next, l, a, 8)} {cell(table.enc_punct, l, a, 9)}{mark}")
    lines.append(f"(1-based; AER of each head's argmax attention under forced decoding of the {table.sentences} "
                 "hand-aligned pairs: dev = even-numbered half, which chose the shown head; enc: mean encoder "
                 "self-attention weight on the previous word / itself / the next word / punctuation, "
                 "of the encoder head with the same numbers)")
    return "\n".join(lines)
