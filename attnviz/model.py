"""Seq2Seq: embeddings, a bidirectional GRU encoder, a GRU decoder and a pluggable attention scorer.

Training runs the decoder GRU over the whole target at once (no input feeding), then scores,
attends and predicts for every step in one batched pass; decoding calls the same code one step
at a time. The output layer is an adaptive softmax: frequent words cost a full row, rare ones less.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import attend, make_scorer
from .config import SOFTMAX_DIV_VALUE, ModelConfig, softmax_cutoffs
from .vocab import PAD_ID


@dataclass
class Encoded:
    enc_out: torch.Tensor  # (B, S, H) one hidden state per source word
    dec_h0: torch.Tensor  # (1, B, H) initial decoder state, from the encoder's final states
    src_mask: torch.Tensor  # (B, S) True at real (non-pad) positions


@dataclass
class Decoded:
    dec_h: torch.Tensor  # (B, T, H) decoder state that chooses each output word (the query)
    scores: torch.Tensor | None  # (B, T, S) raw scores; None for "none"
    weights: torch.Tensor | None  # (B, T, S) softmax weights; None for "none"
    context: torch.Tensor | None  # (B, T, H) weighted sum of encoder states; None for "none"
    att_h: torch.Tensor  # (B, T, E) attentional state tanh(W_c [dec_h; context]) that picks the word
    last_h: torch.Tensor  # (1, B, H) decoder state after the last step, to continue decoding
    attended: torch.Tensor | None = None  # (B, S, ·) what the weights multiply; None: enc.enc_out


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.emb = nn.Embedding(cfg.src_vocab_size, cfg.emb_dim, padding_idx=PAD_ID)
        self.rnn = nn.GRU(cfg.emb_dim, cfg.hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * cfg.hidden, cfg.hidden)  # both directions -> one H-d state
        self.init = nn.Linear(2 * cfg.hidden, cfg.hidden)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, src: torch.Tensor, src_len: torch.Tensor) -> Encoded:
        """src (B, S) ids, src_len (B,) -> Encoded."""
        x = self.drop(self.emb(src))  # (B, S, E)
        if bool((src_len == src.size(1)).all()):  # no padding (e.g. one sentence): packing only costs time
            out, h_n = self.rnn(x)  # (B, S, 2H); h_n: (2, B, H), forward and backward final states
        else:
            packed = pack_padded_sequence(x, src_len.cpu(), batch_first=True, enforce_sorted=False)
            out, h_n = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))  # (B, S, 2H)
        enc_out = self.bridge(out)  # (B, S, H)
        dec_h0 = torch.tanh(self.init(torch.cat([h_n[0], h_n[1]], dim=-1))).unsqueeze(0)  # (1, B, H)
        return Encoded(enc_out, dec_h0, src != PAD_ID)


class WordChooser(nn.Module):
    """The output side every decoder shares: an adaptive softmax `self.out` over the target words."""

    out: nn.AdaptiveLogSoftmaxWithLoss

    def best_next(self, att_h: torch.Tensor, banned: tuple[int, ...]) -> torch.Tensor:
        """Most probable next word, never one of `banned` (frequent specials): (N, E) -> (N,) ids.

        Reads only the adaptive softmax's head when its best entry is a word: then no rarer word
        can be more probable, since each rare word's probability is at most its cluster's.
        """
        head = self.out.head(att_h)  # (N, shortlist + clusters)
        head[:, list(banned)] = float("-inf")
        best = head.argmax(-1)  # (N,)
        in_tail = best >= self.out.shortlist_size
        if in_tail.any():
            full = self.out.log_prob(att_h[in_tail])  # (n, V)
            full[:, list(banned)] = float("-inf")
            best[in_tail] = full.argmax(-1)
        return best

    def log_probs(self, att_h: torch.Tensor) -> torch.Tensor:
        """Next-word log-probabilities over the whole vocabulary: (B, T, E) -> (B, T, V)."""
        b, t, e = att_h.shape
        return self.out.log_prob(att_h.reshape(b * t, e)).reshape(b, t, -1)  # (B, T, V)


class Decoder(WordChooser):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.emb = nn.Embedding(cfg.tgt_vocab_size, cfg.emb_dim, padding_idx=PAD_ID)
        self.rnn = nn.GRU(cfg.emb_dim, cfg.hidden, batch_first=True)
        self.scorer = make_scorer(cfg.scorer, cfg.hidden)
        self.combine = nn.Linear(2 * cfg.hidden, cfg.emb_dim)  # [dec_h; context] -> attentional state
        self.out = nn.AdaptiveLogSoftmaxWithLoss(
            cfg.emb_dim, cfg.tgt_vocab_size, softmax_cutoffs(cfg), div_value=SOFTMAX_DIV_VALUE
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self, tgt_in: torch.Tensor, h0: torch.Tensor, enc: Encoded, allowed: torch.Tensor | None = None
    ) -> Decoded:
        """Decode every step of tgt_in (B, T) at once from state h0 (1, B, H).

        `allowed` (B, S) narrows enc.src_mask, e.g. to block source positions (intervention).
        """
        x = self.drop(self.emb(tgt_in))  # (B, T, E)
        dec_h, last_h = self.rnn(x, h0)  # (B, T, H), (1, B, H)
        if self.scorer is None:
            scores = weights = context = None
            ctx_in = torch.zeros_like(dec_h)  # the plain decoder never sees the encoder states
        else:
            scores = self.scorer(dec_h, enc.enc_out)  # (B, T, S)        step 1+2: look, score
            mask = enc.src_mask if allowed is None else enc.src_mask & allowed
            weights, context = attend(scores, enc.enc_out, mask)  # step 3: softmax, weighted sum
            ctx_in = context
        att_h = torch.tanh(self.combine(torch.cat([dec_h, ctx_in], dim=-1)))  # (B, T, E)
        return Decoded(dec_h, scores, weights, context, self.drop(att_h), last_h)


class Seq2Seq(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    def forward(
        self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor
    ) -> torch.Tensor:
        """Teacher forcing: (B, S), (B,), (B, T), (B, T) -> mean negative log-likelihood per real token.

        Padding never reaches the output layer, so it costs nothing and carries no loss.
        """
        enc = self.encoder(src, src_len)
        att_h = self.decoder(tgt_in, enc.dec_h0, enc).att_h  # (B, T, E)
        real = tgt_out != PAD_ID  # (B, T)
        return self.decoder.out(att_h[real], tgt_out[real]).loss  # (N, E), (N,) -> scalar

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
