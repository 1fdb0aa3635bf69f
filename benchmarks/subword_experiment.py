"""Issue 12, part 2: words + copy, or subwords? One GRU model trained on SentencePiece pieces, on the
bundled recipe and budget, measured against the bundled word-level model of the same scorer.

    python benchmarks/subword_experiment.py train --minutes 50 --threads 1   # writes runs/subword/
    python benchmarks/subword_experiment.py evaluate                          # prints the comparison

The pieces are cut inside the words the bundled models read (tokenize_en / tokenize_fr, lowercased),
so the data, split, number practice and training loop are train.py's own; only the vocabulary
differs: BPE pieces (SentencePiece) on each side instead of whole words plus copy. Copy practice is
off for the subword model: a piece vocabulary can spell any name, which is the point of the test.
Both models are scored here the same way: greedy, case-insensitive BLEU and chrF on the Tatoeba test
(all references), and on the everyday set, with the share of its sentences whose names and numbers
all come through. Nothing here is part of the app (it needs sentencepiece, in requirements.txt).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sentencepiece as spm  # noqa: E402

from attnviz import torchdecode, train as train_mod  # noqa: E402
from attnviz.checkpoint import load_bundle  # noqa: E402
from attnviz.evaluate import bleu_chrf  # noqa: E402
from attnviz.config import TrainConfig  # noqa: E402
from attnviz.data import Pair, read_pairs, references_by_source, split_pairs  # noqa: E402
from attnviz.everyday import kept_share, load_everyday  # noqa: E402
from attnviz.text import detokenize_fr, tokenize_en  # noqa: E402
from attnviz.vocab import SPECIALS, UNK, Vocab  # noqa: E402

RUN = ROOT / "runs" / "subword"
WORD_START = "▁"


def train_pieces(pairs: list[Pair], side: str, size: int) -> spm.SentencePieceProcessor:
    """A BPE model over the lowercased words of one side of the training pairs."""
    RUN.mkdir(parents=True, exist_ok=True)
    text = RUN / f"{side}.txt"
    with text.open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(" ".join(t.lower() for t in (p.src_tokens if side == "en" else p.tgt_tokens)) + "\n")
    prefix = RUN / f"{side}"
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(prefix), vocab_size=size, model_type="bpe",
                                   character_coverage=1.0, split_digits=True, bos_id=-1, eos_id=-1, unk_id=0,
                                   minloglevel=2)
    return spm.SentencePieceProcessor(model_file=str(prefix) + ".model")


class Pieces:
    """Words -> pieces for both sides, and the piece vocabularies (every piece kept, digits too)."""

    def __init__(self, en: spm.SentencePieceProcessor, fr: spm.SentencePieceProcessor) -> None:
        self.en, self.fr = en, fr
        self._memo: dict[tuple[str, str], list[str]] = {}

    def cut(self, side: str, words) -> tuple[str, ...]:
        out = []
        for w in words:
            if w == UNK:
                out.append(UNK)
                continue
            key = (side, w.lower())
            if key not in self._memo:
                sp = self.en if side == "en" else self.fr
                self._memo[key] = sp.encode(w.lower(), out_type=str)
            out.extend(self._memo[key])
        return tuple(out)

    def pair(self, p: Pair) -> Pair:
        return Pair(p.en, p.fr, self.cut("en", p.src_tokens), self.cut("fr", p.tgt_tokens))

    def vocab(self, side: str) -> Vocab:
        sp = self.en if side == "en" else self.fr
        pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
        return Vocab(list(SPECIALS) + [p for p in pieces if p not in SPECIALS])


def _load_pieces() -> Pieces:
    return Pieces(*(spm.SentencePieceProcessor(model_file=str(RUN / f"{s}.model")) for s in ("en", "fr")))


def words_of(pieces: list[str]) -> list[str]:
    """Decoded pieces -> words: a piece that starts with ▁ starts a word."""
    words: list[str] = []
    for p in pieces:
        if p.startswith(WORD_START) or not words:
            words.append(p.removeprefix(WORD_START))
        else:
            words[-1] += p
    return [w for w in words if w]


def train(args: argparse.Namespace) -> None:
    cfg = TrainConfig(max_minutes=args.minutes, threads=args.threads, bf16=True, copy_practice=0.0, copy_names_max_seen=0,
                      src_max_vocab=args.size + len(SPECIALS), tgt_max_vocab=args.size + len(SPECIALS))
    train_pairs = split_pairs(read_pairs(cfg.data, cfg.max_len)).train
    pieces = Pieces(train_pieces(train_pairs, "en", args.size), train_pieces(train_pairs, "fr", args.size))
    vocabs = iter([pieces.vocab("en"), pieces.vocab("fr")])

    class PieceVocab(Vocab):  # train.py builds the source vocabulary, then the target one
        @classmethod
        def build(cls, sentences, min_freq, max_size):
            return next(vocabs)

    words_batches = train_mod.batches
    train_mod.Vocab = PieceVocab
    train_mod.batches = lambda pairs, *a, **k: words_batches([pieces.pair(p) for p in pairs], *a, **k)
    train_mod.train("dot", cfg, RUN / "dot", RUN / "runs", resume=False)


def _decode_in_pieces(pieces: Pieces) -> None:
    """Make torchdecode read English as pieces and join the French pieces back into words."""
    def source_ids(b, sentence):
        toks = list(pieces.cut("en", tokenize_en(sentence)))
        return toks, b.src_vocab.encode(toks)
    torchdecode.source_ids = source_ids
    torchdecode.detokenize_fr = lambda toks: detokenize_fr(words_of(toks))


def measure(bundle, sources, refs, everyday) -> dict:
    """Greedy translations, scored case-insensitively (the piece vocabulary has no capitals)."""
    hyps = [h for i in range(0, len(sources), 64) for h in torchdecode.greedy_batch(bundle, sources[i:i + 64])]
    daily = [h for i in range(0, len(everyday), 64)
             for h in torchdecode.greedy_batch(bundle, [it.en for it in everyday[i:i + 64]])]
    lower = lambda texts: [t.lower() for t in texts]  # noqa: E731
    bleu, chrf = bleu_chrf(lower(hyps), [lower(r) for r in refs])
    daily_bleu, _ = bleu_chrf(lower(daily), [lower(it.refs) for it in everyday])
    return {"bleu": bleu, "chrf": chrf, "everyday_bleu": daily_bleu, "kept": kept_share(everyday, daily)[0],
            "daily": daily}


def evaluate(args: argparse.Namespace) -> None:
    test = split_pairs(read_pairs(TrainConfig().data, TrainConfig.max_len)).test
    by_src = references_by_source(test)
    sources = sorted(by_src)[: args.limit or None]
    refs = [by_src[s] for s in sources]
    everyday = load_everyday()
    bundled, sub = load_bundle(ROOT / "models" / "dot.json"), load_bundle(RUN / "dot.json")
    words = measure(bundled, sources, refs, everyday)
    _decode_in_pieces(_load_pieces())
    pieces = measure(sub, sources, refs, everyday)
    minutes = lambda b: round(sum(h["seconds"] for h in b.card["history"]) / 60)  # noqa: E731
    print(f"{'dot vocabulary':28s} {'BLEU':>6s} {'chrF':>6s} {'everyday BLEU':>14s} {'names+numbers':>14s}  minutes")
    for name, r, b in (("words + copy (bundled)", words, bundled),
                       (f"BPE pieces ({len(sub.src_vocab) - 4}/{len(sub.tgt_vocab) - 4})", pieces, sub)):
        print(f"{name:28s} {r['bleu']:6.2f} {r['chrf']:6.2f} {r['everyday_bleu']:14.2f} {100 * r['kept']:13.1f}%  {minutes(b)}")
    print(f"(greedy; case-insensitive BLEU on {len(sources)} Tatoeba test sentences with all their references, and on "
          f"{len(everyday)} everyday sentences)")
    if args.outputs:
        with open(args.outputs, "w", encoding="utf-8") as f:
            for it, a, b in zip(everyday, words["daily"], pieces["daily"]):
                f.write(f"{it.en}\t{a}\t{b}\n")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--minutes", type=float, default=50.0)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--size", type=int, default=8000, help="BPE pieces per side")
    e = sub.add_parser("evaluate")
    e.add_argument("--limit", type=int, default=0)
    e.add_argument("--outputs", default="")
    args = p.parse_args()
    import torch
    torch.set_num_threads(1)
    (train if args.cmd == "train" else evaluate)(args)


if __name__ == "__main__":
    main()
