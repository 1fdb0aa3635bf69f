"""A battery of 1,000 odd inputs (odd_inputs.py) through the core and the CLI, on the bundled models.

Pass means: no exception but ValueError (with a message), no non-finite number anywhere in a Trace,
and from the CLI one valid UTF-8 JSON record per file line, none lost, no NaN.
"""
import json
import subprocess
import sys

import numpy as np
import pytest

from attnviz.checkpoint import DEFAULT_MODELS_DIR, load_all
from attnviz.trace import Trace, trace_translation
from odd_inputs import FRENCH, odd_inputs

N = 1000
INPUTS = odd_inputs(N, seed=8)


@pytest.fixture(scope="module")
def bundles():
    return load_all(DEFAULT_MODELS_DIR)


def check_trace(t: Trace) -> None:
    """Every array finite and of the documented shape; every string writable as UTF-8."""
    T, S = t.num_steps, len(t.src_tokens)
    for name in ("enc_out", "dec_states", "scores", "weights", "contexts", "topk_probs", "chosen_probs"):
        a = getattr(t, name)
        if a is not None:
            assert np.isfinite(a).all(), (name, t.source)
    assert t.enc_out.shape[0] == S and t.dec_states.shape[0] == T and len(t.topk_tokens) == T
    if t.weights is not None:
        assert t.weights.shape == t.scores.shape == (T, S)
        np.testing.assert_allclose(t.weights.sum(axis=1), 1.0, atol=1e-5)
        assert (t.weights[:, list(t.blocked)] == 0).all()
    for text in (t.translation, *t.src_tokens, *t.tgt_tokens, *(w for row in t.topk_tokens for w in row)):
        text.encode("utf-8")  # no lone surrogate reaches a token


def trace_or_refuse(bundle, sentence: str, **kw) -> bool:
    """True if traced (and checked), False if refused with a ValueError that says something."""
    try:
        t = trace_translation(bundle, sentence, **kw)
    except ValueError as e:
        assert str(e).strip(), repr(sentence)
        return False
    check_trace(t)
    return True


def test_core_greedy_on_every_bundled_model(bundles):
    assert len(INPUTS) >= 1000 and len(bundles) == 5
    for b in bundles.values():
        traced = sum(trace_or_refuse(b, s) for s in INPUTS)
        assert traced >= N // 3, (b.scorer, traced)  # most odd inputs still hold a word to translate


def test_core_beam_forced_and_blocked_on_odd_inputs(bundles):
    dot, concat = bundles["dot"], bundles["concat"]
    every = INPUTS[::10]
    assert sum(trace_or_refuse(concat, s, beam=3) for s in every) >= len(every) // 3
    assert sum(trace_or_refuse(dot, s, blocked=(0,)) for s in every) >= len(every) // 3
    assert sum(trace_or_refuse(dot, s, target=FRENCH[i % len(FRENCH)]) for i, s in enumerate(every)) > 0
    # the odd inputs as the forced French side too
    assert sum(trace_or_refuse(concat, "I see the white car.", target=s) for s in INPUTS[5::10]) >= 30


def no_constants(name: str):
    raise AssertionError(f"{name} in the JSON output")


def test_cli_gives_one_valid_record_per_line_and_loses_nothing(tmp_path):
    # One file line per input: "\n" would end the line, and an empty line is skipped, so those are
    # replaced; lone surrogates go in as the bytes Python would write for them (not UTF-8).
    lines = [s.replace("\n", " ") if s.strip("\r") else " " for s in INPUTS]
    f = tmp_path / "odd.txt"
    f.write_bytes(b"\n".join(line.encode("utf-8", "surrogatepass") for line in lines) + b"\n")
    r = subprocess.run([sys.executable, "-m", "attnviz", "translate", "--input", str(f), "--json",
                        "--scorer", "concat"], capture_output=True, timeout=300)
    err = r.stderr.decode("utf-8")
    assert r.returncode == 1 and "Traceback" not in err  # 1: some lines are refused
    out = [json.loads(x, parse_constant=no_constants) for x in r.stdout.decode("utf-8").split("\n") if x]
    assert [o["line"] for o in out] == list(range(1, N + 1))
    translated = 0
    for o, line in zip(out, lines):
        utf8 = not any("\ud800" <= c <= "\udfff" for c in line)
        if not utf8:
            assert "not valid UTF-8" in o["error"] and f"odd.txt, line {o['line']}" in o["error"]
        elif "error" in o:
            assert o["source"] == line.removesuffix("\r") and o["error"].strip()
        else:
            translated += 1
            res = o["results"][0]
            assert o["source"] == line.partition("\t")[0] and res["scorer"] == "concat"
            assert len(res["weights"]) == len(res["target_tokens"]) and len(res["topk"]) == len(res["weights"])
            assert all(abs(sum(row) - 1) < 1e-4 for row in res["weights"])
    assert translated >= N // 3


def test_cli_table_mode_survives_the_same_file_with_beam_and_block_on_every_model(tmp_path):
    lines = [s.replace("\n", " ").replace("\r", " ") or " " for s in INPUTS[::4]]
    f = tmp_path / "odd.txt"
    f.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    r = subprocess.run([sys.executable, "-m", "attnviz", "translate", "--input", str(f), "--beam", "2",
                        "--block", "1"], capture_output=True, timeout=300)
    out, err = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")
    assert r.returncode == 1 and "Traceback" not in err
    errors = [x for x in err.split("\n") if x.startswith("error: ")]
    blocks = {name: out.count(f"\n[{name}] ") for name in ("dot", "general", "concat", "none")}
    assert len(set(blocks.values())) == 1, blocks  # every line through every model, or refused once
    assert len(errors) + blocks["dot"] == len(lines) and blocks["dot"] >= len(lines) // 3
