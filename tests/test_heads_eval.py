"""Per-head measurements of the Transformer: AER per head, the head views show, what heads look at."""
from __future__ import annotations

import numpy as np
import pytest

from attnviz import figures
from attnviz.alignment import load_aligned_pairs
from attnviz.checkpoint import load_bundle
from attnviz.heads_eval import choose_head, dev_split, forced_heads, head_aer, head_table
from attnviz.i18n import messages


@pytest.fixture(scope="module")
def tiny_transformer(tiny_models_dir):
    return load_bundle(tiny_models_dir / "transformer")


@pytest.fixture(scope="module")
def gold():
    return load_aligned_pairs()[:8]


def test_the_chosen_head_has_the_lowest_dev_aer(tiny_transformer, gold):
    dev, held_out = dev_split(gold)
    assert len(dev) + len(held_out) == len(gold) and not set(map(id, dev)) & set(map(id, held_out))
    aer = head_aer(forced_heads(tiny_transformer, dev), dev)
    layer, head = choose_head(tiny_transformer, dev)
    assert aer[layer, head] == aer.min()


def test_head_table_measures_every_head_in_range(tiny_transformer, gold):
    table = head_table(tiny_transformer, gold)
    shape = (tiny_transformer.cfg.layers, tiny_transformer.cfg.heads)
    for name in ("aer_dev", "aer_held_out", "aer_all", "cross_punct", "enc_prev", "enc_self", "enc_next", "enc_punct"):
        values = getattr(table, name)
        assert values.shape == shape, name
        assert np.all((values >= 0) & (values <= 1)), name
    # previous + itself + next + the rest of the sentence is all of an encoder head's weight
    assert np.all(table.enc_prev + table.enc_self + table.enc_next <= 1 + 1e-9)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_compare_shows_the_head_table_and_its_findings(tiny_transformer, gold, lang):
    table = head_table(tiny_transformer, gold)
    card = {"metrics": {"heads": {**table.to_json(), "shown": [1, 0]}}}
    m = messages(lang)
    frame = figures.head_frame(card, m)
    assert len(frame) == tiny_transformer.cfg.layers * tiny_transformer.cfg.heads
    assert frame[m("figures.col_head_shown")].tolist().count("✓") == 1
    findings = figures.head_findings(card, m)
    best = np.unravel_index(int(np.argmin(table.aer_held_out)), table.aer_held_out.shape)
    assert f"{table.aer_held_out[best]:.2f}" in findings[0]
    assert figures.head_frame({"metrics": {}}, m) is None and figures.head_findings({}, m) == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_head_is_said_to_rest_on_punctuation_only_above_the_threshold(lang):
    m = messages(lang)
    grid = [[0.1, 0.2], [0.3, 0.4]]

    def punct_finding(punct: list) -> str:
        heads = {"aer_held_out": grid, "cross_punct": punct, "enc_prev": grid, "enc_next": grid, "shown": [0, 0]}
        return figures.head_findings({"metrics": {"heads": heads}}, m)[1]

    rests = punct_finding([[0.02, 0.31], [0.05, 0.01]])
    assert rests == m("figures.head_finding_punct", layer=1, head=2, value="0.31")
    none = punct_finding([[0.02, 0.06], [0.05, 0.01]])
    assert none == m("figures.head_finding_no_punct", layer=1, head=2, value="0.06")


def test_an_encoder_deeper_than_the_decoder_gets_rows_of_its_own(tiny_transformer, gold):
    """A 2-layer encoder under a 1-layer decoder: layer 2's rows show the encoder's numbers, and "-" for
    the cross-attention the decoder does not have (in the CLI table and on Compare)."""
    from attnviz.heads_eval import format_head_table

    table = head_table(tiny_transformer, gold)
    for name in ("aer_dev", "aer_held_out", "aer_all", "cross_punct"):
        setattr(table, name, getattr(table, name)[:1])  # (1, A): as if the decoder had one layer
    lines = format_head_table(table, (0, 0)).splitlines()
    heads = tiny_transformer.cfg.heads
    rows = lines[2:2 + 2 * heads]
    assert [r.split()[:2] for r in rows] == [[str(l), str(a)] for l in (1, 2) for a in range(1, heads + 1)]
    assert rows[heads].split()[2:6] == ["-"] * 4
    assert rows[heads].split()[6] == f"{table.enc_prev[1, 0]:.3f}"
    m = messages("en")
    frame = figures.head_frame({"metrics": {"heads": {**table.to_json(), "shown": [0, 0]}}}, m)
    assert len(frame) == 2 * heads
    assert frame[m("figures.col_head_aer_all")].tolist()[heads:] == ["–"] * heads
    assert frame[m("figures.col_head_prev")].tolist()[heads] == f"{table.enc_prev[1, 0]:.2f}"


def test_the_snapshots_follow_the_chosen_head():
    from attnviz.evaluate import show_head_in_snapshots

    every = [[[[0.1, 0.9]], [[0.8, 0.2]]], [[[0.5, 0.5]], [[0.3, 0.7]]]]  # one example: (L=2, A=2, T=1, S=2)
    snaps = {"frames": [{"step": 0, "weights": [[[0.0, 1.0]]], "heads": [every]}, {"step": 5, "weights": [None]}]}
    show_head_in_snapshots(snaps, 1, 0)
    assert snaps["frames"][0]["weights"] == [[[0.5, 0.5]]]  # layer 2, head 1 of every example
    assert snaps["frames"][1]["weights"] == [None]  # a frame without heads (a GRU's) is left as it is
