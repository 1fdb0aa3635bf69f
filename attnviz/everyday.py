"""The everyday test set (resources/everyday_en_fr.tsv): sentences a class types, written by hand, none from
Tatoeba. BLEU and chrF on it, the share of sentences whose names and numbers all come through, and the
outputs written out for a French reader to judge. evaluate.py runs it beside the Tatoeba test.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .text import is_number, tokenize_en, tokenize_fr

DEFAULT_EVERYDAY = Path(__file__).resolve().parent / "resources" / "everyday_en_fr.tsv"

# French words for the numbers a translation may spell out ("3" -> "trois" is as right as "3").
FRENCH_NUMBERS = dict(enumerate(
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "dix-sept dix-huit dix-neuf vingt".split()))
FRENCH_NUMBERS.update({30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante", 100: "cent", 1000: "mille"})


@dataclass(frozen=True)
class Item:
    category: str
    en: str
    refs: tuple[str, ...]  # one or two French references


def load_everyday(path: str | Path = DEFAULT_EVERYDAY) -> list[Item]:
    """category<TAB>English<TAB>French[<TAB>French] lines; # starts a comment."""
    items = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cols = [c.strip() for c in line.split("\t")]
        if line.startswith("#") or len(cols) < 3:
            continue
        items.append(Item(cols[0], cols[1], tuple(c for c in cols[2:] if c)))
    return items


def _digits(token: str) -> str:
    return "".join(c for c in token if c.isdigit())


def must_keep(item: Item) -> list[str]:
    """The English names and numbers a translation must carry over: numbers, and capitalised words
    that a reference writes the same way, capital included ("Marie", "Lyon"; not "Spanish" -> "espagnol",
    nor a sentence's first word "On" because a reference has the pronoun "on")."""
    ref_words = {t for r in item.refs for t in tokenize_fr(r)}
    ref_numbers = {_digits(t) for r in item.refs for t in tokenize_fr(r) if is_number(t)}
    keep = []
    for tok in tokenize_en(item.en):
        if is_number(tok) and _digits(tok) in ref_numbers:
            keep.append(tok)
        elif tok[:1].isupper() and tok in ref_words and tok != "I":
            keep.append(tok)
    return keep


def came_through(token: str, hypothesis: str) -> bool:
    """Whether an English name or number is in the French output (a number in digits or in words)."""
    words = tokenize_fr(hypothesis)
    if is_number(token):
        value = _digits(token)
        spelled = FRENCH_NUMBERS.get(int(value)) if value.isdigit() and len(value) < 5 else None
        return any(is_number(w) and _digits(w) == value for w in words) or (
            spelled is not None and spelled in {w.casefold() for w in words})
    return token.casefold() in {w.casefold() for w in words}


def kept_share(items: Sequence[Item], hyps: Sequence[str]) -> tuple[float, int]:
    """(share of the sentences with names or numbers whose names and numbers all came through, how many had any)."""
    checked = [(must_keep(it), h) for it, h in zip(items, hyps) if must_keep(it)]
    ok = sum(all(came_through(tok, h) for tok in keep) for keep, h in checked)
    return (round(ok / len(checked), 4) if checked else 1.0), len(checked)


def evaluate_everyday(
    items: Sequence[Item], greedy: Sequence[str], beamed: Sequence[str] | None,
    bleu_chrf: Callable[[list[str], list[list[str]]], tuple[float, float]],
) -> dict:
    """The card's metrics["everyday"]: BLEU/chrF greedy (and beam), names-and-numbers share."""
    refs = [list(it.refs) for it in items]
    bleu, chrf = bleu_chrf(list(greedy), refs)
    share, checked = kept_share(items, greedy)
    out = {"sentences": len(items), "bleu_greedy": bleu, "chrf_greedy": chrf,
           "names_numbers_kept_greedy": share, "sentences_with_names_numbers": checked}
    if beamed is not None:
        bleu_b, chrf_b = bleu_chrf(list(beamed), refs)
        out.update({"bleu_beam": bleu_b, "chrf_beam": chrf_b, "names_numbers_kept_beam": kept_share(items, beamed)[0]})
    return out


def write_outputs(path: Path, items: Sequence[Item], outputs: dict[str, Sequence[str]]) -> None:
    """One row per sentence: category, English, first reference, then each model's output, for a French reader."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["category", "english", "reference", *outputs])
        for i, it in enumerate(items):
            w.writerow([it.category, it.en, it.refs[0], *(outs[i] for outs in outputs.values())])
