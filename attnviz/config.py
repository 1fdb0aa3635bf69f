"""ModelConfig / TrainConfig: every knob of the model and the training recipe, with why-comments.

One recipe for all scorers: only `ModelConfig.scorer` differs between the bundled models.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tatoeba-eng-fra" / "fra.txt"

# The models, in the order the page lists them: three GRU attention scorers, the plain GRU
# encoder-decoder ("none") and the multi-head Transformer. architectures.py maps each to its code.
SCORER_NAMES = ("dot", "general", "concat", "none", "transformer")
SOFTMAX_DIV_VALUE = 4.0  # each adaptive-softmax tail cluster projects to emb_dim / 4**(i+1) dimensions


@dataclass(frozen=True)
class ModelConfig:
    scorer: str = "concat"
    src_vocab_size: int = 0  # filled in from the data
    tgt_vocab_size: int = 0
    emb_dim: int = 256  # also the size of the attentional state, so output weights can be tied
    hidden: int = 256  # H: encoder output (after the bridge), decoder state, context
    softmax_cutoffs: tuple[int, ...] = (2000, 6000)  # the 2,000 most frequent words cover ~90% of tokens
    dropout: float = 0.25  # Tatoeba is small; without it validation loss turns up after ~4 epochs
    # The Transformer only (hidden is its d_model): layers of encoder and of decoder, heads per
    # attention, feed-forward width; and the cross-attention head that views showing one attention
    # use (chosen after training by AER on held-out hand alignments: evaluate.choose_head).
    layers: int = 3
    decoder_layers: int = 0  # 0: as many as the encoder (bundles before 2026-12-06 have no such field)
    heads: int = 4
    ff_dim: int = 1024
    attention_layer: int = 2
    attention_head: int = 0

    @property
    def dec_layers(self) -> int:
        """The Transformer decoder's layers (cross-attention has one per layer)."""
        return self.decoder_layers or self.layers

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
    # Measured on the Tatoeba test split (numbers excluded, they are always copied): words seen twice
    # in training leave 0.8% of English test tokens unknown (min 3: 1.1%), and 15,000 French words
    # cover 90% of test sentences completely (10,000: 85%). Names a vocabulary cannot hold are copied.
    src_min_freq: int = 2
    tgt_min_freq: int = 2
    src_max_vocab: int = 10000
    tgt_max_vocab: int = 15000
    batch_tokens: int = 3000  # target tokens per batch; length-bucketed batches waste little padding
    lr: float = 2e-3
    epochs: int = 30
    patience: int = 3  # stop after this many epochs without a better validation loss
    max_minutes: float = 60.0  # issue 12: at most 60 minutes per model on this 2-core machine
    copy_practice: float = 0.5  # share of pairs whose shared names become <unk> on both sides (data.hide_shared_names)
    copy_names_share: float = 0.8  # a name French writes the same in this share of its pairs ...
    copy_names_max_seen: int = 500  # ... and seen in at most this many is always <unk> (data.names_written_the_same)
    number_practice: float = 0.5  # share of pairs whose number words become digits on both sides (data.write_numbers_as_digits)
    average_last: int = 3  # the bundle may be the mean of the last epochs' weights (train._save_if_better)
    clip: float = 1.0
    warmup_steps: int = 0  # > 0 (the Transformer): linear warm-up then 1/√step, Adam β2 0.98; 0: plateau halving
    seed: int = 1234
    threads: int = 0  # 0: let torch decide
    bf16: bool = False  # bf16 autocast on CPU: measured 1.7-1.9x the tokens/s at the same loss (issue #7)
    distilled: str = ""  # a `distill` file: each training pair's French becomes the teacher's translation
    init_from: str = ""  # a bundle (.json) whose weights, history and snapshots training continues from
    decoder_layers: int = 0  # the Transformer's decoder layers (0: as many as the encoder's, ModelConfig.layers)
    drop_decoder_layer: int = 0  # with init_from: leave out that bundle's decoder layer n (1-based), keep the rest

    def to_json(self) -> dict:
        return asdict(self)


def softmax_cutoffs(cfg: ModelConfig) -> list[int]:
    """Adaptive-softmax cluster bounds that fit the vocabulary (tiny test vocabularies included)."""
    cuts = [c for c in cfg.softmax_cutoffs if c < cfg.tgt_vocab_size - 1]
    return cuts or [max(1, cfg.tgt_vocab_size // 2)]


def default_config(scorer: str, src_vocab_size: int, tgt_vocab_size: int, decoder_layers: int = 0) -> ModelConfig:
    """The bundled recipe's model for `scorer`: the Transformer drops less (dropout 0.1, as measured
    on the validation split in its first epochs) than the GRUs; `decoder_layers` (0: as many as the
    encoder) sizes its decoder, whose last layer is then the shown one until evaluate chooses."""
    extra = {}
    if scorer == "transformer":
        depth = decoder_layers or ModelConfig.layers
        extra = {"dropout": 0.1, "decoder_layers": decoder_layers,
                 "attention_layer": min(ModelConfig.attention_layer, depth - 1)}
    return ModelConfig(scorer=scorer, src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, **extra)


def _softmax_shapes(cfg: ModelConfig, e: int) -> dict[str, tuple[int, ...]]:
    """The adaptive-softmax output layer over vectors of size e."""
    cuts = softmax_cutoffs(cfg) + [cfg.tgt_vocab_size]
    shapes = {"decoder.out.head.weight": (cuts[0] + len(cuts) - 1, e)}
    for i in range(len(cuts) - 1):
        hsz = int(e // (SOFTMAX_DIV_VALUE ** (i + 1)))  # as nn.AdaptiveLogSoftmaxWithLoss
        shapes[f"decoder.out.tail.{i}.0.weight"] = (hsz, e)
        shapes[f"decoder.out.tail.{i}.1.weight"] = (cuts[i + 1] - cuts[i], hsz)
    return shapes


def transformer_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor of transformer.Transformer(cfg).state_dict()."""
    d, f = cfg.hidden, cfg.ff_dim
    linear = lambda name, n_in, n_out: {f"{name}.weight": (n_out, n_in), f"{name}.bias": (n_out,)}  # noqa: E731
    norm = lambda name: {f"{name}.weight": (d,), f"{name}.bias": (d,)}  # noqa: E731

    def attention(name: str) -> dict:
        return {k: v for p in "qkvo" for k, v in linear(f"{name}.{p}", d, d).items()}

    shapes = {"encoder.emb.weight": (cfg.src_vocab_size, d), "decoder.emb.weight": (cfg.tgt_vocab_size, d)}
    for side, sublayers, depth in (("encoder", ("self_att",), cfg.layers),
                                   ("decoder", ("self_att", "cross_att"), cfg.dec_layers)):
        for i in range(depth):
            layer = f"{side}.layers.{i}"
            for k, sub in enumerate(sublayers):
                shapes.update(norm(f"{layer}.norm{k + 1}"), **attention(f"{layer}.{sub}"))
            shapes.update(norm(f"{layer}.norm{len(sublayers) + 1}"))
            shapes.update(linear(f"{layer}.ff.0", d, f), **linear(f"{layer}.ff.3", f, d))
        shapes.update(norm(f"{side}.norm"))
    return {**shapes, **_softmax_shapes(cfg, d)}


def weight_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor of the model's state_dict (architectures.torch_model(cfg)),
    computed without torch.

    A bundle's weights are checked against it at load; tests hold it equal to the torch model's.
    """
    if cfg.scorer == "transformer":
        return transformer_shapes(cfg)
    e, h, v = cfg.emb_dim, cfg.hidden, cfg.tgt_vocab_size
    shapes: dict[str, tuple[int, ...]] = {"encoder.emb.weight": (cfg.src_vocab_size, e)}
    for sfx in ("", "_reverse"):
        shapes.update({f"encoder.rnn.weight_ih_l0{sfx}": (3 * h, e), f"encoder.rnn.weight_hh_l0{sfx}": (3 * h, h),
                       f"encoder.rnn.bias_ih_l0{sfx}": (3 * h,), f"encoder.rnn.bias_hh_l0{sfx}": (3 * h,)})
    shapes.update({"encoder.bridge.weight": (h, 2 * h), "encoder.bridge.bias": (h,),
                   "encoder.init.weight": (h, 2 * h), "encoder.init.bias": (h,),
                   "decoder.emb.weight": (v, e),
                   "decoder.rnn.weight_ih_l0": (3 * h, e), "decoder.rnn.weight_hh_l0": (3 * h, h),
                   "decoder.rnn.bias_ih_l0": (3 * h,), "decoder.rnn.bias_hh_l0": (3 * h,)})
    if cfg.scorer == "general":
        shapes["decoder.scorer.w_a.weight"] = (h, h)
    elif cfg.scorer == "concat":
        shapes.update({"decoder.scorer.w_q.weight": (h, h), "decoder.scorer.w_k.weight": (h, h),
                       "decoder.scorer.w_k.bias": (h,), "decoder.scorer.v_a.weight": (1, h)})
    shapes.update({"decoder.combine.weight": (e, 2 * h), "decoder.combine.bias": (e,)})
    return {**shapes, **_softmax_shapes(cfg, e)}
