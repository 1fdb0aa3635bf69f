"""Words for the page: input checks, per-step narration read from a Trace, and the explainer text.

Pure text (Markdown strings), no model and no display. Every number quoted comes from the Trace;
every word comes from the message catalogues (attnviz/messages/<lang>/explain.toml), so each
function takes `m` (attnviz.i18n.messages(lang); English when left out).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from .architectures import TRANSFORMERS
from .i18n import Messages, messages
from .text import copyable, tokenize_en
from .trace import MAX_SOURCE_TOKENS, Trace

MAX_WORDS = min(30, MAX_SOURCE_TOKENS)  # the models learned from sentences of at most 30 words
MAX_CHARS = 1000  # longer input is cut to this many characters, with a note (attnviz.state.cut_text)
MOSTLY_UNKNOWN = 0.5  # above this share of unknown words the output is not headlined as a translation

EXAMPLES = (  # English input for English->French models, chosen for teaching (the same in every page language)
    "I see the white car.",  # the adjective moves after its noun: attention crosses over
    "I am hungry.",  # not word for word: "am" becomes "ai" (avoir faim)
    "I don't like cats.",  # one English word, two French ones: ne ... pas
    "Where is my car?",  # a question
    "Kenji is 12 years old.",  # a name and a number the model cannot write: both copied through attention
    "Julie lives in Lyon.",  # names copied, "in" becomes "à"
    "We have to leave before it starts to rain.",  # a longer sentence, with a subjunctive
)

Note = tuple[str, dict]  # (message key, values): said in the reader's language by the page


def _en(m: Messages | None) -> Messages:
    return m or messages("en")


@dataclass(frozen=True)
class Prepared:
    """What the page translates: the (possibly cut) sentence and what to tell the reader about it."""

    sentence: str  # the text to translate; "" when there is nothing to translate
    words: int  # tokens in the text as typed
    notes: tuple[Note, ...]  # (message key, values), e.g. that the sentence was cut


def code(word: str) -> str:
    """A word as inline code: Markdown, HTML and LaTeX inside it stay plain text."""
    word = word.replace("`", "'").strip() or " "
    return f"`{word}`"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:])")


def md_escape(text: str) -> str:
    """Escape Markdown (and `$` for LaTeX, `:` for emoji codes) so text shows exactly as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def is_rtl(word: str) -> bool:
    """True when `word` holds right-to-left letters (Arabic, Hebrew, …)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in word)


def isolate(word: str) -> str:
    """A right-to-left word wrapped in Unicode isolates, so a mark after it stays on its right."""
    return f"\u2068{word}\u2069" if is_rtl(word) else word


def marked(word: str, known: bool = True, blocked: bool = False) -> str:
    """`word*` when unknown, `× word` when hidden from attention; marks sit outside RTL words."""
    if known and not blocked:
        return word
    return ("× " if blocked else "") + isolate(word) + ("" if known else "*")


def same_word(a: str, b: str) -> bool:
    """The model sees lowercase words: a forced `Je` is the model's `je`."""
    return a.casefold() == b.casefold()


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
    note = ("explain.cut_words", {"words": len(tokens), "kept": len(tokenize_en(kept)), "limit": limit})
    return Prepared(kept, len(tokens), (note,))


def unknown_share(trace: Trace) -> float:
    """The share of the input's words the model does not know (punctuation counts only if alone)."""
    words = [k for tok, k in zip(trace.src_tokens, trace.src_known) if any(c.isalnum() for c in tok)]
    words = words or list(trace.src_known)
    return sum(not k for k in words) / len(words) if words else 0.0


def reads_english_only(trace: Trace) -> bool:
    """Most words unknown (another language, digits, symbols): the output is no translation."""
    return unknown_share(trace) > MOSTLY_UNKNOWN


def input_notes(trace: Trace, m: Messages | None = None) -> list[str]:
    """Warnings about the input as the model saw it: unknown words, blocked words."""
    m = _en(m)
    notes = []
    unknown = [tok for tok, known in zip(trace.src_tokens, trace.src_known) if not known]
    if reads_english_only(trace):
        notes.append(m("explain.english_only", words=", ".join(code(w) for w in dict.fromkeys(unknown))))
    elif unknown:
        notes.append(m("explain.unknown_words", words=", ".join(code(w) for w in dict.fromkeys(unknown))))
    if trace.blocked and trace.weights is not None:  # without attention there is nothing to hide from
        notes.append(m("explain.blocked", words=", ".join(code(trace.src_tokens[i]) for i in trace.blocked)))
    if not trace.finished:
        notes.append(m("explain.unfinished", n=trace.num_steps))
    unknown_fr = [tok for tok, known, pos in zip(trace.tgt_tokens, trace.tgt_known, trace.copied)
                  if not known and pos < 0]
    if unknown_fr:
        notes.append(m("explain.unknown_forced", words=", ".join(code(w) for w in dict.fromkeys(unknown_fr))))
    return notes


def copy_line(trace: Trace, m: Messages | None = None) -> str | None:
    """What was copied through attention, or why nothing could be (no attention), or None."""
    m = _en(m)
    if trace.copied_steps:
        words = ", ".join(f"{code(trace.tgt_tokens[t])} ({trace.weights[t][trace.copied[t]]:.2f})"
                          for t in trace.copied_steps)
        return m("explain.copy_line", words=words)
    names = [tok for tok, known in zip(trace.src_tokens, trace.src_known) if copyable(tok, known)]
    if trace.weights is None and names:
        return m("explain.none_cannot_copy", words=", ".join(code(w) for w in dict.fromkeys(names)))
    return None


def is_forced(trace: Trace) -> bool:
    """Whether any output word was forced by the reader (whole sentence, or a prefix)."""
    forced = getattr(trace, "forced", None)
    return trace.mode == "forced" or bool(forced is not None and any(forced))


def sentence_prob(trace: Trace) -> tuple[float, float]:
    """(probability the model gives the whole output, incl. its end; the per-word geometric mean)."""
    logp = float(np.log(np.clip(trace.chosen_probs, 1e-300, 1.0)).sum())
    return math.exp(logp), math.exp(logp / max(trace.num_steps, 1))


def headline(trace: Trace, m: Messages | None = None) -> str:
    """The line above the heatmap: the translation, or plainly what the output is when it is not one."""
    m = _en(m)
    text = md_escape(trace.translation) or m("app.empty_translation")
    if reads_english_only(trace):
        return m("explain.not_a_translation", text=text)
    if is_forced(trace):
        p, per_word = sentence_prob(trace)
        return m("explain.forced_headline", text=text, p=f"{p:.2g}", per_word=f"{per_word:.2f}")
    return f"### {text}"


def source_line(trace: Trace) -> str:
    """The English tokens as the model reads them, one code span each."""
    return " ".join(code(marked(tok, known)) for tok, known in zip(trace.src_tokens, trace.src_known))


def _word(tok: str, m: Messages) -> str:
    return m("explain.eos_word") if tok == "<eos>" else code(tok)


def _subject(tok: str, m: Messages) -> str:
    return m("explain.eos_subject") if tok == "<eos>" else code(tok)


def _top(weights: np.ndarray, n: int) -> list[int]:
    return [int(i) for i in np.argsort(-weights, kind="stable")[:n]]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def head_name(trace: Trace, m: Messages | None = None) -> str:
    """The head a Transformer trace shows, 1-based ("layer 3, head 1"); "" for a model without heads."""
    if trace.heads is None:
        return ""
    return _en(m)("explain.head_name", layer=trace.heads.layer + 1, head=trace.heads.head + 1)


def step_title(trace: Trace, t: int, m: Messages | None = None) -> str:
    """"**Step 2 of 7.**", and for a Transformer the head shown: "**Step 2 of 7 · layer 3, head 1.**"."""
    m = _en(m)
    if trace.heads is None:
        return m("explain.step_head", step=t + 1, total=trace.num_steps)
    return m("explain.step_head_heads", step=t + 1, total=trace.num_steps, head=head_name(trace, m))


def step_narration(trace: Trace, t: int, m: Messages | None = None) -> str:
    """One sentence for output step t, in plain words, quoting the trace's numbers."""
    m = _en(m)
    trace.check_step(t)
    head = step_title(trace, t, m)
    tok, p = trace.tgt_tokens[t], float(trace.chosen_probs[t])
    if trace.weights is None:
        look = m("explain.no_attention_look")
    else:
        w = trace.weights[t]
        first, *rest = _top(w, 3)
        src = trace.src_tokens
        if w[first] >= 0.5:
            who, word, wt = _subject(tok, m), code(src[first]), f"{w[first]:.2f}"
            if rest and w[rest[0]] >= 0.05:
                look = m("explain.looked_mostly_then", who=who, word=word, w=wt, word2=code(src[rest[0]]),
                         w2=f"{w[rest[0]]:.2f}")
            else:
                look = m("explain.looked_mostly", who=who, word=word, w=wt)
        else:
            spread = [f"{code(src[i])} ({w[i]:.2f})" for i in [first, *rest] if w[i] >= 0.01]
            look = m("explain.spread", who=_subject(tok, m), words=", ".join(spread))
    return f"{head} {_capital(look)} {_pick(trace, t, m)}"


def _pick(trace: Trace, t: int, m: Messages) -> str:
    """Why this word: forced, copied through attention, the model's best, or (beam) a kept runner-up."""
    tok, p = trace.tgt_tokens[t], float(trace.chosen_probs[t])
    best_tok, best_p = trace.topk_tokens[t][0], float(trace.topk_probs[t][0])
    values = {"word": code(tok), "p": f"{p:.2f}", "best": code(best_tok), "best_p": f"{best_p:.2f}"}
    copied = trace.copied[t]
    copy = _copy_reason(trace, t, m, values) if copied >= 0 else ""
    if t < len(trace.forced) and trace.forced[t]:
        key = "explain.forced_same" if same_word(best_tok, tok) or copied >= 0 else "explain.forced_other"
        return " ".join(filter(None, [m(key, **values), copy]))
    if copied >= 0:
        return copy
    if same_word(best_tok, tok):
        return m("explain.chose", **values)
    if trace.mode == "beam":
        return m("explain.beam_kept", **values)
    # greedy and not the most likely word: that word was <unk>, and there was nothing to copy
    if trace.weights is None:
        return m("explain.no_copy_none", **values)
    done = _copied_already(trace, t)
    if done:
        return m("explain.no_copy_done", done=", ".join(code(trace.src_tokens[i]) for i in done), **values)
    return m("explain.no_copy", **values)


def _copied_already(trace: Trace, t: int) -> list[int]:
    """The English words step t could see and might have copied, when every one was copied by an
    earlier step (each word is copied once); [] when some were left, or there were none."""
    may = [i for i, (tok, known) in enumerate(zip(trace.src_tokens, trace.src_known))
           if copyable(tok, known) and trace.weights[t][i] > 0]
    done = set(trace.copied[:t])
    return may if may and all(i in done for i in may) else []


def _copy_reason(trace: Trace, t: int, m: Messages, values: dict) -> str:
    """Why step t copied its English word: attention's heaviest word, or the heaviest of those it may copy."""
    w, pos, top = trace.weights[t], trace.copied[t], int(np.argmax(trace.weights[t]))
    if pos == top or w[pos] == w[top]:
        return m("explain.copied", w=f"{w[pos]:.2f}", **values)
    return m("explain.copied_past", w=f"{w[pos]:.2f}", top=code(trace.src_tokens[top]), top_w=f"{w[top]:.2f}",
             **values)


def _softmax_terms(scores: np.ndarray, allowed: list[int], i: int, shown: int = 3) -> str:
    """The denominator of the worked softmax: the first terms, and always word i's own term."""
    keep = sorted(set(allowed[:shown]) | {i})
    parts, prev = [], -1
    for j in keep:
        if allowed.index(j) > prev + 1:
            parts.append("\\dots")
        parts.append(f"e^{{{scores[j]:.2f}}}")
        prev = allowed.index(j)
    if prev < len(allowed) - 1:
        parts.append("\\dots")
    return " + ".join(parts)


def step_captions(trace: Trace, t: int, m: Messages | None = None) -> dict[str, str]:
    """Captions for the three steps of attention at output step t, and for the next-word choice.

    Returns a dict with keys "look", "score", "weigh", "choose" (Markdown, numbers from the trace); for
    a Transformer trace, head_captions' dict (the shown head's query, keys and values, and more).
    """
    m = _en(m)
    if trace.heads is not None:
        return head_captions(trace, t, m)
    s_len, h = trace.enc_out.shape
    look = m("explain.cap_look", states=s_len, dims=h)
    if trace.weights is None:
        return {"look": look, "score": "", "weigh": "", "choose": _choose(trace, t, m)}
    scores, w = trace.scores[t], trace.weights[t]
    src = trace.src_tokens
    allowed = [i for i in range(s_len) if i not in trace.blocked]
    top = _top(w, 3)
    by_score = sorted(allowed, key=lambda j: -scores[j])
    listed = ", ".join(f"{code(src[j])} {scores[j]:.2f}" for j in by_score[:3])
    score = m("explain.cap_score_top3" if len(allowed) > 3 else "explain.cap_score", scores=listed)
    if trace.blocked:
        score += " " + m("explain.cap_score_blocked")
    i = top[0]
    formula = f"$e^{{{scores[i]:.2f}}} / ({_softmax_terms(scores, allowed, i)}) = {w[i]:.2f}$"
    mix = " + ".join(f"{w[j]:.2f} × {code(src[j])}" for j in top) + (" + …" if s_len > 3 else "")
    weigh = m("explain.cap_weigh", word=code(src[i]), formula=formula, states=s_len, mix=mix, dims=h)
    return {"look": look, "score": score, "weigh": weigh, "choose": _choose(trace, t, m)}


def _numbers(v: np.ndarray, n: int = 4) -> str:
    """The first n numbers of a vector, for a caption: "0.12, −0.40, 1.03, 0.00"."""
    return ", ".join(f"{x:.2f}" for x in np.asarray(v, dtype=float)[:n])


def head_outputs(trace: Trace, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Step t, the shown head's layer: every head's weighted sum of its values, concatenated (A * K,),
    and that vector projected by the layer's output matrix (D,), what cross-attention adds to the
    decoder's vector. ValueError for a model without heads."""
    if trace.heads is None:
        raise ValueError(f"the {trace.scorer!r} model has one attention, no heads")
    trace.check_step(t)
    h, layer = trace.heads, trace.heads.layer
    per_head = np.einsum("as,ask->ak", h.cross_weights[t, layer], h.values[layer])  # (A, S) x (A, S, K) -> (A, K)
    return per_head.reshape(-1), h.cross_out[t, layer]  # (A * K,), (D,)


def head_captions(trace: Trace, t: int, m: Messages | None = None) -> dict[str, str]:
    """A Transformer's step t through the shown head: the note's three steps with this head's query,
    keys and values, then all heads of its layer joined and projected, and how it differs from the GRU.

    Returns a dict with keys "look", "score", "weigh", "heads", "differs", "choose" (Markdown).
    """
    m = _en(m)
    trace.check_step(t)
    h = trace.heads
    layers, n_heads = h.shape
    q, keys = trace.dec_states[t], h.keys[h.layer, h.head]  # (K,), (S, K)
    s_len, k_dim = keys.shape
    root = math.sqrt(k_dim)
    scores, w, src = trace.scores[t], trace.weights[t], trace.src_tokens
    allowed = [i for i in range(s_len) if i not in trace.blocked]
    name = head_name(trace, m)
    look = m("explain.tf_look", head=_capital(name), total=layers * n_heads, dims=k_dim,
             qnorm=f"{np.linalg.norm(q):.2f}", first=_numbers(q), states=s_len)
    top = _top(w, 3)
    i = top[0]
    by_score = sorted(allowed, key=lambda j: -scores[j])
    listed = ", ".join(f"{code(src[j])} {scores[j]:.2f}" for j in by_score[:3])
    dot = float(q @ keys[i])  # q·k before the scaling: the trace's score times √K
    score = m("explain.tf_score_top3" if len(allowed) > 3 else "explain.tf_score", dims=k_dim,
              root=f"{root:.4g}", word=code(src[i]), dot=f"{dot:.2f}", score=f"{scores[i]:.2f}", scores=listed)
    if trace.blocked:
        score += " " + m("explain.cap_score_blocked")
    formula = f"$e^{{{scores[i]:.2f}}} / ({_softmax_terms(scores, allowed, i)}) = {w[i]:.2f}$"
    mix = " + ".join(f"{w[j]:.2f} × {code(src[j])}" for j in top) + (" + …" if s_len > 3 else "")
    weigh = m("explain.tf_weigh", word=code(src[i]), formula=formula, dims=k_dim, states=s_len, mix=mix,
              norm=f"{np.linalg.norm(trace.contexts[t]):.2f}")
    joined, projected = head_outputs(trace, t)
    heads = m("explain.tf_heads", layer=h.layer + 1, heads=n_heads, dims=k_dim, joined=joined.size,
              jnorm=f"{np.linalg.norm(joined):.2f}", model_dims=projected.size,
              pnorm=f"{np.linalg.norm(projected):.2f}", first=_numbers(projected))
    differs = m("explain.tf_differs", layers=layers, heads=n_heads, total=layers * n_heads, head=name)
    return {"look": look, "score": score, "weigh": weigh, "heads": heads, "differs": differs,
            "choose": _choose(trace, t, m)}


def _choose(trace: Trace, t: int, m: Messages) -> str:
    tok = trace.tgt_tokens[t]
    if trace.copied[t] >= 0:
        return m("explain.cap_choose_copy", word=code(tok), p=f"{float(trace.chosen_probs[t]):.2f}",
                 w=f"{trace.weights[t][trace.copied[t]]:.2f}")
    key = ("explain.cap_choose_none" if trace.weights is None else "explain.cap_choose" if trace.heads is None
           else "explain.tf_choose")
    others = [f"{code(w)} ({p:.2f})" for w, p in zip(trace.topk_tokens[t], trace.topk_probs[t])
              if not same_word(w, tok)][:2]
    ahead = m("explain.ahead_of", words=m("explain.and").join(others)) if others else ""
    layers, heads = trace.heads.shape if trace.heads is not None else (0, 0)
    return m(key, word=_word(tok, m), p=f"{float(trace.chosen_probs[t]):.2f}", ahead=ahead, layers=layers,
             heads=heads)


def alternatives_table(trace: Trace, m: Messages | None = None) -> list[dict]:
    """Beam hypotheses as rows: rank, translation, and the score they were ranked by (trace.py's ranking_score)."""
    m = _en(m)
    return [{m("explain.col_rank"): r, m("explain.col_translation"): text, m("explain.col_score"): score}
            for r, (text, score) in enumerate(trace.alternatives, start=1)]


def scorer_label(scorer: str, m: Messages | None = None) -> str:
    m = _en(m)
    try:
        return m(f"scorers.{scorer}")
    except KeyError:
        return scorer


def metric_help(m: Messages | None = None) -> dict[str, str]:
    """Column name (in the reader's language) -> what the number means."""
    m = _en(m)
    keys = ("bleu", "chrf", "bleu_beam", "aer", "entropy")
    return {m(f"explain.metric_{k}"): m(f"explain.metric_{k}_help") for k in keys}


def source_tokens(sentence: str) -> list[str]:
    """The English tokens of `sentence`, as the models will read them (for choosing words to block)."""
    return tokenize_en(sentence)


def best_model(cards: dict[str, dict]) -> str:
    """The model a first visitor sees: of the models with one attention (what the page teaches first,
    its three steps on one set of weights), the one with the best measured greedy BLEU. A Transformer
    is one click away (`model=transformer`), and a link without `model` keeps its meaning whichever
    architecture measures best.

    Without measurements, the first attention model (then the first model) in `cards`.
    """
    single = {name: card for name, card in cards.items()
              if name != "none" and (card.get("config") or {}).get("scorer", name) not in TRANSFORMERS}
    scored = {name: (card.get("metrics") or {}).get("bleu_greedy") for name, card in single.items()}
    measured = {name: bleu for name, bleu in scored.items() if bleu is not None}
    if measured:
        return max(measured, key=measured.get)
    return next(iter(scored), next(iter(cards), "dot"))
