import json

import numpy as np
import pytest
from safetensors.torch import load_file

from attnviz.checkpoint import BundleError, bundle_paths, load_all, load_bundle, save_bundle
from attnviz.trace import trace_translation
from tiny_models import tiny_model


def test_bundle_round_trips_weights_vocabs_and_behaviour(tmp_path):
    model, sv, tv = tiny_model("general")
    path = save_bundle(model, sv, tv, tmp_path / "general", {"history": [{"epoch": 1}]})
    loaded = load_bundle(path)
    assert loaded.scorer == "general" and loaded.card["history"] == [{"epoch": 1}]
    assert loaded.src_vocab.tokens == sv.tokens and loaded.tgt_vocab.display == tv.display
    assert all(t.dtype.itemsize == 2 for t in load_file(str(tmp_path / "general.safetensors")).values())
    a = trace_translation(loaded, "The white car.")
    b = trace_translation(load_bundle(tmp_path / "general.safetensors"), "The white car.")
    assert a.translation == b.translation
    np.testing.assert_array_equal(a.weights, b.weights)


def test_missing_and_corrupt_files_raise_errors_that_name_the_file(tmp_path):
    model, sv, tv = tiny_model("dot")
    path = save_bundle(model, sv, tv, tmp_path / "dot")
    with pytest.raises(BundleError, match="absent.json"):
        load_bundle(tmp_path / "absent")
    (tmp_path / "dot.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(BundleError, match="dot.safetensors"):
        load_bundle(path)
    path.write_text("{ broken", encoding="utf-8")
    with pytest.raises(BundleError, match="dot.json"):
        load_bundle(path)
    path.write_text(json.dumps({"format": "attnviz-bundle/1", "config": {"scorer": "luong"}}))
    with pytest.raises(BundleError, match="dot.json"):
        load_bundle(path)


def test_bundles_are_listed_in_registry_order(tiny_models_dir, tmp_path):
    assert [p.stem for p in bundle_paths(tiny_models_dir)] == ["dot", "general", "concat", "none"]
    assert list(load_all(tiny_models_dir)) == ["dot", "general", "concat", "none"]
    with pytest.raises(BundleError, match=str(tmp_path)):
        load_all(tmp_path)
