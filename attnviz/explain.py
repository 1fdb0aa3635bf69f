"""Words for the page: input checks, per-step narration read from a Trace, and the explainer text.

Pure text (Markdown strings), no model and no display. Every number quoted comes from the Trace.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .text import tokenize_en
from .trace import MAX_SOURCE_TOKENS, Trace

MAX_WORDS = min(30, MAX_SOURCE_TOKENS)  # the models learned from sentences of at most 30 words
MAX_CHARS = 1000  # the text box refuses more; MAX_WORDS cuts far earlier for real sentences

EXAMPLES = (
    "The white car is fast.",
    "I am cold.",
    "Where is my car?",
    "She reads a red book.",
    "I don't like cats.",
    "We have to leave before it starts to rain.",
)

SCORER_NAMES = {
    "dot": "dot (Luong)",
    "general": "general (Luong)",
    "concat": "concat (Bahdanau)",
    "none": "no attention (baseline)",
}

NO_ATTENTION_NOTE = (
    "This model has **no attention**: its decoder only ever saw the encoder's *final* hidden state, "
    "one vector for the whole sentence, and never looks back at the English words. "
    "So there are no weights to draw."
)

EXPLAINER_SHORT = r"""
**How attention works.** The encoder reads the English sentence and hands over **every** hidden
state, one per word. Before writing each French word, the decoder:

1. **looks** at the set of encoder hidden states $h_1 \dots h_S$;
2. gives each one a raw **score** $e_i$ (how useful is this word right now?);
3. turns the scores into **softmax weights**, positive and summing to 1, multiplies each hidden
   state by its weight and sums them into the **context vector** $c = \sum_i \alpha_i h_i$:

$$\alpha_i = \frac{\exp(e_i)}{\sum_j \exp(e_j)}$$

The context vector and the decoder's own state then choose the next word. Each row of the heatmap
is one set of weights: dark cells are the English words the model looked at.
"""

EXPLAINER = EXPLAINER_SHORT + r"""
**Without attention** (the baseline), the encoder squeezes the whole sentence into its final hidden
state and the decoder starts from that one vector; long sentences suffer most (see *Model quality*).

**Three ways to score** (Luong et al. 2015), with $s$ the decoder state and $h_i$ an encoder state of
$H$ numbers:

| scorer | raw score $e_i$ |
|---|---|
| dot | $s \cdot h_i \,/\, \sqrt{H}$ |
| general | $s \cdot W h_i \,/\, \sqrt{H}$ ($W$ learned) |
| concat | $v \cdot \tanh(W_q s + W_k h_i)$, Bahdanau et al.'s additive attention |

Only the scores differ; the softmax and the weighted sum are the same for all three.
"""

TAGLINE = ("An English→French encoder-decoder. With attention, the encoder hands over every hidden state and, "
           "before each French word, the decoder looks at them, scores them and weighs them.")
EMPTY_INPUT = "Type an English sentence above, or pick an example."
HEATMAP_CAPTION = ("Rows: French words written, in order. Columns: English words. Each row is one set of softmax "
                   "weights (sums to 1). `*` unknown word, `×` hidden from attention.")
BLEU_BY_LENGTH_CAPTION = ("With attention, long sentences keep more of their quality; without it, the whole "
                          "sentence must squeeze through one vector (Bahdanau et al. 2015).")
NO_SCORES = "No scores yet: run `python -m attnviz evaluate` to measure the models."
METRIC_HELP = {
    "BLEU": "Greedy-decoding BLEU on held-out sentences (sacrebleu); higher is better",
    "chrF": "Character n-gram F-score on the same sentences; higher is better",
    "BLEU (beam)": "BLEU with beam search (width in the next column)",
    "AER": "Alignment error rate: argmax attention against hand-made word alignments; lower is better",
    "attention entropy": "Mean entropy of the weights (nats): low = sharp, high = spread out",
}

UNKNOWN_NOTE = "{words}: not in the model's vocabulary (marked `*`); the model saw `<unk>` instead."


@dataclass(frozen=True)
class Prepared:
    """What the page translates: the (possibly cut) sentence and what to tell the reader about it."""

    sentence: str  # the text to translate; "" when there is nothing to translate
    words: int  # tokens in the text as typed
    notes: tuple[str, ...]  # Markdown messages, e.g. that the sentence was cut


def code(word: str) -> str:
    """A word as inline code: Markdown, HTML and LaTeX inside it stay plain text."""
    word = word.replace("`", "'").strip() or " "
    return f"`{word}`"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:])")


def md_escape(text: str) -> str:
    """Escape Markdown (and `$` for LaTeX, `:` for emoji codes) so text shows exactly as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def prepare_input(text: str | None, limit: int = MAX_WORDS) -> Prepared:
    """Cut the input to `limit` words (tokens) at a whitespace boundary, and say so if it was cut."""
    text = text or ""
    tokens = tokenize_en(text)
    if len(tokens) <= limit:
        return Prepared(text, len(tokens), ())
    pieces, kept = text.split(), ""
    for k in range(1, len(pieces) + 1):  # tokens never span whitespace, so a prefix of pieces is exact
        if len(tokenize_en(" ".join(pieces[:k]))) > limit:
            break
        kept = " ".join(pieces[:k])
    if not kept:  # one huge "word" without spaces: keep its first tokens
        kept = " ".join(tokens[:limit])
    note = (f"Your sentence has {len(tokens)} words and symbols; only the first "
            f"{len(tokenize_en(kept))} are translated (the models learned from sentences of at most "
            f"{limit} words).")
    return Prepared(kept, len(tokens), (note,))


def input_notes(trace: Trace) -> list[str]:
    """Warnings about the input as the model saw it: unknown words, blocked words."""
    notes = []
    unknown = [tok for tok, known in zip(trace.src_tokens, trace.src_known) if not known]
    if unknown and len(unknown) == len(trace.src_tokens):
        notes.append("The model knows **none** of these words (it saw only `<unk>`), so the translation "
                     "below is a guess. Try a simple everyday English sentence.")
    elif unknown:
        notes.append(UNKNOWN_NOTE.format(words=", ".join(code(w) for w in dict.fromkeys(unknown))))
    if trace.blocked and trace.weights is not None:  # without attention there is nothing to hide from
        words = ", ".join(code(trace.src_tokens[i]) for i in trace.blocked)
        notes.append(f"Hidden from attention (marked `×`): {words}. Their weight is forced to 0.")
    if not trace.finished:
        notes.append(f"The model never ended the sentence: decoding stopped after {trace.num_steps} words.")
    unknown_fr = [tok for tok, known in zip(trace.tgt_tokens, trace.tgt_known) if not known]
    if unknown_fr:
        notes.append(f"Forced French words the model does not know (marked `*`): "
                     f"{', '.join(code(w) for w in dict.fromkeys(unknown_fr))}.")
    return notes


def source_line(trace: Trace) -> str:
    """The English tokens as the model reads them, one code span each."""
    return " ".join(code(tok + ("" if known else "*")) for tok, known in zip(trace.src_tokens, trace.src_known))


def _word(tok: str) -> str:
    return "the end of the sentence (`<eos>`)" if tok == "<eos>" else code(tok)


def _subject(tok: str) -> str:
    return "to end the sentence (`<eos>`), the decoder" if tok == "<eos>" else code(tok)


def _top(weights: np.ndarray, n: int) -> list[int]:
    return [int(i) for i in np.argsort(-weights, kind="stable")[:n]]


def step_narration(trace: Trace, t: int) -> str:
    """One sentence for output step t, in plain words, quoting the trace's numbers."""
    trace.check_step(t)
    head = f"**Step {t + 1} of {trace.num_steps}.**"
    tok, p = trace.tgt_tokens[t], float(trace.chosen_probs[t])
    if trace.weights is None:
        look = ("No attention: the decoder's own state, which began as the encoder's final hidden state, "
                "picks every word; it never looks back at the English words.")
    else:
        w = trace.weights[t]
        first, *rest = _top(w, 3)
        src = trace.src_tokens
        if w[first] >= 0.5:
            look = f"{_subject(tok)} looked mostly at {code(src[first])} ({w[first]:.2f})"
            if rest and w[rest[0]] >= 0.05:
                look += f", then {code(src[rest[0]])} ({w[rest[0]]:.2f})"
            look += "."
        else:
            spread = [f"{code(src[i])} ({w[i]:.2f})" for i in [first, *rest] if w[i] >= 0.01]
            look = f"{_subject(tok)} spread its attention: " + ", ".join(spread) + "."
    best_tok, best_p = trace.topk_tokens[t][0], float(trace.topk_probs[t][0])
    if trace.mode == "forced":
        pick = f"You forced {code(tok)}; the model gave it probability {p:.2f}"
        pick += "." if best_tok == tok else f" and itself preferred {code(best_tok)} ({best_p:.2f})."
    elif best_tok != tok:
        pick = (f"Beam search kept {code(tok)} (probability {p:.2f}) although {code(best_tok)} "
                f"({best_p:.2f}) was more likely at this step alone.")
    else:
        pick = f"It chose {code(tok)} with probability {p:.2f}."
    return f"{head} {look[0].upper() + look[1:]} {pick}"


def step_captions(trace: Trace, t: int) -> dict[str, str]:
    """Captions for the three steps of attention at output step t, and for the next-word choice.

    Returns a dict with keys "look", "score", "weigh", "choose" (Markdown, numbers from the trace).
    """
    s_len, h = trace.enc_out.shape
    look = (f"**(1) Look.** The encoder hands over {s_len} hidden states, one per English word; "
            f"each is a list of {h} numbers (a row below).")
    if trace.weights is None:
        return {"look": look, "score": "", "weigh": "", "choose": _choose(trace, t)}
    scores, w = trace.scores[t], trace.weights[t]
    src = trace.src_tokens
    allowed = [i for i in range(s_len) if i not in trace.blocked]
    top = _top(w, 3)
    by_score = sorted(allowed, key=lambda j: -scores[j])
    score = ("**(2) Score.** The decoder's state gives each hidden state a raw score, any number: "
             + ", ".join(f"{code(src[j])} {scores[j]:.2f}" for j in by_score[:3])
             + (" (the three highest)." if len(allowed) > 3 else "."))
    if trace.blocked:
        score += " Blocked words (`×`) are skipped."
    i = top[0]
    terms = " + ".join(f"e^{{{scores[j]:.2f}}}" for j in allowed[:4]) + (" + \\dots" if len(allowed) > 4 else "")
    weigh = (f"**(3) Weigh and sum.** Softmax turns the scores into weights that sum to 1, e.g. "
             f"{code(src[i])}: $e^{{{scores[i]:.2f}}} / ({terms}) = {w[i]:.2f}$. "
             f"Each hidden state is multiplied by its weight and the {s_len} results are added: "
             f"the context vector, "
             + " + ".join(f"{w[j]:.2f} × {code(src[j])}" for j in top)
             + (" + …" if s_len > 3 else "") + f" ({h} numbers).")
    return {"look": look, "score": score, "weigh": weigh, "choose": _choose(trace, t)}


def _choose(trace: Trace, t: int) -> str:
    tok = trace.tgt_tokens[t]
    uses = ("The context vector and the decoder's state give" if trace.weights is not None
            else "The decoder's state gives")
    others = [f"{code(w)} ({p:.2f})" for w, p in zip(trace.topk_tokens[t], trace.topk_probs[t]) if w != tok][:2]
    return (f"**Next word.** {uses} a probability to every French word: {_word(tok)} "
            f"({float(trace.chosen_probs[t]):.2f})" + (", ahead of " + " and ".join(others) if others else "")
            + ".")


def alternatives_table(trace: Trace) -> list[dict]:
    """Beam hypotheses as rows: rank, translation, mean log-prob and its per-word probability."""
    return [{"rank": r, "translation": text, "mean log-prob": lp, "≈ probability per word": round(math.exp(lp), 3)}
            for r, (text, lp) in enumerate(trace.alternatives, start=1)]


def scorer_label(scorer: str) -> str:
    return SCORER_NAMES.get(scorer, scorer)


def source_tokens(sentence: str) -> list[str]:
    """The English tokens of `sentence`, as the models will read them (for choosing words to block)."""
    return tokenize_en(sentence)


def best_model(cards: dict[str, dict]) -> str:
    """The model a first visitor sees: the attention model with the best measured greedy BLEU.

    Without measurements, the first attention model (then the first model) in `cards`.
    """
    scored = {name: (card.get("metrics") or {}).get("bleu_greedy") for name, card in cards.items() if name != "none"}
    measured = {name: bleu for name, bleu in scored.items() if bleu is not None}
    if measured:
        return max(measured, key=measured.get)
    return next(iter(scored), next(iter(cards), "dot"))
