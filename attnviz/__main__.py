"""python -m attnviz {train,evaluate,translate,bench} — one entry point for every CLI."""
from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attnviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    from . import bench, evaluate, train, translate

    train.add_train_args(sub.add_parser("train", help="train one model and write its bundle"))
    evaluate.add_evaluate_args(sub.add_parser("evaluate", help="score every bundle, update the model cards"))
    translate.add_translate_args(sub.add_parser("translate", help="translate and print traces (table or JSON)"))
    bench.add_bench_args(sub.add_parser("bench", help="print latency, load time, RSS and training speed"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    commands = {"train": train.main, "evaluate": evaluate.main, "translate": translate.main, "bench": bench.main}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
