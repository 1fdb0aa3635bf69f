"""The encoder and one decoder step for tracing, written over weights taken out of a Seq2Seq once.

The maths is model.py's (GRU cell, scorer, attend, combine, adaptive softmax), in a few plain torch
calls per step instead of module calls, with the keys projected once per sentence, and with an
exact top-k that reads the adaptive softmax's tail clusters only when a top word can be there.
trace.py decodes with it; tests compare it with the model's modules (same words, numbers within
1e-5). Eval mode only (no dropout). Letters: N hypotheses, S source positions, H hidden, E emb/att.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from .model import Seq2Seq


@dataclass
class Step:
    """One decoder step for N hypotheses: everything a Trace records about it."""

    dec_h: torch.Tensor  # (N, H) GRU output: the query, and the state the next step continues from
    scores: torch.Tensor | None  # (N, S) raw scores; None for "none"
    weights: torch.Tensor | None  # (N, S) softmax over the allowed positions; None for "none"
    context: torch.Tensor | None  # (N, H) weights @ enc_out; None for "none"
    att_h: torch.Tensor  # (N, E) attentional state that picks the word
    head_lp: torch.Tensor  # (N, shortlist + clusters) log-probs: shortlist words, then each tail cluster


@dataclass
class Keys:
    """A sentence's encoder states, with the key projection done once for all steps."""

    enc_out: torch.Tensor  # (S, H)
    keys: torch.Tensor | None  # dot/general: (H, S) keys transposed; concat: (S, H) W_k h_s + b_k
    allowed: torch.Tensor | None  # (S,) True where attention may look; None: everywhere


class FastDecoder:
    """One model as pre-extracted weight matrices (views: no copies; the only new memory is the
    input-projection table, 3 MB for a bundled model)."""

    TABLE_ROWS = 1000  # input projections kept for the most frequent words (ids are by frequency)

    def __init__(self, model: Seq2Seq) -> None:
        dec, cfg = model.decoder, model.cfg
        enc = model.encoder
        self.src_emb = enc.emb.weight.detach()  # (V_src, E)
        rnn = enc.rnn  # what nn.GRU passes to torch.gru, in its order
        self.enc_params = [getattr(rnn, f"{kind}_l0{sfx}").detach() for sfx in ("", "_reverse")
                           for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        self.bridge_w, self.bridge_b = enc.bridge.weight.detach(), enc.bridge.bias.detach()  # (H, 2H), (H,)
        self.init_w, self.init_b = enc.init.weight.detach(), enc.init.bias.detach()  # (H, 2H), (H,)
        w = lambda p: p.detach()  # noqa: E731
        wt = lambda p: p.detach().t()  # noqa: E731
        self.scorer, self.hidden = cfg.scorer, cfg.hidden
        self.emb = w(dec.emb.weight)  # (V, E)
        self.w_ih_t, self.w_hh_t = wt(dec.rnn.weight_ih_l0), wt(dec.rnn.weight_hh_l0)  # (E, 3H), (H, 3H)
        self.b_ih, self.b_hh = w(dec.rnn.bias_ih_l0), w(dec.rnn.bias_hh_l0)  # (3H,)
        self._gi_table: torch.Tensor | None = None  # (rows, 3H) W_ih x + b_ih of the frequent words
        if self.scorer in ("dot", "general"):
            self.scale = dec.scorer.scale
        if self.scorer == "general":
            self.w_a = w(dec.scorer.w_a.weight)  # (H, H)
        if self.scorer == "concat":
            self.w_q_t = wt(dec.scorer.w_q.weight)  # (H, H)
            self.w_k, self.b_k = w(dec.scorer.w_k.weight), w(dec.scorer.w_k.bias)
            self.v_a = w(dec.scorer.v_a.weight)[0]  # (H,)
        self.w_c_t, self.b_c = wt(dec.combine.weight), w(dec.combine.bias)  # (2H, E), (E,)
        out = dec.out
        self.head_t = wt(out.head.weight)  # (E, shortlist + clusters)
        self.head_b = None if out.head.bias is None else w(out.head.bias)
        self.tails = [(wt(t[0].weight), wt(t[1].weight)) for t in out.tail]  # (E, h_i), (h_i, size_i)
        self.cutoffs = list(out.cutoffs)  # [shortlist, c_1, ..., V]
        self.shortlist = out.shortlist_size
        self._words: tuple = (None, [])

    def words(self, vocab) -> list[str]:
        """vocab.decode of every id, computed once: id -> shown word."""
        if self._words[0] is not vocab:
            self._words = (vocab, vocab.decode(range(len(vocab))))
        return self._words[1]

    def _input_gates(self, y: Sequence[int]) -> torch.Tensor:
        """W_ih emb(y) + b_ih: (N,) ids -> (N, 3H); frequent words come from a table made on first use."""
        if self._gi_table is None:
            rows = min(self.TABLE_ROWS, self.emb.size(0))
            self._gi_table = torch.addmm(self.b_ih, self.emb[:rows], self.w_ih_t)  # (rows, 3H)
        table = self._gi_table
        if len(y) == 1 and y[0] < table.size(0):
            return table[y[0]: y[0] + 1]  # (1, 3H), a view
        if max(y) < table.size(0):
            return table[list(y)]  # (N, 3H)
        return torch.addmm(self.b_ih, self.emb[list(y)], self.w_ih_t)  # (N, 3H)

    def encode(self, ids: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder.forward for one unpadded sentence, minus the module calls: ids (S,) ->
        enc_out (S, H), dec_h0 (1, H). The same kernel (torch.gru) and weights as nn.GRU."""
        h_size = self.init_b.size(0)
        x = self.src_emb.index_select(0, torch.tensor(ids)).unsqueeze(0)  # (1, S, E)
        h0 = torch.zeros(2, 1, h_size)  # (2, 1, H) as nn.GRU's default
        out, h_n = torch.gru(x, h0, self.enc_params, True, 1, 0.0, False, True, True)  # (1, S, 2H), (2, 1, H)
        enc_out = F.linear(out[0], self.bridge_w, self.bridge_b)  # (S, H)
        dec_h0 = torch.tanh(F.linear(h_n.view(1, 2 * h_size), self.init_w, self.init_b))  # (1, H)
        return enc_out, dec_h0

    def keys(self, enc_out: torch.Tensor, allowed: torch.Tensor | None) -> Keys:
        """enc_out (S, H) -> Keys; the part of every score that depends only on h_s, computed once."""
        if self.scorer == "dot":
            k = enc_out.t()  # (H, S)
        elif self.scorer == "general":
            k = F.linear(enc_out, self.w_a).t()  # W_a h_s: (S, H) -> (H, S)
        elif self.scorer == "concat":
            k = F.linear(enc_out, self.w_k, self.b_k)  # W_k h_s + b_k: (S, H)
        else:
            k = None
        return Keys(enc_out, k, None if allowed is None or bool(allowed.all()) else allowed)

    def step(self, y: Sequence[int], h: torch.Tensor, keys: Keys) -> Step:
        """Feed words y (N ids) to states h (N, H): GRU, score, attend, combine, adaptive-softmax head."""
        hs = self.hidden
        gi = self._input_gates(y)  # (N, 3H)
        gh = torch.addmm(self.b_hh, h, self.w_hh_t)  # (N, 3H)
        # PyTorch's GRU cell, op for op: r, z = σ(W_h h + b_h + W_i x + b_i),
        # n = tanh(W_in x + b_in + (W_hn h + b_hn) * r), h' = (h - n) * z + n
        rz = torch.sigmoid(gh[:, : 2 * hs] + gi[:, : 2 * hs])  # (N, 2H)
        n = torch.tanh(torch.addcmul(gi[:, 2 * hs:], gh[:, 2 * hs:], rz[:, :hs]))  # (N, H)
        dec_h = torch.addcmul(n, h - n, rz[:, hs:])  # (N, H)
        if self.scorer == "none":
            scores = weights = context = None
            ctx_in = torch.zeros_like(dec_h)  # the plain decoder never sees the encoder states
        else:
            if self.scorer == "concat":  # v_a · tanh(W_q h_t + W_k h_s)
                q = torch.mm(dec_h, self.w_q_t)  # (N, H)
                scores = torch.matmul(torch.tanh(q.unsqueeze(1) + keys.keys), self.v_a)  # (N, S, H) -> (N, S)
            else:  # h_t · h_s / √H   or   h_t · W_a h_s / √H
                scores = torch.mm(dec_h, keys.keys) * self.scale  # (N, H) @ (H, S) -> (N, S)
            masked = scores if keys.allowed is None else scores.masked_fill(~keys.allowed, float("-inf"))
            weights = torch.softmax(masked, dim=-1)  # (N, S)
            context = torch.mm(weights, keys.enc_out)  # (N, S) @ (S, H) -> (N, H)
            ctx_in = context
        att_h = torch.tanh(torch.addmm(self.b_c, torch.cat([dec_h, ctx_in], dim=-1), self.w_c_t))  # (N, E)
        head = torch.mm(att_h, self.head_t) if self.head_b is None else torch.addmm(self.head_b, att_h, self.head_t)
        return Step(dec_h, scores, weights, context, att_h, torch.log_softmax(head, dim=-1))

    def cluster_log_probs(self, att_h: torch.Tensor, cluster_lp: float, c: int) -> torch.Tensor:
        """Log-probs of every word of tail cluster c for one hypothesis: att_h (1, E) -> (size_c,)."""
        w1, w2 = self.tails[c]
        logits = torch.mm(torch.mm(att_h, w1), w2)[0]  # (1, E) @ (E, h) @ (h, size) -> (size,)
        return torch.log_softmax(logits, dim=-1) + cluster_lp  # as AdaptiveLogSoftmaxWithLoss

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
        vals, idx = step.head_lp[:, :sl].topk(kk, dim=-1)  # (N, kk)
        # one transfer: the kk best shortlist log-probs, their ids (exact as floats) and the clusters'
        rows = torch.cat([vals, idx.to(vals.dtype), step.head_lp[:, sl:]], dim=1).tolist()  # (N, 2kk + clusters)
        out = []
        for r, row in enumerate(rows):
            cand = list(zip(row[:kk], map(int, row[kk: 2 * kk])))
            sel = [c for c in cand if c[1] not in banned]
            thr = min(_kth(cand, k_all), _kth(sel, k_sel))
            expanded = {}
            for c, lp in enumerate(row[2 * kk:]):
                if lp > thr:
                    full = self.cluster_log_probs(step.att_h[r: r + 1], lp, c)  # (size_c,)
                    expanded[c] = full
                    tv, ti = full.topk(min(kk, full.numel()))
                    cand += [(v, i + self.cutoffs[c]) for v, i in zip(tv.tolist(), ti.tolist())]
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
            expanded[c] = self.cluster_log_probs(step.att_h[row: row + 1], float(step.head_lp[row, sl + c]), c)
        return float(expanded[c][word - self.cutoffs[c]])


def _kth(cand: list[tuple[float, int]], k: int) -> float:
    """The k-th best log-prob in cand (sorted): every word we need is at least this probable."""
    if k <= 0:
        return float("inf")  # nothing needed
    return cand[k - 1][0] if k <= len(cand) else float("-inf")


_CACHE: "weakref.WeakKeyDictionary[Seq2Seq, FastDecoder]" = weakref.WeakKeyDictionary()


def fast_decoder(model: Seq2Seq) -> FastDecoder:
    """The FastDecoder of a loaded (read-only) model, built on first use."""
    fd = _CACHE.get(model)
    if fd is None:
        fd = _CACHE[model] = FastDecoder(model)
    return fd
