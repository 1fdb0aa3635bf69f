"""Save and load one self-describing bundle per scorer: weights in <name>.safetensors (fp16) and
a model card in <name>.json (config, vocabularies, training record, metrics). Loading runs no code.

Loading needs no torch: the weights come in as NumPy arrays, which is all the decoding for the page
(fastdecode.py) reads. `Bundle.model` builds the torch Seq2Seq on first use, for training-side code
(evaluation batches, the reference decoders in torchdecode.py, the tests).
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from .config import SCORER_NAMES, ModelConfig, weight_shapes
from .vocab import Vocab

if TYPE_CHECKING:  # torch is imported only where a torch model is built or saved
    from .model import Seq2Seq

log = logging.getLogger(__name__)

FORMAT = "attnviz-bundle/1"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


class BundleError(ValueError):
    """A bundle is missing, unreadable or inconsistent; the message names the file."""


@dataclass(eq=False)
class Bundle:
    """One model: its config, fp32 weights by state_dict name, vocabularies and card."""

    cfg: ModelConfig
    weights: dict[str, np.ndarray] = field(repr=False)  # name -> fp32 array, as Seq2Seq(cfg).state_dict()
    src_vocab: Vocab
    tgt_vocab: Vocab
    card: dict  # everything in the .json: config, vocabs, training record, metrics
    path: Path  # the .json file

    @property
    def scorer(self) -> str:
        return self.cfg.scorer

    @functools.cached_property
    def model(self) -> "Seq2Seq":
        """The torch Seq2Seq with these weights, in eval mode (built on first use: imports torch)."""
        import torch

        from .architectures import torch_model

        model = torch_model(self.cfg)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in self.weights.items()})
        return model.eval()

    @classmethod
    def of_model(cls, model: "Seq2Seq", src_vocab: Vocab, tgt_vocab: Vocab, card: dict, path: Path) -> "Bundle":
        """A bundle around a live torch model (training): `model` is that very object, and `weights`
        share its parameters' memory, so both always hold the current numbers."""
        weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
        bundle = cls(model.cfg, weights, src_vocab, tgt_vocab, card, path)
        bundle.__dict__["model"] = model  # what cached_property would have built
        return bundle


def save_bundle(
    model: Seq2Seq, src_vocab: Vocab, tgt_vocab: Vocab, stem: str | Path, extra: dict | None = None
) -> Path:
    """Write <stem>.safetensors (fp16 weights) and <stem>.json; returns the .json path."""
    import torch
    from safetensors.torch import save_file

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(stem.with_suffix(".safetensors")))
    card = {
        "format": FORMAT,
        "config": model.cfg.to_json(),
        "parameters": model.num_parameters(),
        "src_vocab": src_vocab.to_json(),
        "tgt_vocab": tgt_vocab.to_json(),
        **(extra or {}),
    }
    write_card(stem.with_suffix(".json"), card)
    return stem.with_suffix(".json")


def write_card(path: Path, card: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)  # never leave a half-written card behind


def read_card(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"model card not found: {path}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BundleError(f"model card {path} is not valid JSON: {e}") from e
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise BundleError(f"model card {path} is not an {FORMAT} card")
    return card


def _check_config(cfg: ModelConfig) -> None:
    """ValueError unless every size in the config is a positive whole number."""
    for name in ("src_vocab_size", "tgt_vocab_size", "emb_dim", "hidden"):
        value = getattr(cfg, name)
        if type(value) is not int or value < 1:
            raise ValueError(f"config {name} must be a positive integer, got {value!r}")
    cuts = cfg.softmax_cutoffs
    if not all(type(c) is int and c > 0 for c in cuts) or list(cuts) != sorted(set(cuts)):
        raise ValueError(f"config softmax_cutoffs must be increasing positive integers, got {list(cuts)!r}")
    if not (isinstance(cfg.dropout, (int, float)) and 0 <= cfg.dropout < 1):
        raise ValueError(f"config dropout must be in [0, 1), got {cfg.dropout!r}")


def _read_vocab(card: dict, key: str, size: int) -> Vocab:
    """The card's vocabulary `key`, which must hold exactly `size` distinct strings (the embedding rows)."""
    obj = card[key]
    tokens, display = obj["tokens"], obj.get("display", {})
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ValueError(f"{key} tokens must be a list of strings")
    if not isinstance(display, dict) or not all(isinstance(v, str) for v in display.values()):
        raise ValueError(f"{key} display must map tokens to strings")
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"{key} lists a token twice")
    copied = obj.get("copied", [])
    if not isinstance(copied, list) or not all(isinstance(w, str) and w == w.lower() for w in copied):
        raise ValueError(f"{key} copied must be a list of lowercase words")
    if len(tokens) != size:
        raise ValueError(f"{key} has {len(tokens)} tokens but the config says {size} "
                         f"({'src_vocab_size' if key == 'src_vocab' else 'tgt_vocab_size'})")
    return Vocab.from_json(obj)


def _check_tensors(tensors: dict[str, np.ndarray], cfg: ModelConfig) -> None:
    """ValueError unless `tensors` has exactly the model's names and shapes, and only finite numbers.

    The embeddings and the decoder GRU come first: a wrong size in a card is named as such.
    """
    expected = weight_shapes(cfg)
    for name in [n for n in ("encoder.emb.weight", "decoder.emb.weight", "decoder.rnn.weight_hh_l0") if n in expected]:
        if name not in tensors:
            raise ValueError(f"there is no tensor {name}")
        if tuple(tensors[name].shape) != expected[name]:
            raise ValueError(f"tensor {name} has shape {tuple(tensors[name].shape)}, the config needs {expected[name]}")
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ValueError(f"tensor names do not match the card's config (missing {missing[:3]}, "
                         f"unexpected {extra[:3]})")
    for name, want in expected.items():
        got = tensors[name]
        if tuple(got.shape) != want:
            raise ValueError(f"tensor {name} has shape {tuple(got.shape)}, the config needs {want}")
        if got.dtype.kind != "f":
            raise ValueError(f"tensor {name} holds {got.dtype}, not floating-point numbers")
        finite = np.isfinite(got)
        if not finite.all():
            raise ValueError(f"tensor {name} holds {int((~finite).sum())} non-finite values (NaN or infinity)")


# Word embeddings stay as stored, fp16: half of a bundle's numbers, and a decoder step reads a few rows,
# widened exactly to fp32 (embed()). Every other weight is widened once here, for fp32 arithmetic.
EMBEDDINGS = ("encoder.emb.weight", "decoder.emb.weight")


def embed(table: np.ndarray, ids) -> np.ndarray:
    """Rows `ids` of an embedding table, as float32: (len(ids), E)."""
    return table[list(ids)].astype(np.float32)


def load_bundle(path: str | Path) -> Bundle:
    """Load <stem>.json + <stem>.safetensors (give either file or the stem).

    Checks, before any translation can run: the card parses and its config is sane; each vocabulary
    has exactly as many tokens as its embedding has rows (the target one is also the adaptive
    softmax's size); the weights have the config's names and shapes; every number is finite.

    Raises:
        BundleError naming the file that is missing, corrupt or does not match the card.
    """
    json_path = Path(path).with_suffix(".json")
    weights_path = json_path.with_suffix(".safetensors")
    card = read_card(json_path)
    try:
        cfg = ModelConfig.from_json(card["config"])
        _check_config(cfg)
        src_vocab = _read_vocab(card, "src_vocab", cfg.src_vocab_size)
        tgt_vocab = _read_vocab(card, "tgt_vocab", cfg.tgt_vocab_size)
        if cfg.scorer not in SCORER_NAMES:
            raise ValueError(f"unknown scorer {cfg.scorer!r}; choose one of {', '.join(SCORER_NAMES)}")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise BundleError(f"model card {json_path} is incomplete or inconsistent: {e}") from e
    if not weights_path.is_file():
        raise BundleError(f"weights not found: {weights_path} (its model card {json_path.name} is there)")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError) as e:
        raise BundleError(f"weights {weights_path} are corrupt: {e}") from e
    try:
        _check_tensors(tensors, cfg)
    except ValueError as e:
        raise BundleError(f"weights {weights_path} do not match the card {json_path.name}: {e}") from e
    weights = {k: v if k in EMBEDDINGS else v.astype(np.float32) for k, v in tensors.items()}
    return Bundle(cfg, weights, src_vocab, tgt_vocab, card, json_path)


def bundle_paths(models_dir: str | Path = DEFAULT_MODELS_DIR) -> list[Path]:
    """The model cards of complete bundles (.json and .safetensors) in models_dir, in the registry's
    scorer order (dot, general, concat, none). load_all_report() says what is wrong with the rest."""
    models_dir = Path(models_dir)
    cards = [p for p in models_dir.glob("*.json") if p.with_suffix(".safetensors").exists()]
    return _in_scorer_order(cards)


def _in_scorer_order(paths: list[Path]) -> list[Path]:
    order = {name: i for i, name in enumerate(SCORER_NAMES)}
    return sorted(paths, key=lambda p: (order.get(p.stem, len(order)), p.stem))


def load_all_report(models_dir: str | Path = DEFAULT_MODELS_DIR) -> tuple[dict[str, Bundle], list[str]]:
    """Every bundle in models_dir that loads, keyed by scorer name, and what is wrong with the others.

    A <stem>.json without <stem>.safetensors (or the reverse), a bundle that fails load_bundle's
    checks, and a second bundle for a scorer already loaded are each skipped and reported as one
    readable message naming the file, e.g. "weights not found: models/dot.safetensors ...".

    Returns:
        (bundles in registry order, problems: list of messages; empty when all is well).

    Raises:
        BundleError if no bundle loads at all; its message includes every problem.
    """
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        raise BundleError(f"no model bundles (<scorer>.json + <scorer>.safetensors) in {models_dir}: "
                          "no such folder")
    stems = {p.with_suffix("") for p in models_dir.iterdir() if p.suffix in (".json", ".safetensors")}
    bundles: dict[str, Bundle] = {}
    problems: list[str] = []
    for card_path in _in_scorer_order([s.with_suffix(".json") for s in stems]):
        if not card_path.is_file():
            problems.append(f"model card not found: {card_path} (its weights "
                            f"{card_path.with_suffix('.safetensors').name} are there); bundle skipped")
            continue
        try:
            b = load_bundle(card_path)
        except BundleError as e:
            problems.append(f"{e}; bundle skipped")
            continue
        if b.scorer in bundles:
            problems.append(f"{card_path} is a second bundle for scorer {b.scorer!r} "
                            f"(the first is {bundles[b.scorer].path.name}); bundle skipped")
            continue
        bundles[b.scorer] = b
    if not bundles:
        detail = "; ".join(problems) if problems else "the folder holds none"
        raise BundleError(f"no model bundles (<scorer>.json + <scorer>.safetensors) in {models_dir}: {detail}")
    return bundles, problems


def load_all(models_dir: str | Path = DEFAULT_MODELS_DIR) -> dict[str, Bundle]:
    """Every bundle in models_dir that loads, keyed by scorer name; BundleError if there are none.

    Broken or incomplete bundles are skipped with a logged warning each; use load_all_report() to
    get those messages (to show them to a person).
    """
    bundles, problems = load_all_report(models_dir)
    for message in problems:
        log.warning(message)
    return bundles
