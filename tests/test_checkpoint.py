import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from attnviz.checkpoint import Bundle, BundleError, bundle_paths, load_all, load_bundle, save_bundle
from attnviz.config import SCORER_NAMES, ModelConfig, weight_shapes
from attnviz.architectures import torch_model
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
    assert [p.stem for p in bundle_paths(tiny_models_dir)] == ["dot", "general", "concat", "none", "transformer"]
    assert list(load_all(tiny_models_dir)) == ["dot", "general", "concat", "none", "transformer"]
    with pytest.raises(BundleError, match=str(tmp_path)):
        load_all(tmp_path)


@pytest.mark.parametrize("scorer", SCORER_NAMES)
@pytest.mark.parametrize("sizes", [dict(src_vocab_size=7553, tgt_vocab_size=10000),
                                   dict(src_vocab_size=40, tgt_vocab_size=30, emb_dim=16, hidden=8,
                                        softmax_cutoffs=(20,))])
def test_weight_shapes_are_the_torch_models_without_torch(scorer, sizes):
    """Loading checks a bundle against weight_shapes(cfg); it must be exactly the torch model's state_dict."""
    cfg = ModelConfig(scorer=scorer, **sizes)
    assert weight_shapes(cfg) == {k: tuple(v.shape) for k, v in torch_model(cfg).state_dict().items()}


def test_bundle_of_a_live_model_tracks_its_training():
    """Training records attention snapshots through Bundle.of_model: its weights are the model's own."""
    model, sv, tv = tiny_model("dot")
    bundle = Bundle.of_model(model, sv, tv, {}, Path("dot.json"))
    assert bundle.model is model
    with torch.no_grad():
        model.decoder.combine.bias.add_(1.0)
    np.testing.assert_array_equal(bundle.weights["decoder.combine.bias"], model.decoder.combine.bias.detach().numpy())


def test_the_page_side_of_the_package_never_imports_torch():
    """The server decodes in NumPy (fastdecode.py): importing torch would cost ~220 MB per replica."""
    code = ("import sys; import attnviz, attnviz.explain, attnviz.lesson, attnviz.causal, attnviz.exports, "
            "attnviz.figures, attnviz.state; "
            "from attnviz.views import common, compare, controls, how, keys, lab, learn, lesson, steps, translate; "
            "from attnviz import load_all, trace_translation; "
            "[trace_translation(b, 'I see the white car.', beam=2) for b in load_all().values()]; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0, r.stderr[-2000:]


def test_embeddings_stay_fp16_and_come_out_as_exact_fp32_rows(tiny_models_dir):
    from attnviz.checkpoint import EMBEDDINGS, embed

    bundle = load_bundle(tiny_models_dir / "general")
    for name, w in bundle.weights.items():  # half the memory: the tables a step reads a few rows of
        assert w.dtype == (np.float16 if name in EMBEDDINGS else np.float32), name
    table = bundle.weights["decoder.emb.weight"]
    rows = embed(table, [3, 1, 3])
    assert rows.dtype == np.float32 and rows.shape == (3, table.shape[1])
    np.testing.assert_array_equal(rows, table[[3, 1, 3]].astype(np.float64))  # widened, not rounded
