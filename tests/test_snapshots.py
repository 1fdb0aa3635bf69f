"""Attention snapshots recorded while training: log-spaced steps, and a last frame equal to the bundle."""
from __future__ import annotations

import numpy as np
import pytest

from attnviz.checkpoint import load_bundle
from attnviz.config import TrainConfig
from attnviz.snapshots import CURATED, DECIMALS, is_snapshot_step
from attnviz.trace import trace_translation
from attnviz.train import train
from tiny_models import TINY_PAIRS


def test_snapshot_steps_are_log_spaced_and_about_twelve_per_run():
    steps = [s for s in range(20_001) if is_snapshot_step(s)]
    assert steps[:7] == [0, 1, 2, 5, 10, 20, 50]
    assert 12 <= len(steps) <= 15 and steps[-1] == 20_000
    assert not is_snapshot_step(3) and not is_snapshot_step(150)


@pytest.fixture(scope="module", params=["dot", "none"])
def trained(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"train-{request.param}")
    cfg = TrainConfig(data=str(TINY_PAIRS), src_min_freq=1, tgt_min_freq=1, batch_tokens=60, epochs=3,
                      patience=5, threads=1)
    card_path = train(request.param, cfg, folder / request.param, folder / "runs", resume=False)
    return load_bundle(card_path)


def test_training_records_frames_from_step_zero_to_the_saved_weights(trained):
    snaps = trained.card["attention_snapshots"]
    assert [e["en"] for e in snaps["examples"]] == [en for en, _ in CURATED]
    steps = [f["step"] for f in snaps["frames"]]
    assert steps[0] == 0 and steps == sorted(steps) and len(steps) >= 3
    assert snaps["frames"][-1]["final"] is True


def test_last_frame_is_what_the_bundled_model_shows(trained):
    last = trained.card["attention_snapshots"]["frames"][-1]["weights"]
    for (en, fr), recorded in zip(CURATED, last):
        weights = trace_translation(trained, en, target=fr).weights
        if weights is None:
            assert recorded is None  # the no-attention model has nothing to record
        else:
            assert np.array_equal(np.asarray(recorded), weights.round(DECIMALS))
            assert np.allclose(np.asarray(recorded).sum(axis=1), 1.0, atol=10 ** -DECIMALS * len(en))


def test_untrained_attention_is_nearly_uniform(trained):
    first = trained.card["attention_snapshots"]["frames"][0]["weights"]
    if first[0] is None:
        pytest.skip("no attention")
    w = np.asarray(first[0])  # (T, S)
    assert w.max() < 3.0 / w.shape[1]  # no word gets more than 3x its uniform share before training
