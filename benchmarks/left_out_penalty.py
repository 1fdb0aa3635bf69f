"""How much lower should beam search rank a translation that leaves out a word it could copy? One beam
search per sentence (the page's, attnviz.trace), its finished hypotheses reranked at each penalty: the
mean log-probability less `penalty` for each English word the hypothesis could have copied (a number, a
word the model does not know: text.copyable) but left out. `names` counts only numbers and capitalised
words. BLEU with all references; on the everyday set also the share of sentences whose names and numbers
all came through. Chooses trace.LEFT_OUT_PENALTY on the validation sentences, never on a test set.

    python benchmarks/left_out_penalty.py --split valid --limit 1500 0 0.2 1 0.2,names
    python benchmarks/left_out_penalty.py --split everyday 0 0.2 0.2,names
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz import trace as T  # noqa: E402
from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_bundle  # noqa: E402
from attnviz.config import DEFAULT_DATA, TrainConfig  # noqa: E402
from attnviz.data import read_pairs, references_by_source, split_pairs  # noqa: E402
from attnviz.everyday import kept_share, load_everyday  # noqa: E402
from attnviz.evaluate import bleu_chrf  # noqa: E402
from attnviz.fastdecode import fast_decoder  # noqa: E402
from attnviz.text import detokenize_fr, is_number  # noqa: E402


def reranked(bundle, sentence: str, settings: list[tuple[float, bool]], beam: int) -> list[str]:
    """The best finished hypothesis of one beam search under each (penalty, names only) setting."""
    src = T.prepare(bundle, sentence, ())
    fd = fast_decoder(bundle)
    enc_out, h0 = fd.encode(src.ids)
    s, results = T._search(fd, src, fd.keys(enc_out, src.allowed), h0, [], [], beam,
                           T.default_max_len(len(src.ids)))
    names = np.array([is_number(t) or t[:1].isupper() for t in src.tokens])  # (S,)
    out = []
    for penalty, names_only in settings:
        def score(n: int) -> float:
            left = s.left[n] & names if names_only else s.left[n]  # (S,) copyable words not copied
            return T.length_normalised(s.cum[n], len(s.path(n)), "average") - penalty * int(left.sum())
        out.append(detokenize_fr(T._words(bundle.tgt_vocab, s, src, max(results, key=score), [])))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("settings", nargs="+", help="penalty, or penalty,names (count numbers and capitalised words only)")
    p.add_argument("--models", default="transformer,dot,general,concat")
    p.add_argument("--split", choices=("valid", "everyday"), default="valid")
    p.add_argument("--limit", type=int, default=1500, help="validation sentences (the first, sorted)")
    p.add_argument("--beam", type=int, default=5)
    args = p.parse_args()
    settings = [(float(x.split(",")[0]), x.endswith(",names")) for x in args.settings]
    if args.split == "everyday":
        items = load_everyday()
        sources, refs = [it.en for it in items], [list(it.refs) for it in items]
    else:
        valid = dict(sorted(references_by_source(split_pairs(read_pairs(DEFAULT_DATA, TrainConfig.max_len)).valid)
                            .items())[: args.limit])
        sources, refs = list(valid), list(valid.values())
    print(f"{len(sources)} {args.split} sentences, beam {args.beam}; columns: " + ", ".join(args.settings))
    for name in args.models.split(","):
        bundle = load_bundle(DEFAULT_MODELS_DIR / f"{name}.safetensors")
        by_setting = list(zip(*[reranked(bundle, x, settings, args.beam) for x in sources]))
        cells = []
        for hyps in by_setting:
            cell = f"{bleu_chrf(list(hyps), refs)[0]:6.2f}"
            if args.split == "everyday":
                cell += f" ({kept_share(items, hyps)[0]:.1%} kept)"
            cells.append(cell)
        print(f"{name:12}" + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
