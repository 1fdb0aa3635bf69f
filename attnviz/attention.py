"""Attention: scorers that give each encoder state a score, and attend(), which turns scores into
softmax weights and the weights into a context vector. Every scorer goes through the same attend().

Letters: B batch, T target steps, S source positions, H hidden size.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class DotScorer(nn.Module):
    """score(h_t, h_s) = h_t · h_s / √H  (Luong et al. 2015, "dot"; scaled as in Vaswani et al. 2017).

    Without the 1/√H the scores of a 256-d state are large and the softmax is almost one-hot.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.scale = 1.0 / math.sqrt(hidden)

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return query @ keys.transpose(1, 2) * self.scale  # (B, T, H) @ (B, H, S) -> (B, T, S)


class GeneralScorer(nn.Module):
    """score(h_t, h_s) = h_t · W_a h_s / √H  (Luong et al. 2015, "general"; scaled)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.w_a = nn.Linear(hidden, hidden, bias=False)
        self.scale = 1.0 / math.sqrt(hidden)

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return query @ self.w_a(keys).transpose(1, 2) * self.scale  # (B, T, S)


class ConcatScorer(nn.Module):
    """score(h_t, h_s) = v_a · tanh(W_q h_t + W_k h_s)  (Luong et al. 2015, "concat").

    This is Bahdanau et al.'s (2015) additive attention; OpenNMT calls it "mlp".
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.w_q = nn.Linear(hidden, hidden, bias=False)
        self.w_k = nn.Linear(hidden, hidden)
        self.v_a = nn.Linear(hidden, 1, bias=False)

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        q = self.w_q(query).unsqueeze(2)  # (B, T, 1, H)
        k = self.w_k(keys).unsqueeze(1)  # (B, 1, S, H)
        return self.v_a(torch.tanh(q + k)).squeeze(-1)  # (B, T, S, H) -> (B, T, S)


SCORERS: dict[str, type[nn.Module] | None] = {  # the order of config.SCORER_NAMES
    "dot": DotScorer,
    "general": GeneralScorer,
    "concat": ConcatScorer,
    "none": None,  # the plain encoder-decoder: no scores, no weights, no context
}


def make_scorer(name: str, hidden: int) -> nn.Module | None:
    """The scorer registered as `name`; unknown names raise ValueError listing the choices."""
    if name not in SCORERS:
        raise ValueError(f"unknown scorer {name!r}; choose one of {', '.join(SCORERS)}")
    cls = SCORERS[name]
    return cls(hidden) if cls else None


def attend(
    scores: torch.Tensor, enc_out: torch.Tensor, src_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores -> softmax weights -> context vector (steps 2 and 3 of attention).

    Args:
        scores: (B, T, S) raw scores, one per encoder state and target step.
        enc_out: (B, S, H) encoder hidden states, one per source word.
        src_mask: (B, S) True where a position may be attended (real, not blocked).
    Returns:
        weights: (B, T, S), each row sums to 1 over the allowed positions, 0 elsewhere.
        context: (B, T, H) = Σ_s weights[s] · enc_out[s].
    """
    masked = scores.masked_fill(~src_mask.unsqueeze(1), float("-inf"))  # (B, T, S)
    weights = torch.softmax(masked, dim=-1)  # (B, T, S)
    context = weights @ enc_out  # (B, T, S) @ (B, S, H) -> (B, T, H)
    return weights, context
