"""Decoding with a full record: greedy, beam, prefix-constrained and forced decoding, each returning
a typed Trace.

Every mode runs one loop (fastdecode.FastDecoder: the model's maths in NumPy over the bundle's
weights) and records each step inside it, so the scores, weights, contexts and next-word
probabilities of a step are the very numbers that chose its word. Forced decoding is that loop with
every word given. No torch: torchdecode.py decodes through the model's own modules, for batched
evaluation and as the reference the tests hold this one to.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from .checkpoint import Bundle
from .fastdecode import FastDecoder, Keys, Step, fast_decoder
from .text import copyable, detokenize_fr, tokenize_en, tokenize_fr
from .vocab import BOS_ID, EOS, EOS_ID, PAD_ID, UNK_ID, Vocab

MAX_SOURCE_TOKENS = 50  # the models were trained on <= 30 tokens; beyond 50 attention is noise
MAX_INPUT_CHARS = 1000  # any text the core accepts (sentence, forced French, prefix); checked before tokenising
MAX_SOURCE_CHARS = MAX_TARGET_CHARS = MAX_INPUT_CHARS
MAX_TARGET_TOKENS = 2 * MAX_SOURCE_TOKENS  # forced French or prefix; a forced pass costs memory per word
TOP_K = 5
_NEVER_EMIT = (PAD_ID, UNK_ID, BOS_ID)  # a model without attention never writes these
_NEVER_WRITTEN = (PAD_ID, BOS_ID)  # with attention, <unk> may be written where it can be copied

# Output length limit: max_len = ceil(LENGTH_RATIO * S) + LENGTH_SLACK steps, <eos> included.
# Measured on ../shared/data/tatoeba-eng-fra/fra.txt (167,130 pairs, tokenised as in training): a
# French translation of S English tokens needs T + 1 steps, and ceil(1.5 S) + 5 covers 99.96% of
# the pairs (ceil(1.5 S) + 4: 99.87%). A pure ratio is looser for long inputs: the 99.9th percentile
# of T/S is 2.25 (2.17 for S >= 5), i.e. 23 words for 10 where the data's longest is 20. The old
# 2 S + 10 let a looping decoder run on to 30 steps for a 10-word sentence (now 20), 110 for 50
# (now 80). On 498 held-out sentences 3-4 per bundled model hit the limit, every one a loop.
LENGTH_RATIO, LENGTH_SLACK = 1.5, 5
LENGTH_PENALTIES = ("none", "average")  # or a float alpha: GNMT's ((5 + len) / 6) ** alpha
# Beam search ranks a finished translation this much lower for each English word it could have copied (a
# number, a name the model does not know: text.copyable) but left out. Ranked by its score alone, beam
# search dropped numbers and names that greedy decoding keeps ("I have 9 grandchildren." -> "J'ai des
# petits-enfants."): of the 68 everyday sentences with names or numbers, beam 5 kept them all in 86.8 %
# against greedy's 91.2 % (the Transformer). On the first 1,500 validation sentences 0.2 and 1.0 rank
# alike (benchmarks/left_out_penalty.py, BLEU at 0 / 0.2 / 1.0: the Transformer 51.14 / 51.18 / 51.18,
# dot 50.91 / 50.91 / 50.90); 0.2 is the smaller.
LEFT_OUT_PENALTY = 0.2


def default_max_len(src_len: int) -> int:
    """Most output steps (with <eos>) for a source of src_len tokens; see LENGTH_RATIO."""
    return math.ceil(LENGTH_RATIO * src_len) + LENGTH_SLACK


@dataclass(frozen=True, slots=True)  # slots: a beam of 8 on 20 words keeps ~2,500 of them
class BeamNode:
    """One hypothesis the beam considered: a word appended to its parent's words."""

    id: int  # index in BeamTree.nodes
    parent: int  # id of the node it continues; -1 for the first word
    step: int  # output step (0-based) at which the word is emitted
    token: str
    token_id: int
    logp: float  # log-probability of this word given the parent's words
    cum_logp: float  # sum of log-probabilities from the first word to this one
    status: str  # "forced" (prefix), "kept" (in the next beam), "finished" (kept, ends with <eos>), "pruned"


@dataclass(frozen=True)
class BeamTree:
    """Every hypothesis beam search expanded, step by step, and how the finished ones ranked.

    For each live hypothesis the tree keeps its `beam` most probable next words (never <pad>,
    <unk>, <bos>); the global top `beam` of those by cumulative log-prob are kept or finished,
    the rest are pruned. Ranking of the results uses ranking_score (the length penalty, and
    LEFT_OUT_PENALTY for each word a hypothesis could have copied but left out); the search does not.
    """

    beam: int
    length_penalty: str | float
    nodes: tuple[BeamNode, ...]
    ranked: tuple[int, ...]  # node id of each result hypothesis's last word, best first
    ranked_scores: tuple[float, ...]  # its ranking_score: length-normalised, less LEFT_OUT_PENALTY a word left out
    left_out: tuple[int, ...]  # per ranked hypothesis: the English words it could have copied but did not

    @property
    def winner(self) -> int:
        return self.ranked[0]

    def path(self, node_id: int) -> list[int]:
        """Node ids from the first word to node_id."""
        out = []
        while node_id >= 0:
            out.append(node_id)
            node_id = self.nodes[node_id].parent
        return out[::-1]

    def token_ids(self, node_id: int) -> list[int]:
        return [self.nodes[i].token_id for i in self.path(node_id)]


@dataclass(frozen=True)
class Heads:
    """Every attention head of a Transformer trace (T output steps, S source words, L layers, A heads,
    K = D / A). The Trace's own scores / weights / contexts are head (layer, head)'s."""

    layer: int  # the head the trace's single-attention fields show (0-based)
    head: int
    cross_scores: np.ndarray  # (T, L, A, S) q·k/√K, before the mask
    cross_weights: np.ndarray  # (T, L, A, S) softmax: rows sum to 1 over the allowed words
    queries: np.ndarray  # (T, L, A, K) each step's cross-attention query
    keys: np.ndarray  # (L, A, S, K) the English words' cross-attention keys
    values: np.ndarray  # (L, A, S, K) and values
    cross_out: np.ndarray  # (T, L, D) the heads' outputs concatenated and projected
    self_weights: np.ndarray  # (T, L, A, T) decoder masked self-attention: 0 on later words
    memory: np.ndarray  # (S, D) the encoder's output, which every layer's keys and values come from

    @property
    def shape(self) -> tuple[int, int]:
        """(layers, heads)."""
        return self.cross_weights.shape[1], self.cross_weights.shape[2]

    def check(self, layer: int, head: int) -> None:
        """ValueError unless (layer, head) is one of this model's heads (0-based)."""
        layers, heads = self.shape
        if not (0 <= layer < layers and 0 <= head < heads):
            raise ValueError(f"no head {head} in layer {layer}: the model has layers 0..{layers - 1}, "
                             f"heads 0..{heads - 1}")


@dataclass(frozen=True)
class Trace:
    """One sentence through one model: T output steps, S source words.

    The last step emits <eos>, unless decoding was cut at max_len (then `finished` is False and
    `stop_reason` is "length").
    """

    scorer: str
    mode: str  # "greedy" | "beam" | "forced"
    source: str  # the sentence as typed
    src_tokens: tuple[str, ...]  # (S,) words as typed
    src_known: tuple[bool, ...]  # (S,) False where the model saw <unk>
    tgt_tokens: tuple[str, ...]  # (T,) output words, normally ending with "<eos>"
    tgt_known: tuple[bool, ...]  # (T,) False where a forced French word is not in the vocabulary
    translation: str  # detokenised output, without <eos>
    enc_out: np.ndarray  # (S, H) encoder hidden states, one per source word
    dec_states: np.ndarray  # (T, H) decoder state (the query) at each step
    scores: np.ndarray | None  # (T, S) raw scores; None for "none"
    weights: np.ndarray | None  # (T, S) softmax weights, rows sum to 1; None for "none"
    contexts: np.ndarray | None  # (T, H) weights @ enc_out; None for "none"
    topk_tokens: tuple[tuple[str, ...], ...]  # (T, K) most probable next words at each step
    topk_probs: np.ndarray  # (T, K)
    chosen_probs: np.ndarray  # (T,) probability of the word actually output/forced
    blocked: tuple[int, ...] = ()  # source positions hidden from attention (intervention)
    alternatives: tuple[tuple[str, float], ...] = ()  # beam: (translation, length-normalised score), best first
    forced: tuple[bool, ...] = ()  # (T,) True where the word was given (forced mode, or a prefix); () -> by mode
    stop_reason: str = ""  # "eos" | "length" (cut at max_len); "" -> from the last word
    beam_tree: BeamTree | None = None  # beam mode only
    hypothesis: int = 0  # beam: rank (0 = best) of the hypothesis this trace follows
    copied: tuple[int, ...] = ()  # (T,) source position whose word this step copied, -1 if none; () -> none
    heads: Heads | None = None  # a Transformer's every head; enc_out / dec_states / contexts are then the
    # shown head's values (S, K), queries (T, K) and weighted sums of the values (T, K)

    def __post_init__(self) -> None:
        if not self.forced:
            object.__setattr__(self, "forced", (self.mode == "forced",) * len(self.tgt_tokens))
        if not self.stop_reason:
            object.__setattr__(self, "stop_reason", "eos" if self.finished else "length")
        if not self.copied:
            object.__setattr__(self, "copied", (-1,) * len(self.tgt_tokens))

    def for_head(self, layer: int, head: int) -> "Trace":
        """This trace seen through another head: its scores, weights, queries, values and their
        weighted sums. ValueError for a model without heads or a head it does not have."""
        if self.heads is None:
            raise ValueError(f"the {self.scorer!r} model has one attention, no heads")
        self.heads.check(layer, head)
        weights = self.heads.cross_weights[:, layer, head]  # (T, S)
        values = self.heads.values[layer, head]  # (S, K)
        return replace(self, scores=self.heads.cross_scores[:, layer, head], weights=weights,
                       contexts=weights @ values, enc_out=values, dec_states=self.heads.queries[:, layer, head],
                       heads=replace(self.heads, layer=layer, head=head))

    def model_ids(self, vocab: Vocab) -> list[int]:
        """The ids the model wrote or was given: <unk> at every copied step."""
        return [UNK_ID if pos >= 0 else i for i, pos in zip(vocab.encode(self.tgt_tokens), self.copied)]

    @property
    def copied_steps(self) -> list[int]:
        """Output steps whose word was copied from the English through attention."""
        return [t for t, pos in enumerate(self.copied) if pos >= 0]

    @property
    def num_steps(self) -> int:
        return len(self.tgt_tokens)

    @property
    def finished(self) -> bool:
        return self.tgt_tokens[-1:] == (EOS,)

    @property
    def prefix_len(self) -> int:
        """Number of leading steps whose word was given (all of them in forced mode)."""
        n = 0
        while n < len(self.forced) and self.forced[n]:
            n += 1
        return n

    def check_step(self, t: int) -> None:
        """ValueError unless t is an output step of this trace (0-based)."""
        if not 0 <= t < self.num_steps:
            raise ValueError(f"step {t} is out of range: the trace has steps 0..{self.num_steps - 1}")


class InputError(ValueError):
    """An input the core refuses, for a reason a person can fix (too long, no words, every word hidden).

    str(e) is the reason in English (CLI, logs); `code` names it and `params` hold its numbers, so
    the page can say it in the reader's language (attnviz/messages/<lang>/refusals.toml, key `code`).
    """

    def __init__(self, code: str, english: str, **params) -> None:
        super().__init__(english)
        self.code, self.params = code, params


TEXT_NAMES = {"source": "English sentence", "force": "forced French sentence", "prefix": "French prefix"}


def _check_chars(text: str, what: str) -> None:
    """InputError if `text` (TEXT_NAMES key `what`) is over MAX_INPUT_CHARS characters."""
    if len(text) > MAX_INPUT_CHARS:
        raise InputError(f"too_many_chars_{what}",
                         f"the {TEXT_NAMES[what]} has {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,}",
                         chars=len(text), limit=MAX_INPUT_CHARS)


def source_ids(bundle: Bundle, sentence: str) -> tuple[list[str], list[int]]:
    """Tokenise and encode; InputError with a readable message for empty or over-long input."""
    _check_chars(sentence, "source")
    tokens = list(_tokens_en(sentence))
    if not tokens:
        raise InputError("no_english_word", "there is no English word in the input")
    if not any(c.isalnum() for tok in tokens for c in tok):  # "?!..." would come out as made-up French
        raise InputError("only_punctuation", "the input has punctuation but no word")
    if len(tokens) > MAX_SOURCE_TOKENS:
        raise InputError("too_many_words", f"the input has {len(tokens)} words; the limit is {MAX_SOURCE_TOKENS}",
                         words=len(tokens), limit=MAX_SOURCE_TOKENS)
    return tokens, bundle.src_vocab.encode(tokens)


@functools.lru_cache(maxsize=256)
def _tokens_en(sentence: str) -> tuple[str, ...]:
    """tokenize_en, remembered: the page and the bench trace one sentence through every model."""
    return tuple(tokenize_en(sentence))


def french_words(text: str | Sequence[str], what: str = "force") -> list[str]:
    """A forced target (what="force") or prefix (what="prefix") -> French tokens as the training
    data was tokenised.

    A string is tokenised; a sequence of words has each word tokenised (so "l'homme" becomes
    "l'", "homme", as in training). InputError over MAX_INPUT_CHARS or MAX_TARGET_TOKENS.
    """
    joined = text if isinstance(text, str) else " ".join(text)
    _check_chars(joined, what)
    words = tokenize_fr(text) if isinstance(text, str) else [p for w in text for p in tokenize_fr(w)]
    if len(words) > MAX_TARGET_TOKENS:
        raise InputError(f"too_many_words_{what}",
                         f"the {TEXT_NAMES[what]} has {len(words)} words; the limit is {MAX_TARGET_TOKENS}",
                         words=len(words), limit=MAX_TARGET_TOKENS)
    return words


def forced_tokens(vocab: Vocab, words: Sequence[str]) -> tuple[list[int], list[str]]:
    """Ids of forced words and the form to show: the model's own word (lowercase, display case:
    "Je" -> "je", as the model writes it) when known, the word as typed when it is <unk>."""
    ids = vocab.encode(words)
    shown = [w if i == UNK_ID else vocab.decode([i])[0] for w, i in zip(words, ids)]
    return ids, shown


def forced_target(vocab: Vocab, target: str) -> tuple[list[int], list[str]]:
    """A French sentence to force -> its ids and shown words (forced_tokens), without <eos>;
    InputError when it is over the caps or has no words."""
    words = french_words(target, "force")
    if not words:
        raise InputError("force_no_words", "the forced French sentence has no words")
    return forced_tokens(vocab, words)


def copy_mask(tokens: Sequence[str], ids: Sequence[int]) -> np.ndarray:
    """(S,) True where the English word is one the decoder may copy (text.copyable)."""
    return np.array([copyable(tok, sid != UNK_ID) for tok, sid in zip(tokens, ids)], dtype=bool)


def copy_position(weights: np.ndarray | None, tokens: Sequence[str], ids: Sequence[int],
                  mask: np.ndarray | None = None) -> int:
    """Where a <unk> written now copies from: of the English words the model may copy (text.copyable:
    one it does not know, or a number) and attention can see, the one it weighs most; -1 when there is none,
    and without attention. Attention may weigh a known word more ("sister" while "Camille" is written):
    that word is translated, never copied, so the pointer picks among the words it may copy.

    weights: (S,) this step's softmax weights (hidden positions have weight 0, so are never copied);
    mask: copy_mask(tokens, ids), when the caller has it already.
    """
    if weights is None:
        return -1
    may = (copy_mask(tokens, ids) if mask is None else mask) & (weights > 0)  # (S,)
    return int(np.argmax(np.where(may, weights, -1.0))) if may.any() else -1


def after_copy(left: np.ndarray, pos: int) -> np.ndarray:
    """(S,) the English words a hypothesis may still copy once it has copied position `pos` (-1: it
    copied nothing): each word is copied at most once ("Julie et Julie", "ses 2 2" otherwise)."""
    if pos < 0:
        return left
    out = left.copy()
    out[pos] = False
    return out


def forced_copy(pos: int, word: str, tokens: Sequence[str]) -> int:
    """A forced <unk> word counts as copied only when it is the very English word the pointer picks."""
    return pos if pos >= 0 and word.casefold() == tokens[pos].casefold() else -1


def copied_positions(
    weights: np.ndarray | None, tokens: Sequence[str], ids: Sequence[int], tgt_ids: Sequence[int],
    shown: Sequence[str], forced: Sequence[bool],
) -> tuple[int, ...]:
    """(T,) the source position each step copied, -1 if none. A decoded <unk> always copies (it is
    written only where copy_position allows it); a forced <unk> word counts as copied when it is the
    very English word copy_position picks. A word copied once is not among the words a later step may
    copy (after_copy). weights: (T, S) or None."""
    left, out = copy_mask(tokens, ids), []
    for t, tok in enumerate(tgt_ids):
        pos = copy_position(None if weights is None else weights[t], tokens, ids, left) if tok == UNK_ID else -1
        pos = forced_copy(pos, shown[t], tokens) if forced[t] else pos
        left = after_copy(left, pos)
        out.append(pos)
    return tuple(out)


def allowed_mask(src_len: int, blocked: Sequence[int]) -> np.ndarray:
    """(S,) True where attention may look; InputError for bad or all-blocking positions."""
    bad = [i for i in blocked if not 0 <= i < src_len]
    if bad:
        raise InputError("block_out_of_range",
                         f"cannot block positions {bad}: the sentence has positions 0..{src_len - 1}",
                         positions=", ".join(str(i + 1) for i in bad), words=src_len)
    allowed = np.ones(src_len, dtype=bool)
    allowed[list(blocked)] = False
    if not allowed.any():
        raise InputError("block_everything", "cannot block every source word: attention needs somewhere to look")
    return allowed


def length_normalised(score: float, length: int, penalty: str | float) -> float:
    """Score of a finished hypothesis of `length` words (with <eos>) for ranking.

    "none": the sum of log-probs; "average": divided by length; a float alpha: divided by
    GNMT's ((5 + length) / 6) ** alpha (Wu et al. 2016).
    """
    if penalty == "none":
        return score
    if penalty == "average":
        return score / length
    return score / (((5 + length) / 6) ** float(penalty))


def ranking_score(score: float, length: int, penalty: str | float, left_out: int) -> float:
    """What beam search ranks a finished hypothesis by: its length_normalised score, less LEFT_OUT_PENALTY
    for each English word it could have copied but left out."""
    return length_normalised(score, length, penalty) - LEFT_OUT_PENALTY * left_out


def _check_penalty(penalty: str | float) -> None:
    if isinstance(penalty, str):
        if penalty not in LENGTH_PENALTIES:
            raise ValueError(f"unknown length penalty {penalty!r}; choose one of "
                             f"{', '.join(LENGTH_PENALTIES)}, or a number alpha >= 0")
    elif isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or not 0 <= penalty < math.inf:
        raise ValueError(f"length penalty alpha must be a number >= 0, got {penalty!r}")


@dataclass(frozen=True)
class _Source:
    """A sentence ready to decode: its tokens, ids, attention mask and the words it may copy."""

    sentence: str
    tokens: list[str]
    ids: list[int]
    allowed: np.ndarray | None  # (S,) True where attention may look; None: everywhere
    blocked: tuple[int, ...]
    may_copy: np.ndarray  # (S,) copy_mask: True where a <unk> may copy the English word


def prepare(bundle: Bundle, sentence: str, blocked: Sequence[int]) -> _Source:
    """Check and tokenise the sentence and the blocked positions (ValueError with a readable message)."""
    tokens, ids = source_ids(bundle, sentence)
    allowed = allowed_mask(len(ids), blocked) if blocked else None
    return _Source(sentence, tokens, ids, allowed, tuple(sorted(set(blocked))), copy_mask(tokens, ids))


@dataclass
class _Search:
    """What the decoding loop leaves behind: the step records and the hypothesis nodes."""

    steps: list[tuple[Step, list]]  # per step: the batched Step and each row's top-K (log-prob, id)
    may_copy: np.ndarray  # (S,) the words the empty hypothesis may copy (copy_mask)
    parent: list[int] = field(default_factory=list)  # per node
    token: list[int] = field(default_factory=list)
    logp: list[float] = field(default_factory=list)
    cum: list[float] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    where: list[tuple[int, int]] = field(default_factory=list)  # (step, row) of the record that chose it
    copied: list[int] = field(default_factory=list)  # the English position the node's word copies, -1 if none
    left: list[np.ndarray] = field(default_factory=list)  # (S,) what the node's hypothesis may still copy

    def add(self, parent: int, token: int, logp: float, cum: float, status: str, where: tuple[int, int],
            copied: int = -1) -> int:
        self.parent.append(parent)
        self.token.append(token)
        self.logp.append(logp)
        self.cum.append(cum)
        self.status.append(status)
        self.where.append(where)
        self.copied.append(copied)
        self.left.append(after_copy(self.may_copy_after(parent), copied))
        return len(self.parent) - 1

    def may_copy_after(self, node: int) -> np.ndarray:
        """(S,) the English words the hypothesis ending at `node` (-1: the empty one) may still copy."""
        return self.left[node] if node >= 0 else self.may_copy

    def path(self, node: int) -> list[int]:
        out = []
        while node >= 0:
            out.append(node)
            node = self.parent[node]
        return out[::-1]


def _search(
    fd: FastDecoder, src: _Source, keys: Keys, h0: np.ndarray, prefix: Sequence[int], shown: Sequence[str],
    beam: int, max_len: int,
) -> tuple[_Search, list[int]]:
    """Force `prefix` (whose words read `shown`), then greedy (beam == 1) or beam search until <eos> or
    max_len steps.

    Each step is recorded as it is decoded. Returns the search and its result nodes: the
    finished hypotheses in the order they finished, or the live ones if none finished.
    """
    s = _Search([], src.may_copy)
    live, h = [-1], h0  # node ids of the live hypotheses; their states (N, H)
    y = [BOS_ID]  # (N,) the words fed in
    finished: list[int] = []
    for t in range(max_len):
        step = fd.step(y, h, keys)
        forcing = t < len(prefix)
        banned = _NEVER_EMIT if step.weights is None else _NEVER_WRITTEN
        tops = fd.top_words(step, TOP_K, 0 if forcing else beam + 1, banned)
        s.steps.append((step, [top for top, _, _ in tops]))
        if forcing:  # one hypothesis
            tok = prefix[t]
            lp = fd.word_log_prob(step, 0, tok, tops[0][2])
            base = s.cum[live[0]] if live[0] >= 0 else 0.0
            pos = _pointer(step, 0, src, s.may_copy_after(live[0])) if tok == UNK_ID else -1
            live = [s.add(live[0], tok, lp, base + lp, "forced", (t, 0), forced_copy(pos, shown[t], src.tokens))]
            y, h = [tok], step.next_state
            continue
        cands = []  # (cumulative log-prob, node)
        for r, (_, sel, _) in enumerate(tops):
            base = s.cum[live[r]] if live[r] >= 0 else 0.0
            pos = _pointer(step, r, src, s.may_copy_after(live[r])) if any(tok == UNK_ID for _, tok in sel) else -1
            for lp, tok in [c for c in sel if c[1] != UNK_ID or pos >= 0][:beam]:
                node = s.add(live[r], tok, lp, base + lp, "pruned", (t, r), pos if tok == UNK_ID else -1)
                cands.append((base + lp, node))
        cands.sort(key=lambda c: -c[0])  # stable: ties keep row, then rank order
        new_live = []
        for _, node in cands[:beam]:
            if s.token[node] == EOS_ID:
                s.status[node] = "finished"
                finished.append(node)
            else:
                s.status[node] = "kept"
                new_live.append(node)
        if len(finished) >= beam or not new_live:
            live = new_live
            break
        rows = [s.where[n][1] for n in new_live]
        state = step.next_state  # (N, H) GRU states, or a Transformer's cache of N hypotheses
        h = state if rows == [0] and step.att_h.shape[0] == 1 else state[rows]
        y = [s.token[n] for n in new_live]
        live = new_live
    return s, finished or [n for n in live if n >= 0]


def _pointer(step: Step, row: int, src: _Source, left: np.ndarray) -> int:
    """Where a <unk> written by hypothesis `row` at this step would copy from (copy_position), given the
    words it may still copy; -1 without attention."""
    return -1 if step.weights is None else copy_position(step.weights[row], src.tokens, src.ids, left)


def _trace_of(
    bundle: Bundle, src: _Source, keys: Keys, s: _Search, node: int, mode: str,
    prefix_shown: Sequence[str], **extra,
) -> Trace:
    """The Trace of the hypothesis ending at `node`, gathered from the records made while decoding."""
    path = s.path(node)
    fd = fast_decoder(bundle)
    shown = fd.words(bundle.tgt_vocab)  # id -> word
    ids = [s.token[n] for n in path]
    steps = [s.steps[s.where[n][0]] for n in path]
    rows = [s.where[n][1] for n in path]
    forced = [s.status[n] == "forced" for n in path]

    def gather(name: str) -> np.ndarray | None:
        parts = [getattr(st, name) for st, _ in steps]
        if parts[0] is None:
            return None
        return np.stack([p[r] for p, r in zip(parts, rows)]).astype(np.float64)  # (T, ·)

    tops = [top[r] for (_, top), r in zip(steps, rows)]
    heads = _heads_of(fd, keys, [st for st, _ in steps], rows)
    finished = ids[-1:] == [EOS_ID]
    weights = gather("weights")
    words = list(prefix_shown[: len(path)]) + [shown[i] for i in ids[len(prefix_shown):]]
    copied = tuple(s.copied[n] for n in path)  # as decided while decoding (copied_positions says the same)
    words = [src.tokens[pos] if pos >= 0 else w for w, pos in zip(words, copied)]
    return Trace(
        scorer=bundle.scorer, mode=mode, source=src.sentence,
        src_tokens=tuple(src.tokens), src_known=tuple(i != UNK_ID for i in src.ids),
        tgt_tokens=tuple(words), tgt_known=tuple(i != UNK_ID for i in ids),
        translation=detokenize_fr(words[:-1] if finished else words),
        enc_out=fd.attended(keys).astype(np.float64), dec_states=gather("dec_h"),
        scores=gather("scores"), weights=weights, contexts=gather("context"),
        topk_tokens=tuple(tuple(shown[i] for _, i in top) for top in tops),
        topk_probs=np.exp(np.array([[lp for lp, _ in top] for top in tops], dtype=np.float64)),
        chosen_probs=np.exp(np.array([s.logp[n] for n in path], dtype=np.float64)),
        blocked=src.blocked, forced=tuple(forced), copied=copied,
        stop_reason="eos" if finished else "length", heads=heads, **extra,
    )


def _heads_of(fd, keys: Keys, steps: list[Step], rows: list[int]) -> "Heads | None":
    """Every head of the hypothesis that ran through `rows` of `steps`; None for a one-attention model."""
    if steps[0].heads is None:
        return None
    pick = lambda name: np.stack([st.heads[name][r] for st, r in zip(steps, rows)]).astype(np.float64)  # noqa: E731
    t = len(steps)
    self_w = np.zeros((t,) + steps[0].heads["self_weights"].shape[1:3] + (t,))  # (T, L, A, T): 0 on later words
    for i, (st, r) in enumerate(zip(steps, rows)):
        self_w[i, :, :, : i + 1] = st.heads["self_weights"][r]
    layer, head = fd.view
    return Heads(layer=layer, head=head, cross_scores=pick("cross_scores"), cross_weights=pick("cross_weights"),
                 queries=pick("queries"), cross_out=pick("cross_out"), self_weights=self_w,
                 keys=keys.keys.astype(np.float64), values=keys.values.astype(np.float64),
                 memory=keys.enc_out.astype(np.float64))


def trace_translation(
    bundle: Bundle, sentence: str, *, beam: int = 1, target: str | None = None,
    prefix: str | Sequence[str] | None = None, blocked: Sequence[int] = (), max_len: int | None = None,
    length_penalty: str | float = "average", hypothesis: int = 0,
) -> Trace:
    """Translate (greedy when beam == 1, else beam search) or force `target`, and trace every step.

    Args:
        bundle: a loaded model.
        sentence: English text; ValueError if empty, over MAX_INPUT_CHARS characters or
            MAX_SOURCE_TOKENS words.
        beam: beam width; 1 is greedy.
        target: a French sentence to force (teacher forcing) instead of decoding; mode "forced".
        prefix: French words the output must start with (a string is tokenised); they are forced,
            then decoding (greedy or beam) continues to <eos>. The trace keeps mode "greedy" or
            "beam"; `forced` marks the prefix steps. Unknown words go in as <unk>.
        blocked: source positions attention may not look at.
        max_len: most output steps, <eos> included; default default_max_len(S) (at least one
            step more than the prefix). `stop_reason` says "length" when decoding was cut.
        length_penalty: ranking of finished beam hypotheses: "average" (sum of log-probs / length),
            "none" (the sum) or a float alpha (GNMT, sum / ((5 + length) / 6) ** alpha); each is
            less LEFT_OUT_PENALTY for every word the hypothesis could have copied but left out.
        hypothesis: beam only: trace the hypothesis of this rank (0 = the best) instead.
    Returns:
        A Trace; in beam mode with beam_tree and alternatives (every result hypothesis, ranked).
    """
    if target is not None and prefix is not None:
        raise ValueError("give a forced French sentence or a prefix, not both")
    if not isinstance(beam, int) or beam < 1:
        raise ValueError(f"beam width must be a whole number >= 1, got {beam!r}")
    _check_penalty(length_penalty)
    prefix_words = french_words(prefix, "prefix") if prefix is not None else []
    forced = forced_target(bundle.tgt_vocab, target) if target is not None else None
    src = prepare(bundle, sentence, blocked)
    vocab = bundle.tgt_vocab
    fd = fast_decoder(bundle)
    enc_out, dec_h0 = fd.encode(src.ids)  # (S, H), (1, H)
    keys = fd.keys(enc_out, src.allowed)
    if forced is not None:  # every word given, <eos> included
        ids, shown = forced
        s, results = _search(fd, src, keys, dec_h0, ids + [EOS_ID], shown + [EOS], 1, len(ids) + 1)
        return _trace_of(bundle, src, keys, s, results[0], "forced", shown + [EOS])
    prefix_ids, prefix_shown = forced_tokens(vocab, prefix_words)
    limit = max(max_len or default_max_len(len(src.ids)), len(prefix_ids) + 1)
    s, results = _search(fd, src, keys, dec_h0, prefix_ids, prefix_shown, beam, limit)
    if beam == 1:
        if hypothesis != 0:
            raise ValueError("hypothesis picks a beam-search result; use beam > 1")
        return _trace_of(bundle, src, keys, s, results[0], "greedy", prefix_shown)
    left_out = {n: int(s.left[n].sum()) for n in results}  # the copyable words each result left out
    scored = sorted(((ranking_score(s.cum[n], len(s.path(n)), length_penalty, left_out[n]), n) for n in results),
                    key=lambda x: -x[0])
    if not 0 <= hypothesis < len(scored):
        raise InputError("hypothesis_out_of_range", f"hypothesis {hypothesis} is out of range: beam search kept "
                         f"{len(scored)} (0..{len(scored) - 1})", rank=hypothesis + 1, kept=len(scored))
    tree = BeamTree(
        beam=beam, length_penalty=length_penalty,
        nodes=tuple(BeamNode(i, s.parent[i], s.where[i][0], tok, s.token[i], s.logp[i], s.cum[i], s.status[i])
                    for i, tok in enumerate(_node_words(vocab, s, src, prefix_shown))),
        ranked=tuple(n for _, n in scored), ranked_scores=tuple(sc for sc, _ in scored),
        left_out=tuple(left_out[n] for _, n in scored),
    )
    alts = tuple((detokenize_fr(_words(vocab, s, src, n, prefix_shown)), round(sc, 4)) for sc, n in scored)
    return _trace_of(bundle, src, keys, s, scored[hypothesis][1], "beam", prefix_shown,
                     alternatives=alts, beam_tree=tree, hypothesis=hypothesis)


def encoder_self_attention(bundle: Bundle, trace: Trace) -> np.ndarray | None:
    """A Transformer's encoder self-attention for the trace's sentence, every layer and head:
    (L, A, S, S), each English word's weights over every English word. Recomputed on demand (one
    encoder pass, well under a millisecond) rather than kept in every trace; None for a GRU."""
    if trace.heads is None:
        return None
    _, weights = fast_decoder(bundle).encode_layers(bundle.src_vocab.encode(trace.src_tokens))
    return weights.astype(np.float64)


def _node_word(vocab: Vocab, s: _Search, src: _Source, node: int, prefix_shown: Sequence[str]) -> str:
    """The word a hypothesis node shows: the prefix word, the English word a <unk> copies, or the model's."""
    if s.copied[node] >= 0:
        return src.tokens[s.copied[node]]
    if s.status[node] == "forced":
        return prefix_shown[s.where[node][0]]
    return vocab.decode([s.token[node]])[0]


def _node_words(vocab: Vocab, s: _Search, src: _Source, prefix_shown: Sequence[str]) -> list[str]:
    return [_node_word(vocab, s, src, i, prefix_shown) for i in range(len(s.token))]


def _words(vocab: Vocab, s: _Search, src: _Source, node: int, prefix_shown: Sequence[str]) -> list[str]:
    """A hypothesis's words without <eos>."""
    path = s.path(node)
    words = [_node_word(vocab, s, src, n, prefix_shown) for n in path]
    return words[:-1] if s.token[path[-1]] == EOS_ID else words
