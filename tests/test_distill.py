"""Sequence-level distillation and continuing a bundle: the teacher's translations become the student's
targets, and a run started from a bundle keeps that bundle's epochs, snapshots and recipe on its card."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from attnviz.checkpoint import load_bundle
from attnviz.config import TrainConfig
from attnviz.data import read_pairs, split_pairs
from attnviz.distill import distil, distilled_pairs, read_distilled, teacher_name, write_distilled
from attnviz.trace import trace_translation
from attnviz.torchdecode import greedy_batch_ids, same_vocabularies
from attnviz.train import train
from attnviz.vocab import BOS_ID, EOS, PAD_ID, UNK, UNK_ID
from tiny_models import TINY_PAIRS

CFG = TrainConfig(data=str(TINY_PAIRS), src_min_freq=1, tgt_min_freq=1, batch_tokens=60, epochs=2,
                  patience=5, threads=1)


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("teacher")
    return load_bundle(train("dot", CFG, folder / "dot", folder / "runs", resume=False))


@pytest.fixture(scope="module")
def train_pairs():
    return split_pairs(read_pairs(TINY_PAIRS, CFG.max_len)).train


def test_the_teacher_file_holds_its_greedy_translation_of_every_training_sentence(teacher, train_pairs, tmp_path):
    path = tmp_path / "distilled.tsv"
    teacher_fr = distil(teacher, train_pairs)
    assert set(teacher_fr) == {p.en for p in train_pairs}
    write_distilled(path, teacher_fr, "dot")
    assert teacher_name(path) == "dot"
    read = read_distilled(path)
    assert set(read) == {en for en, fr in teacher_fr.items() if fr}  # an empty translation keeps the human one
    for en, tokens in teacher_fr.items():
        trace = trace_translation(teacher, en)  # the page's greedy search: same words, <unk> before copying
        written = [UNK if pos >= 0 else tok.lower() for tok, pos in zip(trace.tgt_tokens, trace.copied)]
        assert list(tokens) == [t for t in written if t != EOS]


def test_distilled_pairs_keep_the_english_and_take_the_teachers_french(train_pairs):
    first = train_pairs[0]
    swapped = distilled_pairs(train_pairs, {first.en: ("bonjour", ".")})
    assert swapped[0].tgt_tokens == ("bonjour", ".") and swapped[0].src_tokens == first.src_tokens
    assert swapped[1:] == train_pairs[1:]  # sentences the teacher did not translate keep their French


def test_a_run_started_from_a_bundle_continues_its_epochs_and_keeps_its_recipe(teacher, train_pairs, tmp_path):
    path = tmp_path / "distilled.tsv"
    write_distilled(path, distil(teacher, train_pairs), "dot")
    cfg = dataclasses.replace(CFG, epochs=3, init_from=str(teacher.path), distilled=str(path))
    student = load_bundle(train("dot", cfg, tmp_path / "student" / "dot", tmp_path / "runs", resume=False))
    card = student.card
    assert [h["epoch"] for h in card["history"] if isinstance(h["epoch"], int)] == [1, 2, 3]
    assert card["continued_from"]["epochs"] == 2
    assert card["continued_from"]["train_config"]["distilled"] == ""  # the first run's recipe, kept
    assert card["train_config"]["distilled"] == str(path)
    assert card["distilled"] == {"teacher": "dot", "from_epoch": 3}
    third = card["history"][2]  # chosen on the teacher's translations; the loss on the human ones kept beside it
    assert {"valid_loss", "valid_loss_teacher"} <= set(third) and "valid_loss_teacher" not in card["history"][1]
    assert card["best_valid_loss"] == min(h["valid_loss_teacher"] for h in card["history"] if "valid_loss_teacher" in h)
    teacher_steps = [f["step"] for f in teacher.card["attention_snapshots"]["frames"]]
    steps = [f["step"] for f in card["attention_snapshots"]["frames"]]
    assert steps[:len(teacher_steps) - 1] == teacher_steps[:-1] and steps == sorted(steps)
    assert card["attention_snapshots"]["frames"][-1]["step"] > teacher_steps[-1]


def test_a_bundle_with_other_vocabularies_cannot_be_continued(teacher, tmp_path):
    cfg = dataclasses.replace(CFG, src_min_freq=2, init_from=str(teacher.path))  # a smaller vocabulary
    with pytest.raises(ValueError, match="other vocabularies"):
        train("dot", cfg, tmp_path / "other" / "dot", tmp_path / "runs", resume=False)



def test_the_models_readme_says_what_each_bundle_learnt_from():
    from attnviz.evaluate import format_training_table

    plain = {"history": [{"epoch": 1, "seconds": 60.0}], "training_minutes": 1.0, "best_valid_loss": 2.5}
    continued = {"history": [{"epoch": e, "seconds": 60.0} for e in (1, 2, 3)] + [{"epoch": "average"}],
                 "training_minutes": 3.0, "best_valid_loss": 2.0, "continued_from": {"epochs": 2},
                 "distilled": {"teacher": "dot", "from_epoch": 3}}
    lines = format_training_table([("dot", plain), ("transformer", continued)]).splitlines()
    assert lines[2].split() == ["dot", "1", "1", "2.5", "human"]
    assert lines[3].split()[:4] == ["transformer", "3", "3", "2.0"]
    assert lines[3].endswith("human for epochs 1-2, then dot's translations (distilled)")
    ensemble = dict(continued, distilled={"teacher": "dot+general", "from_epoch": 3})
    assert format_training_table([("dot", ensemble)]).endswith("the ensemble dot+general's translations (distilled)")
    again = dict(ensemble, continued_from={"epochs": 4, "distilled": {"teacher": "dot", "from_epoch": 2},
                                           "dropped_decoder_layer": 2})
    assert format_training_table([("transformer", again)]).endswith(
        "human for epochs 1-1, then dot's translations (distilled) for epochs 2-2, then the ensemble dot+general's "
        "translations (distilled); decoder layer 2 left out after epoch 4")


def _mean_log_probs(members, src_ids: list[int], written: list[int]) -> torch.Tensor:
    """Each member's next-word log-probabilities along `written` (teacher forcing), averaged: (T, V)."""
    src = torch.tensor([src_ids])  # (1, S)
    tgt_in = torch.tensor([[BOS_ID] + written[:-1]])  # (1, T)
    rows = []
    with torch.inference_mode():
        for member in members:
            enc = member.model.encoder(src, torch.tensor([src.size(1)]))
            dec = member.model.decoder(tgt_in, enc.dec_h0, enc, None)
            rows.append(member.model.decoder.log_probs(dec.att_h)[0])  # (T, V)
    return torch.stack(rows).mean(0)


ENSEMBLE_SOURCES = [("the", "white", "car", "."), ("i", "like", "the", "red", "cat", "."), ("paris", "is", "big", ".")]


def test_an_ensemble_writes_at_each_step_the_word_its_members_find_best_on_average(tiny_models_dir):
    dot, general = (load_bundle(tiny_models_dir / f"{name}.json") for name in ("dot", "general"))
    ids = [dot.src_vocab.encode(s) for s in ENSEMBLE_SOURCES]
    out, _ = greedy_batch_ids(dot, ENSEMBLE_SOURCES, ids, ensemble=[general])  # (B, max_len)
    for src_ids, row in zip(ids, out.tolist()):
        written = [i for i in row if i != PAD_ID]
        mean = _mean_log_probs([dot, general], src_ids, written)  # (T, V)
        mean[:, [PAD_ID, BOS_ID, UNK_ID]] = float("-inf")  # never written; <unk> only where copied
        for t, word in enumerate(written):
            assert word == UNK_ID or word == int(mean[t].argmax())


def test_an_ensemble_of_a_bundle_with_itself_translates_as_the_bundle_alone(tiny_models_dir):
    dot = load_bundle(tiny_models_dir / "dot.json")
    ids = [dot.src_vocab.encode(s) for s in ENSEMBLE_SOURCES]
    alone, _ = greedy_batch_ids(dot, ENSEMBLE_SOURCES, ids)
    twice, _ = greedy_batch_ids(dot, ENSEMBLE_SOURCES, ids, ensemble=[dot])
    assert torch.equal(alone, twice)


def test_an_ensemble_needs_one_vocabulary(teacher, train_pairs, tiny_models_dir):
    other = load_bundle(tiny_models_dir / "general.json")  # built from the whole fixture, not its training split
    assert not same_vocabularies([teacher, other]) and same_vocabularies([teacher, teacher])
    with pytest.raises(ValueError, match="share their vocabularies"):
        distil(teacher, train_pairs, ensemble=[other])


def test_a_shallower_decoder_starts_from_a_deeper_ones_other_layers(tmp_path):
    from attnviz.architectures import torch_model
    from attnviz.config import default_config
    from attnviz.train import _decoder_layers, _start_from
    from attnviz.transformer import without_decoder_layer

    deep = load_bundle(train("transformer", dataclasses.replace(CFG, epochs=1), tmp_path / "deep" / "transformer",
                             tmp_path / "runs", resume=False))
    assert deep.cfg.dec_layers == 3
    shallow = torch_model(default_config("transformer", deep.cfg.src_vocab_size, deep.cfg.tgt_vocab_size, 2))
    history, step, frames, origin = _start_from(shallow, deep.path, deep.src_vocab, deep.tgt_vocab, 2)
    had = deep.model.state_dict()
    now = shallow.state_dict()
    for name in ("self_att.q.weight", "cross_att.o.bias", "ff.3.weight", "norm3.weight"):
        assert torch.equal(now[f"decoder.layers.0.{name}"], had[f"decoder.layers.0.{name}"].float())
        assert torch.equal(now[f"decoder.layers.1.{name}"], had[f"decoder.layers.2.{name}"].float())  # layer 2 left out
    assert torch.equal(now["decoder.out.head.weight"], had["decoder.out.head.weight"].float())
    assert origin["dropped_decoder_layer"] == 2 and origin["config"]["layers"] == 3
    deep_frames = deep.card["attention_snapshots"]["frames"]
    assert len(frames) == len(deep_frames)
    for before, after in zip(deep_frames, frames):
        assert [len(h) for h in after["heads"]] == [2] * len(before["heads"])
        assert [h[1] for h in after["heads"]] == [h[2] for h in before["heads"]]
    assert _decoder_layers(dataclasses.replace(CFG, init_from=str(deep.path), drop_decoder_layer=2)) == 2
    assert _decoder_layers(CFG) == 0  # as deep as the encoder
    with pytest.raises(ValueError, match="cannot leave out decoder layer 4 of 3"):
        without_decoder_layer(had, 3)
