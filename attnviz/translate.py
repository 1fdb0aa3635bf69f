"""Translate CLI: python -m attnviz translate "SENTENCE" [--scorer NAME|all] [--target FR] [--beam K]
[--block I,J] [--json] [--input FILE]. One JSON object per input line with --json, else a table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .attention import SCORERS
from .checkpoint import DEFAULT_MODELS_DIR, Bundle, BundleError, load_all
from .trace import Trace, trace_translation


def trace_to_json(trace: Trace) -> dict:
    """The per-scorer record of the JSON output; T rows include the final <eos> step."""
    as_list = lambda a: None if a is None else [[round(float(x), 6) for x in row] for row in a]  # noqa: E731
    return {
        "scorer": trace.scorer,
        "mode": trace.mode,
        "source_tokens": list(trace.src_tokens),
        "target_tokens": list(trace.tgt_tokens),
        "translation": trace.translation,
        "scores": as_list(trace.scores),
        "weights": as_list(trace.weights),
        "topk": [[{"token": tok, "prob": round(float(p), 6)} for tok, p in zip(toks, probs)]
                 for toks, probs in zip(trace.topk_tokens, trace.topk_probs)],
        **({"alternatives": [{"translation": t, "score": s} for t, s in trace.alternatives]}
           if trace.alternatives else {}),
    }


def format_trace(trace: Trace) -> str:
    """A readable block: the translation, then per output word where it looked and how sure it was."""
    lines = [f"[{trace.scorer}] {trace.translation}"]
    for t, word in enumerate(trace.tgt_tokens):
        looked = ""
        if trace.weights is not None:
            s = int(trace.weights[t].argmax())
            looked = f"looked at {trace.src_tokens[s]!r} ({trace.weights[t, s]:.2f})"
        lines.append(f"  {t + 1:>2}. {word:<14} p={trace.chosen_probs[t]:.2f}  {looked}")
    return "\n".join(lines)


def parse_block(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ValueError(f"--block takes comma-separated source positions such as 0,2; got {text!r}") from None


def trace_line(
    bundles: list[Bundle], line: str, beam: int, blocked: tuple[int, ...], target: str | None
) -> tuple[str, list[Trace]]:
    """One input line (English, or English<TAB>French to force) through every chosen bundle."""
    source, _, forced = line.partition("\t")
    return source, [trace_translation(b, source, beam=beam, target=forced or target, blocked=blocked)
                    for b in bundles]


def add_translate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sentence", nargs="?", help="an English sentence (or use --input)")
    p.add_argument("--input", help="file with one item per line: English, or English<TAB>French to force")
    p.add_argument("--scorer", default="all", help=f"one of {', '.join(SCORERS)}, or all")
    p.add_argument("--target", help="a French sentence to force (teacher forcing) instead of decoding")
    p.add_argument("--beam", type=int, default=1, help="beam width (1: greedy)")
    p.add_argument("--block", help="comma-separated source positions hidden from attention, e.g. 0,2")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--models", default=str(DEFAULT_MODELS_DIR), help="folder of bundles")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(args: argparse.Namespace) -> int:
    if (args.sentence is None) == (args.input is None):
        return _fail("give one English sentence or --input FILE")
    if args.beam < 1 or args.beam > 20:
        return _fail("--beam must be between 1 and 20")
    try:
        blocked = parse_block(args.block)
        bundles = load_all(args.models)
        if args.scorer != "all" and args.scorer not in bundles:
            return _fail(f"no bundle for scorer {args.scorer!r}; available: {', '.join(bundles)}, all")
        chosen = list(bundles.values()) if args.scorer == "all" else [bundles[args.scorer]]
        lines = [args.sentence] if args.input is None else Path(args.input).read_text(encoding="utf-8").splitlines()
    except (ValueError, BundleError, OSError) as e:
        return _fail(str(e))
    status = 0
    if args.input is not None:
        lines = [line for line in lines if line.strip()]  # blank lines in a file separate nothing
    for line in lines:
        try:
            source, traces = trace_line(chosen, line, args.beam, blocked, args.target)
        except ValueError as e:
            status = 1
            if args.json:
                print(json.dumps({"source": line, "error": str(e)}, ensure_ascii=False))
            else:
                print(f"error: {e}  (input {line!r})", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"source": source, "results": [trace_to_json(t) for t in traces]},
                             ensure_ascii=False))
        else:
            print("\n".join([source] + [format_trace(t) for t in traces]) + "\n")
    return status
