"""Training CLI: python -m attnviz train --scorer concat [--out models/concat] [--resume].

Reads the pairs, builds vocabularies from the training split, trains with teacher forcing,
validates and checkpoints every epoch, stops early, and writes the bundle with its loss curves.
"""
from __future__ import annotations

import argparse
import logging
import math
import random
import time
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import torch
from tqdm import tqdm

from .architectures import torch_model
from .checkpoint import DEFAULT_MODELS_DIR, Bundle, load_bundle, read_card, save_bundle
from .config import SCORER_NAMES, ModelConfig, TrainConfig, default_config
from .data import (Pair, batches, hide_shared_names, names_written_the_same, read_pairs, split_pairs,
                   write_numbers_as_digits)
from .distill import distilled_pairs, read_distilled, teacher_name
from .model import Seq2Seq
from .snapshots import Recorder, without_layer
from .torchdecode import same_vocabularies
from .transformer import without_decoder_layer
from .vocab import Vocab

log = logging.getLogger(__name__)


def add_train_args(parser: argparse.ArgumentParser) -> None:
    """--scorer, --out, --resume, --limit, plus one flag per TrainConfig field."""
    parser.add_argument("--scorer", choices=list(SCORER_NAMES), required=True)
    parser.add_argument("--out", help="bundle stem (default: models/<scorer>)")
    parser.add_argument("--resume", action="store_true", help="continue from runs/<scorer>/resume.pt")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N training pairs only")
    parser.add_argument("--run-dir", default="runs", help="where the per-epoch resume state goes")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):  # type=bool would read "False" as True
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            parser.add_argument(flag, type=type(f.default), default=f.default)


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})


def evaluate_loss(model: Seq2Seq, pairs: list[Pair], src_vocab: Vocab, tgt_vocab: Vocab, batch_tokens: int) -> float:
    """Mean negative log-likelihood per target token (teacher forcing, no dropout)."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for b in batches(pairs, src_vocab, tgt_vocab, batch_tokens, seed=None):
            n = int((b.tgt_out != 0).sum())
            total += float(model(b.src, b.src_len, b.tgt_in, b.tgt_out)) * n
            count += n
    model.train()
    return total / max(count, 1)


def warmup_lr(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up to cfg.lr over cfg.warmup_steps, then decay as 1/√step (Vaswani et al. 2017)."""
    return cfg.lr * min(step / cfg.warmup_steps, math.sqrt(cfg.warmup_steps / step))


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr


def _resume_state(path: Path) -> dict:
    # weights_only=True: the resume file holds tensors and plain values, and loading it runs no code
    return torch.load(path, weights_only=True)


def train(scorer: str, cfg: TrainConfig, out: Path, run_dir: Path, resume: bool, limit: int = 0) -> Path:
    """Train one model and write its bundle; returns the bundle's .json path."""
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    splits = split_pairs(read_pairs(cfg.data, cfg.max_len))
    train_pairs = splits.train[:limit] if limit else splits.train
    src_vocab = Vocab.build((p.src_tokens for p in train_pairs), cfg.src_min_freq, cfg.src_max_vocab).with_copied(
        names_written_the_same(train_pairs, cfg.copy_names_share, cfg.copy_names_max_seen))
    tgt_vocab = Vocab.build((p.tgt_tokens for p in train_pairs), cfg.tgt_min_freq, cfg.tgt_max_vocab)
    teacher = read_distilled(cfg.distilled) if cfg.distilled else {}
    targets, select_on = (distilled_pairs(train_pairs, teacher), distilled_pairs(splits.valid, teacher)) if teacher \
        else (train_pairs, splits.valid)  # what it learns from, and what its best epoch is chosen on
    mcfg = default_config(scorer, len(src_vocab), len(tgt_vocab), _decoder_layers(cfg))
    model = torch_model(mcfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98) if cfg.warmup_steps else (0.9, 0.999))
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    log.info("%s: %d train / %d valid pairs, vocab %d/%d, %d parameters", scorer, len(train_pairs),
             len(splits.valid), len(src_vocab), len(tgt_vocab), model.num_parameters())

    run_dir = run_dir / scorer
    run_dir.mkdir(parents=True, exist_ok=True)
    resume_path = run_dir / "resume.pt"
    history: list[dict] = []
    best, start_epoch, stale, step, best_step = math.inf, 1, 0, 0, 0
    recorder = Recorder(Bundle.of_model(model, src_vocab, tgt_vocab, {"config": mcfg.to_json()}, out.with_suffix(".json")))
    origin = None
    if cfg.init_from and not (resume and resume_path.exists()):
        history, step, recorder.frames, origin = _start_from(model, Path(cfg.init_from), src_vocab, tgt_vocab,
                                                             cfg.drop_decoder_layer)
        start_epoch = len(history) + 1
        log.info("starting from %s after its epoch %d, step %d", cfg.init_from, len(history), step)
    if resume and resume_path.exists():
        state = _resume_state(resume_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        history, best, stale = state["history"], state["best"], state["stale"]
        step, best_step, recorder.frames = state.get("step", 0), state.get("best_step", 0), state.get("frames", [])
        origin = state.get("origin")
        start_epoch = len(history) + 1
        log.info("resumed after epoch %d (best valid loss %.3f)", len(history), best)

    if not recorder.frames:
        recorder.maybe_record(step)  # step 0: the untrained model's attention
    tokens_per_epoch = sum(len(p.tgt_tokens) + 1 for p in targets)
    inherited = origin["epochs"] if origin else 0  # epochs trained before init_from was written
    started = time.monotonic() - sum(h["seconds"] for h in history[inherited:])  # the budget counts this run
    recent: list[dict] = []  # the last cfg.average_last epochs' weights, for checkpoint averaging
    model.train()
    for epoch in range(start_epoch, cfg.epochs + 1):
        if stale >= cfg.patience or (time.monotonic() - started) / 60 >= cfg.max_minutes:
            break
        t0, seen, loss_sum = time.monotonic(), 0, 0.0
        bar = tqdm(total=tokens_per_epoch, desc=f"{scorer} epoch {epoch}", unit="tok", unit_scale=True,
                   mininterval=5.0, smoothing=0.05)
        rng = random.Random(cfg.seed + epoch)
        practice = hide_shared_names(targets, cfg.copy_practice, rng)
        practice = write_numbers_as_digits(practice, cfg.number_practice, rng)
        for b in batches(practice, src_vocab, tgt_vocab, cfg.batch_tokens, seed=cfg.seed + epoch):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                loss = model(b.src, b.src_len, b.tgt_in, b.tgt_out)
            if cfg.warmup_steps:
                set_lr(opt, warmup_lr(cfg, step + 1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            step += 1
            recorder.maybe_record(step)
            n = int((b.tgt_out != 0).sum())
            seen, loss_sum = seen + n, loss_sum + loss.item() * n
            bar.update(n)
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", refresh=False)
            if (time.monotonic() - started) / 60 >= cfg.max_minutes:
                log.info("time budget of %.0f minutes reached inside epoch %d", cfg.max_minutes, epoch)
                break
        bar.close()
        human = evaluate_loss(model, splits.valid, src_vocab, tgt_vocab, cfg.batch_tokens)
        valid = evaluate_loss(model, select_on, src_vocab, tgt_vocab, cfg.batch_tokens) if teacher else human
        if not cfg.warmup_steps:  # with a warm-up the rate follows warmup_lr, step by step
            sched.step(valid)
        seconds = time.monotonic() - t0
        history.append({"epoch": epoch, "train_loss": round(loss_sum / max(seen, 1), 4),
                        "valid_loss": round(human, 4), **({"valid_loss_teacher": round(valid, 4)} if teacher else {}),
                        "seconds": round(seconds, 1),
                        "tokens_per_s": round(seen / seconds), "lr": opt.param_groups[0]["lr"],
                        "fraction": round(seen / tokens_per_epoch, 3)})  # < 1: cut by the time budget
        log.info("epoch %d: train %.3f valid %.3f%s (%.0f s, %.0f tok/s)", epoch, loss_sum / max(seen, 1),
                 human, f", on the teacher's translations {valid:.3f}" if teacher else "", seconds, seen / seconds)
        stale = 0 if valid < best else stale + 1
        if valid < best:
            best, best_step = valid, step
            record = {"train_config": cfg.to_json(), "history": history, "best_valid_loss": round(best, 4),
                      "train_pairs": len(train_pairs), "metrics": {}}
            save_bundle(model, src_vocab, tgt_vocab, out, record)
        recent = (recent + [{k: v.detach().clone() for k, v in model.state_dict().items()}])[-cfg.average_last:]
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "history": history, "best": best, "stale": stale,
                    "step": step, "best_step": best_step, "frames": recorder.frames, "origin": origin},
                   resume_path)
    if len(recent) > 1:
        averaged = _save_if_better(model, recent, select_on, src_vocab, tgt_vocab, cfg, best, out, len(train_pairs),
                                   "valid_loss_teacher" if teacher else "valid_loss")
        if averaged is not None:
            history.append(averaged)
            best_step = step
    try:
        snapshots = recorder.finish(load_bundle(out.with_suffix(".json")), best_step)
    except Exception:  # the bundle is written: keep it and its history, say why the snapshots are missing
        log.exception("could not record the final attention snapshots; the card keeps the frames so far")
        snapshots = {"examples": [], "frames": recorder.frames}
    distilled = {"teacher": teacher_name(cfg.distilled), "from_epoch": (origin["epochs"] if origin else 0) + 1} \
        if cfg.distilled else None
    _record_full_history(out, history, snapshots, origin, distilled)
    return out.with_suffix(".json")


def _decoder_layers(cfg: TrainConfig) -> int:
    """The Transformer decoder's depth: as asked, or with drop_decoder_layer, one fewer than init_from's."""
    if cfg.decoder_layers or not cfg.drop_decoder_layer:
        return cfg.decoder_layers
    return ModelConfig.from_json(read_card(cfg.init_from)["config"]).dec_layers - 1


def _start_from(model, init: Path, src_vocab: Vocab, tgt_vocab: Vocab,
                drop_decoder_layer: int = 0) -> tuple[list[dict], int, list[dict], dict]:
    """Load init's weights into model (same vocabularies required) and return what training continues:
    its epochs' history, its optimiser step, its attention frames, and where they came from.
    drop_decoder_layer n (1-based): a Transformer decoder one layer shallower than init's starts from
    init's other layers (and its frames keep their heads only)."""
    bundle = load_bundle(init)
    if not same_vocabularies([bundle, SimpleNamespace(src_vocab=src_vocab, tgt_vocab=tgt_vocab)]):
        raise ValueError(f"{init} was trained with other vocabularies than this data builds; cannot continue it")
    weights = {k: v.float() for k, v in bundle.model.state_dict().items()}
    card = bundle.card
    frames = [{k: v for k, v in f.items() if k != "final"} for f in card.get("attention_snapshots", {}).get("frames", [])]
    if drop_decoder_layer:
        weights = without_decoder_layer(weights, drop_decoder_layer - 1)
        frames = without_layer(frames, drop_decoder_layer - 1)
    model.load_state_dict(weights)
    history = [h for h in card.get("history", []) if isinstance(h["epoch"], int)]
    step = frames[-1]["step"] if frames else 0
    origin = {"bundle": init.name, "epochs": len(history), "steps": step,
              "train_config": card.get("train_config", {}), "best_valid_loss": card.get("best_valid_loss"),
              **({"distilled": card["distilled"]} if card.get("distilled") else {}),
              **({"config": card.get("config"), "dropped_decoder_layer": drop_decoder_layer} if drop_decoder_layer else {})}
    return history, step, frames, origin


def _save_if_better(
    model: Seq2Seq, recent: list[dict], valid_pairs: list[Pair], src_vocab: Vocab, tgt_vocab: Vocab,
    cfg: TrainConfig, best: float, out: Path, train_pairs: int, loss_key: str = "valid_loss",
) -> dict | None:
    """Checkpoint averaging: the mean of the last epochs' weights replaces the bundle when its
    validation loss is lower than the best single epoch's. Returns its history entry (the loss under
    loss_key), or None."""
    model.load_state_dict({k: torch.stack([r[k] for r in recent]).mean(0) for k in recent[0]})
    valid = evaluate_loss(model, valid_pairs, src_vocab, tgt_vocab, cfg.batch_tokens)
    log.info("average of the last %d epochs: valid %.3f (best single epoch %.3f)", len(recent), valid, best)
    if valid >= best:
        return None
    entry = {"epoch": "average", "averaged_epochs": len(recent), loss_key: round(valid, 4), "seconds": 0.0}
    save_bundle(model, src_vocab, tgt_vocab, out, {"train_config": cfg.to_json(), "best_valid_loss": round(valid, 4),
                                                  "train_pairs": train_pairs, "metrics": {}})
    return entry


def _record_full_history(out: Path, history: list[dict], snapshots: dict, origin: dict | None = None,
                         distilled: dict | None = None) -> None:
    """The bundle holds the best epoch's weights, but its card keeps every epoch's losses, and the
    attention of the curated sentences at log-spaced steps up to the saved weights."""
    from .checkpoint import write_card

    path = out.with_suffix(".json")
    card = read_card(path)
    card["history"] = history
    card["attention_snapshots"] = snapshots
    card["training_minutes"] = round(sum(h["seconds"] for h in history) / 60, 1)
    if origin:  # the first epochs were another run's: its recipe stays on the card
        card["continued_from"] = origin
    if distilled:  # from this epoch on, the French side was the teacher's translation (distill.py)
        card["distilled"] = distilled
    write_card(path, card)


def main(args: argparse.Namespace) -> int:
    cfg = train_config_from_args(args)
    out = Path(args.out) if args.out else DEFAULT_MODELS_DIR / args.scorer
    train(args.scorer, cfg, out, Path(args.run_dir), args.resume, args.limit)
    return 0
