"""The paired bootstrap of benchmarks/everyday_bootstrap.py on sentences written here."""
from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "everyday_bootstrap.py"
spec = importlib.util.spec_from_file_location("everyday_bootstrap", SCRIPT)
boot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(boot)

REFS = [["Le chat dort sur le lit."], ["Marie a deux chiens.", "Marie possède deux chiens."],
        ["Nous partons demain matin."], ["Il fait très froid ce soir."], ["Où est la gare ?"]]
RIGHT = ["Le chat dort sur le lit.", "Marie a deux chiens.", "Nous partons demain matin.",
         "Il fait très froid ce soir.", "Où est la gare ?"]
WRONG = ["Le chien mange.", "Paul a un chat.", "Vous restez ici.", "Il pleut.", "Qui est là ?"]


def test_the_same_outputs_differ_by_nothing_in_every_resample():
    delta, lo, hi, ahead = boot.paired_bootstrap(RIGHT, RIGHT, REFS, resamples=50, seed=1)
    assert delta == lo == hi == 0.0 and ahead == 0.0


def test_the_references_themselves_are_ahead_of_wrong_outputs_in_every_resample():
    delta, lo, hi, ahead = boot.paired_bootstrap(RIGHT, WRONG, REFS, resamples=50, seed=1)
    assert delta > 90 and 0 < lo <= hi and ahead == 1.0
    back = boot.paired_bootstrap(WRONG, RIGHT, REFS, resamples=50, seed=1)
    assert back[0] == -delta and back[3] == 0.0
