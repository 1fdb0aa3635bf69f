"""Benchmark CLI: python -m attnviz bench — trace latency, bundle load time, RSS and training
throughput, printed as figures (targets: <= 15 ms per sentence through all scorers, <= 2 s load,
<= 500 MB RSS). Timings on a shared machine are noisy: read the median, not a single run.
`--page` runs the page-level benchmark instead (N sessions over Streamlit's websocket, server CPU,
latency, cross-talk, RSS, optionally the browser): see attnviz/pagebench.py.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

from .checkpoint import DEFAULT_MODELS_DIR, load_all
from .config import DEFAULT_DATA, ModelConfig, TrainConfig
from .trace import trace_translation

SENTENCE = "The old man gave his white car to the young woman."  # 10 words
# Its French, forced through every model: the same number of output steps for each (greedy, each model writes
# its own translation, and a model that stops early, dropping words, traces fewer steps).
SENTENCE_FR = "Le vieil homme a donné sa voiture blanche à la jeune femme."


def rss_mb() -> float:
    """Current resident set size in MB (VmRSS), falling back to the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_trace(bundles: dict, repeats: int, clock=time.perf_counter) -> list[float]:
    """Milliseconds to trace SENTENCE through every bundle, once per repeat.

    clock=time.thread_time counts only this thread's CPU time: on a busy shared CPU it shows the
    cost of the work itself, while wall-clock time also counts the waits for a core.
    """
    times = []
    for _ in range(repeats):
        t0 = clock()
        for b in bundles.values():
            trace_translation(b, SENTENCE)
        times.append((clock() - t0) * 1000)
    return times


def per_model_ms(bundles: dict, repeats: int, clock=time.thread_time, **options) -> dict[str, float]:
    """Median milliseconds (this thread's CPU time) to trace SENTENCE, per model, interleaved so
    that every model sees the same machine. `options` go to trace_translation (target=SENTENCE_FR)."""
    times: dict[str, list[float]] = {name: [] for name in bundles}
    for _ in range(repeats):
        for name, b in bundles.items():
            t0 = clock()
            trace_translation(b, SENTENCE, **options)
            times[name].append((clock() - t0) * 1000)
    return {name: statistics.median(v) for name, v in times.items()}


def print_same_steps(bundles: dict, repeats: int) -> None:
    """How many output steps each model's greedy trace took, and the Transformer / general ratio with
    SENTENCE_FR forced through both: the cost of a step, apart from how long a translation each writes."""
    pair = {name: bundles[name] for name in ("general", "transformer")}
    steps = {name: len(trace_translation(b, SENTENCE).tgt_tokens) for name, b in pair.items()}
    forced = per_model_ms(pair, repeats, target=SENTENCE_FR)
    same = len(trace_translation(pair["general"], SENTENCE, target=SENTENCE_FR).tgt_tokens)
    print(f"  output steps     : general {steps['general']}, transformer {steps['transformer']} (greedy, each its "
          f"own translation)")
    print(f"  French forced    : general {forced['general']:.1f} ms, transformer {forced['transformer']:.1f} ms: "
          f"{forced['transformer'] / forced['general']:.2f}x ({same} steps each)")


def bench_training(data: str, pairs: int, seconds: float) -> float:
    """Target tokens per second of the training step (concat scorer) on the first `pairs` pairs."""
    import torch

    from .data import batches, read_pairs, split_pairs
    from .model import Seq2Seq
    from .vocab import Vocab

    cfg = TrainConfig()
    train = split_pairs(read_pairs(data, cfg.max_len)).train[:pairs]
    sv = Vocab.build((p.src_tokens for p in train), cfg.src_min_freq, cfg.src_max_vocab)
    tv = Vocab.build((p.tgt_tokens for p in train), cfg.tgt_min_freq, cfg.tgt_max_vocab)
    torch.manual_seed(0)
    model = Seq2Seq(ModelConfig(scorer="concat", src_vocab_size=len(sv), tgt_vocab_size=len(tv))).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    tokens, t0 = 0, None
    for i, b in enumerate(batches(train, sv, tv, cfg.batch_tokens, seed=0)):
        if i == 2:  # the first steps allocate and warm caches
            tokens, t0 = 0, time.perf_counter()
        loss = model(b.src, b.src_len, b.tgt_in, b.tgt_out)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        tokens += int((b.tgt_out != 0).sum())
        if t0 and time.perf_counter() - t0 > seconds:
            break
    return tokens / (time.perf_counter() - t0) if t0 else float("nan")


def add_bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", default=str(DEFAULT_MODELS_DIR))
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--data", default=str(DEFAULT_DATA), help="pairs for the training-throughput slice")
    p.add_argument("--train-pairs", type=int, default=20000)
    p.add_argument("--train-seconds", type=float, default=20.0, help="0 skips the training benchmark")
    p.add_argument("--trace-only", action="store_true", help="skip the training benchmark (as --train-seconds 0)")
    from .pagebench import add_page_args
    add_page_args(p)  # --page: the page-level benchmark (a class of students), see attnviz/pagebench.py


def main(args: argparse.Namespace) -> int:
    if getattr(args, "page", False):
        from . import pagebench
        return pagebench.main(args)
    t0 = time.perf_counter()  # decoding runs in NumPy with one BLAS thread, as the app (attnviz/__init__.py)
    bundles = load_all(args.models)
    load_s = time.perf_counter() - t0
    for b in bundles.values():  # warm-up: each model's first trace builds its decoding tables
        trace_translation(b, SENTENCE)
    times = bench_trace(bundles, args.repeats)
    cpu = bench_trace(bundles, args.repeats, time.thread_time)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    print(f"bundles            : {', '.join(bundles)}  ({args.models})")
    print(f"load all bundles   : {load_s:.2f} s            (target <= 2 s)")
    print(f"trace, all scorers : median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
          f"over {args.repeats} runs of a 10-word sentence, 1 thread   (target <= 15 ms)")
    print(f"  same, CPU time   : median {statistics.median(cpu):.1f} ms (this thread only: less noisy on a busy CPU)")
    each = per_model_ms(bundles, args.repeats)
    print("trace, per model   : " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in each.items()))
    if "transformer" in each and "general" in each:
        print(f"  transformer / general: {each['transformer'] / each['general']:.2f}x   (target <= 2x, same run)")
        print_same_steps(bundles, args.repeats)
    print(f"RSS                : {rss_mb():.0f} MB          (target <= 500 MB; torch imported: "
          f"{'yes' if 'torch' in sys.modules else 'no'})")
    if args.train_seconds > 0 and not getattr(args, "trace_only", False) and Path(args.data).is_file():
        tps = bench_training(args.data, args.train_pairs, args.train_seconds)
        import torch
        print(f"training throughput: {tps:,.0f} target tokens/s (concat, {torch.get_num_threads()} threads, "
              f"first {args.train_pairs} training pairs)")
    return 0
