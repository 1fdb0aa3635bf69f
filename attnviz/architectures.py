"""Which code runs each model: the one place that knows the GRU and the Transformer apart.

Everything else asks here: training and the torch reference for a torch module, trace.py for the
NumPy decoder the page decodes with. Both decoders speak the same small interface (encode a
sentence; one step -> per-position scores and weights, the output layer's log-probabilities, and
whatever else the architecture records), so nothing downstream branches on the architecture.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .config import ModelConfig

if TYPE_CHECKING:
    from torch import nn

    from .checkpoint import Bundle

TRANSFORMERS = ("transformer",)  # scorer names built as transformer.Transformer; the rest are GRUs


def is_transformer(cfg: ModelConfig) -> bool:
    return cfg.scorer in TRANSFORMERS


def torch_model(cfg: ModelConfig) -> "nn.Module":
    """A fresh torch model for cfg (imports torch)."""
    if is_transformer(cfg):
        from .transformer import Transformer

        return Transformer(cfg)
    from .model import Seq2Seq

    return Seq2Seq(cfg)


def numpy_decoder(bundle: "Bundle"):
    """The page's decoder for a loaded bundle: fastdecode.FastDecoder or fasttransformer.FastTransformer."""
    if is_transformer(bundle.cfg):
        from .fasttransformer import FastTransformer

        return FastTransformer(bundle)
    from .fastdecode import FastDecoder

    return FastDecoder(bundle)
