"""Save and load one self-describing bundle per scorer: weights in <name>.safetensors (fp16) and
a model card in <name>.json (config, vocabularies, training record, metrics). Loading runs no code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .attention import SCORERS
from .config import ModelConfig
from .model import Seq2Seq
from .vocab import Vocab

FORMAT = "attnviz-bundle/1"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


class BundleError(ValueError):
    """A bundle is missing, unreadable or inconsistent; the message names the file."""


@dataclass
class Bundle:
    model: Seq2Seq  # in eval mode, fp32
    src_vocab: Vocab
    tgt_vocab: Vocab
    card: dict  # everything in the .json: config, vocabs, training record, metrics
    path: Path  # the .json file

    @property
    def scorer(self) -> str:
        return self.model.cfg.scorer


def save_bundle(
    model: Seq2Seq, src_vocab: Vocab, tgt_vocab: Vocab, stem: str | Path, extra: dict | None = None
) -> Path:
    """Write <stem>.safetensors (fp16 weights) and <stem>.json; returns the .json path."""
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


def load_bundle(path: str | Path) -> Bundle:
    """Load <stem>.json + <stem>.safetensors (give either file or the stem).

    Raises:
        BundleError naming the file that is missing, corrupt or does not match the card.
    """
    json_path = Path(path).with_suffix(".json")
    weights_path = json_path.with_suffix(".safetensors")
    card = read_card(json_path)
    try:
        cfg = ModelConfig.from_json(card["config"])
        src_vocab, tgt_vocab = Vocab.from_json(card["src_vocab"]), Vocab.from_json(card["tgt_vocab"])
        model = Seq2Seq(cfg)
    except (KeyError, TypeError, ValueError) as e:
        raise BundleError(f"model card {json_path} is incomplete or inconsistent: {e}") from e
    if not weights_path.is_file():
        raise BundleError(f"weights not found: {weights_path}")
    try:
        tensors = load_file(str(weights_path))
        model.load_state_dict({k: v.float() for k, v in tensors.items()})
    except (SafetensorError, RuntimeError, OSError) as e:
        raise BundleError(f"weights {weights_path} are corrupt or do not match the card: {e}") from e
    model.eval()
    return Bundle(model, src_vocab, tgt_vocab, card, json_path)


def bundle_paths(models_dir: str | Path = DEFAULT_MODELS_DIR) -> list[Path]:
    """The model cards in models_dir, in the registry's scorer order (dot, general, concat, none)."""
    models_dir = Path(models_dir)
    order = {name: i for i, name in enumerate(SCORERS)}
    cards = [p for p in models_dir.glob("*.json") if p.with_suffix(".safetensors").exists()]
    return sorted(cards, key=lambda p: (order.get(p.stem, len(order)), p.stem))


def load_all(models_dir: str | Path = DEFAULT_MODELS_DIR) -> dict[str, Bundle]:
    """Every bundle in models_dir, keyed by scorer name; BundleError if there are none."""
    paths = bundle_paths(models_dir)
    if not paths:
        raise BundleError(f"no model bundles (<scorer>.json + <scorer>.safetensors) in {models_dir}")
    bundles = [load_bundle(p) for p in paths]
    return {b.scorer: b for b in bundles}
