"""Shared fixtures: tiny bundles for every scorer (see tiny_models.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from attnviz.config import SCORER_NAMES
from attnviz.checkpoint import load_bundle
from tiny_models import build_tiny_models_dir

# One thread: batch-of-one decoding gains nothing from more, and idle OpenMP threads spin on a busy CPU.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    return build_tiny_models_dir(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session", params=list(SCORER_NAMES))
def tiny_bundle(request, tiny_models_dir):
    return load_bundle(tiny_models_dir / request.param)
