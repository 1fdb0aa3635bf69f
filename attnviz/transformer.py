"""A small encoder-decoder Transformer (Vaswani et al. 2017), the torch side: training, and the
reference the NumPy decoder (fasttransformer.py) is held to.

Pre-layer-norm blocks (Xiong et al. 2020: they train without a long warm-up), sinusoidal positions,
and the GRU models' adaptive-softmax output layer, so every bundle picks its words the same way.
It speaks model.py's interface (Encoded, Decoded, best_next, log_probs), so torchdecode.py drives it
unchanged: its decoder "state" is the words fed so far, (1, N, t) ids, and each call re-reads them
(the reference is plain; the page's NumPy decoder caches each layer's keys and values instead).

Letters: B batch, S source positions, T target steps, D d_model, L layers, A heads, K = D / A.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .config import SOFTMAX_DIV_VALUE, ModelConfig, softmax_cutoffs
from .model import Decoded, Encoded, WordChooser
from .vocab import PAD_ID


def positions(length: int, dim: int) -> torch.Tensor:
    """Sinusoidal position encodings (Vaswani et al. 2017, §3.5): (length, dim)."""
    pos = torch.arange(length, dtype=torch.float32).unsqueeze(1)  # (P, 1)
    rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))  # (D/2,)
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(pos * rate)
    pe[:, 1::2] = torch.cos(pos * rate)
    return pe


@dataclass
class HeadsOut:
    """What one attention sublayer computed, every head kept apart."""

    out: torch.Tensor  # (B, Tq, D) heads concatenated and projected
    scores: torch.Tensor  # (B, A, Tq, Tk) q·k/√K, before the mask
    weights: torch.Tensor  # (B, A, Tq, Tk) softmax over the allowed keys
    q: torch.Tensor  # (B, A, Tq, K)
    k: torch.Tensor  # (B, A, Tk, K)
    v: torch.Tensor  # (B, A, Tk, K)


class MultiHeadAttention(nn.Module):
    """The three steps per head: score every key with the query (q·k/√K), softmax, weighted sum of values."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.k_dim = heads, dim // heads
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.drop = nn.Dropout(dropout)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, P, D) -> (B, A, P, K)."""
        b, p, _ = x.shape
        return x.view(b, p, self.heads, self.k_dim).transpose(1, 2)

    def forward(self, x_q: torch.Tensor, x_kv: torch.Tensor, allowed: torch.Tensor) -> HeadsOut:
        """x_q (B, Tq, D) attends over x_kv (B, Tk, D); allowed (B, 1 or Tq, Tk) True where it may look."""
        q, k, v = self.split(self.q(x_q)), self.split(self.k(x_kv)), self.split(self.v(x_kv))  # (B, A, ·, K)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.k_dim)  # (B, A, Tq, Tk)
        weights = torch.softmax(scores.masked_fill(~allowed.unsqueeze(1), float("-inf")), dim=-1)
        heads = self.drop(weights) @ v  # (B, A, Tq, K)
        b, _, tq, _ = heads.shape
        return HeadsOut(self.o(heads.transpose(1, 2).reshape(b, tq, -1)), scores, weights, q, k, v)


def embedding(vocab_size: int, dim: int) -> nn.Embedding:
    """Word embeddings drawn with standard deviation 1/√dim, so that after the ×√dim scaling the words
    and the sinusoidal positions (amplitude 1) enter the first layer at the same scale (Vaswani et al.
    2017, §3.4; fairseq's init). torch's default N(0, 1) made the words 16× the positions at dim 256."""
    emb = nn.Embedding(vocab_size, dim, padding_idx=PAD_ID)
    nn.init.normal_(emb.weight, mean=0.0, std=dim ** -0.5)
    with torch.no_grad():
        emb.weight[PAD_ID].zero_()
    return emb


class FeedForward(nn.Sequential):
    def __init__(self, dim: int, ff_dim: int, dropout: float) -> None:
        super().__init__(nn.Linear(dim, ff_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff_dim, dim))


class EncoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.hidden
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_att = MultiHeadAttention(d, cfg.heads, cfg.dropout)
        self.ff = FeedForward(d, cfg.ff_dim, cfg.dropout)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> tuple[torch.Tensor, HeadsOut]:
        """x (B, S, D), allowed (B, 1, S) -> x (B, S, D) and its self-attention."""
        h = self.norm1(x)
        att = self.self_att(h, h, allowed)
        x = x + self.drop(att.out)
        return x + self.drop(self.ff(self.norm2(x))), att


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.hidden
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_att = MultiHeadAttention(d, cfg.heads, cfg.dropout)
        self.cross_att = MultiHeadAttention(d, cfg.heads, cfg.dropout)
        self.ff = FeedForward(d, cfg.ff_dim, cfg.dropout)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self, x: torch.Tensor, memory: torch.Tensor, causal: torch.Tensor, cross: torch.Tensor
    ) -> tuple[torch.Tensor, HeadsOut, HeadsOut]:
        """x (B, T, D), memory (B, S, D), causal (1, T, T), cross (B, 1, S) -> x, self- and cross-attention."""
        h = self.norm1(x)
        self_att = self.self_att(h, h, causal)
        x = x + self.drop(self_att.out)
        cross_att = self.cross_att(self.norm2(x), memory, cross)
        x = x + self.drop(cross_att.out)
        return x + self.drop(self.ff(self.norm3(x))), self_att, cross_att


@dataclass
class TransformerDecoded(Decoded):
    """model.Decoded, plus every head: its top-level scores / weights are the bundle's chosen head."""

    cross_scores: torch.Tensor | None = None  # (B, L, A, T, S)
    cross_weights: torch.Tensor | None = None  # (B, L, A, T, S)
    self_weights: torch.Tensor | None = None  # (B, L, A, T, t0 + T) masked: 0 on later words
    queries: torch.Tensor | None = None  # (B, L, A, T, K) cross-attention queries
    keys: torch.Tensor | None = None  # (B, L, A, S, K) cross-attention keys
    values: torch.Tensor | None = None  # (B, L, A, S, K)
    cross_out: torch.Tensor | None = None  # (B, L, T, D) heads concatenated and projected


class TransformerEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.dim = cfg.hidden
        self.emb = embedding(cfg.src_vocab_size, cfg.hidden)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.hidden)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, src: torch.Tensor, src_len: torch.Tensor | None = None) -> Encoded:
        """src (B, S) ids -> Encoded: enc_out (B, S, D) the memory; dec_h0 (1, B, 0) no words fed yet."""
        mask = src != PAD_ID  # (B, S)
        x = self.drop(self.emb(src) * math.sqrt(self.dim) + positions(src.size(1), self.dim))  # (B, S, D)
        for layer in self.layers:
            x, _ = layer(x, mask.unsqueeze(1))
        empty = torch.zeros(1, src.size(0), 0, dtype=torch.long)  # (1, B, 0)
        return Encoded(self.norm(x), empty, mask)

    def self_attention(self, src: torch.Tensor) -> list[HeadsOut]:
        """Every layer's self-attention over one batch of sources (eval mode)."""
        mask = src != PAD_ID
        x = self.emb(src) * math.sqrt(self.dim) + positions(src.size(1), self.dim)
        out = []
        for layer in self.layers:
            x, att = layer(x, mask.unsqueeze(1))
            out.append(att)
        return out


class TransformerDecoder(WordChooser):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.dim, self.view = cfg.hidden, (cfg.attention_layer, cfg.attention_head)
        self.emb = embedding(cfg.tgt_vocab_size, cfg.hidden)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.dec_layers))
        self.norm = nn.LayerNorm(cfg.hidden)
        self.out = nn.AdaptiveLogSoftmaxWithLoss(
            cfg.hidden, cfg.tgt_vocab_size, softmax_cutoffs(cfg), div_value=SOFTMAX_DIV_VALUE
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self, tgt_in: torch.Tensor, h0: torch.Tensor, enc: Encoded, allowed: torch.Tensor | None = None
    ) -> TransformerDecoded:
        """Decode the words tgt_in (B, T) after the words already fed, h0 (1, B, t0) ids.

        Returns the last T positions; `last_h` (1, B, t0 + T) is every word fed, to continue from.
        `allowed` (B, S) narrows enc.src_mask in every cross-attention head (hide a word).
        """
        words = torch.cat([h0[0], tgt_in], dim=1)  # (B, t0 + T)
        n, t0 = words.size(1), h0.size(2)
        x = self.drop(self.emb(words) * math.sqrt(self.dim) + positions(n, self.dim))  # (B, n, D)
        causal = torch.ones(n, n, dtype=torch.bool).tril().unsqueeze(0)  # (1, n, n): no look at later words
        cross = (enc.src_mask if allowed is None else enc.src_mask & allowed).unsqueeze(1)  # (B, 1, S)
        selfs, crosses = [], []
        for layer in self.layers:
            x, self_att, cross_att = layer(x, enc.enc_out, causal, cross)
            selfs.append(self_att)
            crosses.append(cross_att)
        out = self.norm(x)[:, t0:]  # (B, T, D) the vector that picks each word
        every = lambda name: torch.stack([getattr(c, name) for c in crosses], 1)  # noqa: E731  (B, L, ...)
        cross_scores, cross_weights = every("scores")[:, :, :, t0:], every("weights")[:, :, :, t0:]  # (B, L, A, T, S)
        queries, values = every("q")[:, :, :, t0:], every("v")  # (B, L, A, T, K), (B, L, A, S, K)
        layer, head = self.view
        weights = cross_weights[:, layer, head]  # (B, T, S)
        return TransformerDecoded(
            dec_h=queries[:, layer, head], scores=cross_scores[:, layer, head], weights=weights,
            context=weights @ values[:, layer, head], att_h=self.drop(out), last_h=words.unsqueeze(0),
            attended=values[:, layer, head], cross_scores=cross_scores, cross_weights=cross_weights,
            self_weights=torch.stack([s.weights for s in selfs], 1)[:, :, :, t0:], queries=queries,
            keys=every("k"), values=values, cross_out=torch.stack([c.out for c in crosses], 1)[:, :, t0:],
        )


class Transformer(nn.Module):
    """Encoder-decoder Transformer with model.Seq2Seq's training interface."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.hidden % cfg.heads:
            raise ValueError(f"hidden {cfg.hidden} is not a multiple of heads {cfg.heads}")
        self.cfg = cfg
        self.encoder = TransformerEncoder(cfg)
        self.decoder = TransformerDecoder(cfg)

    def forward(
        self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor
    ) -> torch.Tensor:
        """Teacher forcing: (B, S), (B,), (B, T), (B, T) -> mean negative log-likelihood per real token."""
        enc = self.encoder(src, src_len)
        att_h = self.decoder(tgt_in, enc.dec_h0, enc).att_h  # (B, T, D)
        real = tgt_out != PAD_ID  # (B, T)
        with torch.autocast("cpu", enabled=False):  # the adaptive softmax mixes dtypes under bf16 autocast
            return self.decoder.out(att_h[real].float(), tgt_out[real]).loss

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def without_decoder_layer(weights: dict[str, torch.Tensor], k: int) -> dict[str, torch.Tensor]:
    """A Transformer's state dict without decoder layer k (0-based): the later layers move up one, so
    the result loads into the same model with one decoder layer fewer (layer dropping: Sajjad et al. 2020)."""
    prefix = "decoder.layers."
    depth = 1 + max(int(name[len(prefix):].split(".")[0]) for name in weights if name.startswith(prefix))
    if not 0 <= k < depth or depth == 1:
        raise ValueError(f"cannot leave out decoder layer {k + 1} of {depth}")
    out = {}
    for name, tensor in weights.items():
        if name.startswith(prefix):
            i, rest = name[len(prefix):].split(".", 1)
            if int(i) == k:
                continue
            name = f"{prefix}{int(i) - (int(i) > k)}.{rest}"
        out[name] = tensor
    return out

