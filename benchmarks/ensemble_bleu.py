"""Is an ensemble a better teacher? Greedy BLEU / chrF of each bundle alone and of their ensemble
(each word the best by the members' mean log-probability, torchdecode.greedy_batch_ids), on the first
validation sentences, all references. The ensemble is what `distill --teacher a,b,c` translates with.

    python benchmarks/ensemble_bleu.py --models dot,general,concat --limit 1500
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_bundle  # noqa: E402
from attnviz.config import TrainConfig  # noqa: E402
from attnviz.data import read_pairs, references_by_source, split_pairs  # noqa: E402
from attnviz.evaluate import bleu_chrf  # noqa: E402
from attnviz.torchdecode import greedy_batch  # noqa: E402

BATCH = 64


def translate(members: list, sources: list[str]) -> list[str]:
    first, *rest = members
    return [h for i in range(0, len(sources), BATCH) for h in greedy_batch(first, sources[i:i + BATCH], ensemble=rest)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="dot,general,concat")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--data", default=TrainConfig.data)
    p.add_argument("--limit", type=int, default=1500)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    refs = references_by_source(split_pairs(read_pairs(args.data, TrainConfig.max_len)).valid)
    sources = sorted(refs)[:args.limit]
    members = [load_bundle(Path(args.models_dir) / f"{n}.json") for n in args.models.split(",")]
    print(f"greedy BLEU / chrF on the first {len(sources)} validation sentences (all references)")
    for name, group in [(b.path.stem, [b]) for b in members] + [("+".join(args.models.split(",")), members)]:
        bleu, chrf = bleu_chrf(translate(group, sources), [refs[s] for s in sources])
        print(f"{name:<24} {bleu:6.2f} {chrf:6.2f}")


if __name__ == "__main__":
    main()
