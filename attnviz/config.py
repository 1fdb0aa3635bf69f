"""ModelConfig / TrainConfig: every knob of the model and the training recipe, with why-comments.

One recipe for all scorers: only `ModelConfig.scorer` differs between the bundled models.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tatoeba-eng-fra" / "fra.txt"


@dataclass(frozen=True)
class ModelConfig:
    scorer: str = "concat"
    src_vocab_size: int = 0  # filled in from the data
    tgt_vocab_size: int = 0
    emb_dim: int = 256  # also the size of the attentional state, so output weights can be tied
    hidden: int = 256  # H: encoder output (after the bridge), decoder state, context
    softmax_cutoffs: tuple[int, ...] = (2000, 6000)  # the 2,000 most frequent words cover ~90% of tokens
    dropout: float = 0.25  # Tatoeba is small; without it validation loss turns up after ~4 epochs

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> "ModelConfig":
        kwargs = {f.name: obj[f.name] for f in fields(cls) if f.name in obj}
        if "softmax_cutoffs" in kwargs:
            kwargs["softmax_cutoffs"] = tuple(kwargs["softmax_cutoffs"])
        return cls(**kwargs)


@dataclass(frozen=True)
class TrainConfig:
    data: str = str(DEFAULT_DATA)
    max_len: int = 30  # tokens per side; drops 0.01% of pairs and keeps batches dense
    src_min_freq: int = 3  # words seen once or twice are mostly names and typos
    tgt_min_freq: int = 3
    src_max_vocab: int = 8000
    tgt_max_vocab: int = 10000  # the output layer dominates step time; this covers ~99% of tokens
    batch_tokens: int = 3000  # target tokens per batch; length-bucketed batches waste little padding
    lr: float = 2e-3
    epochs: int = 12
    patience: int = 2  # stop after this many epochs without a better validation loss
    max_minutes: float = 30.0  # the brief: one model trains in <= 30 minutes on 2 CPU cores
    clip: float = 1.0
    seed: int = 1234
    threads: int = 0  # 0: let torch decide
    bf16: bool = False  # bf16 autocast on CPU: measured 1.7-1.9x the tokens/s at the same loss (issue #7)

    def to_json(self) -> dict:
        return asdict(self)
