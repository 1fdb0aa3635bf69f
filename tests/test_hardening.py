"""Issue #8, hardening: each test here failed (traceback, silent loss or a wrong answer) before its fix."""
import json
import logging
import os
import shutil
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file, save_file

from attnviz import trace as trace_module
from attnviz.__main__ import main as cli
from attnviz.checkpoint import BundleError, load_all, load_all_report, load_bundle, read_card, write_card
from attnviz.translate import MAX_TARGET_CHARS, parse_block, read_lines
from odd_inputs import LINE_BREAKS


def run_bytes(*args, env=None):
    """The CLI as a user runs it, arguments as raw bytes (a terminal can pass any bytes)."""
    return subprocess.run([sys.executable, "-m", "attnviz", *args], capture_output=True, timeout=300,
                          env={**os.environ, **(env or {})})


def records(out: str) -> list[dict]:
    """JSON lines, split at "\\n" only (U+2028 inside a JSON string is legal)."""
    return [json.loads(line) for line in out.split("\n") if line]


@pytest.fixture
def models(tmp_path, tiny_models_dir):
    """A private copy of the tiny bundles, free to break."""
    folder = tmp_path / "models"
    shutil.copytree(tiny_models_dir, folder)
    return folder


# --input: one file line, one record ------------------------------------------------------------


def test_a_file_line_is_one_record_whatever_separators_it_holds(tiny_models_dir, tmp_path, capsys):
    f = tmp_path / "in.txt"
    lines = [f"The{sep}dog is big." for sep in LINE_BREAKS] + ["The cat sleeps."]
    f.write_bytes("\r\n".join(lines).encode("utf-8") + b"\r\n")  # \r\n line ends are tolerated
    status = cli(["translate", "--input", str(f), "--scorer", "dot", "--json", "--models", str(tiny_models_dir)])
    out = records(capsys.readouterr().out)
    assert status == 0 and len(out) == len(lines) == 9
    assert [r["line"] for r in out] == list(range(1, 10))
    assert [r["source"] for r in out] == lines  # each separator kept inside its record, no \r left


def test_one_undecodable_byte_costs_one_line_and_the_error_names_file_and_line(tiny_models_dir, tmp_path, capsys):
    f = tmp_path / "mixed.txt"
    f.write_bytes(b"\xef\xbb\xbfThe dog is big.\nThe caf\xe9 is big.\n\nThe cat sleeps.\n\xff\xfe\n")
    status = cli(["translate", "--input", str(f), "--scorer", "concat", "--json", "--models", str(tiny_models_dir)])
    out = records(capsys.readouterr().out)
    assert status == 1 and [r["line"] for r in out] == [1, 2, 4, 5]  # line 3 is empty
    assert out[0]["source"] == "The dog is big." and "results" in out[0]  # the BOM is not part of the text
    assert "results" in out[2]
    for bad in (out[1], out[3]):
        assert "results" not in bad and "mixed.txt" in bad["error"] and f"line {bad['line']}" in bad["error"]
        assert "UTF-8" in bad["error"]
    assert out[1]["source"] == "The caf\\xe9 is big." and "0xe9" in out[1]["error"]


def test_read_lines_splits_at_newline_only(tmp_path):
    f = tmp_path / "x.txt"
    f.write_bytes("a\u2028b\x0bc\r\n\r\nd\x85\re".encode("utf-8"))
    assert read_lines(str(f)) == [(1, "a\u2028b\x0bc", ""), (3, "d\x85\re", "")]


def test_an_unreadable_input_file_is_a_message(tiny_models_dir, tmp_path, capsys):
    assert cli(["translate", "--input", str(tmp_path), "--models", str(tiny_models_dir)]) == 2
    assert "cannot read --input" in capsys.readouterr().err


# Command-line arguments that are not UTF-8 -------------------------------------------------------


@pytest.mark.parametrize("args", [[b"caf\xe9"], [b"The dog.", b"--target", b"Le chien \xe9."],
                                  [b"The dog.", b"--block", b"\xff"]])
def test_a_non_utf8_argument_is_refused_with_a_message(tiny_models_dir, args):
    r = run_bytes("translate", *args, "--json", "--models", str(tiny_models_dir))
    err = r.stderr.decode("utf-8")
    assert r.returncode == 2 and r.stdout == b""
    assert "not valid UTF-8" in err and "Traceback" not in err


def test_output_stays_valid_when_stdout_is_not_utf8(tiny_models_dir):
    r = run_bytes("translate", "Le café 東京 \U0001F600.", "--scorer", "dot", "--json", "--models",
                  str(tiny_models_dir), env={"PYTHONIOENCODING": "latin-1"})
    assert r.returncode == 0 and r.stdout.isascii()
    assert json.loads(r.stdout)["source"] == "Le café 東京 \U0001F600."
    r = run_bytes("translate", "Le café 東京.", "--scorer", "dot", "--models", str(tiny_models_dir),
                  env={"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0 and b"Traceback" not in r.stderr and b"\\u6771" in r.stdout


# --block and --beam: ASCII positions only --------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\u0663", "\uff11", "1,,2", "0,", "-1", "x", "1.5", "1;2", "²"])
def test_parse_block_rejects_what_is_not_a_list_of_positions(text):
    with pytest.raises(ValueError, match="--block"):
        parse_block(text)


def test_parse_block_reads_zero_based_positions():
    assert parse_block(None) == () and parse_block("3") == (3,) and parse_block(" 0, 2 ,5") == (0, 2, 5)


@pytest.mark.parametrize("args", [["--block", " "], ["--block", "\u0663"], ["--beam", "\u0663"], ["--beam", "2.0"]])
def test_odd_block_or_beam_exits_with_a_message(tiny_models_dir, args, capsys):
    try:
        status = cli(["translate", "The dog is big.", *args, "--models", str(tiny_models_dir)])
    except SystemExit as e:  # argparse's own error exit
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and args[0] in err


# Bundles: missing halves, short vocabularies, non-finite weights ---------------------------------


def test_a_bundle_missing_one_file_is_reported_and_the_rest_load(models, capsys, caplog):
    (models / "general.safetensors").unlink()
    (models / "concat.json").unlink()
    bundles, problems = load_all_report(models)
    assert list(bundles) == ["dot", "none", "transformer"] and len(problems) == 2
    assert "general.safetensors" in problems[0] and "concat.json" in problems[1]
    with caplog.at_level(logging.WARNING):
        assert list(load_all(models)) == ["dot", "none", "transformer"]
    assert "general.safetensors" in caplog.text and "concat.json" in caplog.text
    assert cli(["translate", "The dog is big.", "--json", "--models", str(models)]) == 0
    captured = capsys.readouterr()
    assert [r["scorer"] for r in json.loads(captured.out)["results"]] == ["dot", "none", "transformer"]
    assert "warning: weights not found" in captured.err and "general.safetensors" in captured.err
    assert "concat.json" in captured.err


def test_no_loadable_bundle_lists_every_problem(models):
    for f in models.glob("*.safetensors"):
        f.unlink()
    with pytest.raises(BundleError, match="dot.safetensors.*none.safetensors"):
        load_all_report(models)


def test_a_second_bundle_for_one_scorer_is_reported(models):
    shutil.copy(models / "dot.json", models / "dot2.json")
    shutil.copy(models / "dot.safetensors", models / "dot2.safetensors")
    bundles, problems = load_all_report(models)
    assert list(bundles) == ["dot", "general", "concat", "none", "transformer"]
    assert len(problems) == 1 and "dot2.json" in problems[0] and "'dot'" in problems[0]


@pytest.mark.parametrize("vocab", ["src_vocab", "tgt_vocab"])
def test_a_vocabulary_shorter_than_the_embedding_is_refused(models, vocab, capsys):
    card = read_card(models / "dot.json")
    card[vocab]["tokens"] = card[vocab]["tokens"][:-3]
    write_card(models / "dot.json", card)
    with pytest.raises(BundleError, match=rf"dot\.json.*{vocab} has \d+ tokens"):
        load_bundle(models / "dot")
    assert cli(["translate", "The dog is big.", "--scorer", "dot", "--models", str(models)]) == 2
    err = capsys.readouterr().err
    assert "warning: model card" in err and "dot.json" in err and "no bundle for scorer 'dot'" in err


def test_a_card_whose_sizes_disagree_with_the_weights_is_refused(models):
    card = read_card(models / "general.json")
    card["tgt_vocab"]["tokens"] = card["tgt_vocab"]["tokens"][:-3]
    card["config"]["tgt_vocab_size"] -= 3  # consistent card, but the weights have 3 more rows
    write_card(models / "general.json", card)
    with pytest.raises(BundleError, match=r"general\.safetensors.*decoder\.emb\.weight has shape"):
        load_bundle(models / "general")


@pytest.mark.parametrize("card_change", [
    {"hidden": -4}, {"src_vocab_size": "10"}, {"softmax_cutoffs": [20, 10]}, {"scorer": "luong"}])
def test_a_card_with_an_impossible_config_is_refused(models, card_change):
    card = read_card(models / "dot.json")
    card["config"].update(card_change)
    write_card(models / "dot.json", card)
    with pytest.raises(BundleError, match=r"dot\.json"):
        load_bundle(models / "dot")


@pytest.mark.parametrize("poison", ["all-nan", "one-inf"])
def test_non_finite_weights_are_refused_at_load(models, poison):
    path = models / "concat.safetensors"
    tensors = load_file(str(path))
    if poison == "all-nan":
        tensors = {k: torch.full_like(v, float("nan")) for k, v in tensors.items()}
    else:
        tensors["decoder.combine.weight"][3, 4] = float("inf")
    save_file(tensors, str(path))
    with pytest.raises(BundleError, match=r"concat\.safetensors.*non-finite"):
        load_bundle(path)
    bundles, problems = load_all_report(models)
    assert "concat" not in bundles and "concat.safetensors" in problems[0]


@pytest.mark.parametrize("change", ["drop", "extra", "integer"])
def test_weights_with_other_tensors_are_refused(models, change):
    path = models / "none.safetensors"
    tensors = load_file(str(path))
    if change == "drop":
        del tensors["decoder.combine.bias"]
    elif change == "extra":
        tensors["decoder.bonus"] = torch.zeros(2, dtype=torch.float16)
    else:
        tensors["decoder.combine.bias"] = tensors["decoder.combine.bias"].to(torch.int16)
    save_file(tensors, str(path))
    with pytest.raises(BundleError, match=r"none\.safetensors"):
        load_bundle(path)


# Over-long text: one clean error record ----------------------------------------------------------


def test_an_over_long_forced_target_is_a_message_not_a_long_wait(tiny_models_dir, capsys):
    long = "mot " * 25_000  # 100,000 characters
    assert cli(["translate", "The dog is big.", "--target", long, "--models", str(tiny_models_dir)]) == 2
    assert "limit" in capsys.readouterr().err


def test_over_long_lines_get_one_error_record_each(tiny_models_dir, tmp_path, capsys):
    f = tmp_path / "long.txt"
    f.write_text("The dog is big.\nThe dog.\t" + "chien " * 20_000 + "\n" + "a" * 50_000 + "\nThe cat sleeps.\n",
                 encoding="utf-8")
    status = cli(["translate", "--input", str(f), "--scorer", "dot", "--json", "--models", str(tiny_models_dir)])
    out = records(capsys.readouterr().out)
    assert status == 1 and [r["line"] for r in out] == [1, 2, 3, 4]
    assert "results" in out[0] and "results" in out[3]
    assert "limit" in out[1]["error"] and "limit" in out[2]["error"] and "line 2" in out[1]["error"]


@pytest.mark.skipif(not hasattr(trace_module, "MAX_TARGET_CHARS"), reason="the core's caps are not in trace.py yet")
def test_the_core_refuses_an_over_long_forced_target(tiny_bundle):
    with pytest.raises(ValueError, match="\\S"):
        trace_module.trace_translation(tiny_bundle, "The dog.", target="mot " * 25_000)
    assert MAX_TARGET_CHARS == trace_module.MAX_TARGET_CHARS  # the CLI and the core agree
