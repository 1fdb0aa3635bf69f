"""The train CLI's flags come from TrainConfig; booleans must parse as switches, not as strings."""
from __future__ import annotations

import argparse

from attnviz.train import add_train_args, train_config_from_args


def parse(*argv: str):
    p = argparse.ArgumentParser()
    add_train_args(p)
    return train_config_from_args(p.parse_args(["--scorer", "dot", *argv]))


def test_bf16_is_off_by_default_and_a_switch():
    assert parse().bf16 is False
    assert parse("--bf16").bf16 is True
    assert parse("--no-bf16").bf16 is False


def test_numeric_flags_keep_their_types():
    cfg = parse("--lr", "0.001", "--epochs", "3")
    assert cfg.lr == 0.001 and cfg.epochs == 3
