"""Is one model's everyday BLEU really above another's? A paired bootstrap (Koehn 2004) over the
hand-written everyday sentences: resample the sentences with replacement, score both models' outputs
on each resample, and report the difference with its 95 % interval and how often the first model is
ahead. Greedy and beam search, the page's decoding (attnviz.trace), all references.

    python benchmarks/everyday_bootstrap.py transformer concat [--beam 5] [--resamples 1000] [--seed 0]
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np
import sacrebleu

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_bundle  # noqa: E402
from attnviz.everyday import DEFAULT_EVERYDAY, load_everyday  # noqa: E402
from attnviz.evaluate import reference_streams  # noqa: E402
from attnviz.trace import trace_translation  # noqa: E402


def corpus_bleu(hyps: list[str], refs: list[list[str]], idx: list[int]) -> float:
    """sacrebleu's corpus BLEU of the sentences `idx` (repeats allowed), as evaluate.bleu_chrf scores."""
    return sacrebleu.corpus_bleu([hyps[i] for i in idx], reference_streams([refs[i] for i in idx])).score


def paired_bootstrap(a: list[str], b: list[str], refs: list[list[str]], resamples: int,
                     seed: int) -> tuple[float, float, float, float]:
    """(BLEU of a minus BLEU of b on every sentence, the 2.5th and 97.5th percentiles of that difference
    over the resamples, the share of resamples where a is ahead)."""
    rng = random.Random(seed)
    n = len(refs)
    every = list(range(n))
    deltas = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in every]
        deltas.append(corpus_bleu(a, refs, idx) - corpus_bleu(b, refs, idx))
    lo, hi = np.percentile(deltas, [2.5, 97.5])
    ahead = float(np.mean(np.array(deltas) > 0))
    return corpus_bleu(a, refs, every) - corpus_bleu(b, refs, every), float(lo), float(hi), ahead


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("first", help="a bundle's scorer name, e.g. transformer")
    p.add_argument("second", help="the bundle to compare it with, e.g. concat")
    p.add_argument("--models", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--everyday", default=str(DEFAULT_EVERYDAY))
    p.add_argument("--beam", type=int, default=5, help="beam width of the second comparison (greedy is the first)")
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    items = load_everyday(a.everyday)
    refs = [list(it.refs) for it in items]
    bundles = {name: load_bundle(Path(a.models) / f"{name}.safetensors") for name in (a.first, a.second)}
    print(f"{len(items)} everyday sentences, {a.resamples} resamples (seed {a.seed})")
    for beam in (1, a.beam):
        first, second = ([trace_translation(bundles[name], it.en, beam=beam).translation for it in items]
                         for name in (a.first, a.second))
        every = list(range(len(refs)))
        delta, lo, hi, ahead = paired_bootstrap(first, second, refs, a.resamples, a.seed)
        print(f"{'greedy' if beam == 1 else f'beam {beam}':7s} {a.first} {corpus_bleu(first, refs, every):.2f}, "
              f"{a.second} {corpus_bleu(second, refs, every):.2f}: difference {delta:+.2f}, 95% interval "
              f"[{lo:+.2f}, {hi:+.2f}], {a.first} ahead in {ahead:.1%} of the resamples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
