"""The second lesson's script, "from one attention to many heads": five stages with predict-then-reveal
questions about a Transformer's heads, every answer and number read from a real Trace at run time.

Pure, like lesson.py: stages are data; the sentence a stage uses is chosen when it runs (the first of its
candidates the model translates as a French speaker would, else the first where it writes the stage's
French word); questions are built from the trace's heads and scored by lesson.grade / lesson.tally. The
page is attnviz/views/lesson_heads.py; the words are in attnviz/messages/<lang>/lesson_heads.toml.
Letters: T output steps, S English words, L layers, A heads, K numbers per head.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable, ClassVar, Mapping, Sequence

import numpy as np

from . import lesson
from .lesson import latex_text, same_translation, stage_number, written_steps
from .trace import Trace
from .vocab import BOS, EOS

QUESTION_KINDS = ("count", "source", "head", "self", "scorer")
RIGHT, FOCUS, OTHER = "right", "focus", "other"  # how well the model translated the sentence a stage chose


@dataclass(frozen=True)
class Candidate:
    """A sentence a stage may use: the English, what a French speaker writes, and the French word the
    stage is about (its step is found in the model's translation)."""

    en: str
    fr: str
    focus: str


@dataclass(frozen=True)
class Stage:
    """One screen of the second lesson.

    key: names the stage's messages ("lesson_heads.<key>.*") and its guess in the link's `answers`.
    candidates: the sentences it may use, in order of preference (see choose()).
    question: what the student predicts: one of QUESTION_KINDS.
    step: the output step (0-based) used when the model did not write the focus word.
    """

    key: str
    candidates: tuple[Candidate, ...]
    question: str
    step: int = 1


# Adjectives after their noun: French agrees them with it, so a head may look at the adjective, another at
# the noun. Checked at run time, never assumed: see choose().
AGREEING = (
    Candidate("The white car is fast.", "La voiture blanche est rapide.", "blanche"),
    Candidate("I see the white car.", "Je vois la voiture blanche.", "blanche"),
    Candidate("She reads a red book.", "Elle lit un livre rouge.", "rouge"),
    Candidate("I have a black cat.", "J'ai un chat noir.", "noir"),
)
PLAIN = (
    Candidate("I am very tired.", "Je suis très fatigué.", "fatigué"),
    Candidate("I am tired.", "Je suis fatigué.", "fatigué"),
    Candidate("She reads a red book.", "Elle lit un livre rouge.", "livre"),
    Candidate("The white car is fast.", "La voiture blanche est rapide.", "voiture"),
)
LONGER = (  # enough French words before the focus for the decoder's self-attention to choose among
    Candidate("The white car is fast.", "La voiture blanche est rapide.", "rapide"),
    Candidate("She reads a red book.", "Elle lit un livre rouge.", "rouge"),
    Candidate("I see the white car.", "Je vois la voiture blanche.", "blanche"),
    Candidate("I am very tired.", "Je suis très fatigué.", "fatigué"),
)

STAGES: tuple[Stage, ...] = (
    Stage("several", AGREEING, "count"),  # why several heads: do a layer's heads agree?
    Stage("onehead", PLAIN, "source"),  # one head's three steps, with its real numbers
    Stage("special", AGREEING, "head", step=0),  # heads that specialise: the full stop
    Stage("masked", LONGER, "self", step=3),  # the decoder's masked self-attention
    Stage("linkback", AGREEING, "scorer"),  # back to the GRU scorers
)
KEYS = tuple(s.key for s in STAGES)


def stage_at(number) -> tuple[int, Stage]:
    """The stage for a 1-based number, clamped into 1..len(STAGES) (junk -> 1): (number, stage)."""
    n = stage_number(number, len(STAGES))
    return n, STAGES[n - 1]


def heads_model(has_heads: Mapping[str, bool]) -> str | None:
    """The lesson's model: the first loaded one with heads (has_heads: name -> whether it has them)."""
    return next((name for name, yes in has_heads.items() if yes), None)


GRU_ORDER = ("general", "dot", "concat")  # general first: a head's q·k is its h_t · W h_s, split in two


def gru_model(has_heads: Mapping[str, bool]) -> str | None:
    """The one-attention model the last stage compares with: general if loaded, else another scorer."""
    names = [n for n, yes in has_heads.items() if not yes and n != "none"]
    return next((n for n in (*GRU_ORDER, *names) if n in names), None)


# ---------------------------------------------------------------- the sentence a stage uses


def choose(stage: Stage, translate: Callable[[str], Trace]) -> tuple[Candidate, Trace, str]:
    """The stage's sentence, chosen from the model's own translations: the first candidate it translates
    as the French speaker does ("right"), else the first where it writes the focus word ("focus"), else
    the first candidate ("other"). `translate(en)` gives the trace; it is called in order, and no more
    than needed."""
    fallback = None
    for c in stage.candidates:
        tr = translate(c.en)
        if same_translation(tr.translation, c.fr):
            return c, tr, RIGHT
        if fallback is None and wrote(tr, c.focus) is not None:
            fallback = (c, tr, FOCUS)
    if fallback is not None:
        return fallback
    c = stage.candidates[0]
    return c, translate(c.en), OTHER


def wrote(trace: Trace, word: str) -> int | None:
    """The first step (0-based) at which the model wrote `word` (case aside), or None."""
    want = word.casefold()
    return next((t for t, w in enumerate(trace.tgt_tokens[:written_steps(trace)]) if w.casefold() == want), None)


def focus_step(stage: Stage, candidate: Candidate, trace: Trace) -> int:
    """The output step the stage is about: where the model wrote the focus word, else the stage's step
    (clamped to the words it wrote)."""
    t = wrote(trace, candidate.focus)
    if t is not None:
        return t
    return min(max(stage.step, 0), max(written_steps(trace) - 1, 0))


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question(lesson.Question):
    """A prediction before the reveal, as lesson.Question (lesson.grade and lesson.tally score it), with
    this lesson's kinds. Options: a count ("1".."A"), an English word, a head ("layer.head", 1-based), a
    French word the decoder may look at, a scorer name; values: the model's number for each (weight),
    or None where there is none."""

    KINDS: ClassVar[tuple[str, ...]] = QUESTION_KINDS


def _heads(trace: Trace):
    if trace.heads is None:
        raise ValueError(f"the {trace.scorer!r} model has one attention, no heads")
    return trace.heads


def looks(trace: Trace, t: int, layer: int) -> list[tuple[int, float]]:
    """For each head of `layer` (0-based), at step t: (the English position it weighs most, that weight)."""
    w = _heads(trace).cross_weights[t, layer]  # (A, S)
    return [(int(np.argmax(row)), float(row.max())) for row in w]


def count_question(trace: Trace, t: int, layer: int) -> Question:
    """How many different English words do the A heads of `layer` look at most, at step t? Options 1..A;
    the value of the right one is that number."""
    found = len({j for j, _ in looks(trace, t, layer)})
    heads = _heads(trace).shape[1]
    options = tuple(str(n) for n in range(1, heads + 1))
    return Question("count", options, tuple(float(n) if n == found else None for n in range(1, heads + 1)),
                    found - 1)


def source_question(trace: Trace, t: int) -> Question:
    """Which English word will the trace's own head weigh most at step t? Valued by its weights."""
    w = trace.weights[t]
    return Question("source", tuple(trace.src_tokens), tuple(float(x) for x in w), int(np.argmax(w)))


def is_punctuation(word: str) -> bool:
    return bool(word) and all(unicodedata.category(c).startswith("P") for c in word)


def punctuation(trace: Trace) -> list[int]:
    """English positions that are punctuation (".", "?", ",")."""
    return [j for j, w in enumerate(trace.src_tokens) if is_punctuation(w)]


def head_option(layer: int, head: int) -> str:
    """A head as an option: "layer.head", 1-based ("3.2")."""
    return f"{layer + 1}.{head + 1}"


def head_of(option: str) -> tuple[int, int]:
    """(layer, head), 0-based, from head_option's text."""
    layer, head = option.split(".")
    return int(layer) - 1, int(head) - 1


def punctuation_weights(trace: Trace) -> np.ndarray:
    """(L, A): each cross-attention head's weight on the sentence's punctuation, averaged over the French
    words the model wrote."""
    h = _heads(trace)
    n = max(written_steps(trace), 1)
    return h.cross_weights[:n][..., punctuation(trace)].sum(-1).mean(0)  # (L, A)


def head_question(trace: Trace) -> Question | None:
    """Which head looks most at the punctuation? One option per head of every layer, valued by
    punctuation_weights; None for a sentence without punctuation."""
    if not punctuation(trace):
        return None
    w = punctuation_weights(trace)
    layers, heads = w.shape
    cells = [(l, a) for l in range(layers) for a in range(heads)]
    values = tuple(float(w[l, a]) for l, a in cells)
    return Question("head", tuple(head_option(l, a) for l, a in cells), values, int(np.argmax(values)))


def previous_word_weights(trace: Trace) -> np.ndarray:
    """(L, A): each decoder self-attention head's weight on the French word written just before, averaged
    over the steps that have one (step t >= 1; the decoder's input at position t is word t - 1)."""
    h = _heads(trace)
    n = written_steps(trace)
    if n < 2:
        return np.zeros(h.shape)
    steps = np.arange(1, n)
    return h.self_weights[steps, :, :, steps].mean(0)  # (L, A)


def previous_word_head(trace: Trace) -> tuple[int, int]:
    """The (layer, head) whose self-attention weighs the previous French word most, 0-based."""
    w = previous_word_weights(trace)
    layer, head = np.unravel_index(int(np.argmax(w)), w.shape)
    return int(layer), int(head)


def decoder_inputs(trace: Trace) -> list[str]:
    """What the decoder's self-attention can look at, position by position: the start symbol <bos>, then
    each French word it wrote (the last step's input is the last word before <eos>)."""
    return [BOS, *trace.tgt_tokens[:trace.num_steps - 1]]


def self_question(trace: Trace, t: int, layer: int, head: int) -> Question:
    """Which French word will head (layer, head)'s self-attention weigh most when writing word t? Every
    French word is an option, the later ones too: the mask gives them weight 0."""
    w = _heads(trace).self_weights[t, layer, head]  # (T,): 0 after position t
    words = decoder_inputs(trace)
    return Question("self", tuple(words), tuple(float(x) for x in w[:len(words)]), int(np.argmax(w[:t + 1])))


# Why the answer is general: a head scores q·k = (W_q s)·(W_k h) = sᵀ (W_qᵀ W_k) h (plus bias terms), a
# learned matrix between the decoder's and the encoder's vectors, as Luong's general scores sᵀ W h. This is
# the maths of the two models, not a measurement: the options carry no numbers.
LIKE_A_HEAD = "general"


def scorer_question(gru_scorers: Sequence[str]) -> Question | None:
    """Which one-attention scorer computes its score as a Transformer head does? The loaded attention
    scorers; None when general is not among them."""
    names = [n for n in ("dot", "general", "concat") if n in gru_scorers]
    names += [n for n in gru_scorers if n not in names and n != "none"]
    if LIKE_A_HEAD not in names or len(names) < 2:
        return None
    return Question("scorer", tuple(names), (None,) * len(names), names.index(LIKE_A_HEAD))


def option_text(kind: str, options: Sequence[str], i: int, m: Callable[..., str]) -> str:
    """Option i as a button or a phone says it, in the reader's language (m: the message catalogue): a
    count with what it means, a head as "layer 2 · head 3", a scorer's name, a French word (the start
    mark as the lesson names it; a word written twice gets "(2)"), an English word as written."""
    option = options[i]
    if kind == "count":
        key = "option_one" if i == 0 else "option_all" if i == len(options) - 1 else "option"
        return m(f"lesson_heads.several.{key}", n=option)
    if kind == "head":
        layer, head = head_of(option)
        return m("lesson_heads.fig.head_name", layer=layer + 1, head=head + 1)
    if kind == "scorer":
        return m(f"scorers.{option}")
    if kind == "self":
        word = m("lesson_heads.start") if option == BOS else "<eos>" if option == EOS else option
        repeated = list(options[:i]).count(option)  # "la" twice: the second is "la (2)"
        return word + (f" ({repeated + 1})" if repeated else "")
    return option


# ---------------------------------------------------------------- numbers for the narration


def dot_terms(trace: Trace, t: int, word: int) -> tuple[float, float, float]:
    """The trace's head's score of English position `word` at step t worked out: (q·k, √K, q·k / √K)."""
    h = _heads(trace)
    q = h.queries[t, h.layer, h.head]  # (K,)
    k = h.keys[h.layer, h.head, word]  # (K,)
    root = float(np.sqrt(q.shape[0]))
    dot = float(q @ k)
    return dot, root, dot / root


def dot_latex(trace: Trace, t: int, word: int) -> str:
    """Step 2 for English position `word` at step t, worked out with the head's numbers (LaTeX):
    score = q·k / √K = dot / √K = score."""
    dot, root, score = dot_terms(trace, t, word)
    sub = f"\\text{{{latex_text(trace.src_tokens[word])}}}"
    return (f"\\text{{score}}_{{{sub}}} = \\frac{{q \\cdot k_{{{sub}}}}}{{\\sqrt{{{root * root:.0f}}}}}"
            f" = \\frac{{{dot:.2f}}}{{{root:.0f}}} = {score:.2f}")


def question_for(stage: Stage, trace: Trace, t: int, gru_scorers: Sequence[str] = ()) -> Question | None:
    """The stage's prediction from its trace (the model's own head: trace.heads.layer / .head) at step t."""
    h = _heads(trace)
    if stage.question == "count":
        return count_question(trace, t, h.layer)
    if stage.question == "source":
        return source_question(trace, t)
    if stage.question == "head":
        return head_question(trace)
    if stage.question == "self":
        return self_question(trace, t, *previous_word_head(trace))
    return scorer_question(gru_scorers)
