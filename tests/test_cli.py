"""The translate / evaluate / bench / train command lines, run as a user would run them."""
import json
import re
import subprocess
import sys

import pytest

from attnviz.checkpoint import load_bundle


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "attnviz", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_translate_json_has_the_documented_shape(tiny_models_dir):
    r = run("translate", "The white car.", "--json", "--models", str(tiny_models_dir))
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["source"] == "The white car." and [x["scorer"] for x in obj["results"]] == [
        "dot", "general", "concat", "none", "transformer"]
    for res in obj["results"]:
        t, s = len(res["target_tokens"]), len(res["source_tokens"])
        assert len(res["topk"]) == t and all(0 <= k["prob"] <= 1 for k in res["topk"][0])
        if res["scorer"] == "none":
            assert res["weights"] is None and res["scores"] is None
        else:
            assert len(res["weights"]) == t and len(res["weights"][0]) == s
            assert abs(sum(res["weights"][0]) - 1) < 1e-4


def test_translate_input_file_forces_french_and_reports_bad_lines(tiny_models_dir, tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("The dog is big.\tLe chien est grand.\n\n \tLe chien.\nThe cat sleeps.\n", encoding="utf-8")
    r = run("translate", "--input", str(f), "--scorer", "concat", "--block", "0", "--json",
            "--models", str(tiny_models_dir))
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 1 and len(lines) == 3
    # forced words show as the model writes them (lowercase when known), so compare case-insensitively
    assert [w.lower() for w in lines[0]["results"][0]["target_tokens"]] == ["le", "chien", "est", "grand", ".",
                                                                           "<eos>"]
    assert all(row[0] == 0 for row in lines[0]["results"][0]["weights"])  # position 0 blocked
    assert "error" in lines[1] and "results" in lines[2]


@pytest.mark.parametrize("args, message", [
    (["translate", ""], "no English word"),
    (["translate", "hi", "--scorer", "luong"], "no bundle for scorer"),
    (["translate", "hi", "--block", "x"], "--block"),
    (["translate", "hi", "--beam", "0"], "--beam"),
    (["translate"], "one English sentence"),
])
def test_translate_bad_input_exits_non_zero_with_a_message_not_a_traceback(tiny_models_dir, args, message):
    r = run(*args, "--models", str(tiny_models_dir))
    assert r.returncode != 0 and message in r.stderr and "Traceback" not in r.stderr


def test_translate_readable_table(tiny_models_dir):
    r = run("translate", "I'm cold.", "--scorer", "dot", "--beam", "3", "--models", str(tiny_models_dir))
    assert r.returncode == 0 and r.stdout.startswith("I'm cold.\n[dot] ") and "looked at" in r.stdout


def test_missing_models_folder_is_a_clear_error(tmp_path):
    r = run("translate", "hi", "--models", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "nowhere" in r.stderr and "Traceback" not in r.stderr


def synthetic_pairs() -> str:
    """252 distinct made-up pairs, enough for every split of the hash-based train/valid/test split."""
    subjects = [("I", "Je vois"), ("We", "Nous voyons"), ("They", "Ils voient"), ("You", "Tu vois"),
                ("He", "Il voit"), ("She", "Elle voit")]
    nouns = [("cat", "chat"), ("dog", "chien"), ("book", "livre"), ("bike", "vélo"), ("pen", "stylo"),
             ("truck", "camion")]
    colours = [("white", "blanc"), ("black", "noir"), ("red", "rouge"), ("green", "vert"), ("blue", "bleu"),
               ("yellow", "jaune"), ("grey", "gris")]
    return "".join(f"{se} see{'s' if se in ('He', 'She') else ''} the {ce} {ne}.\t{sf} le {nf} {cf}.\n"
                   for se, sf in subjects for ne, nf in nouns for ce, cf in colours)


def test_train_resume_and_evaluate_on_a_fixture(tmp_path):
    data = tmp_path / "pairs.tsv"
    data.write_text(synthetic_pairs(), encoding="utf-8")
    common = ["train", "--scorer", "dot", "--data", str(data), "--out", str(tmp_path / "m" / "dot"),
              "--run-dir", str(tmp_path / "runs"), "--src-min-freq", "1", "--tgt-min-freq", "1",
              "--batch-tokens", "200"]
    r = run(*common, "--epochs", "1")
    assert r.returncode == 0, r.stderr
    r = run(*common, "--epochs", "2", "--resume")
    assert r.returncode == 0 and "resumed after epoch 1" in r.stderr
    card = load_bundle(tmp_path / "m" / "dot").card
    assert [h["epoch"] for h in card["history"]] == [1, 2]
    assert card["history"][1]["train_loss"] < card["history"][0]["train_loss"]
    r = run("evaluate", "--models", str(tmp_path / "m"), "--data", str(data), "--beam", "2",
            "--outputs", str(tmp_path / "everyday-outputs.tsv"))  # not the checkout's artifacts/
    assert r.returncode == 0, r.stderr
    assert "dot" in r.stdout and "AER" in r.stdout
    assert "bleu_greedy" in load_bundle(tmp_path / "m" / "dot").card["metrics"]
    tested = load_bundle(tmp_path / "m" / "dot").card["metrics"]
    r = run("evaluate", "--models", str(tmp_path / "m"), "--data", str(data), "--beam", "1", "--split", "valid",
            "--everyday", "")
    assert r.returncode == 0, r.stderr
    assert "dot" in r.stdout and load_bundle(tmp_path / "m" / "dot").card["metrics"] == tested  # the card keeps the test's


def test_bench_prints_every_figure(tiny_models_dir):
    r = run("bench", "--models", str(tiny_models_dir), "--repeats", "3", "--train-seconds", "0")
    assert r.returncode == 0, r.stderr
    for figure in ("load all bundles", "trace, all scorers", "RSS"):
        assert figure in r.stdout


def test_trace_bench_prints_the_ratio_and_the_same_steps_comparison(tiny_models_dir):
    r = run("bench", "--trace-only", "--repeats", "2", "--models", str(tiny_models_dir))
    assert r.returncode == 0, r.stderr
    assert "transformer / general:" in r.stdout
    steps = re.search(r"output steps\s+: general (\d+), transformer (\d+)", r.stdout)
    forced = re.search(r"French forced\s+: general [\d.]+ ms, transformer [\d.]+ ms: [\d.]+x \((\d+) steps each\)",
                       r.stdout)
    assert steps and forced and int(forced.group(1)) >= 2, r.stdout
