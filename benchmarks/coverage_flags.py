"""Could attention flag a word the translation dropped? For each English word of the everyday sentences,
its coverage (the attention it received, summed over the output steps, greedy) against whether a
name or number the translation had to keep was lost, and against the strict verdicts of
docs/everyday-verdicts.tsv: how many lost names/numbers a "hardly looked at" flag would catch, and how
many sentences judged right it would flag too.

    python benchmarks/coverage_flags.py --model dot
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_bundle  # noqa: E402
from attnviz.everyday import came_through, load_everyday, must_keep  # noqa: E402
from attnviz.trace import trace_translation  # noqa: E402

VERDICTS = Path(__file__).resolve().parent.parent / "docs" / "everyday-verdicts.tsv"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="dot")
    p.add_argument("--models-dir", default=str(DEFAULT_MODELS_DIR))
    args = p.parse_args()
    bundle = load_bundle(Path(args.models_dir) / f"{args.model}.json")
    with VERDICTS.open(encoding="utf-8") as f:
        verdict = {r["english"]: r[f"{args.model} verdict"] for r in csv.DictReader(f, delimiter="\t")}
    words = []  # (sentence, coverage, a name/number it had to keep, lost)
    for item in load_everyday():
        trace = trace_translation(bundle, item.en)
        coverage = trace.weights.sum(axis=0)  # (S,) attention each English word received
        keep = must_keep(item)
        for tok, cov in zip(trace.src_tokens, coverage):
            if any(c.isalnum() for c in tok):
                words.append((item.en, float(cov), tok in keep, tok in keep and not came_through(tok, trace.translation)))
    lost = [w for w in words if w[3]]
    counts = {v: sum(x == v for x in verdict.values()) for v in ("right", "wrong")}
    print(f"{args.model}: {len(lost)} names/numbers lost in {len({w[0] for w in lost})} sentences")
    for threshold in (0.1, 0.2, 0.3, 0.4, 0.5):
        flagged = {w[0] for w in words if w[1] < threshold}
        caught = sum(w[1] < threshold for w in lost)
        right = sum(verdict.get(s) == "right" for s in flagged)
        wrong = sum(verdict.get(s) == "wrong" for s in flagged)
        print(f"coverage < {threshold}: catches {caught}/{len(lost)} lost; flags {len(flagged)} sentences, "
              f"{right}/{counts['right']} judged right, {wrong}/{counts['wrong']} judged wrong")


if __name__ == "__main__":
    main()
