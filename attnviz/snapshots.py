"""Attention while it is being learned: at log-spaced training steps, the weights the model puts on
curated sentences under forced decoding of their reference translations, kept in the model card.

train.py calls Recorder.maybe_record() after every optimiser step and Recorder.finish() on the bundle
it wrote, so the last frame is exactly what the bundled model shows for each sentence.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .checkpoint import Bundle
from .torchdecode import forced_heads, forced_trace
from .trace import trace_translation

# Hand-written pairs, each showing something a class asks about: the adjective after its noun,
# a negation spread over two French words, a question, a plain subject-verb-object sentence.
CURATED: tuple[tuple[str, str], ...] = (
    ("The white car is fast.", "La voiture blanche est rapide."),
    ("She reads a red book.", "Elle lit un livre rouge."),
    ("I don't like cats.", "Je n'aime pas les chats."),
    ("Where is my car?", "Où est ma voiture ?"),
)
DECIMALS = 3  # weights are drawn on a 0–1 colour scale: three decimals are more than the eye sees


def is_snapshot_step(step: int) -> bool:
    """Log-spaced steps 0, 1, 2, 5, 10, 20, 50, 100, …: about 12 points over a run of ~10^4 steps."""
    if step == 0:
        return True
    magnitude = 10 ** (len(str(step)) - 1)
    return step % magnitude == 0 and step // magnitude in (1, 2, 5)


def frame(bundle: Bundle, step: int, examples=CURATED) -> dict:
    """The forced-decoding weights of every example at this training step (None without attention),
    computed by bundle.model: the live model while it trains."""
    was_training = bundle.model.training
    bundle.model.eval()  # no dropout: the frame shows what the model computes, as the page does
    weights, heads = [], []
    for en, fr in examples:
        w = forced_trace(bundle, en, fr).weights  # (T, S) or None
        weights.append(None if w is None else w.round(DECIMALS).tolist())
        every = forced_heads(bundle, en, fr)  # (L, A, T, S): a Transformer's every cross-attention head
        if every is not None:
            heads.append(every.round(DECIMALS).tolist())
    bundle.model.train(was_training)
    return {"step": step, "weights": weights, **({"heads": heads} if heads else {})}


def without_layer(frames: list[dict], k: int) -> list[dict]:
    """Frames whose every-head records ((L, A, T, S) per example) leave out layer k (0-based), as
    transformer.without_decoder_layer leaves out its weights."""
    return [{**f, "heads": [None if h is None else h[:k] + h[k + 1:] for h in f["heads"]]} if "heads" in f else f
            for f in frames]


@dataclass
class Recorder:
    """Collects frames during training; `frames` goes into the card as card["attention_snapshots"]."""

    bundle: Bundle  # the model being trained, with its vocabularies
    examples: tuple[tuple[str, str], ...] = CURATED
    frames: list[dict] = field(default_factory=list)

    def maybe_record(self, step: int) -> None:
        if is_snapshot_step(step):
            self.frames.append(frame(self.bundle, step, self.examples))

    def finish(self, saved: Bundle, step: int) -> dict:
        """Add the final frame from the bundle as written (its fp16 weights) and return the card entry."""
        last = {**frame(saved, step, self.examples), "final": True}
        frames = [f for f in self.frames if f["step"] < step] + [last]
        examples = []
        for en, fr in self.examples:
            trace = trace_translation(saved, en, target=fr)
            examples.append({"en": en, "fr": fr, "src_tokens": list(trace.src_tokens),
                             "tgt_tokens": list(trace.tgt_tokens)})
        return {"examples": examples, "frames": frames}
