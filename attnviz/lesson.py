"""The guided lesson's script: eight stages, their sentences and models, and predict-then-reveal questions.

Pure: stages are data; questions and narration fields are read from real Traces and model cards, and a
guess is scored against the model's own numbers. The page (attnviz/views/lesson.py) draws them; the
words are in attnviz/messages/<lang>/lesson.toml. No Streamlit here.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar, Mapping, Sequence

import numpy as np

from .architectures import TRANSFORMERS
from .text import LENGTH_BUCKETS, word_count
from .trace import Trace
from .vocab import EOS

ATTENTION_ORDER = ("dot", "general", "concat")  # the lesson's attention model: the first one loaded
QUESTION_KINDS = ("source", "next_word", "translation", "scorer")


@dataclass(frozen=True)
class Stage:
    """One screen of the lesson. The sentence and the choices are the script; every number is traced.

    key: names the stage's messages ("lesson.<key>.*") and its question.
    sentence: the prepared English sentence.
    model: "attention" (the lesson's attention model) or a scorer name ("none").
    step: the output step the stage is about (0-based), for the three-steps stages.
    focus: the French word the stage is about; its step is found in the trace.
    adjective, noun: English positions (0-based) of the reordered pair.
    hide: English positions hidden from attention (what-if stage).
    alternatives: other positions to hide, whose translations become the wrong answers.
    question: what the student predicts first: one of QUESTION_KINDS, or "" for no question.
    baseline: also translate the sentence without attention (the copy stage: "none" cannot copy).
    """

    key: str
    sentence: str
    model: str = "attention"
    step: int | None = None
    focus: str = ""
    adjective: int | None = None
    noun: int | None = None
    hide: tuple[int, ...] = ()
    alternatives: tuple[tuple[int, ...], ...] = ()
    question: str = ""
    baseline: bool = False


# Sentences checked with `python -m attnviz translate "..." --json` against the bundled models
# (greedy): dot writes the translations quoted in the comments.
STAGES: tuple[Stage, ...] = (
    # dot: Je veux acheter un petit chien noir pour mes enfants.
    # none: Je veux acheter un ordinateur pour les enfants et un chien.
    Stage("plain", "I want to buy a small black dog for my children.", model="none"),
    Stage("handover", "I am very tired."),  # Je suis très fatigué.
    Stage("look", "I am very tired.", step=1, question="source"),  # step 2: suis, looks at am (0.87)
    Stage("score", "I am very tired.", step=1),
    Stage("weigh", "I am very tired.", step=1, question="next_word"),
    # Je vois la voiture blanche.: voiture looks at car, blanche at white
    Stage("reorder", "I see the white car.", focus="blanche", adjective=3, noun=4, question="source"),
    # Kenji a 12 ans.: Kenji and 12 are copied (weights 1.00 and 0.99); none cannot copy them
    Stage("copy", "Kenji is 12 years old.", focus="Kenji", question="source", baseline=True),
    # hide red: Elle lit un livre.  hide reads: Elle a un livre rouge.
    Stage("hide", "She reads a red book.", hide=(3,), alternatives=((), (1,)), question="translation"),
    # Retraining changes the models' mistakes: the page compares each translation with the French a
    # person writes (lesson.scorers.reference in the catalogue), never with a remembered output.
    Stage("scorers", "The white car is fast.", question="scorer"),
)
KEYS = tuple(st.key for st in STAGES)


def stage_number(number, count: int) -> int:
    """A 1-based stage number clamped into 1..count; junk (text, None, infinity) -> 1."""
    try:
        return min(max(int(number), 1), count)
    except (TypeError, ValueError, OverflowError):
        return 1


def stage_at(number) -> tuple[int, Stage]:
    """The stage for a 1-based number, clamped into 1..len(STAGES) (junk -> 1): (number, stage)."""
    n = stage_number(number, len(STAGES))
    return n, STAGES[n - 1]


def attention_model(models: Sequence[str]) -> str:
    """The lesson's attention model: dot if loaded (the best measured BLEU, and the simplest score to
    explain: h_t · h_s), else the next one."""
    for name in (*ATTENTION_ORDER, *models):
        if name in models and name != "none":
            return name
    raise ValueError("the lesson needs a model with attention; none is loaded")


def stage_model(stage: Stage, models: Sequence[str]) -> str:
    """The scorer a stage traces its sentence with (the attention model when its own is not loaded)."""
    return stage.model if stage.model in models else attention_model(models)


# ---------------------------------------------------------------- which step a stage is about


def written_steps(trace: Trace) -> int:
    """Output steps that wrote a word (the final <eos> step does not)."""
    return trace.num_steps - (1 if trace.finished else 0)


def clamp_step(trace: Trace, t: int) -> int:
    """t, or the last step that wrote a word when the trace is shorter (another model, another vocab)."""
    return min(max(t, 0), max(written_steps(trace) - 1, 0))


def focus_step(stage: Stage, trace: Trace) -> int:
    """The output step a stage is about (0-based).

    The stage's `focus` word where the model wrote it; else the step that looked most at the stage's
    adjective; else the stage's `step`, clamped to the trace.
    """
    if stage.focus and stage.focus in trace.tgt_tokens:
        return trace.tgt_tokens.index(stage.focus)
    if stage.adjective is not None and trace.weights is not None:
        return clamp_step(trace, int(np.argmax(trace.weights[:written_steps(trace) or 1, stage.adjective])))
    return clamp_step(trace, stage.step or 0)


def looked_at(trace: Trace, t: int) -> int:
    """The English position step t gave the most weight."""
    return int(np.argmax(trace.weights[t]))


# ---------------------------------------------------------------- predict, then reveal


@dataclass(frozen=True)
class Question:
    """A prediction to make before the reveal: pick one option; the model's numbers say which is right.

    options: what the buttons show (English words, French words, translations, scorer names).
    values: the model's number for each option (weight, probability, BLEU), or None where it has none
        (a French word outside its top K; a translation, right or wrong).
    answer: index of the right option (the model's argmax, or what it really wrote).
    A lesson with other kinds of question subclasses it with its own KINDS (lesson_heads.Question).
    """

    KINDS: ClassVar[tuple[str, ...]] = QUESTION_KINDS

    kind: str
    options: tuple[str, ...]
    values: tuple[float | None, ...]
    answer: int

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown question kind {self.kind!r}; choose one of {', '.join(self.KINDS)}")
        if len(self.options) != len(self.values) or not 0 <= self.answer < len(self.options):
            raise ValueError("a question needs one value per option and an answer among them")


@dataclass(frozen=True)
class Grade:
    """A guess scored against the model: right or not, and the model's number for the guess."""

    guess: int
    correct: bool
    value: float | None  # the model's number for the guessed option (None where it has none)
    best: float | None  # the model's number for the right option


def grade(q: Question, guess: int) -> Grade:
    """Score option `guess` of `q`: correct when it is the model's answer; ValueError for no such option."""
    if not 0 <= guess < len(q.options):
        raise ValueError(f"option {guess} does not exist; the question has options 0..{len(q.options) - 1}")
    return Grade(guess, guess == q.answer, q.values[guess], q.values[q.answer])


def tally(questions: Mapping[str, Question], guesses: Mapping[str, int]) -> tuple[int, int]:
    """(right, made): the predictions made so far in the lesson and how many the model agreed with.

    Guesses for stages without a question, or for options that do not exist, are not counted.
    """
    grades = [grade(questions[k], g) for k, g in guesses.items()
              if k in questions and 0 <= g < len(questions[k].options)]
    return sum(g.correct for g in grades), len(grades)


def source_question(trace: Trace, t: int) -> Question:
    """Which English word will step t look at most? One option per English word, valued by its weight."""
    w = trace.weights[t]
    return Question("source", tuple(trace.src_tokens), tuple(float(x) for x in w), int(np.argmax(w)))


def next_word_question(trace: Trace, t: int, top: int = 3, total: int = 5) -> Question:
    """Which French word will step t write? The model's `top` likeliest words, plus words it wrote at
    other steps of the same sentence as distractors, in alphabetical order; valued by probability."""
    ranked = [(w, float(p)) for w, p in zip(trace.topk_tokens[t], trace.topk_probs[t])]
    known = dict(ranked)
    words = [w for w, _ in ranked[:top]]
    for w in trace.tgt_tokens:
        if len(words) >= total:
            break
        if w not in words and w != EOS:
            words.append(w)
    words.sort(key=lambda w: (w.casefold(), w))
    best = max(words, key=lambda w: known.get(w, -1.0))
    return Question("next_word", tuple(words), tuple(known.get(w) for w in words), words.index(best))


def translation_question(real: Trace, others: Sequence[Trace]) -> Question:
    """What will the model write? Its real translation among those of other what-ifs, alphabetically."""
    texts = sorted({real.translation, *(o.translation for o in others)} - {""} | {real.translation})
    return Question("translation", tuple(texts), (None,) * len(texts), texts.index(real.translation))


def scorer_question(cards: Mapping[str, dict], metric: str = "bleu_greedy") -> Question | None:
    """Which model translates best? One option per GRU model (the first lesson is about the scorers; the
    Transformer has its own lesson), valued by the measured `metric`; None if unmeasured."""
    values = {name: (card.get("metrics") or {}).get(metric) for name, card in cards.items() if name not in TRANSFORMERS}
    if any(v is None for v in values.values()) or len(values) < 2:
        return None
    names = list(values)
    return Question("scorer", tuple(names), tuple(float(values[n]) for n in names),
                    names.index(max(names, key=lambda n: values[n])))


def normalise_translation(text: str) -> str:
    """A French sentence as compared with a reference: case, spacing, the apostrophe's shape and the
    final full stop do not count ("La voiture est rapide ." == "la voiture est rapide")."""
    t = unicodedata.normalize("NFC", text).casefold().replace("\u2019", "'").replace("\u02bc", "'")
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"\s*([.,;:!?'])\s*", r"\1", t)  # "rapide ." / "rapide." and "l' auto" / "l'auto" alike
    return t.rstrip(".!… ")


def same_translation(translation: str, reference: str) -> bool:
    """Whether a model's translation says exactly the reference, once both are normalised."""
    return bool(reference.strip()) and normalise_translation(translation) == normalise_translation(reference)


# ---------------------------------------------------------------- numbers for the narration


def metric(cards: Mapping[str, dict], scorer: str, name: str) -> float | None:
    value = (cards.get(scorer, {}).get("metrics") or {}).get(name)
    return None if value is None else float(value)


def length_bucket(sentence: str) -> str:
    """The BLEU-by-length bucket ("9-12") a sentence falls in, counting words as the evaluation does."""
    n = word_count(sentence)
    return next(name for lo, hi, name in LENGTH_BUCKETS if lo <= n <= hi)


def bleu_by_length(cards: Mapping[str, dict], scorer: str) -> dict[str, float]:
    """Measured greedy BLEU per English sentence length for one model ({} when not measured)."""
    found = (cards.get(scorer, {}).get("metrics") or {}).get("bleu_by_length_greedy") or {}
    return {k: float(v) for k, v in found.items()}


def softmax_terms(trace: Trace, t: int, word: int, shown: int = 5) -> list[int]:
    """English positions whose exp(score) the worked softmax writes out: the `shown` highest scores,
    and always `word` itself, in sentence order (the rest are written as "…")."""
    allowed = [j for j in range(len(trace.src_tokens)) if j not in trace.blocked]
    top = sorted(allowed, key=lambda j: -trace.scores[t][j])[:shown]
    return sorted(set(top) | {word})


def latex_text(word: str) -> str:
    """A word inside LaTeX \\text{}: its special characters escaped."""
    out = []
    for c in word:
        if c in "\\":
            out.append(r"\textbackslash{}")
        elif c in "{}$&#%_":
            out.append("\\" + c)
        elif c in "^~":
            out.append(r"\textasciicircum{}" if c == "^" else r"\textasciitilde{}")
        else:
            out.append(c)
    return "".join(out)


def softmax_latex(trace: Trace, t: int, word: int, shown: int = 5) -> str:
    """The softmax of step t's real scores worked out for English position `word` (LaTeX, two lines so a
    narrow column holds it): alpha = e^{score} / (e^{...} + ... ), then = number / number = weight.
    `shown`: how many of the highest scores the sum writes out (the word's own term always)."""
    s = trace.scores[t]
    terms = softmax_terms(trace, t, word, shown)
    allowed = [j for j in range(len(trace.src_tokens)) if j not in trace.blocked]
    denom = " + ".join(f"e^{{{s[j]:.2f}}}" for j in terms) + (" + \\dots" if len(terms) < len(allowed) else "")
    total = sum(math.exp(s[j]) for j in allowed)
    name = latex_text(trace.src_tokens[word])
    # the strut keeps the numerator's exponent inside KaTeX's box (else clipped at the top); the thin space
    # after the table keeps its last 2 px inside too (else a scroll bar under the sum)
    return (f"\\begin{{aligned}}\\rule{{0pt}}{{1.6em}}\\alpha_{{\\text{{{name}}}}} "
            f"&= \\frac{{e^{{{s[word]:.2f}}}}}{{{denom}}} \\\\ "
            f"&= \\frac{{{math.exp(s[word]):.2f}}}{{{total:.2f}}} = {trace.weights[t][word]:.2f}\\end{{aligned}}\\,")


def crossing(trace: Trace, stage: Stage) -> dict | None:
    """The reordering stage's numbers: which steps looked at the noun and the adjective, and their weights.

    Returns None when the model has no attention or the stage names no pair. `crossed` is True when the
    French word for the noun came before the one for the adjective although English has them the
    other way round.
    """
    if trace.weights is None or stage.adjective is None or stage.noun is None:
        return None
    last = max(written_steps(trace), 1)
    w = trace.weights[:last]
    adj_t, noun_t = int(np.argmax(w[:, stage.adjective])), int(np.argmax(w[:, stage.noun]))
    return {"adj": stage.adjective, "noun": stage.noun, "adj_step": adj_t, "noun_step": noun_t,
            "adj_weight": float(w[adj_t, stage.adjective]), "noun_weight": float(w[noun_t, stage.noun]),
            "crossed": noun_t < adj_t and stage.noun > stage.adjective}


# ---------------------------------------------------------------- what a stage traces and asks


@dataclass(frozen=True)
class Need:
    """One trace a stage needs: its sentence by `scorer`, with `blocked` English positions hidden."""

    scorer: str
    blocked: tuple[int, ...] = ()


def needs(stage: Stage, models: Sequence[str]) -> dict[str, Need]:
    """The traces a stage draws from, by role: "main" always; "attention" (plain stage: the same
    sentence with attention); "alt0", "alt1", … (what-if stage: the other hidings); one per attention
    scorer (scorers stage)."""
    main = stage_model(stage, models)
    if stage.key == "scorers":
        return {name: Need(name) for name in models if name != "none" and name not in TRANSFORMERS}  # the GRU scorers
    out = {"main": Need(main, stage.hide)}
    if stage.model == "none":
        out["attention"] = Need(attention_model(models))
    for i, hide in enumerate(stage.alternatives):
        out[f"alt{i}"] = Need(main, hide)
    if stage.baseline and "none" in models:
        out["none"] = Need("none")
    return out


def main_trace(stage: Stage, traces: Mapping[str, Trace]) -> Trace:
    """The trace a stage is mostly about (scorers stage: the first attention model's)."""
    return traces["main"] if "main" in traces else next(iter(traces.values()))


def question_for(stage: Stage, traces: Mapping[str, Trace], cards: Mapping[str, dict]) -> Question | None:
    """The stage's prediction, built from its traces (see needs()); None when the stage asks none or
    the models cannot answer it (no attention, no measurements)."""
    if not stage.question:
        return None
    if stage.question == "scorer":
        return scorer_question(cards)
    trace = main_trace(stage, traces)
    t = focus_step(stage, trace)
    if stage.question == "next_word":
        return next_word_question(trace, t)
    if trace.weights is None:
        return None
    if stage.question == "source":
        return source_question(trace, t)
    return translation_question(trace, [tr for k, tr in traces.items() if k.startswith("alt")])
