"""Is attention an explanation? Hide each English word in turn and measure what it did to the output.

For a trace's chosen French words, the effect of hiding English word i is the change in their total
log-probability when attention may not look at i (the same words forced, blocked=(i,)). Pure: a
bundle and a Trace in, numbers out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checkpoint import Bundle
from .text import detokenize_fr
from .trace import Trace, trace_translation
from .vocab import EOS


@dataclass(frozen=True)
class HideEffect:
    """Attention each English word received, next to the effect of hiding it (S English words, T steps).

    attention[i]: the mean of its softmax weight over the T output steps (the final <eos> included),
        so the S values sum to 1: the share of all attention it got.
    effect[i]: log P(chosen French words | word i hidden) - log P(chosen French words), in nats;
        negative when hiding the word made the translation less likely. 0 for a word with weight 0.
    per_step[i, t]: the same change for output step t alone (effect = per_step.sum(axis=1)).
    """

    src_tokens: tuple[str, ...]  # (S,)
    tgt_tokens: tuple[str, ...]  # (T,) the chosen French words, ending with <eos> when finished
    attention: np.ndarray  # (S,)
    effect: np.ndarray  # (S,) nats; NaN where the word could not be hidden (it is the only one left)
    per_step: np.ndarray  # (S, T)
    base_logprob: float  # log P(chosen French words) with nothing more hidden


def _forced(bundle: Bundle, trace: Trace, blocked: tuple[int, ...]) -> np.ndarray:
    """(T,) log-probabilities of the trace's own words under `blocked` (a forced pass, causal per step)."""
    words = [w for w in trace.tgt_tokens if w != EOS]
    again = trace_translation(bundle, trace.source, target=detokenize_fr(words), blocked=blocked)
    n = trace.num_steps
    fold = lambda tokens: [w.casefold() for w in tokens]  # noqa: E731  (the model reads lowercase)
    if fold(again.tgt_tokens[:n]) != fold(trace.tgt_tokens[:n]):
        raise ValueError("the translation's words could not be forced again unchanged")
    return np.log(np.maximum(again.chosen_probs[:n], 1e-300))  # (T,)


def hide_effects(bundle: Bundle, trace: Trace) -> HideEffect:
    """Hide each English word in turn (on top of the trace's own hidden words) and measure the effect.

    Args:
        bundle: the model that made `trace` (same scorer).
        trace: a trace with attention and at least one French word.
    Returns:
        HideEffect; words already hidden in `trace` have attention 0 and, measured, effect 0.
    """
    if trace.weights is None:
        raise ValueError(f"the {trace.scorer!r} model has no attention: hiding a word from it changes nothing")
    if bundle.scorer != trace.scorer:
        raise ValueError(f"the trace is from {trace.scorer!r}, the model is {bundle.scorer!r}")
    if not [w for w in trace.tgt_tokens if w != EOS]:
        raise ValueError("the translation is empty: there are no French words to measure")
    s_len, own = len(trace.src_tokens), tuple(trace.blocked)
    base = _forced(bundle, trace, own)  # (T,)
    per_step = np.zeros((s_len, trace.num_steps))  # (S, T)
    for i in range(s_len):
        hidden = tuple(sorted(set(own) | {i}))  # a word hidden already: the same pass, so exactly 0
        if len(hidden) >= s_len:
            per_step[i] = np.nan  # it is the only word attention may still look at
            continue
        per_step[i] = _forced(bundle, trace, hidden) - base
    return HideEffect(src_tokens=trace.src_tokens, tgt_tokens=trace.tgt_tokens,
                      attention=trace.weights.mean(axis=0), effect=per_step.sum(axis=1),
                      per_step=per_step, base_logprob=float(base.sum()))
