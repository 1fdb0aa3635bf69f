"""The Transformer's encoder and one decoder step in NumPy over a bundle's weights: no torch.

The maths is transformer.py's (pre-layer-norm blocks, sinusoidal positions, multi-head attention,
the shared adaptive softmax), decoding one word at a time: each decoder layer keeps the keys and
values of the words fed so far (the cache), and the cross-attention keys and values of the English
are projected once per sentence. Every head's numbers are recorded at each step, for the views.
tests/test_transformer.py holds it to the torch modules (same words, every number within 1e-5).

Letters: N hypotheses, S source positions, t words fed so far, D d_model, L layers, A heads, K = D / A.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .checkpoint import Bundle, embed
from .fastdecode import NEG_INF, Keys, Step, WordOutput, log_softmax, softmax

LN_EPS = np.float32(1e-5)  # nn.LayerNorm's default


def positions(length: int, dim: int) -> np.ndarray:
    """transformer.positions in NumPy: (length, dim) float32."""
    pos = np.arange(length, dtype=np.float32)[:, None]  # (P, 1)
    rate = np.exp(np.arange(0, dim, 2, dtype=np.float32) * np.float32(-np.log(10000.0) / dim))  # (D/2,)
    pe = np.zeros((length, dim), dtype=np.float32)
    pe[:, 0::2] = np.sin(pos * rate)
    pe[:, 1::2] = np.cos(pos * rate)
    return pe


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Over the last axis, as nn.LayerNorm: (x - mean) / √(var + eps) · w + b.
    (Means as a product with a column of 1/D, and the rest in place: this runs 7 times a decoder step
    on one row, where each NumPy call costs more than its arithmetic: 6 µs against 9 for the plain
    formula.)"""
    mean = _mean_column(x.shape[-1])  # (D, 1)
    centred = x - x @ mean  # (..., D)
    scale = np.sqrt((centred * centred) @ mean + LN_EPS)  # (..., 1)
    centred /= scale
    centred *= w
    centred += b
    return centred


@functools.cache
def _mean_column(dim: int) -> np.ndarray:
    """(dim, 1) float32, each 1 / dim: x @ it is x's mean over its last axis."""
    return np.full((dim, 1), 1.0 / dim, dtype=np.float32)


@dataclass
class Attention:
    """One multi-head attention's weights, transposed for x @ W."""

    q: tuple[np.ndarray, np.ndarray]  # (D, D), (D,)
    k: tuple[np.ndarray, np.ndarray]
    v: tuple[np.ndarray, np.ndarray]
    o: tuple[np.ndarray, np.ndarray]
    qkv: tuple[np.ndarray, np.ndarray]  # (D, 3D), (3D,): q, k and v of one input in one product

    @classmethod
    def of(cls, w: dict, name: str) -> "Attention":
        parts = [(transposed(w, f"{name}.{p}.weight"), w[f"{name}.{p}.bias"]) for p in "qkvo"]
        qkv = (np.concatenate([p[0] for p in parts[:3]], axis=1), np.concatenate([p[1] for p in parts[:3]]))
        d = qkv[0].shape[0]
        for i, p in enumerate("qkv"):  # q, k and v become views of the fused matrix: no memory added
            w[f"{name}.{p}.weight"] = qkv[0][:, i * d:(i + 1) * d].T
            parts[i] = (qkv[0][:, i * d:(i + 1) * d], parts[i][1])
        return cls(*parts, qkv=qkv)


def transposed(w: dict[str, np.ndarray], name: str) -> np.ndarray:
    """w[name].T as a C-contiguous (in, out) array, for x @ W: one third faster than the transposed
    view. The bundle then holds the same numbers as a view of it, so no memory is added."""
    wt = np.ascontiguousarray(w[name].T)
    w[name] = wt.T
    return wt


def _linear(x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    out = x @ wb[0]
    out += wb[1]  # in place: one array fewer
    return out


@dataclass
class Cache:
    """The decoder's state for N hypotheses: each layer's self-attention keys and values so far."""

    keys: list[np.ndarray]  # per layer (N, A, t, K)
    values: list[np.ndarray]  # per layer (N, A, t, K)

    @property
    def fed(self) -> int:
        return self.keys[0].shape[2]

    def __getitem__(self, rows) -> "Cache":
        """The hypotheses `rows` (a list of row indices, repeats allowed), as beam search keeps them."""
        return Cache([k[rows] for k in self.keys], [v[rows] for v in self.values])


@dataclass
class CrossKeys(Keys):
    """A sentence's memory with every layer's cross-attention keys and values projected once."""

    values: np.ndarray | None = None  # (L, A, S, K); Keys.keys holds the keys, same shape
    scaled_keys_t: np.ndarray | None = None  # (L, A, K, S) the keys transposed and times 1/√K: q @ it = q·k/√K


class FastTransformer(WordOutput):
    """A Transformer bundle as NumPy weight matrices (transposed views: no copies)."""

    def __init__(self, bundle: Bundle) -> None:
        super().__init__(bundle)
        w, cfg = bundle.weights, bundle.cfg
        self.dim, self.heads, self.layers = cfg.hidden, cfg.heads, cfg.dec_layers  # layers: the decoder's
        self.k_dim = cfg.hidden // cfg.heads
        self.view = (cfg.attention_layer, cfg.attention_head)  # the head Step.scores / weights show
        self.scale = np.float32(1.0 / np.sqrt(self.k_dim))
        self.emb_scale = np.float32(np.sqrt(cfg.hidden))
        self.src_emb, self.tgt_emb = w["encoder.emb.weight"], w["decoder.emb.weight"]  # (V_src, D), (V, D)
        norm = lambda name: (w[f"{name}.weight"], w[f"{name}.bias"])  # noqa: E731
        ff = lambda name: ((transposed(w, f"{name}.ff.0.weight"), w[f"{name}.ff.0.bias"]),  # noqa: E731
                           (transposed(w, f"{name}.ff.3.weight"), w[f"{name}.ff.3.bias"]))
        self.enc = [dict(norm1=norm(f"encoder.layers.{i}.norm1"), norm2=norm(f"encoder.layers.{i}.norm2"),
                         self_att=Attention.of(w, f"encoder.layers.{i}.self_att"), ff=ff(f"encoder.layers.{i}"))
                    for i in range(cfg.layers)]
        self.dec = [dict(norm1=norm(f"decoder.layers.{i}.norm1"), norm2=norm(f"decoder.layers.{i}.norm2"),
                         norm3=norm(f"decoder.layers.{i}.norm3"),
                         self_att=Attention.of(w, f"decoder.layers.{i}.self_att"),
                         cross_att=Attention.of(w, f"decoder.layers.{i}.cross_att"), ff=ff(f"decoder.layers.{i}"))
                    for i in range(self.layers)]
        for layer in self.dec:  # the cross-attention query, multiplied at every step: its own contiguous
            q, bias = layer["cross_att"].q  # matrix (a column slice of the fused one is ~10 % slower a step)
            layer["cross_q"] = (np.ascontiguousarray(q), bias)
        self.enc_norm, self.dec_norm = norm("encoder.norm"), norm("decoder.norm")
        self._pe = positions(256, self.dim)  # (P, D), grown on demand

    def _positions(self, length: int) -> np.ndarray:
        if length > self._pe.shape[0]:
            self._pe = positions(2 * length, self.dim)
        return self._pe[:length]

    def _split(self, x: np.ndarray) -> np.ndarray:
        """(..., P, D) -> (..., A, P, K)."""
        *lead, p, _ = x.shape
        return np.swapaxes(x.reshape(*lead, p, self.heads, self.k_dim), -2, -3)

    def _ff(self, x: np.ndarray, ff) -> np.ndarray:
        hidden = _linear(x, ff[0])  # (..., F)
        return _linear(np.maximum(hidden, 0, out=hidden), ff[1])

    def encode_layers(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The encoder over one unpadded sentence: ids (S,) -> memory (S, D) and every layer's
        self-attention weights (L, A, S, S)."""
        x = embed(self.src_emb, ids) * self.emb_scale + self._positions(len(ids))  # (S, D)
        weights = []
        for layer in self.enc:
            h = layer_norm(x, *layer["norm1"])
            att = layer["self_att"]
            qkv = _linear(h, att.qkv).reshape(len(ids), 3, self.heads, self.k_dim)  # (S, 3, A, K): q, k, v heads
            q, k, v = qkv.transpose(1, 2, 0, 3)  # (A, S, K) each
            w = softmax(q @ np.swapaxes(k, -1, -2) * self.scale)  # (A, S, S)
            weights.append(w)
            x += _linear(np.swapaxes(w @ v, 0, 1).reshape(len(ids), self.dim), att.o)  # (S, D)
            x += self._ff(layer_norm(x, *layer["norm2"]), layer["ff"])
        return layer_norm(x, *self.enc_norm), np.stack(weights)

    def encode(self, ids: Sequence[int]) -> tuple[np.ndarray, Cache]:
        """ids (S,) -> memory (S, D) and the empty decoder state of one hypothesis."""
        memory, _ = self.encode_layers(ids)
        empty = np.zeros((1, self.heads, 0, self.k_dim), dtype=np.float32)  # (1, A, 0, K)
        return memory, Cache([empty] * self.layers, [empty] * self.layers)

    def keys(self, enc_out: np.ndarray, allowed: np.ndarray | None) -> CrossKeys:
        """memory (S, D) -> each layer's cross-attention keys and values (L, A, S, K), once per sentence."""
        ks = np.stack([self._split(_linear(enc_out, layer["cross_att"].k)) for layer in self.dec])
        vs = np.stack([self._split(_linear(enc_out, layer["cross_att"].v)) for layer in self.dec])
        return CrossKeys(enc_out, ks, None if allowed is None or bool(allowed.all()) else allowed, vs,
                         np.ascontiguousarray(np.swapaxes(ks, -1, -2) * self.scale))

    def attended(self, keys: CrossKeys) -> np.ndarray:
        """The vectors the shown head's weights multiply: its values (S, K)."""
        layer, head = self.view
        return keys.values[layer, head]

    def step(self, y: Sequence[int], cache: Cache, keys: CrossKeys) -> Step:
        """Feed words y (N ids) after the words in `cache`: every layer's masked self-attention over the
        words so far, cross-attention over the English (the three steps, per head), feed-forward."""
        n, t = len(y), cache.fed
        x = embed(self.tgt_emb, y) * self.emb_scale + self._positions(t + 1)[t]  # (N, D)
        # every head's numbers, filled layer by layer: (N, L, A, S) scores and weights, (N, L, A, K) queries,
        # (N, L, D) outputs, (N, L, A, t + 1) self-attention
        rec = _Record(n, self.layers, self.heads, keys.scaled_keys_t.shape[-1], self.k_dim, t + 1)
        new_k, new_v = [], []
        for i, layer in enumerate(self.dec):
            h = layer_norm(x, *layer["norm1"])
            att = layer["self_att"]
            qkv = _linear(h, att.qkv).reshape(n, 3, self.heads, 1, self.k_dim)
            q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # (N, A, 1, K) each
            ks = np.concatenate([cache.keys[i], k], axis=2)  # (N, A, t + 1, K): this word and every earlier one
            vs = np.concatenate([cache.values[i], v], axis=2)
            new_k.append(ks)
            new_v.append(vs)
            w_self = softmax(q @ np.swapaxes(ks, -1, -2) * self.scale)  # (N, A, 1, t + 1)
            x += _linear((w_self @ vs).reshape(n, self.dim), att.o)  # (N, D); x is this step's own array
            cross = layer["cross_att"]
            qc = _linear(layer_norm(x, *layer["norm2"]), layer["cross_q"]).reshape(n, self.heads, 1, self.k_dim)
            scores = qc @ keys.scaled_keys_t[i]  # (N, A, 1, S)                        steps 1+2: q·k/√K
            masked = scores if keys.allowed is None else np.where(keys.allowed, scores, NEG_INF)
            weights = softmax(masked)  # (N, A, 1, S)                                     step 3: softmax
            heads = weights @ keys.values[i]  # (N, A, 1, K)                           weighted sum of values
            out = _linear(heads.reshape(n, self.dim), cross.o)  # (N, D) heads concatenated and projected
            x += out
            x += self._ff(layer_norm(x, *layer["norm3"]), layer["ff"])
            rec.put(i, scores, weights, qc, w_self, out)
        att_h = layer_norm(x, *self.dec_norm)  # (N, D) the vector that picks the word
        layer, head = self.view
        every = rec.arrays
        query = every["queries"][:, layer, head]  # (N, K)
        weights = every["cross_weights"][:, layer, head]  # (N, S)
        return Step(dec_h=query, scores=every["cross_scores"][:, layer, head], weights=weights,
                    context=weights @ keys.values[layer, head], att_h=att_h,
                    head_lp=log_softmax(att_h @ self.head_t), state=Cache(new_k, new_v), heads=every)


class _Record:
    """One decoder step's numbers of every layer and head, written in place layer by layer (stacking
    five lists of L arrays at the end of every step cost more than the arithmetic of a small head)."""

    def __init__(self, n: int, layers: int, heads: int, s: int, k: int, fed: int) -> None:
        self.arrays = {"cross_scores": np.empty((n, layers, heads, s), np.float32),
                       "cross_weights": np.empty((n, layers, heads, s), np.float32),
                       "queries": np.empty((n, layers, heads, k), np.float32),
                       "self_weights": np.empty((n, layers, heads, fed), np.float32),
                       "cross_out": np.empty((n, layers, heads * k), np.float32)}

    def put(self, i: int, scores, weights, queries, self_weights, out) -> None:
        """Layer i's numbers: (N, A, 1, S), (N, A, 1, S), (N, A, 1, K), (N, A, 1, fed), (N, D)."""
        a = self.arrays
        a["cross_scores"][:, i] = scores[:, :, 0]
        a["cross_weights"][:, i] = weights[:, :, 0]
        a["queries"][:, i] = queries[:, :, 0]
        a["self_weights"][:, i] = self_weights[:, :, 0]
        a["cross_out"][:, i] = out
