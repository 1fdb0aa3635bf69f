"""Evaluation CLI: python -m attnviz evaluate — BLEU, chrF, BLEU per length, AER and attention
entropy for every bundle in models/, written into each model card and printed as a table.
"""
from __future__ import annotations

import argparse
import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import sacrebleu
import torch

from .alignment import DEFAULT_ALIGNMENTS, AlignedPair, alignment_error_rate, argmax_links, load_aligned_pairs
from .architectures import is_transformer
from .checkpoint import DEFAULT_MODELS_DIR, Bundle, bundle_paths, load_bundle, read_card, write_card
from .config import DEFAULT_DATA, TrainConfig
from .data import read_pairs, references_by_source, split_pairs
from .everyday import DEFAULT_EVERYDAY, Item, evaluate_everyday, load_everyday, write_outputs
from .heads_eval import choose_head, dev_split, format_head_table, head_table
from .text import LENGTH_BUCKETS, word_count
from .torchdecode import greedy_batch
from .trace import trace_translation

log = logging.getLogger(__name__)

ENTROPY_SAMPLE = 300  # test sentences traced for the mean attention entropy


def reference_streams(refs: list[list[str]]) -> list[list[str | None]]:
    """Per-sentence references as sacrebleu's streams: stream i holds each sentence's i-th reference (None
    where a sentence has fewer)."""
    width = max(len(r) for r in refs)
    return [[r[i] if i < len(r) else None for r in refs] for i in range(width)]


def bleu_chrf(hyps: list[str], refs: list[list[str]]) -> tuple[float, float]:
    """Corpus BLEU and chrF (sacrebleu defaults, detokenised text) against all references."""
    streams = reference_streams(refs)
    return (round(sacrebleu.corpus_bleu(hyps, streams).score, 2),
            round(sacrebleu.corpus_chrf(hyps, streams).score, 2))


def bleu_by_length(sources: list[str], hyps: list[str], refs: list[list[str]]) -> dict[str, float]:
    out = {}
    for lo, hi, name in LENGTH_BUCKETS:
        idx = [i for i, s in enumerate(sources) if lo <= word_count(s) <= hi]
        if idx:
            out[name] = bleu_chrf([hyps[i] for i in idx], [refs[i] for i in idx])[0]
    return out


def forced_aer(bundle: Bundle, gold: list[AlignedPair]) -> float | None:
    """AER of argmax attention under forced decoding of the gold French (the <eos> row dropped)."""
    if bundle.scorer == "none":
        return None
    pred = [argmax_links(trace_translation(bundle, p.en, target=p.fr).weights[:-1]) for p in gold]
    return round(alignment_error_rate(pred, gold), 4)


def mean_entropy(bundle: Bundle, sources: list[str]) -> float | None:
    """Mean entropy (nats) of the attention weights per output step over greedy traces."""
    if bundle.scorer == "none":
        return None
    ents = []
    for s in sources:
        w = trace_translation(bundle, s).weights  # (T, S)
        ents.extend((-(w * np.log(np.clip(w, 1e-12, 1))).sum(-1)).tolist())
    return round(float(np.mean(ents)), 4)


def evaluate_bundle(bundle: Bundle, refs_by_src: dict[str, list[str]], gold: list[AlignedPair],
                    beam: int, batch_size: int = 64) -> dict:
    """Every metric for one bundle, as stored under card['metrics']."""
    sources = sorted(refs_by_src)
    refs = [refs_by_src[s] for s in sources]
    t0 = time.monotonic()
    greedy = [h for i in range(0, len(sources), batch_size)
              for h in greedy_batch(bundle, sources[i:i + batch_size])]
    bleu, chrf = bleu_chrf(greedy, refs)
    metrics = {"test_sentences": len(sources), "test_references": sum(len(r) for r in refs),
               "bleu_greedy": bleu, "chrf_greedy": chrf,
               "bleu_by_length_greedy": bleu_by_length(sources, greedy, refs)}
    if beam > 1:
        beamed = [trace_translation(bundle, s, beam=beam).translation for s in sources]
        metrics.update({f"bleu_beam{beam}": (b := bleu_chrf(beamed, refs))[0], f"chrf_beam{beam}": b[1],
                        f"bleu_by_length_beam{beam}": bleu_by_length(sources, beamed, refs)})
    metrics["aer"] = forced_aer(bundle, gold)
    metrics["aer_held_out"] = forced_aer(bundle, dev_split(gold)[1])  # the half no head was chosen on
    metrics["attention_entropy"] = mean_entropy(bundle, sources[:: max(1, len(sources) // ENTROPY_SAMPLE)])
    metrics["seconds"] = round(time.monotonic() - t0, 1)
    return metrics


def translate_everyday(bundle: Bundle, items: list[Item], beam: int, batch_size: int = 64) -> dict[str, list[str]]:
    """Greedy (and beam) translations of the everyday sentences: {"greedy": [...], "beam": [...]}."""
    sources = [it.en for it in items]
    out = {"greedy": [h for i in range(0, len(sources), batch_size)
                      for h in greedy_batch(bundle, sources[i:i + batch_size])]}
    if beam > 1:
        out["beam"] = [trace_translation(bundle, s, beam=beam).translation for s in sources]
    return out


def format_everyday_table(rows: list[tuple[str, dict]], beam: int) -> str:
    head = (f"{'scorer':11} {'BLEU':>6} {'chrF':>6} {f'BLEU b{beam}':>8} {f'chrF b{beam}':>8} "
            f"{'names+numbers kept':>19} {f'(b{beam})':>6}")
    lines = [head, "-" * len(head)]
    num = lambda v, w, f: "-".rjust(w) if v is None else format(v, f">{w}{f}")  # noqa: E731
    for scorer, e in rows:
        lines.append(f"{scorer:11} {num(e['bleu_greedy'], 6, '.2f')} {num(e['chrf_greedy'], 6, '.2f')} "
                     f"{num(e.get('bleu_beam'), 8, '.2f')} {num(e.get('chrf_beam'), 8, '.2f')} "
                     f"{num(e['names_numbers_kept_greedy'], 19, '.1%')} {num(e.get('names_numbers_kept_beam'), 6, '.1%')}")
    n = rows[0][1] if rows else {}
    lines.append(f"({n.get('sentences', 0)} everyday sentences written by hand; names and numbers: the share of the "
                 f"{n.get('sentences_with_names_numbers', 0)} sentences that have any whose names and numbers all came through)")
    return "\n".join(lines)


def format_table(rows: list[tuple[str, dict]], beam: int) -> str:
    head = f"{'scorer':11} {'BLEU':>6} {'chrF':>6} {f'BLEU b{beam}':>8} {'AER':>6} {'AER ho':>6} {'entropy':>8} " + " ".join(
        f"{name:>6}" for *_, name in LENGTH_BUCKETS)
    lines = [head, "-" * len(head)]
    fmt = lambda v, w: f"{v:>{w}.2f}" if isinstance(v, (int, float)) else f"{'-':>{w}}"  # noqa: E731
    for scorer, m in rows:
        by_len = m.get(f"bleu_by_length_beam{beam}") or m["bleu_by_length_greedy"]
        lines.append(f"{scorer:11} {fmt(m['bleu_greedy'], 6)} {fmt(m['chrf_greedy'], 6)} "
                     f"{fmt(m.get(f'bleu_beam{beam}'), 8)} {fmt(m['aer'], 6)} {fmt(m.get('aer_held_out'), 6)} "
                     f"{fmt(m['attention_entropy'], 8)} "
                     + " ".join(fmt(by_len.get(name), 6) for *_, name in LENGTH_BUCKETS))
    lines.append(f"(BLEU/chrF: sacrebleu defaults, all references; by-length columns use "
                 f"{'beam ' + str(beam) if beam > 1 else 'greedy'}; AER on the hand-aligned set, AER ho on its "
                 "held-out half: the transformer's shown head was chosen on the other half)")
    return "\n".join(lines)


def add_evaluate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", default=str(DEFAULT_MODELS_DIR), help="folder of bundles")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="English<TAB>French pairs (test split used)")
    p.add_argument("--alignments", default=str(DEFAULT_ALIGNMENTS))
    p.add_argument("--beam", type=int, default=5, help="beam width for the beam-search BLEU (1: skip)")
    p.add_argument("--limit", type=int, default=0, help="evaluate on the first N test sentences only")
    p.add_argument("--split", choices=("test", "valid"), default="test",
                   help="valid: score the validation sentences instead (to compare training runs; implies --no-write)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads; 1 suits one-sentence beam search, and two runs can share 2 cores")
    p.add_argument("--only", help="comma-separated scorers to evaluate (default: every bundle)")
    p.add_argument("--no-write", action="store_true", help="print only; leave the model cards as they are")
    p.add_argument("--everyday", default=str(DEFAULT_EVERYDAY), help="hand-written everyday test set ('' to skip)")
    p.add_argument("--outputs", default="artifacts/everyday-outputs.tsv",
                   help="where the everyday sentences' translations go, for a French reader to judge")


def main(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    paths = bundle_paths(args.models)
    if args.only:
        paths = [p for p in paths if p.stem in args.only.split(",")]
    if not paths:
        raise SystemExit(f"no bundles to evaluate in {args.models}")
    write = not args.no_write and args.split == "test"  # the cards' metrics are the test's
    test = getattr(split_pairs(read_pairs(args.data, TrainConfig.max_len)), args.split)
    refs = references_by_source(test)
    if args.limit:
        refs = dict(sorted(refs.items())[: args.limit])
    gold = load_aligned_pairs(args.alignments)
    everyday = load_everyday(args.everyday) if args.everyday else []
    rows, outputs = [], {}
    for path in paths:
        bundle = load_bundle(path)
        head_lines = ""
        if is_transformer(bundle.cfg):
            bundle = _with_chosen_head(bundle, gold, write=write)
            chosen = (bundle.cfg.attention_layer, bundle.cfg.attention_head)
            table = head_table(bundle, gold)
            head_lines = format_head_table(table, chosen)
        log.info("evaluating %s on %d test sentences", bundle.scorer, len(refs))
        metrics = evaluate_bundle(bundle, refs, gold, args.beam)
        if head_lines:
            metrics["heads"] = {**table.to_json(), "shown": list(chosen)}
            print(head_lines)
        if everyday:
            hyps = translate_everyday(bundle, everyday, args.beam)
            metrics["everyday"] = evaluate_everyday(everyday, hyps["greedy"], hyps.get("beam"), bleu_chrf)
            outputs.update({f"{bundle.scorer} {mode}": h for mode, h in hyps.items()})
        rows.append((bundle.scorer, metrics))
        if write:
            card = read_card(path)
            card["metrics"] = metrics
            write_card(Path(path), card)
    print(format_table(rows, args.beam))
    if everyday:
        print()
        print(format_everyday_table([(name, m["everyday"]) for name, m in rows], args.beam))
        write_outputs(Path(args.outputs), everyday, outputs)
        print(f"everyday translations for a French reader: {args.outputs}")
    if write:  # the folder's table covers every card, also those evaluated by another run
        every = [(p.stem, read_card(p)) for p in bundle_paths(args.models)]
        cards = [(name, card.get("metrics")) for name, card in every]
        daily = [(name, m["everyday"]) for name, m in cards if m and "everyday" in m]
        write_models_readme(Path(args.models), format_table([c for c in cards if c[1]], args.beam), len(refs),
                            format_everyday_table(daily, args.beam) if daily else "", format_training_table(every))
    return 0


def _with_chosen_head(bundle: Bundle, gold: list[AlignedPair], write: bool) -> Bundle:
    """Choose the head single-attention views show by AER on the dev half of the hand alignments
    (heads_eval.choose_head), record it in the card's config, and return the bundle showing it."""
    layer, head = choose_head(bundle, dev_split(gold)[0])
    log.info("%s: layer %d, head %d aligns best on the dev half", bundle.scorer, layer + 1, head + 1)
    card = read_card(bundle.path)
    card["config"].update(attention_layer=layer, attention_head=head)
    show_head_in_snapshots(card.get("attention_snapshots") or {}, layer, head)
    if write:
        write_card(bundle.path, card)
        return load_bundle(bundle.path)
    return Bundle(replace(bundle.cfg, attention_layer=layer, attention_head=head), bundle.weights,
                  bundle.src_vocab, bundle.tgt_vocab, card, bundle.path)


def show_head_in_snapshots(snapshots: dict, layer: int, head: int) -> None:
    """Every training frame's single attention becomes the chosen head's (each frame keeps every head,
    (L, A, T, S) per example), so *Watch it learn* follows the head the page shows, to its last frame."""
    for f in snapshots.get("frames", []):
        if f.get("heads"):
            f["weights"] = [every[layer][head] for every in f["heads"]]


def format_training_table(cards: list[tuple[str, dict]]) -> str:
    """How each bundle was trained, from its card: minutes, epochs, the validation loss its weights were
    chosen on, and what it learnt from (the human translations, or a teacher's: train --distilled)."""
    lines = [f"{'bundle':<12} {'minutes':>7} {'epochs':>6} {'best valid':>10}  targets",
             "-" * 64]
    for name, card in cards:
        history = [h for h in card.get("history", []) if isinstance(h.get("epoch"), int)]
        loss = card.get("best_valid_loss")
        lines.append(f"{name:<12} {card.get('training_minutes', 0):>7.0f} {len(history):>6} "
                     f"{loss if loss is not None else '-':>10}  {_targets(card)}")
    return "\n".join(lines)


def _targets(card: dict) -> str:
    """What a bundle learnt from, in order: the human translations, then each teacher's (train
    --distilled, also in the run it was continued from); and where its decoder lost a layer."""
    origin = card.get("continued_from") or {}
    switches = [s for s in (origin.get("distilled"), card.get("distilled")) if s]
    spans, what, start = [], "human", 1
    for switch in switches:
        who = switch["teacher"] or "a teacher"
        if switch["from_epoch"] > start:
            spans.append(f"{what} for epochs {start}-{switch['from_epoch'] - 1}")
        what, start = f"{'the ensemble ' if '+' in who else ''}{who}'s translations (distilled)", switch["from_epoch"]
    spans.append(what)
    text = ", then ".join(spans)
    if origin.get("dropped_decoder_layer"):
        text += f"; decoder layer {origin['dropped_decoder_layer']} left out after epoch {origin['epochs']}"
    return text


def write_models_readme(models_dir: Path, table: str, sentences: int, everyday_table: str = "",
                        training_table: str = "") -> None:
    """models/README.md: the human-readable model card that sits beside the bundles."""
    text = f"""# Bundled models

One bundle per attention scorer: `<scorer>.safetensors` (fp16 weights) + `<scorer>.json` (config,
vocabularies, training history, metrics). The same data, split and vocabularies for all; the GRU
bundles share one architecture and differ only in the scorer; each card's `train_config` holds the
recipe it was trained with. Trained on Tatoeba English–French pairs (manythings.org/anki, CC-BY 2.0 FR).

The source vocabulary's `copied` list holds the names French writes the same way ("Berlin", "Madrid";
not "Mary" -> "Marie") that training saw in at most 500 pairs: the model reads them as `<unk>`, so it
copies them through attention instead of guessing a French word (`data.names_written_the_same`; the
recipe's `copy_names_share` and `copy_names_max_seen`). Bundles trained before the rule had the list
added to their cards from the same training split; their weights are unchanged.

Measured on {sentences} held-out English sentences (all their French translations as references) by
`python -m attnviz evaluate`:

```
{table}
```
""" + (f"""
On the everyday sentences (`attnviz/resources/everyday_en_fr.tsv`, written by hand, none from Tatoeba):

```
{everyday_table}
```
""" if everyday_table else "") + (f"""
How each bundle was trained (every bundle on a 2-core CPU, no GPU; `train_config` in its card holds
the recipe, and `continued_from` the first run's when training went on from a bundle; best valid: the
validation loss the bundle's weights were chosen on, on the human translations, or on the teacher's
for a model that learnt from them):

```
{training_table}
```
""" if training_table else "")
    (models_dir / "README.md").write_text(text, encoding="utf-8")
