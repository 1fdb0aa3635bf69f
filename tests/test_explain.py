"""Narration and explainer text: plain words that quote the Trace's own numbers."""
from __future__ import annotations

import re

import numpy as np
import pytest

from attnviz import explain, trace_translation
from attnviz.i18n import messages
from attnviz.text import tokenize_en
from tests.test_figures import hand_trace


def with_weights(tr, t: int, row) -> None:
    """Overwrite step t's weights (the frozen Trace's arrays are plain numpy)."""
    tr.weights[t] = np.asarray(row, dtype=float)


# ---------------------------------------------------------------- input


def test_short_input_is_kept_as_typed():
    p = explain.prepare_input("The white car is fast.")
    assert p == explain.Prepared("The white car is fast.", 6, ())


def test_long_input_is_cut_at_the_word_limit_and_says_so():
    text = " ".join(f"word{i}" for i in range(80)) + "."
    p = explain.prepare_input(text)
    assert len(tokenize_en(p.sentence)) == explain.MAX_WORDS
    assert p.sentence == " ".join(f"word{i}" for i in range(explain.MAX_WORDS))
    assert p.words == 81
    (note,) = p.notes
    text = messages("en")(note[0], **note[1])
    assert "81" in text and f"first {explain.MAX_WORDS}" in text
    assert "81" in messages("ko")(note[0], **note[1])


def test_cutting_respects_clitics_and_punctuation():
    text = "I'm sure, " * 20  # 4 tokens per repeat (I 'm sure ,): 9 words cannot split a piece
    p = explain.prepare_input(text, limit=9)
    assert tokenize_en(p.sentence) == tokenize_en(text)[:8]  # whole pieces only: "I'm" "sure," ...


def test_one_huge_word_without_spaces_is_still_cut():
    p = explain.prepare_input("a," * 100)
    assert len(tokenize_en(p.sentence)) == explain.MAX_WORDS and p.notes


@pytest.mark.parametrize("text", ["", "   ", None, "\x00\x07\n"])
def test_empty_input_has_no_words(text):
    p = explain.prepare_input(text)
    assert p.words == 0 and p.notes == ()


def test_code_and_escape_neutralise_markup():
    assert explain.code("a`b") == "`a'b`"
    assert explain.code("") == "` `"
    assert explain.md_escape("**bold** $x$ <b>") == r"\*\*bold\*\* \$x\$ \<b\>"


def test_input_notes_name_unknown_and_blocked_words():
    tr = hand_trace(src_known=[True, False, True, True], blocked=(2,))
    notes = explain.input_notes(tr)
    assert any("`white`" in n and "<unk>" in n for n in notes)
    assert any("`car`" in n and "Hidden from attention" in n for n in notes)
    none_known = hand_trace(src_known=[False] * 4)
    assert "reads English only" in explain.input_notes(none_known)[0]
    assert "영어만" in explain.input_notes(none_known, messages("ko"))[0]
    assert explain.input_notes(hand_trace()) == []
    unfinished = hand_trace(tgt=("la", "la", "la"))
    assert "never ended the sentence" in explain.input_notes(unfinished)[0]


def test_source_line_marks_unknown_words():
    tr = hand_trace(src_known=[True, False, True, True])
    assert explain.source_line(tr) == "`The` `white*` `car` `.`"


# ---------------------------------------------------------------- narration


def test_narration_names_the_word_looked_at_with_its_weight():
    tr = hand_trace()
    with_weights(tr, 1, [0.02, 0.10, 0.81, 0.07])
    line = explain.step_narration(tr, 1)
    assert line.startswith("**Step 2 of 5.**")
    assert "`voiture` looked mostly at `car` (0.81), then `white` (0.10)." in line
    assert f"probability {tr.chosen_probs[1]:.2f}" in line


def test_narration_says_when_attention_is_spread():
    tr = hand_trace()
    with_weights(tr, 0, [0.35, 0.30, 0.25, 0.10])
    assert "spread its attention: `The` (0.35), `white` (0.30), `car` (0.25)" in explain.step_narration(tr, 0)


def test_narration_of_the_end_of_sentence_and_forced_words():
    tr = hand_trace(mode="forced")
    object.__setattr__(tr, "topk_tokens", (("auto", "la", "voiture"),) * tr.num_steps)
    line = explain.step_narration(tr, 1)
    assert "You forced `voiture`" in line and "preferred `auto` (0.70)" in line
    assert "To end the sentence (`<eos>`)" in explain.step_narration(tr, tr.num_steps - 1)


def test_narration_without_attention_says_it_never_looks_back():
    line = explain.step_narration(hand_trace("none"), 0)
    assert "No attention" in line and "final hidden state" in line


def test_narration_rejects_a_step_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        explain.step_narration(hand_trace(), 9)


def test_step_captions_quote_scores_softmax_and_context():
    tr, t = hand_trace(), 2
    text = explain.step_captions(tr, t)
    assert set(text) == {"look", "score", "weigh", "choose"}
    assert "4 hidden states" in text["look"] and "6 numbers" in text["look"]
    best = int(np.argmax(tr.scores[t]))
    assert f"`{tr.src_tokens[best]}` {tr.scores[t][best]:.2f}" in text["score"]
    top = int(np.argmax(tr.weights[t]))
    # the softmax written out must hold for the numbers shown
    assert f"e^{{{tr.scores[t][top]:.2f}}}" in text["weigh"] and f"= {tr.weights[t][top]:.2f}$" in text["weigh"]
    assert np.exp(tr.scores[t][top]) / np.exp(tr.scores[t]).sum() == pytest.approx(tr.weights[t][top])
    assert "`blanche` (0.70)" in text["choose"]


def test_every_number_in_a_real_narration_comes_from_the_trace(tiny_bundle):
    tr = trace_translation(tiny_bundle, "The white car is fast.", max_len=5)
    for t in range(tr.num_steps):
        line = explain.step_narration(tr, t)
        quoted = {float(x) for x in re.findall(r"\((\d\.\d\d)\)|probability (\d\.\d\d)", line) for x in x if x}
        known = {round(float(v), 2) for v in tr.topk_probs[t]} | {round(float(tr.chosen_probs[t]), 2)}
        if tr.weights is not None:
            known |= {round(float(v), 2) for v in tr.weights[t]}
        assert quoted <= known, (line, quoted - known)
        captions = explain.step_captions(tr, t)
        assert captions["choose"] and (tr.weights is None or captions["weigh"])


def test_explainer_follows_the_three_steps_and_states_the_softmax():
    en, ko = messages("en"), messages("ko")
    text = en("explain.explainer_short")
    assert text.index("**looks**") < text.index("**score**") < text.index("**softmax weights**")
    assert r"\alpha_i = \dfrac{\exp(e_i)}{\sum_j \exp(e_j)}" in text  # \dfrac: full size, also inline
    assert "context vector" in text and "every" in text
    assert "final" in en("app.no_attention")
    ko_text = ko("explain.explainer_short")  # the same three steps, in the textbook's words
    assert ko_text.index("**살펴봅니다**") < ko_text.index("**매깁니다**") < ko_text.index("**소프트맥스 가중치**")
    assert "은닉 상태" in ko_text and "**문맥 벡터**" in ko_text
    assert r"\alpha_i = \dfrac{\exp(e_i)}{\sum_j \exp(e_j)}" in ko_text


def test_beam_alternatives_table():
    tr = hand_trace()
    object.__setattr__(tr, "alternatives", (("la voiture blanche.", -0.2), ("la auto.", -0.9)))
    rows = explain.alternatives_table(tr)
    assert [r["rank"] for r in rows] == [1, 2] and rows[0]["translation"] == "la voiture blanche."
    assert rows[1]["score (ranked by)"] == -0.9  # the ranking score, penalties included: not a probability
    assert list(explain.alternatives_table(tr, messages("ko"))[0]) == ["순위", "번역", "점수 (순위 기준)"]


# ---------------------------------------------------------------- what misbehaved (issue 6, section 5)


def test_worked_softmax_always_shows_the_chosen_words_own_term():
    """Step 9 of a long sentence: the top word sits far right; its term must be in the denominator."""
    src = tuple(f"w{i}" for i in range(12))
    tr = hand_trace(src=src)
    t, top = 2, 9
    row = np.full(12, -3.0)
    row[top] = 4.0
    tr.scores[t] = row
    with_weights(tr, t, np.exp(row) / np.exp(row).sum())
    weigh = explain.step_captions(tr, t)["weigh"]
    numerator = f"e^{{{row[top]:.2f}}}"
    denominator = weigh.split(" / (", 1)[1].split(")", 1)[0]
    assert numerator in denominator  # the chosen word's own term, not hidden in the dots
    assert "\\dots" in denominator
    assert denominator.index("e^{-3.00}") < denominator.index(numerator)


def test_a_forced_capital_is_the_models_own_word():
    """The model sees lowercase: forcing `Je` where it prefers `je` is the same word, said once."""
    tr = hand_trace(tgt=("Je", "suis", ".", "<eos>"), mode="forced")
    object.__setattr__(tr, "topk_tokens", (("je", "tu", "il"),) + tr.topk_tokens[1:])
    line = explain.step_narration(tr, 0)
    assert "You forced `Je`; the model gave it probability 0.70." in line and "preferred" not in line
    from attnviz import figures

    df = figures.topk_frame(tr, 0)
    assert df["word"].tolist() == ["je", "tu", "il"] and df["chosen"].tolist() == [True, False, False]
    assert "`je`" not in explain.step_captions(tr, 0)["choose"].split("ahead of")[-1]


def test_right_to_left_words_keep_their_marks_on_the_right():
    tr = hand_trace(src=("the", "שלום", "مرحبا", "."), src_known=[True, False, False, True])
    line = explain.source_line(tr)
    assert "`\u2068שלום\u2069*`" in line and "`\u2068مرحبا\u2069*`" in line
    assert "`the`" in line  # left-to-right words stay as they are
    assert explain.marked("car", known=False) == "car*"


def test_forced_output_is_headlined_as_forced_with_its_probability():
    tr = hand_trace(mode="forced")
    head = explain.headline(tr)
    p = float(np.prod(tr.chosen_probs))
    assert "Forced by you" in head and f"{p:.2g}" in head
    assert explain.headline(hand_trace()).startswith("### ")
    assert "강제로 넣은" in explain.headline(tr, messages("ko"))  # one form for forcing (issue 14 §5)


def test_mostly_unknown_input_is_not_headlined_as_a_translation():
    tr = hand_trace(src_known=[False, False, True, True])  # 2 of 3 words unknown; "." does not count
    assert explain.reads_english_only(tr)
    assert not explain.headline(tr).startswith("### ") and "Not a translation" in explain.headline(tr)
    assert not explain.reads_english_only(hand_trace(src_known=[True, False, True, True]))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_narration_in_both_languages_quotes_only_the_traces_numbers(tiny_bundle, lang):
    m = messages(lang)
    tr = trace_translation(tiny_bundle, "The white car is fast.", max_len=5)
    for t in range(tr.num_steps):
        line = explain.step_narration(tr, t, m)
        quoted = {float(x) for x in re.findall(r"(\d\.\d\d)", line)}
        known = {round(float(v), 2) for v in tr.topk_probs[t]} | {round(float(tr.chosen_probs[t]), 2)}
        if tr.weights is not None:
            known |= {round(float(v), 2) for v in tr.weights[t]}
        assert quoted <= known, (line, quoted - known)
        if lang == "ko":
            assert "단계" in line
