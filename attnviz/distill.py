"""Sequence-level knowledge distillation (Kim & Rush 2016): python -m attnviz distill --teacher dot.

A teacher translates every English sentence of the training and validation splits, greedily: one
bundle, or several with the same vocabularies as an ensemble (`--teacher dot,general,concat`: each
word the one with the best mean log-probability, torchdecode.greedy_batch_ids), which translates
better than any of its members and so teaches more. The file it writes (English TAB the teacher's
French tokens, `<unk>` kept where the teacher wrote it) can replace the French side of each pair for a student: `train --distilled FILE`. One translation
per English sentence is easier to learn than Tatoeba's several, so a student short of training time
(the Transformer on two CPU cores) learns more per minute. The student keeps its best epoch by its
loss on the teacher's translations of the validation sentences (its loss on the human ones rises as
it learns the teacher's choice among several right translations; both are in its history); every
test keeps the human references. The file is derived from the data, so it stays out of git (runs/).
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Sequence

import torch

from .checkpoint import DEFAULT_MODELS_DIR, Bundle, load_bundle
from .config import TrainConfig
from .data import Pair, read_pairs, split_pairs
from .torchdecode import greedy_batch_ids, same_vocabularies
from .vocab import EOS_ID, PAD_ID

log = logging.getLogger(__name__)

BATCH = 128  # sentences per batched greedy search; sorted by length, so little padding


def teacher_tokens(bundle: Bundle, sources: list[tuple[str, ...]], ensemble: Sequence[Bundle] = ()
                   ) -> list[tuple[str, ...]]:
    """The teacher's greedy French tokens for each source (tokens, as data.Pair.src_tokens); with
    `ensemble`, the teacher is `bundle` and those bundles together."""
    ids = [bundle.src_vocab.encode(s) for s in sources]
    out, _ = greedy_batch_ids(bundle, sources, ids, ensemble=ensemble)  # (B, max_len)
    rows = []
    for row in out.tolist():
        kept = [i for i in row if i not in (PAD_ID, EOS_ID)]
        rows.append(tuple(bundle.tgt_vocab.decode(kept)))
    return rows


def distil(bundle: Bundle, pairs: list[Pair], ensemble: Sequence[Bundle] = ()) -> dict[str, tuple[str, ...]]:
    """English sentence -> the teacher's French tokens, for every distinct sentence of `pairs`."""
    if ensemble and not same_vocabularies([bundle, *ensemble]):
        raise ValueError("an ensemble's bundles must share their vocabularies (train them from the same data)")
    by_en = {p.en: p.src_tokens for p in pairs}
    order = sorted(by_en, key=lambda en: len(by_en[en]))
    result, started = {}, time.monotonic()
    for start in range(0, len(order), BATCH):
        chunk = order[start:start + BATCH]
        for en, fr in zip(chunk, teacher_tokens(bundle, [by_en[en] for en in chunk], ensemble)):
            result[en] = fr
        if start // BATCH % 50 == 0:
            log.info("%d / %d sentences (%.0f s)", start + len(chunk), len(order), time.monotonic() - started)
    return result


TEACHER_LINE = "#teacher"  # the file's first line: #teacher<TAB>the teacher bundle's name


def write_distilled(path: Path, teacher: dict[str, tuple[str, ...]], name: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write(f"{TEACHER_LINE}\t{name}\n")
        for en, fr in teacher.items():
            f.write(f"{en}\t{' '.join(fr)}\n")


def read_distilled(path: str | Path) -> dict[str, tuple[str, ...]]:
    """write_distilled's file -> English sentence -> French tokens."""
    teacher = {}
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            en, _, fr = line.rstrip("\n").partition("\t")
            if fr and en != TEACHER_LINE:
                teacher[en] = tuple(fr.split(" "))
    return teacher


def teacher_name(path: str | Path) -> str:
    """The teacher bundle named on the file's first line ("" when the file does not say)."""
    with Path(path).open(encoding="utf-8") as f:
        first = f.readline().rstrip("\n").split("\t")
    return first[1] if len(first) == 2 and first[0] == TEACHER_LINE else ""


def distilled_pairs(pairs: list[Pair], teacher: dict[str, tuple[str, ...]]) -> list[Pair]:
    """Each pair's French tokens replaced by the teacher's (pairs the teacher did not translate keep theirs)."""
    return [Pair(p.en, p.fr, p.src_tokens, teacher[p.en]) if teacher.get(p.en) else p for p in pairs]


def add_distill_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--teacher", default="dot",
                   help="bundle name in --models-dir, or several joined by commas for an ensemble (default: dot)")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--data", default=TrainConfig.data)
    p.add_argument("--out", default="", help="default: runs/distilled-<teacher>.tsv")
    p.add_argument("--threads", type=int, default=0)


def main(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.teacher.split(",") if n.strip()]
    bundle, *ensemble = [load_bundle(Path(args.models_dir) / f"{name}.json") for name in names]
    splits = split_pairs(read_pairs(args.data, TrainConfig.max_len))
    teacher = distil(bundle, splits.train + splits.valid, ensemble)  # the student is validated on its words too
    name = "+".join(names)
    out = Path(args.out or f"runs/distilled-{name}.tsv")
    write_distilled(out, teacher, name)
    log.info("wrote %d teacher translations to %s", len(teacher), out)
    return 0
