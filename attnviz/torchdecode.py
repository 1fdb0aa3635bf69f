"""Decoding through the model's own torch modules: batched greedy translation for evaluation, the
reference searches and forced pass that the tests hold trace.py's NumPy decoding to, and the forced
pass that records attention snapshots while a model trains.

The page never imports this module (nor torch); trace.py is what it decodes with.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .checkpoint import Bundle
from .model import Encoded
from .text import detokenize_fr
from .trace import (_NEVER_EMIT, _NEVER_WRITTEN, LEFT_OUT_PENALTY, TOP_K, Heads, Trace, after_copy, copied_positions,
                    copy_mask, copy_position, default_max_len, forced_target, prepare, source_ids)
from .vocab import BOS_ID, EOS, EOS_ID, PAD_ID, UNK_ID


@dataclass(frozen=True)
class Source:
    """A sentence ready for the modules: tokens, ids, its encoding and the (1, S) attention mask."""

    sentence: str
    tokens: list[str]
    ids: list[int]
    enc: Encoded
    allowed: torch.Tensor | None  # (1, S) True where attention may look; None: everywhere
    blocked: tuple[int, ...]


@torch.inference_mode()
def encoded_source(bundle: Bundle, sentence: str, blocked: Sequence[int] = ()) -> Source:
    """trace.prepare (the same checks), then the model's encoder."""
    src = prepare(bundle, sentence, blocked)
    allowed = None if src.allowed is None else torch.from_numpy(src.allowed).unsqueeze(0)  # (1, S)
    return Source(src.sentence, src.tokens, src.ids, encode(bundle, src.ids), allowed, src.blocked)


@torch.inference_mode()
def encode(bundle: Bundle, ids: Sequence[int]) -> Encoded:
    src = torch.tensor([list(ids)])  # (1, S)
    return bundle.model.encoder(src, torch.tensor([len(ids)]))


def _step_log_probs(bundle: Bundle, y: torch.Tensor, h: torch.Tensor, enc: Encoded, allowed) -> tuple:
    """One decoder step through the model's modules: y (N, 1), h (1, N, H) -> log-probs (N, V), h."""
    dec = bundle.model.decoder(y, h, enc, allowed)
    return bundle.model.decoder.log_probs(dec.att_h)[:, -1], dec.last_h  # (N, V), (1, N, H)


def _copy_positions(weights: torch.Tensor | None, tokens: Sequence[Sequence[str]], ids: Sequence[Sequence[int]],
                    left: Sequence[np.ndarray] | None = None) -> torch.Tensor:
    """(N,) the source position a <unk> written at this step copies (trace.copy_position), -1 where
    none may be copied; weights (N, S) or None (padded rows: each sentence's own words only); left:
    each row's words it may still copy (trace.after_copy), None: every word it may copy."""
    if weights is None:
        return torch.full((len(tokens),), -1)
    left = left or [None] * len(tokens)
    return torch.tensor([copy_position(w[: len(tok)].numpy(), tok, i, lf)
                         for w, tok, i, lf in zip(weights, tokens, ids, left)])


def _step_best(bundle: Bundle, y: torch.Tensor, h: torch.Tensor, enc: Encoded, allowed,
               tokens: Sequence[Sequence[str]], ids: Sequence[Sequence[int]], left: Sequence[np.ndarray]) -> tuple:
    """One greedy decoder step: y (N, 1), h (1, N, H) -> next ids (N,), h, copies (N,): the English
    position each row's <unk> copies, -1 where it wrote a word. The best word is <unk> only where it
    can be copied; elsewhere the best word the model can write."""
    dec = bundle.model.decoder(y, h, enc, allowed)
    att_h = dec.att_h[:, -1]  # (N, E)
    best = bundle.model.decoder.best_next(att_h, _NEVER_WRITTEN)  # (N,)
    copies = torch.full((len(tokens),), -1)
    if dec.weights is not None and bool((best == UNK_ID).any()):
        writable = bundle.model.decoder.best_next(att_h, _NEVER_EMIT)  # (N,)
        copies = _copy_positions(dec.weights[:, -1], tokens, ids, left)
        best = torch.where((best == UNK_ID) & (copies < 0), writable, best)
    elif dec.weights is None:
        best = bundle.model.decoder.best_next(att_h, _NEVER_EMIT)
    return best, dec.last_h, torch.where(best == UNK_ID, copies, -1)


@torch.inference_mode()
def greedy_ids(bundle: Bundle, src: "Source", max_len: int) -> list[int]:
    """Reference greedy search through the model's modules: the best word until <eos> or max_len."""
    enc, allowed = src.enc, src.allowed
    y, h, out = torch.tensor([[BOS_ID]]), enc.dec_h0, []
    left = copy_mask(src.tokens, src.ids)
    for _ in range(max_len):
        nxt, h, copies = _step_best(bundle, y, h, enc, allowed, [src.tokens], [src.ids], [left])
        nxt = int(nxt)
        left = after_copy(left, int(copies[0]))
        out.append(nxt)
        if nxt == EOS_ID:
            break
        y = torch.tensor([[nxt]])
    return out


@torch.inference_mode()
def beam_ids(bundle: Bundle, src: "Source", max_len: int, beam: int) -> list[tuple[list[int], float]]:
    """Reference beam search through the model's modules (the tests check the traced search against
    it); returns finished hypotheses (ids ending in <eos>, mean log-prob less LEFT_OUT_PENALTY for each word
    it could have copied but did not), best first."""
    enc, allowed = src.enc, src.allowed
    hyps: list[tuple[list[int], float, np.ndarray]] = [([], 0.0, copy_mask(src.tokens, src.ids))]  # ids, score, left
    h = enc.dec_h0  # (1, N, H), one column per live hypothesis
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_len):
        n = len(hyps)
        y = torch.tensor([[ids[-1] if ids else BOS_ID] for ids, _, _ in hyps])  # (N, 1)
        enc_n = Encoded(enc.enc_out.expand(n, -1, -1), enc.dec_h0, enc.src_mask.expand(n, -1))
        dec = bundle.model.decoder(y, h, enc_n, None if allowed is None else allowed.expand(n, -1))
        logp, h_new = bundle.model.decoder.log_probs(dec.att_h)[:, -1], dec.last_h  # (N, V), (1, N, H)
        logp[:, _NEVER_WRITTEN] = float("-inf")
        copies = _copy_positions(None if dec.weights is None else dec.weights[:, -1], [src.tokens] * n,
                                 [src.ids] * n, [left for _, _, left in hyps])  # (N,)
        logp[copies < 0, UNK_ID] = float("-inf")
        total = torch.tensor([s for _, s, _ in hyps]).unsqueeze(1) + logp  # (N, V)
        top = torch.topk(total.flatten(), beam)
        live, rows = [], []
        for score, flat in zip(top.values.tolist(), top.indices.tolist()):
            row, tok = divmod(flat, logp.size(1))
            ids = hyps[row][0] + [tok]
            if tok == EOS_ID:
                finished.append((ids, score, hyps[row][2]))
            else:
                live.append((ids, score, after_copy(hyps[row][2], int(copies[row]) if tok == UNK_ID else -1)))
                rows.append(row)
        if len(finished) >= beam or not live:
            break
        hyps, h = live, h_new[:, rows]
    finished = finished or hyps  # max_len reached without <eos>
    ranked = [(ids, s / len(ids) - LEFT_OUT_PENALTY * int(left.sum())) for ids, s, left in finished]
    return sorted(ranked, key=lambda x: -x[1])


def _as_np(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.detach().numpy().astype(np.float64)


@torch.inference_mode()
def record(
    bundle: Bundle, src: Source, tgt_ids: list[int], mode: str,
    tgt_words: Sequence[str] | None = None, alternatives: tuple = (),
) -> Trace:
    """Run the model's decoder over tgt_ids (ending with <eos>) in one forced pass and record every step.

    The reference for trace_translation's in-loop record (tests), and the attention snapshots taken
    while a model trains (snapshots.py: the live torch model, not a bundle's saved weights).
    """
    enc, allowed = src.enc, src.allowed
    tgt_in = torch.tensor([[BOS_ID] + tgt_ids[:-1]])  # (1, T)
    dec = bundle.model.decoder(tgt_in, enc.dec_h0, enc, allowed)
    probs = bundle.model.decoder.log_probs(dec.att_h)[0].exp()  # (T, V)
    top = torch.topk(probs, TOP_K, dim=-1)  # (T, K)
    vocab = bundle.tgt_vocab
    words = list(tgt_words) + [EOS] if tgt_words is not None else vocab.decode(tgt_ids)
    first = lambda t: None if t is None else _as_np(t[0])  # noqa: E731
    forced = (mode == "forced",) * len(words)
    copied = copied_positions(first(dec.weights), src.tokens, src.ids, tgt_ids, words, forced)
    words = [src.tokens[pos] if pos >= 0 else w for w, pos in zip(words, copied)]
    return Trace(
        scorer=bundle.scorer, mode=mode, source=src.sentence,
        src_tokens=tuple(src.tokens), src_known=tuple(i != UNK_ID for i in src.ids),
        tgt_tokens=tuple(words), tgt_known=tuple(i != UNK_ID for i in tgt_ids),
        translation=detokenize_fr(words[:-1] if words[-1:] == [EOS] else words),
        enc_out=first(enc.enc_out if dec.attended is None else dec.attended), dec_states=first(dec.dec_h),
        scores=first(dec.scores), weights=first(dec.weights), contexts=first(dec.context),
        topk_tokens=tuple(tuple(vocab.decode(row)) for row in top.indices.tolist()),
        topk_probs=top.values.numpy().astype(np.float64),
        chosen_probs=probs[torch.arange(len(tgt_ids)), torch.tensor(tgt_ids)].numpy().astype(np.float64),
        blocked=src.blocked, alternatives=alternatives,
        forced=forced, copied=copied, stop_reason="eos" if words[-1:] == [EOS] else "length",
        heads=_heads(bundle, dec, enc),
    )


def _heads(bundle: Bundle, dec, enc: Encoded) -> Heads | None:
    """A Transformer's every head from its decoder's record (sentence 0); None for a GRU."""
    if getattr(dec, "cross_weights", None) is None:
        return None
    first = lambda t: t[0].detach().numpy().astype(np.float64)  # noqa: E731
    return Heads(layer=bundle.cfg.attention_layer, head=bundle.cfg.attention_head,
                 cross_scores=first(dec.cross_scores).transpose(2, 0, 1, 3),  # (L, A, T, S) -> (T, L, A, S)
                 cross_weights=first(dec.cross_weights).transpose(2, 0, 1, 3),
                 queries=first(dec.queries).transpose(2, 0, 1, 3), keys=first(dec.keys), values=first(dec.values),
                 cross_out=first(dec.cross_out).transpose(1, 0, 2),  # (L, T, D) -> (T, L, D)
                 self_weights=first(dec.self_weights).transpose(2, 0, 1, 3), memory=first(enc.enc_out))

@torch.inference_mode()
def forced_trace(bundle: Bundle, sentence: str, target: str) -> Trace:
    """Teacher-force the French `target` through the model's modules: trace_translation(target=...)'s
    record, computed by bundle.model (a live model in training, see Bundle.of_model)."""
    ids, shown = forced_target(bundle.tgt_vocab, target)
    return record(bundle, encoded_source(bundle, sentence), ids + [EOS_ID], "forced", tgt_words=shown)


@torch.inference_mode()
def forced_heads(bundle: Bundle, sentence: str, target: str) -> np.ndarray | None:
    """Every cross-attention head's weights under teacher forcing of `target`: (L, A, T, S), T with
    <eos>; None for a model with one attention (the GRUs)."""
    ids, _ = forced_target(bundle.tgt_vocab, target)
    src = encoded_source(bundle, sentence)
    dec = bundle.model.decoder(torch.tensor([[BOS_ID] + ids]), src.enc.dec_h0, src.enc, src.allowed)
    every = getattr(dec, "cross_weights", None)  # (1, L, A, T, S)
    return None if every is None else every[0].numpy().astype(np.float64)


@torch.inference_mode()
def greedy_batch(bundle: Bundle, sentences: Sequence[str], max_len: int | None = None,
                 ensemble: Sequence[Bundle] = ()) -> list[str]:
    """Greedy translations of many sentences at once (padded batch); same words as trace_translation.

    Each sentence must satisfy source_ids(); the batch shares one step loop until all emit <eos>.
    `ensemble`: more bundles to average with (greedy_batch_ids); a <unk> copies `bundle`'s attention.
    """
    sources = [source_ids(bundle, s) for s in sentences]
    tokens = [t for t, _ in sources]
    out, copies = greedy_batch_ids(bundle, tokens, [i for _, i in sources], max_len, ensemble)
    return [detokenize_fr(_batch_words(bundle, row, pos, tok)) for row, pos, tok in zip(out, copies, tokens)]


@torch.inference_mode()
def greedy_batch_ids(bundle: Bundle, tokens: Sequence[Sequence[str]], ids: Sequence[Sequence[int]],
                     max_len: int | None = None, ensemble: Sequence[Bundle] = ()) -> tuple[torch.Tensor, torch.Tensor]:
    """greedy_batch before words: out (B, max_len) ids, PAD after <eos>; copies (B, max_len) the source
    position a <unk> written on each step copies (trace.copy_position), -1 where none may be copied.

    `ensemble`: more bundles with the same vocabularies; then each step writes the word whose
    log-probability, averaged over `bundle` and them, is best (`_ensemble_best`): a teacher for distill.py.
    """
    width = max(len(i) for i in ids)
    src = torch.tensor([list(i) + [PAD_ID] * (width - len(i)) for i in ids])  # (B, S)
    members = [bundle, *ensemble]
    encs = [m.model.encoder(src, torch.tensor([len(i) for i in ids])) for m in members]
    limits = torch.tensor([max_len or default_max_len(len(i)) for i in ids])  # (B,) as trace_translation
    y, hs = torch.full((len(ids), 1), BOS_ID), [enc.dec_h0 for enc in encs]  # (B, 1), each (1, B, H)
    out = torch.full((len(ids), int(limits.max())), PAD_ID)  # (B, max_len)
    done = torch.zeros(len(ids), dtype=torch.bool)
    copies = torch.full(out.shape, -1)  # (B, max_len)
    left = [copy_mask(tok, i) for tok, i in zip(tokens, ids)]  # per sentence: the words it may still copy
    for t in range(out.size(1)):
        if ensemble:
            nxt, hs, copies[:, t] = _ensemble_best(members, y, hs, encs, tokens, ids, left)
        else:
            nxt, h, copies[:, t] = _step_best(bundle, y, hs[0], encs[0], None, tokens, ids, left)  # (B,), _, (B,)
            hs = [h]
        out[:, t] = torch.where(done, PAD_ID, nxt)
        left = [after_copy(lf, pos) for lf, pos in zip(left, copies[:, t].tolist())]
        done |= (nxt == EOS_ID) | (t + 1 >= limits)
        if done.all():
            break
        y = nxt.unsqueeze(1)
    return out, copies


def _ensemble_best(members: Sequence[Bundle], y: torch.Tensor, hs: list, encs: list[Encoded],
                   tokens: Sequence[Sequence[str]], ids: Sequence[Sequence[int]], left: Sequence[np.ndarray]) -> tuple:
    """One greedy step of an ensemble: y (N, 1) -> next ids (N,), each member's new state, copies (N,)
    as _step_best's. The best word by the members' mean log-probability; <unk> only where the first
    member's attention can copy it (as _step_best), never a word the page never writes."""
    log_probs, states, weights = [], [], None
    for member, h, enc in zip(members, hs, encs):
        dec = member.model.decoder(y, h, enc, None)
        log_probs.append(member.model.decoder.log_probs(dec.att_h)[:, -1])  # (N, V)
        states.append(dec.last_h)
        weights = dec.weights[:, -1] if weights is None and dec.weights is not None else weights
    mean = torch.stack(log_probs).mean(0)  # (N, V)
    mean[:, list(_NEVER_WRITTEN)] = float("-inf")
    copies = _copy_positions(weights, tokens, ids, left)  # (N,)
    mean[copies < 0, UNK_ID] = float("-inf")
    best = mean.argmax(-1)
    return best, states, torch.where(best == UNK_ID, copies, -1)


def same_vocabularies(bundles: Sequence[Bundle]) -> bool:
    """(Bundles, or anything with `src_vocab` and `tgt_vocab`.) True when every one reads and writes the same words with the same ids, names it copies
    included (an ensemble can average them; a run can continue one's weights in another's place)."""
    first = bundles[0]
    return all(b.src_vocab.tokens == first.src_vocab.tokens and b.src_vocab.index == first.src_vocab.index
               and b.tgt_vocab.tokens == first.tgt_vocab.tokens for b in bundles[1:])


def _batch_words(bundle: Bundle, row: torch.Tensor, copies: torch.Tensor, src_tokens: Sequence[str]) -> list[str]:
    """One sentence of greedy_batch: ids (max_len,) -> words, each <unk> as the English word it copies."""
    keep = (row != PAD_ID) & (row != EOS_ID)
    words = bundle.tgt_vocab.decode(row[keep].tolist())
    return [src_tokens[pos] if tok == UNK_ID else w
            for w, tok, pos in zip(words, row[keep].tolist(), copies[keep].tolist())]
