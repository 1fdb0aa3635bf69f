"""The NumPy Transformer's decoder step and encoder, two checkouts of attnviz/fasttransformer.py timed
in one process, interleaved round by round, on this checkout's bundle: before/after figures that see
the same machine.

Run: python benchmarks/ab_transformer_step.py --before /path/to/old/checkout [--rounds 9]
Prints the median microseconds of: a one-word step, a five-hypothesis (beam) step, both after six words
fed; the encoder of the bench's sentence; the cross-attention keys and values of it.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import attnviz.fasttransformer as after_module  # noqa: E402
from attnviz.bench import SENTENCE  # noqa: E402
from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_bundle  # noqa: E402
from attnviz.trace import prepare  # noqa: E402


def load_before(checkout: Path):
    """The other checkout's fasttransformer, imported inside this attnviz package (its relative imports
    then read this checkout's checkpoint and fastdecode modules)."""
    spec = importlib.util.spec_from_file_location("attnviz.fasttransformer_before",
                                                  checkout / "attnviz" / "fasttransformer.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def per_call_us(fn, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls * 1e6


def measures(decoder, ids: list[int]) -> dict:
    """name -> a function timing one kind of call, as (function, calls per timing)."""
    memory, cache = decoder.encode(ids)
    keys = decoder.keys(memory, None)
    for _ in range(6):  # six words fed: a step in the middle of a sentence
        cache = decoder.step([5], cache, keys).next_state
    beam = cache[[0] * 5]
    return {"step, 1 word": (lambda: decoder.step([5], cache, keys), 300),
            "step, beam of 5": (lambda: decoder.step([5] * 5, beam, keys), 100),
            "encoder": (lambda: decoder.encode(ids), 50),
            "cross keys": (lambda: decoder.keys(memory, None), 100)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, type=Path, help="a checkout with the old fasttransformer.py")
    p.add_argument("--models", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--rounds", type=int, default=9)
    a = p.parse_args()
    bundle = load_bundle(Path(a.models) / "transformer")
    ids = prepare(bundle, SENTENCE, ()).ids
    sides = {"before": load_before(a.before), "after": after_module}
    timed = {side: measures(module.FastTransformer(bundle), ids) for side, module in sides.items()}
    got: dict = {side: {name: [] for name in timed[side]} for side in sides}
    for _ in range(a.rounds):
        for side, calls in timed.items():
            for name, (fn, n) in calls.items():
                got[side][name].append(per_call_us(fn, n))
    for name in timed["after"]:
        before, after = (statistics.median(got[side][name]) for side in ("before", "after"))
        print(f"{name:16s} {before:8.1f} -> {after:8.1f} µs  ({after / before:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
