"""Tiny models for tests: untrained-size (16-d) bundles fitted briefly on a hand-written fixture file."""
from __future__ import annotations

from pathlib import Path

import torch

from attnviz.alignment import load_aligned_pairs
from attnviz.architectures import torch_model
from attnviz.checkpoint import load_bundle, read_card, save_bundle, write_card
from attnviz.config import SCORER_NAMES, ModelConfig
from attnviz.data import make_batch, read_pairs, references_by_source
from attnviz.evaluate import evaluate_bundle
from attnviz.vocab import Vocab

FIXTURES = Path(__file__).parent / "fixtures"
TINY_PAIRS = FIXTURES / "tiny_pairs.tsv"


def tiny_vocabs() -> tuple[Vocab, Vocab]:
    pairs = read_pairs(TINY_PAIRS)
    return (Vocab.build((p.src_tokens for p in pairs), 1, 100),
            Vocab.build((p.tgt_tokens for p in pairs), 1, 100))


def tiny_model(scorer: str, seed: int = 0, steps: int = 40, **sizes) -> tuple[torch.nn.Module, Vocab, Vocab]:
    """A 16-d model fitted for `steps` Adam steps on the fixture pairs, so its outputs are not ties.
    The Transformer has 2 + 2 layers of 2 heads (K = 8) and shows layer 1, head 1; `sizes` overrides
    ModelConfig fields (e.g. decoder_layers=1, attention_layer=0)."""
    torch.manual_seed(seed)
    src_vocab, tgt_vocab = tiny_vocabs()
    cfg = ModelConfig(**{**dict(scorer=scorer, src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                                emb_dim=16, hidden=16, softmax_cutoffs=(20,), layers=2, heads=2, ff_dim=32,
                                attention_layer=1, attention_head=1), **sizes})
    model = torch_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    batch = make_batch(read_pairs(TINY_PAIRS), src_vocab, tgt_vocab)
    for _ in range(steps):
        loss = model(batch.src, batch.src_len, batch.tgt_in, batch.tgt_out)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), src_vocab, tgt_vocab


def build_tiny_models_dir(folder: Path) -> Path:
    """One tiny untrained bundle per scorer in `folder`, with real metrics and a loss history."""
    refs = references_by_source(read_pairs(TINY_PAIRS))
    gold = load_aligned_pairs()[:5]
    for i, scorer in enumerate(SCORER_NAMES):
        model, src_vocab, tgt_vocab = tiny_model(scorer, seed=i)
        history = [{"epoch": e, "train_loss": 4.0 - e / 2, "valid_loss": 4.2 - e / 3, "seconds": 1.0,
                    "tokens_per_s": 1000, "lr": 0.002} for e in (1, 2, 3)]
        path = save_bundle(model, src_vocab, tgt_vocab, folder / scorer, {"history": history})
        card = read_card(path)
        card["metrics"] = evaluate_bundle(load_bundle(path), refs, gold, beam=2)
        write_card(path, card)
    return folder
