"""The encoder and one decoder step for tracing, in NumPy over a bundle's weights: no torch.

The maths is model.py's (bidirectional GRU encoder, GRU cell, scorer, attend, combine, adaptive
softmax), written out as a few array operations per step, with the keys projected once per
sentence and an exact top-k that reads the adaptive softmax's tail clusters only when a top word
can be there. trace.py decodes with it, so the page's server never imports torch (~220 MB);
tests hold it to the model's own torch modules (same words, every number within 1e-5).
Eval mode only (no dropout). Letters: N hypotheses, S source positions, H hidden, E emb/att.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .checkpoint import Bundle, embed
from .config import softmax_cutoffs

NEG_INF = np.float32(-np.inf)


@dataclass
class Step:
    """One decoder step for N hypotheses: everything a Trace records about it."""

    dec_h: np.ndarray  # (N, H) the query (GRU output; a Transformer's chosen head's query)
    scores: np.ndarray | None  # (N, S) raw scores; None for "none"
    weights: np.ndarray | None  # (N, S) softmax over the allowed positions; None for "none"
    context: np.ndarray | None  # (N, H) weights @ enc_out; None for "none"
    att_h: np.ndarray  # (N, E) attentional state that picks the word
    head_lp: np.ndarray  # (N, shortlist + clusters) log-probs: shortlist words, then each tail cluster
    state: Any = None  # what the next step continues from, rows picked with state[rows]; None: dec_h
    heads: dict | None = None  # a Transformer's every head at this step: name -> (N, ...) array

    @property
    def next_state(self) -> Any:
        return self.dec_h if self.state is None else self.state


@dataclass
class Keys:
    """A sentence's encoder states, with the key projection done once for all steps."""

    enc_out: np.ndarray  # (S, H)
    keys: np.ndarray | None  # dot/general: (H, S) keys transposed; concat: (S, H) W_k h_s + b_k
    allowed: np.ndarray | None  # (S,) True where attention may look; None: everywhere


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# Reductions as ufunc calls (np.maximum.reduce, np.add.reduce): the same arithmetic as .max() / .sum(),
# without their Python wrappers, which cost more than the sums themselves on a decoder step's short rows.

def log_softmax(x: np.ndarray) -> np.ndarray:
    """Over the last axis, stable: x - max - log Σ exp(x - max)."""
    shifted = x - np.maximum.reduce(x, axis=-1, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=-1, keepdims=True))


def softmax(x: np.ndarray) -> np.ndarray:
    """Over the last axis; -inf entries get weight 0."""
    e = np.exp(x - np.maximum.reduce(x, axis=-1, keepdims=True))
    return e / np.add.reduce(e, axis=-1, keepdims=True)


def gru_cell(gi: np.ndarray, h: np.ndarray, w_hh_t: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """PyTorch's GRU cell given the input gates gi = W_ih x + b_ih (N, 3H) and the state h (N, H):
    r, z = σ(W_h h + b_h + gi), n = tanh(gi_n + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h."""
    hs = h.shape[-1]
    gh = h @ w_hh_t + b_hh  # (N, 3H)
    rz = sigmoid(gi[:, : 2 * hs] + gh[:, : 2 * hs])  # (N, 2H)
    n = np.tanh(gi[:, 2 * hs:] + rz[:, :hs] * gh[:, 2 * hs:])  # (N, H)
    return n + rz[:, hs:] * (h - n)  # (N, H)


class WordOutput:
    """The adaptive-softmax output layer every architecture shares: exact top-k over the whole
    vocabulary, reading a tail cluster only when one of its words can be among the top."""

    def __init__(self, bundle: Bundle) -> None:
        w, cfg = bundle.weights, bundle.cfg
        self.head_t = w["decoder.out.head.weight"].T  # (E, shortlist + clusters)
        self.cutoffs = softmax_cutoffs(cfg) + [cfg.tgt_vocab_size]  # [shortlist, c_1, ..., V]
        self.shortlist = self.cutoffs[0]
        self.tails = [(w[f"decoder.out.tail.{i}.0.weight"].T, w[f"decoder.out.tail.{i}.1.weight"].T)
                      for i in range(len(self.cutoffs) - 1)]  # (E, h_i), (h_i, size_i)
        self._words: tuple = (None, [])

    def words(self, vocab) -> list[str]:
        """vocab.decode of every id, computed once: id -> shown word."""
        if self._words[0] is not vocab:
            self._words = (vocab, vocab.decode(range(len(vocab))))
        return self._words[1]

    def cluster_log_probs(self, att_h: np.ndarray, cluster_lp: float, c: int) -> np.ndarray:
        """Log-probs of every word of tail cluster c for one hypothesis: att_h (E,) -> (size_c,)."""
        w1, w2 = self.tails[c]
        return log_softmax((att_h @ w1) @ w2) + np.float32(cluster_lp)  # as AdaptiveLogSoftmaxWithLoss

    def top_words(
        self, step: Step, k_all: int, k_sel: int, banned: Sequence[int]
    ) -> list[tuple[list[tuple[float, int]], list[tuple[float, int]], dict]]:
        """Exact top words over the whole vocabulary, per hypothesis, as (log-prob, id) lists.

        Returns, for each of the N rows: the k_all most probable words (any word), the k_sel most
        probable words that are not `banned`, and the tail clusters it expanded ({c: (size_c,) log-probs}).
        A word of tail cluster c has log-prob <= the cluster's own log-prob in the head, so only the
        clusters more probable than the last word we need can hold a top word; only those are read.
        """
        sl = self.shortlist
        kk = min(sl, max(k_all, k_sel + len(banned)))  # room for every banned word
        out = []
        for r in range(step.head_lp.shape[0]):
            cand = _top(step.head_lp[r, :sl], kk, 0)
            sel = [c for c in cand if c[1] not in banned]
            thr = min(_kth(cand, k_all), _kth(sel, k_sel))
            expanded = {}
            for c, lp in enumerate(step.head_lp[r, sl:].tolist()):
                if lp > thr:
                    full = self.cluster_log_probs(step.att_h[r], lp, c)  # (size_c,)
                    expanded[c] = full
                    cand += _top(full, kk, self.cutoffs[c])
            if expanded:
                cand.sort(key=lambda vi: (-vi[0], vi[1]))
                sel = [c for c in cand if c[1] not in banned]
            out.append((cand[:k_all], sel[:k_sel], expanded))
        return out

    def word_log_prob(self, step: Step, row: int, word: int, expanded: dict) -> float:
        """Exact log-prob of one word for hypothesis `row` (reads its tail cluster if it has one)."""
        sl = self.shortlist
        if word < sl:
            return float(step.head_lp[row, word])
        c = next(i for i in range(len(self.tails)) if word < self.cutoffs[i + 1])
        if c not in expanded:
            expanded[c] = self.cluster_log_probs(step.att_h[row], float(step.head_lp[row, sl + c]), c)
        return float(expanded[c][word - self.cutoffs[c]])


class FastDecoder(WordOutput):
    """A GRU model as weight matrices (transposed views of the bundle's arrays: no copies; the only
    new memory is the input-projection table, 3 MB for a bundled model)."""

    TABLE_ROWS = 1000  # input projections kept for the most frequent words (ids are by frequency)

    def __init__(self, bundle: Bundle) -> None:
        super().__init__(bundle)
        w, cfg = bundle.weights, bundle.cfg
        t = lambda name: w[name].T  # noqa: E731  (out, in) -> (in, out): x @ W.T as x @ t
        self.scorer, self.hidden = cfg.scorer, cfg.hidden
        self.src_emb = w["encoder.emb.weight"]  # (V_src, E)
        self.enc_dirs = [(t(f"encoder.rnn.weight_ih_l0{sfx}"), w[f"encoder.rnn.bias_ih_l0{sfx}"],
                          t(f"encoder.rnn.weight_hh_l0{sfx}"), w[f"encoder.rnn.bias_hh_l0{sfx}"])
                         for sfx in ("", "_reverse")]  # forward, backward: (E, 3H), (3H,), (H, 3H), (3H,)
        self.bridge_t, self.bridge_b = t("encoder.bridge.weight"), w["encoder.bridge.bias"]  # (2H, H), (H,)
        self.init_t, self.init_b = t("encoder.init.weight"), w["encoder.init.bias"]  # (2H, H), (H,)
        self.emb = w["decoder.emb.weight"]  # (V, E)
        self.w_ih_t, self.b_ih = t("decoder.rnn.weight_ih_l0"), w["decoder.rnn.bias_ih_l0"]  # (E, 3H), (3H,)
        self.w_hh_t, self.b_hh = t("decoder.rnn.weight_hh_l0"), w["decoder.rnn.bias_hh_l0"]  # (H, 3H), (3H,)
        self._gi_table: np.ndarray | None = None  # (rows, 3H) W_ih x + b_ih of the frequent words
        self.scale = np.float32(1.0 / np.sqrt(cfg.hidden))  # dot and general: 1/√H, as attention.py
        if self.scorer == "general":
            self.w_a = w["decoder.scorer.w_a.weight"]  # (H, H)
        if self.scorer == "concat":
            self.w_q_t = t("decoder.scorer.w_q.weight")  # (H, H)
            self.w_k_t, self.b_k = t("decoder.scorer.w_k.weight"), w["decoder.scorer.w_k.bias"]  # (H, H), (H,)
            self.v_a = w["decoder.scorer.v_a.weight"][0]  # (H,)
        self.w_c_t, self.b_c = t("decoder.combine.weight"), w["decoder.combine.bias"]  # (2H, E), (E,)

    def _input_gates(self, y: Sequence[int]) -> np.ndarray:
        """W_ih emb(y) + b_ih: (N,) ids -> (N, 3H); frequent words come from a table made on first use."""
        if self._gi_table is None:
            rows = min(self.TABLE_ROWS, self.emb.shape[0])
            self._gi_table = embed(self.emb, range(rows)) @ self.w_ih_t + self.b_ih  # (rows, 3H)
        table = self._gi_table
        if max(y) < table.shape[0]:
            return table[list(y)]  # (N, 3H)
        return embed(self.emb, y) @ self.w_ih_t + self.b_ih  # (N, 3H)

    def encode(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Encoder.forward for one unpadded sentence: ids (S,) -> enc_out (S, H), dec_h0 (1, H)."""
        x = embed(self.src_emb, ids)  # (S, E)
        outs, finals = [], []
        for direction, (w_ih_t, b_ih, w_hh_t, b_hh) in enumerate(self.enc_dirs):
            gi = x @ w_ih_t + b_ih  # (S, 3H): every input projection at once
            order = range(len(ids)) if direction == 0 else range(len(ids) - 1, -1, -1)
            h = np.zeros((1, w_hh_t.shape[0]), dtype=np.float32)  # (1, H) as nn.GRU's default
            out = np.empty((len(ids), w_hh_t.shape[0]), dtype=np.float32)  # (S, H)
            for i in order:
                h = gru_cell(gi[i: i + 1], h, w_hh_t, b_hh)
                out[i] = h[0]
            outs.append(out)
            finals.append(h)
        enc_out = np.concatenate(outs, axis=1) @ self.bridge_t + self.bridge_b  # (S, 2H) -> (S, H)
        dec_h0 = np.tanh(np.concatenate(finals, axis=1) @ self.init_t + self.init_b)  # (1, 2H) -> (1, H)
        return enc_out, dec_h0

    def keys(self, enc_out: np.ndarray, allowed: np.ndarray | None) -> Keys:
        """enc_out (S, H) -> Keys; the part of every score that depends only on h_s, computed once."""
        if self.scorer == "dot":
            k = enc_out.T  # (H, S)
        elif self.scorer == "general":
            k = self.w_a @ enc_out.T  # W_a h_s for every s: (H, H) @ (H, S) -> (H, S)
        elif self.scorer == "concat":
            k = enc_out @ self.w_k_t + self.b_k  # W_k h_s + b_k: (S, H)
        else:
            k = None
        return Keys(enc_out, k, None if allowed is None or bool(allowed.all()) else allowed)

    def attended(self, keys: Keys) -> np.ndarray:
        """The vectors the weights multiply: the encoder states (S, H)."""
        return keys.enc_out

    def step(self, y: Sequence[int], h: np.ndarray, keys: Keys) -> Step:
        """Feed words y (N ids) to states h (N, H): GRU, score, attend, combine, adaptive-softmax head."""
        dec_h = gru_cell(self._input_gates(y), h, self.w_hh_t, self.b_hh)  # (N, H)
        if self.scorer == "none":
            scores = weights = context = None
            ctx_in = np.zeros_like(dec_h)  # the plain decoder never sees the encoder states
        else:
            if self.scorer == "concat":  # v_a · tanh(W_q h_t + W_k h_s)
                q = dec_h @ self.w_q_t  # (N, H)
                scores = np.tanh(q[:, None, :] + keys.keys) @ self.v_a  # (N, S, H) -> (N, S)
            else:  # h_t · h_s / √H   or   h_t · W_a h_s / √H
                scores = (dec_h @ keys.keys) * self.scale  # (N, H) @ (H, S) -> (N, S)
            masked = scores if keys.allowed is None else np.where(keys.allowed, scores, NEG_INF)
            weights = softmax(masked)  # (N, S)
            context = weights @ keys.enc_out  # (N, S) @ (S, H) -> (N, H)
            ctx_in = context
        att_h = np.tanh(np.concatenate([dec_h, ctx_in], axis=1) @ self.w_c_t + self.b_c)  # (N, E)
        return Step(dec_h, scores, weights, context, att_h, log_softmax(att_h @ self.head_t))


def _top(lp: np.ndarray, k: int, offset: int) -> list[tuple[float, int]]:
    """The k largest entries of lp (1-D) as (log-prob, offset + index), best first, ties by index."""
    k = min(k, lp.shape[0])
    idx = np.argpartition(-lp, k - 1)[:k] if k < lp.shape[0] else np.arange(lp.shape[0])
    idx = idx[np.lexsort((idx, -lp[idx]))]  # by log-prob descending, then index
    return list(zip(lp[idx].tolist(), (idx + offset).tolist()))


def _kth(cand: list[tuple[float, int]], k: int) -> float:
    """The k-th best log-prob in cand (sorted): every word we need is at least this probable."""
    if k <= 0:
        return float("inf")  # nothing needed
    return cand[k - 1][0] if k <= len(cand) else float("-inf")


_CACHE: "weakref.WeakKeyDictionary[Bundle, FastDecoder]" = weakref.WeakKeyDictionary()


def fast_decoder(bundle: Bundle) -> FastDecoder:
    """The NumPy decoder of a loaded (read-only) bundle, built on first use (architectures.numpy_decoder)."""
    fd = _CACHE.get(bundle)
    if fd is None:
        from .architectures import numpy_decoder

        fd = _CACHE[bundle] = numpy_decoder(bundle)
    return fd
