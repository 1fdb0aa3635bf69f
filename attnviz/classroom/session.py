"""A live class's rules as pure functions: codes and secrets, questions built from a real Trace, and
what the votes add up to (shares, the match with the model, the summary and its CSV).

The page (attnviz/views/classroom.py) calls these and the store; no Streamlit here. A question keeps
its words as a message key plus fields, so each reader sees it in their own language.
"""
from __future__ import annotations

import csv
import hmac
import io
import json
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from typing import Mapping, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np

from .. import lesson as script
from .. import lesson_heads as heads_script
from ..trace import Trace
from ..vocab import EOS

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"  # no look-alikes: 0/O/Q/D… kept only once, no 1/I/L, 2/Z, 5/S, 6/G, 8/B
CODE_LENGTH = 6
SECRET_BYTES = 24  # 192 random bits (at least 128 asked for)
STUDENT_BYTES = 12  # 96 random bits: a student's id in their own link, never shown to anyone
NICKNAME_MAX = 20
# both lessons' kinds: source | next_word | translation | scorer (lesson 1), count | head | self (lesson 2)
KINDS = tuple(dict.fromkeys((*script.QUESTION_KINDS, *heads_script.QUESTION_KINDS)))
_STUDENT = re.compile(r"[A-Za-z0-9_-]{16}")


# ---------------------------------------------------------------- codes, secrets, links


def new_code() -> str:
    """A class code: 6 characters from CODE_ALPHABET (22^6 ≈ 1.1e8 codes), drawn by `secrets`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: object) -> str | None:
    """A code as typed or linked ("hk7 p3x", "HK7-P3X") -> "HK7P3X"; None when it cannot be one."""
    code = re.sub(r"[\s\-]", "", str(text or "")).upper()
    return code if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code) else None


def new_secret() -> str:
    """The teacher's secret: SECRET_BYTES random bytes, URL-safe (only the teacher's link holds it)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def same_secret(given: object, expected: str) -> bool:
    """Constant-time comparison; anything but a string is not the secret."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def new_student() -> str:
    return secrets.token_urlsafe(STUDENT_BYTES)


def clean_student(text: object) -> str | None:
    """A student id from a link (`me=`), or None when it is not one this code could have made."""
    text = str(text or "")
    return text if _STUDENT.fullmatch(text) else None


def clean_nickname(text: object) -> str:
    """At most NICKNAME_MAX characters, no control characters, spaces collapsed (shown as plain text)."""
    text = "".join(c for c in str(text or "") if unicodedata.category(c)[0] != "C")
    return " ".join(text.split())[:NICKNAME_MAX]


def link(base: str, **query: str) -> str:
    """`base` (the page's address; its own query dropped) with `query`; "/?…" without a base."""
    parts = urlsplit(base or "/")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


def join_link(base: str, code: str, lang: str = "en") -> str:
    """What students open: /?join=CODE (and the teacher's language when it is not English)."""
    return link(base, join=code, **({"lang": lang} if lang != "en" else {}))


def teacher_link(base: str, code: str, secret: str, lang: str = "en") -> str:
    """The teacher's own link back into the class console: it carries the secret, never share it."""
    return link(base, **{"class": code, "teach": secret}, **({"lang": lang} if lang != "en" else {}))


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class ClassQuestion:
    """One question put to the class, with everything the projector and the phones draw from.

    prompt: message key (classroom.toml) and its fields, e.g. ("classroom.q.source", {"word": "suis"}).
    options / values / answer: as lesson.Question: the model's number per option and its own answer.
    src_tokens: (S,) the sentence's English words.
    tgt_tokens: the model's French words up to and including `step`.
    weights: (step+1, S) the attention rows up to `step` (source questions), else ().
    head: "layer.head" (1-based, lesson_heads.head_option) when `weights` are one Transformer head's, else "".
    about_model: False when the answer is the maths, not something the model did (lesson 2's scorer question).
    """

    kind: str
    prompt: str
    fields: dict
    sentence: str
    scorer: str
    step: int
    options: tuple[str, ...]
    values: tuple[float | None, ...]
    answer: int
    src_tokens: tuple[str, ...] = ()
    tgt_tokens: tuple[str, ...] = ()
    weights: tuple[tuple[float, ...], ...] = ()
    origin: str = ""  # "lesson:3", "lesson2:2", "translate", "steps"
    translation: str = ""
    head: str = ""
    about_model: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown question kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if len(self.options) != len(self.values) or not 0 <= self.answer < len(self.options):
            raise ValueError("a question needs one value per option and an answer among them")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "ClassQuestion":
        d = json.loads(text)
        d["options"] = tuple(d["options"])
        d["values"] = tuple(d["values"])
        d["src_tokens"] = tuple(d.get("src_tokens", ()))
        d["tgt_tokens"] = tuple(d.get("tgt_tokens", ()))
        d["weights"] = tuple(tuple(r) for r in d.get("weights", ()))
        return cls(**d)


def _words(trace: Trace, t: int) -> tuple[str, ...]:
    return tuple(w for w in trace.tgt_tokens[:t + 1])


def _rows(trace: Trace, t: int) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(round(float(x), 4) for x in row) for row in np.asarray(trace.weights)[:t + 1])  # (t+1, S)


def source_question(trace: Trace, t: int, origin: str = "") -> ClassQuestion:
    """"Which English word will the model look at most when it writes «X»?" about output step t (0-based);
    the answer is the step's attention argmax, each option valued by its weight."""
    if trace.weights is None:
        raise ValueError(f"the {trace.scorer!r} model has no attention: there is no word it looks at")
    trace.check_step(t)
    q = script.source_question(trace, t)
    return ClassQuestion("source", "classroom.q.source", {"word": trace.tgt_tokens[t]}, trace.source, trace.scorer,
                         t, q.options, q.values, q.answer, tuple(trace.src_tokens), _words(trace, t),
                         _rows(trace, t), origin, trace.translation)


def next_word_question(trace: Trace, t: int, origin: str = "") -> ClassQuestion:
    """"Which French word comes next?" at output step t: the model's likeliest words and other words of
    its translation as options, valued by probability; the answer is its most probable word."""
    trace.check_step(t)
    q = script.next_word_question(trace, t)
    before = " ".join(w for w in trace.tgt_tokens[:t] if w != EOS)
    prompt = "classroom.q.next_word" if t else "classroom.q.first_word"
    return ClassQuestion("next_word", prompt, {"before": before}, trace.source, trace.scorer, t, q.options,
                         q.values, q.answer, tuple(trace.src_tokens), _words(trace, t - 1) if t else (),
                         _rows(trace, t - 1) if t and trace.weights is not None else (), origin, trace.translation)


def lesson_question(number: int, stage: script.Stage, traces: Mapping[str, Trace],
                    cards: Mapping[str, dict]) -> ClassQuestion | None:
    """The lesson stage's own predict-then-reveal question (lesson.question_for), for the whole class.

    `number` is the 1-based stage; `traces` are the stage's traces by role (lesson.needs). None when
    the stage asks nothing or the models cannot answer it.
    """
    q = script.question_for(stage, traces, cards)
    if q is None:
        return None
    origin = f"lesson:{number}"
    trace = script.main_trace(stage, traces)
    if q.kind in ("source", "next_word"):
        t = script.focus_step(stage, trace)
        built = source_question(trace, t, origin) if q.kind == "source" else next_word_question(trace, t, origin)
        return replace(built, options=q.options, values=q.values, answer=q.answer)
    if q.kind == "translation":
        hidden = ", ".join(trace.src_tokens[i] for i in trace.blocked)
        return ClassQuestion("translation", "classroom.q.translation", {"hidden": hidden}, trace.source,
                             trace.scorer, -1, q.options, q.values, q.answer, tuple(trace.src_tokens),
                             origin=origin, translation=trace.translation)
    return ClassQuestion("scorer", "classroom.q.scorer", {}, stage.sentence, "", -1, q.options, q.values, q.answer,
                         origin=origin)


def heads_lesson_question(number: int, trace: Trace, t: int, q: heads_script.Question) -> ClassQuestion:
    """Lesson 2's stage question (lesson_heads.question_for on the stage's trace at step t, 0-based), for
    the whole class: the same options, numbers and answer, in words that stand on their own on a phone
    (the head is named, not "this head").

    `number` is the 1-based stage. A "source" question is about the trace's own head: its weights are the
    trace's single-attention weights, so the reveal can draw the class as a row of that head's heatmap.
    """
    h = trace.heads
    if h is None:
        raise ValueError(f"the {trace.scorer!r} model has one attention, no heads")
    origin = f"lesson2:{number}"
    word = trace.tgt_tokens[t] if 0 <= t < len(trace.tgt_tokens) else ""
    base = dict(kind=q.kind, sentence=trace.source, scorer=trace.scorer, step=t, options=q.options,
                values=q.values, answer=q.answer, src_tokens=tuple(trace.src_tokens), tgt_tokens=_words(trace, t),
                origin=origin, translation=trace.translation)
    if q.kind == "count":
        return ClassQuestion(prompt="classroom.q.count", fields={"word": word, "heads": h.shape[1],
                                                                 "layer": h.layer + 1}, **base)
    if q.kind == "source":
        return ClassQuestion(prompt="classroom.q.head_source", fields={"word": word, "layer": h.layer + 1,
                                                                       "head": h.head + 1},
                             weights=_rows(trace, t), head=heads_script.head_option(h.layer, h.head), **base)
    if q.kind == "head":
        punct = ", ".join(trace.src_tokens[j] for j in heads_script.punctuation(trace))
        return ClassQuestion(prompt="classroom.q.head", fields={"punct": punct},
                             **{**base, "step": -1, "tgt_tokens": ()})
    if q.kind == "self":
        layer, head = heads_script.previous_word_head(trace)
        return ClassQuestion(prompt="classroom.q.self", fields={"word": word, "layer": layer + 1, "head": head + 1},
                             head=heads_script.head_option(layer, head), **base)
    return ClassQuestion(prompt="classroom.q.head_scorer", fields={}, about_model=False,
                         **{**base, "sentence": "", "scorer": "", "step": -1, "src_tokens": (), "tgt_tokens": (),
                            "translation": ""})


# ---------------------------------------------------------------- what the votes add up to


def shares(tally: Mapping[int, int], options: int) -> list[float]:
    """The class's answers as a distribution over the options (sums to 1; all 0 with no votes)."""
    counts = [int(tally.get(i, 0)) for i in range(options)]
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def matched(tally: Mapping[int, int], answer: int) -> tuple[int, int]:
    """(votes that picked the model's answer, votes)."""
    return int(tally.get(answer, 0)), int(sum(tally.values()))


@dataclass(frozen=True)
class SummaryRow:
    qno: int
    question: ClassQuestion
    rounds: tuple[dict, ...] = field(default=())  # per round held: {option: votes}


def summary_csv(rows: Sequence[SummaryRow], prompt_text, option_text=None) -> str:
    """One line per (question, round, option): its votes and share, the model's value and answer.

    prompt_text(question) gives the question's words in the teacher's language; option_text(question, i),
    when given, option i's (a head as "layer 2 · head 3", not "2.3"). Counts only: no student ids, no
    nicknames.
    """
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["question", "kind", "prompt", "sentence", "model", "round", "option", "votes", "share",
                "model_value", "model_answer"])
    for row in rows:
        q = row.question
        for rnd, tally in enumerate(row.rounds, start=1):
            share = shares(tally, len(q.options))
            for i, option in enumerate(q.options):
                value = q.values[i]
                w.writerow([row.qno, q.kind, prompt_text(q), q.sentence, q.scorer, rnd,
                            option_text(q, i) if option_text else option,
                            int(tally.get(i, 0)), f"{share[i]:.3f}", "" if value is None else f"{value:.4f}",
                            int(i == q.answer)])
    return out.getvalue()
