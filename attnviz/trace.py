"""Decoding with a full record: greedy, beam and forced decoding, each returning a typed Trace.

Every trace is recorded by one forced pass over the chosen output words, so scores, weights,
contexts and next-word probabilities always come from the same forward computation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .checkpoint import Bundle
from .model import Encoded
from .text import detokenize_fr, tokenize_en, tokenize_fr
from .vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID, EOS

MAX_SOURCE_TOKENS = 50  # the models were trained on <= 30 tokens; beyond 50 attention is noise
TOP_K = 5
_NEVER_EMIT = (PAD_ID, UNK_ID, BOS_ID)  # a translation never shows these


@dataclass(frozen=True)
class Trace:
    """One sentence through one model: T output steps, S source words.

    The last step emits <eos>, unless decoding was cut at max_len (then `finished` is False).
    """

    scorer: str
    mode: str  # "greedy" | "beam" | "forced"
    source: str  # the sentence as typed
    src_tokens: tuple[str, ...]  # (S,) words as typed
    src_known: tuple[bool, ...]  # (S,) False where the model saw <unk>
    tgt_tokens: tuple[str, ...]  # (T,) output words, normally ending with "<eos>"
    tgt_known: tuple[bool, ...]  # (T,) False where a forced French word is not in the vocabulary
    translation: str  # detokenised output, without <eos>
    enc_out: np.ndarray  # (S, H) encoder hidden states, one per source word
    dec_states: np.ndarray  # (T, H) decoder state (the query) at each step
    scores: np.ndarray | None  # (T, S) raw scores; None for "none"
    weights: np.ndarray | None  # (T, S) softmax weights, rows sum to 1; None for "none"
    contexts: np.ndarray | None  # (T, H) weights @ enc_out; None for "none"
    topk_tokens: tuple[tuple[str, ...], ...]  # (T, K) most probable next words at each step
    topk_probs: np.ndarray  # (T, K)
    chosen_probs: np.ndarray  # (T,) probability of the word actually output/forced
    blocked: tuple[int, ...] = ()  # source positions hidden from attention (intervention)
    alternatives: tuple[tuple[str, float], ...] = ()  # beam: (translation, mean log-prob) per hypothesis

    @property
    def num_steps(self) -> int:
        return len(self.tgt_tokens)

    @property
    def finished(self) -> bool:
        return self.tgt_tokens[-1:] == (EOS,)

    def check_step(self, t: int) -> None:
        """ValueError unless t is an output step of this trace (0-based)."""
        if not 0 <= t < self.num_steps:
            raise ValueError(f"step {t} is out of range: the trace has steps 0..{self.num_steps - 1}")


def source_ids(bundle: Bundle, sentence: str) -> tuple[list[str], list[int]]:
    """Tokenise and encode; ValueError with a readable message for empty or over-long input."""
    tokens = tokenize_en(sentence)
    if not tokens:
        raise ValueError("there is no English word in the input")
    if len(tokens) > MAX_SOURCE_TOKENS:
        raise ValueError(f"the input has {len(tokens)} words; the limit is {MAX_SOURCE_TOKENS}")
    return tokens, bundle.src_vocab.encode(tokens)


def encode(bundle: Bundle, ids: Sequence[int]) -> Encoded:
    src = torch.tensor([list(ids)])  # (1, S)
    return bundle.model.encoder(src, torch.tensor([len(ids)]))


def allowed_mask(src_len: int, blocked: Sequence[int]) -> torch.Tensor:
    """(1, S) True where attention may look; ValueError for bad or all-blocking positions."""
    bad = [i for i in blocked if not 0 <= i < src_len]
    if bad:
        raise ValueError(f"cannot block positions {bad}: the sentence has positions 0..{src_len - 1}")
    allowed = torch.ones(1, src_len, dtype=torch.bool)
    allowed[0, list(blocked)] = False
    if not allowed.any():
        raise ValueError("cannot block every source word: attention needs somewhere to look")
    return allowed


def _step_log_probs(bundle: Bundle, y: torch.Tensor, h: torch.Tensor, enc: Encoded, allowed) -> tuple:
    """One decoder step for a batch of hypotheses: y (N, 1), h (1, N, H) -> log-probs (N, V), h."""
    dec = bundle.model.decoder(y, h, enc, allowed)
    return bundle.model.decoder.log_probs(dec.att_h)[:, -1], dec.last_h  # (N, V), (1, N, H)


def _step_best(bundle: Bundle, y: torch.Tensor, h: torch.Tensor, enc: Encoded, allowed) -> tuple:
    """One greedy decoder step: y (N, 1), h (1, N, H) -> next ids (N,), h."""
    dec = bundle.model.decoder(y, h, enc, allowed)
    return bundle.model.decoder.best_next(dec.att_h[:, -1], _NEVER_EMIT), dec.last_h


def greedy_ids(bundle: Bundle, enc: Encoded, allowed: torch.Tensor | None, max_len: int) -> list[int]:
    """Most probable word at each step until <eos> (included) or max_len."""
    y, h, out = torch.tensor([[BOS_ID]]), enc.dec_h0, []
    for _ in range(max_len):
        nxt, h = _step_best(bundle, y, h, enc, allowed)
        nxt = int(nxt)
        out.append(nxt)
        if nxt == EOS_ID:
            break
        y = torch.tensor([[nxt]])
    return out


def beam_ids(
    bundle: Bundle, enc: Encoded, allowed: torch.Tensor | None, max_len: int, beam: int
) -> list[tuple[list[int], float]]:
    """Beam search; returns finished hypotheses (ids ending in <eos>, mean log-prob), best first."""
    hyps: list[tuple[list[int], float]] = [([], 0.0)]
    h = enc.dec_h0  # (1, N, H), one column per live hypothesis
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_len):
        n = len(hyps)
        y = torch.tensor([[ids[-1] if ids else BOS_ID] for ids, _ in hyps])  # (N, 1)
        enc_n = Encoded(enc.enc_out.expand(n, -1, -1), enc.dec_h0, enc.src_mask.expand(n, -1))
        logp, h_new = _step_log_probs(bundle, y, h, enc_n, None if allowed is None else allowed.expand(n, -1))
        logp[:, _NEVER_EMIT] = float("-inf")
        total = torch.tensor([s for _, s in hyps]).unsqueeze(1) + logp  # (N, V)
        top = torch.topk(total.flatten(), beam)
        live, rows = [], []
        for score, flat in zip(top.values.tolist(), top.indices.tolist()):
            row, tok = divmod(flat, logp.size(1))
            ids = hyps[row][0] + [tok]
            if tok == EOS_ID:
                finished.append((ids, score))
            else:
                live.append((ids, score))
                rows.append(row)
        if len(finished) >= beam or not live:
            break
        hyps, h = live, h_new[:, rows]
    finished = finished or hyps  # max_len reached without <eos>
    return sorted(((ids, s / len(ids)) for ids, s in finished), key=lambda x: -x[1])


@dataclass(frozen=True)
class _Source:
    """A sentence ready to decode: its tokens, ids, encoding and attention mask."""

    sentence: str
    tokens: list[str]
    ids: list[int]
    enc: Encoded
    allowed: torch.Tensor | None
    blocked: tuple[int, ...]


def _prepare(bundle: Bundle, sentence: str, blocked: Sequence[int]) -> _Source:
    tokens, ids = source_ids(bundle, sentence)
    allowed = allowed_mask(len(ids), blocked) if blocked else None
    return _Source(sentence, tokens, ids, encode(bundle, ids), allowed, tuple(sorted(set(blocked))))


def record(
    bundle: Bundle, src: _Source, tgt_ids: list[int], mode: str,
    tgt_words: Sequence[str] | None = None, alternatives: tuple = (),
) -> Trace:
    """Run the decoder over tgt_ids (ending with <eos>) in one forced pass and record every step."""
    enc, allowed = src.enc, src.allowed
    tgt_in = torch.tensor([[BOS_ID] + tgt_ids[:-1]])  # (1, T)
    dec = bundle.model.decoder(tgt_in, enc.dec_h0, enc, allowed)
    probs = bundle.model.decoder.log_probs(dec.att_h)[0].exp()  # (T, V)
    top = torch.topk(probs, TOP_K, dim=-1)  # (T, K)
    vocab = bundle.tgt_vocab
    words = list(tgt_words) + [EOS] if tgt_words is not None else vocab.decode(tgt_ids)
    as_np = lambda t: None if t is None else t[0].numpy().astype(np.float64)  # noqa: E731
    return Trace(
        scorer=bundle.scorer, mode=mode, source=src.sentence,
        src_tokens=tuple(src.tokens), src_known=tuple(i != UNK_ID for i in src.ids),
        tgt_tokens=tuple(words), tgt_known=tuple(i != UNK_ID for i in tgt_ids),
        translation=detokenize_fr(words[:-1] if words[-1:] == [EOS] else words),
        enc_out=as_np(enc.enc_out), dec_states=as_np(dec.dec_h),
        scores=as_np(dec.scores), weights=as_np(dec.weights), contexts=as_np(dec.context),
        topk_tokens=tuple(tuple(vocab.decode(row)) for row in top.indices.tolist()),
        topk_probs=top.values.numpy().astype(np.float64),
        chosen_probs=probs[torch.arange(len(tgt_ids)), torch.tensor(tgt_ids)].numpy().astype(np.float64),
        blocked=src.blocked, alternatives=alternatives,
    )


@torch.inference_mode()
def trace_translation(
    bundle: Bundle, sentence: str, *, beam: int = 1, target: str | None = None,
    blocked: Sequence[int] = (), max_len: int | None = None,
) -> Trace:
    """Translate (greedy when beam == 1, else beam search) or force `target`, and trace every step.

    Args:
        bundle: a loaded model.
        sentence: English text; ValueError if it has no words or more than MAX_SOURCE_TOKENS.
        beam: beam width; 1 is greedy.
        target: a French sentence to force (teacher forcing) instead of decoding.
        blocked: source positions attention may not look at.
        max_len: most output words; default 2 * S + 10.
    """
    src = _prepare(bundle, sentence, blocked)
    if target is not None:
        words = tokenize_fr(target)
        if not words:
            raise ValueError("the forced French sentence has no words")
        return record(bundle, src, bundle.tgt_vocab.encode(words) + [EOS_ID], "forced", tgt_words=words)
    max_len = max_len or 2 * len(src.ids) + 10
    if beam <= 1:
        return record(bundle, src, greedy_ids(bundle, src.enc, src.allowed, max_len), "greedy")
    hyps = beam_ids(bundle, src.enc, src.allowed, max_len, beam)
    alts = tuple((detokenize_fr(bundle.tgt_vocab.decode(ids[:-1] if ids[-1] == EOS_ID else ids)), round(s, 4))
                 for ids, s in hyps)
    best = hyps[0][0] if hyps[0][0][-1] == EOS_ID else hyps[0][0] + [EOS_ID]
    return record(bundle, src, best, "beam", alternatives=alts)


@torch.inference_mode()
def greedy_batch(bundle: Bundle, sentences: Sequence[str], max_len: int | None = None) -> list[str]:
    """Greedy translations of many sentences at once (padded batch); same words as trace_translation.

    Each sentence must satisfy source_ids(); the batch shares one step loop until all emit <eos>.
    """
    ids = [source_ids(bundle, s)[1] for s in sentences]
    width = max(len(i) for i in ids)
    src = torch.tensor([i + [PAD_ID] * (width - len(i)) for i in ids])  # (B, S)
    enc = bundle.model.encoder(src, torch.tensor([len(i) for i in ids]))
    limits = torch.tensor([max_len or 2 * len(i) + 10 for i in ids])  # (B,) as trace_translation
    y, h = torch.full((len(ids), 1), BOS_ID), enc.dec_h0  # (B, 1), (1, B, H)
    out = torch.full((len(ids), int(limits.max())), PAD_ID)  # (B, max_len)
    done = torch.zeros(len(ids), dtype=torch.bool)
    for t in range(out.size(1)):
        nxt, h = _step_best(bundle, y, h, enc, None)  # (B,)
        out[:, t] = torch.where(done, PAD_ID, nxt)
        done |= (nxt == EOS_ID) | (t + 1 >= limits)
        if done.all():
            break
        y = nxt.unsqueeze(1)
    words = [bundle.tgt_vocab.decode(row[(row != PAD_ID) & (row != EOS_ID)].tolist()) for row in out]
    return [detokenize_fr(w) for w in words]
