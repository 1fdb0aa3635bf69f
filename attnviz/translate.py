"""Translate CLI: python -m attnviz translate "SENTENCE" [--scorer NAME|all] [--target FR] [--beam K]
[--prefix FR] [--block I,J] [--json] [--input FILE]. One JSON object per input line with --json, else a table.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

from .config import SCORER_NAMES
from .checkpoint import DEFAULT_MODELS_DIR, Bundle, load_all_report
from .trace import MAX_TARGET_CHARS, Trace, trace_translation


def _rounded(a):
    """An array as nested lists of floats rounded to 6 decimals (None stays None)."""
    return None if a is None else np.round(np.asarray(a, dtype=np.float64), 6).tolist()


def heads_to_json(trace: Trace) -> dict | None:
    """--heads: every head of a Transformer trace (0-based indices; T includes <eos>); None for a GRU.

    Schema: {"layers": L, "heads": A, "shown": [layer, head],
             "cross_scores": [T][L][A][S] q·k/√K, "cross_weights": [T][L][A][S] softmax,
             "self_weights": [T][L][A][T] decoder self-attention (0 on later words)}
    """
    h = trace.heads
    if h is None:
        return None
    layers, heads = h.shape
    return {"layers": layers, "heads": heads, "shown": [h.layer, h.head],
            "cross_scores": _rounded(h.cross_scores), "cross_weights": _rounded(h.cross_weights),
            "self_weights": _rounded(h.self_weights)}


def trace_to_json(trace: Trace, heads: bool = False) -> dict:
    """The per-scorer record of the JSON output; T rows include the final <eos> step. A Transformer's
    scores / weights are its shown head's ("head": [layer, head], 0-based); `heads` adds every head."""
    as_list = _rounded
    every = heads_to_json(trace) if heads else None
    return {
        "scorer": trace.scorer,
        "mode": trace.mode,
        "source_tokens": list(trace.src_tokens),
        "target_tokens": list(trace.tgt_tokens),
        "forced": list(trace.forced),  # per step: True where the word was given (--target, --prefix)
        # per step: the 0-based source position whose word was copied through attention, or null
        "copied": [pos if pos >= 0 else None for pos in trace.copied],
        "translation": trace.translation,
        "scores": as_list(trace.scores),
        "weights": as_list(trace.weights),
        "topk": [[{"token": tok, "prob": round(float(p), 6)} for tok, p in zip(toks, probs)]
                 for toks, probs in zip(trace.topk_tokens, trace.topk_probs)],
        **({"alternatives": _alternatives(trace)} if trace.alternatives else {}),
        **({"head": [trace.heads.layer, trace.heads.head]} if trace.heads is not None else {}),
        **({"all_heads": every} if every is not None else {}),
    }


def _alternatives(trace: Trace) -> list[dict]:
    """Beam search's results, best first: the translation, the score it was ranked by, and (with the tree)
    how many English words it could have copied but left out."""
    left_out = trace.beam_tree.left_out if trace.beam_tree is not None else ()
    return [{"translation": t, "score": s, **({"left_out": left_out[r]} if r < len(left_out) else {})}
            for r, (t, s) in enumerate(trace.alternatives)]


def format_trace(trace: Trace) -> str:
    """A readable block: the translation, then per output word where it looked and how sure it was."""
    lines = [f"[{trace.scorer}] {trace.translation}"]
    for t, word in enumerate(trace.tgt_tokens):
        looked = ""
        if trace.weights is not None:
            s = int(trace.weights[t].argmax())
            looked = f"looked at {trace.src_tokens[s]!r} ({trace.weights[t, s]:.2f})"
        copied = "  (copied)" if trace.copied[t] >= 0 else ""
        lines.append(f"  {t + 1:>2}. {word:<14} p={trace.chosen_probs[t]:.2f}  {looked}{copied}")
    return "\n".join(lines)


_POSITIONS = re.compile(r"[0-9]+(?:,[0-9]+)*")  # ASCII digits only: int() would also read "٣" as 3


def parse_block(text: str | None) -> tuple[int, ...]:
    """--block "0,2" -> (0, 2): 0-based source positions; anything else (" ", "٣", "1,,2") is a ValueError."""
    if text is None:
        return ()
    if not _POSITIONS.fullmatch(text.replace(" ", "")):
        raise ValueError(f"--block takes comma-separated source positions (0-based digits) such as 0,2; got {text!r}")
    return tuple(int(x) for x in text.replace(" ", "").split(","))


def beam_width(text: str) -> int:
    """--beam: ASCII digits only (argparse's int() would also accept "٣")."""
    if not re.fullmatch(r"[0-9]+", text.strip()):
        raise argparse.ArgumentTypeError(f"takes a whole number such as 5, got {text!r}")
    return int(text)


def _not_utf8(text: str) -> str | None:
    """Where a command-line string was not valid UTF-8 (Python keeps such bytes as lone surrogates)."""
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            byte = f"byte 0x{ord(ch) - 0xDC00:02x}" if ch >= "\udc80" else f"code point U+{ord(ch):04X}"
            return f"{byte} at character {i + 1}"
    return None


def _shown(text: str) -> str:
    """A file name as printable text: undecodable bytes shown as \\xNN."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def read_lines(path: str) -> list[tuple[int, str, str]]:
    r"""The file's lines as (line number, text, error message or "" if the line is fine).

    Lines end at "\n" only (a "\r" before it is dropped): a line is one record whatever other
    separators it holds (str.splitlines would also split at \x0b, \x1c, \u2028 ...). Each line is
    decoded on its own, so one byte that is not UTF-8 costs one line, whose text then shows the
    byte as \xNN. Empty lines are skipped; their numbers are not reused.
    """
    data = Path(path).read_bytes()
    out = []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        if not raw:
            continue
        try:
            out.append((n, raw.decode("utf-8-sig" if n == 1 else "utf-8"), ""))
        except UnicodeDecodeError as e:
            out.append((n, raw.decode("utf-8", "backslashreplace"),
                        f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1} of the line); "
                        "save the file as UTF-8"))
    return out


def trace_line(
    bundles: list[Bundle], line: str, beam: int, blocked: tuple[int, ...], target: str | None,
    prefix: str | None = None,
) -> tuple[str, list[Trace]]:
    """One input line (English, or English<TAB>French to force) through every chosen bundle."""
    source, _, forced = line.partition("\t")
    return source, [trace_translation(b, source, beam=beam, target=forced or target, blocked=blocked,
                                      prefix=prefix) for b in bundles]


def add_translate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sentence", nargs="?", help="an English sentence (or use --input)")
    p.add_argument("--input", help="UTF-8 file, one item per line: English, or English<TAB>French to force; "
                   "one output record per non-empty line")
    p.add_argument("--scorer", default="all", help=f"one of {', '.join(SCORER_NAMES)}, or all")
    p.add_argument("--target", help="a French sentence to force (teacher forcing) instead of decoding")
    p.add_argument("--prefix", help="French words the translation must start with; decoding continues after them")
    p.add_argument("--beam", type=beam_width, default=1, help="beam width (1: greedy)")
    p.add_argument("--block", help="comma-separated 0-based source positions hidden from attention, e.g. 0,2")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--heads", action="store_true",
                   help="with --json: every Transformer head's scores and weights (\"all_heads\"; see README)")
    p.add_argument("--models", default=str(DEFAULT_MODELS_DIR), help="folder of bundles")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _emit(text: str, file=None) -> None:
    """print(), but a character the terminal's encoding lacks is shown as an escape, not a crash."""
    file = file or sys.stdout
    try:
        print(text, file=file)
    except UnicodeEncodeError:
        enc = file.encoding or "ascii"
        print(text.encode(enc, "backslashreplace").decode(enc), file=file)


def _json_line(obj: dict) -> str:
    """One JSON record; plain ASCII escapes when stdout is not UTF-8, so the bytes are always UTF-8."""
    utf8 = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "") == "utf8"
    return json.dumps(obj, ensure_ascii=not utf8)


def main(args: argparse.Namespace) -> int:
    for name in ("sentence", "target", "prefix", "block", "scorer"):
        value = getattr(args, name)
        where = _not_utf8(value) if value is not None else None
        if where:
            shown = "the sentence" if name == "sentence" else f"--{name}"
            return _fail(f"{shown} is not valid UTF-8 text ({where}); pass UTF-8 (check the terminal's locale)")
    if (args.sentence is None) == (args.input is None):
        return _fail("give one English sentence or --input FILE")
    if args.beam < 1 or args.beam > 20:
        return _fail("--beam must be between 1 and 20")
    try:
        blocked = parse_block(args.block)
        if args.target is not None and len(args.target) > MAX_TARGET_CHARS:  # once, not once per line
            raise ValueError(f"--target has {len(args.target):,} characters; the limit is {MAX_TARGET_CHARS:,}")
        bundles, problems = load_all_report(args.models)  # BundleError is a ValueError
    except (ValueError, OSError) as e:
        return _fail(str(e))
    for message in problems:
        _emit(f"warning: {message}", sys.stderr)
    if args.scorer != "all" and args.scorer not in bundles:
        return _fail(f"no bundle for scorer {args.scorer!r}; available: {', '.join(bundles)}, all")
    chosen = list(bundles.values()) if args.scorer == "all" else [bundles[args.scorer]]
    if args.input is None:
        items = [(None, args.sentence, "")]
    else:
        try:
            items = read_lines(args.input)
        except OSError as e:
            return _fail(f"cannot read --input {_shown(args.input)}: {e.strerror or e}")
    status = 0
    for n, line, error in items:
        if not error:
            try:
                source, traces = trace_line(chosen, line, args.beam, blocked, args.target, args.prefix)
            except ValueError as e:
                error = str(e)
        at = {} if n is None else {"line": n}
        if error:
            status = 1
            where = "" if n is None else f"{_shown(args.input)}, line {n}: "
            if args.json:
                _emit(_json_line({"source": line, **at, "error": where + error}))
            else:
                _emit(f"error: {where}{error}  (input {line!r})", sys.stderr)
        elif args.json:
            _emit(_json_line({"source": source, **at, "results": [trace_to_json(t, args.heads) for t in traces]}))
        else:
            _emit("\n".join([source] + [format_trace(t) for t in traces]) + "\n")
    return status
