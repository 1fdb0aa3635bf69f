"""python -m attnviz {train,evaluate,translate,bench} — one entry point for every CLI.

Only the chosen command's module is imported: translate and bench decode in NumPy and never load
torch (~1 s and ~220 MB); train and evaluate do.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS = {
    "train": "train one model and write its bundle",
    "evaluate": "score every bundle, update the model cards",
    "translate": "translate and print traces (table or JSON)",
    "bench": "print latency, load time, RSS and training speed",
    "distill": "write a teacher bundle's translations of the training sentences (for train --distilled)",
    "handout": "write the lesson's printable worksheet (or, with --script, the class script)",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m attnviz", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    modules = {}
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name == chosen:
            modules[name] = importlib.import_module(f"{__package__}.{name}")
            getattr(modules[name], f"add_{name}_args")(p)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    return modules[args.command].main(args)


if __name__ == "__main__":
    sys.exit(main())
