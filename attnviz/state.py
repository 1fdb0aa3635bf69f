"""The page's state as a link: query parameters <-> clean values, bad values -> defaults plus a note.

The query parameters are a public interface (README, "Links"). Pure functions: no Streamlit here.
A note is (message key, values) so the page can say it in the reader's language.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Mapping, MutableMapping, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

from .i18n import LANGS
from .lesson import STAGES as LESSON_STAGES
from .lesson_heads import STAGES as HEADS_STAGES
from .text import tokenize_en

if TYPE_CHECKING:
    from .trace import Trace

VIEWS = ("translate", "compare", "steps", "lesson", "lesson2", "learn", "how")  # lesson2: many heads
MAX_BEAM = 8
MAX_CHARS = 1000  # the text boxes hold at most this many characters; longer input is cut, with a note
PARAMS = ("sentence", "model", "beam", "force", "prefix", "hide", "view", "step", "stage", "answers", "lang",
          "present", "layer", "head")
# lesson stages whose guess a link can hold: both lessons' (their stage keys differ, so one `answers` holds both)
ASKING = tuple(s.key for s in (*LESSON_STAGES, *HEADS_STAGES) if s.question)
MAX_OPTION = 99  # a guess is a 1-based option number; no question has nearly this many
# The link's `stage` is the stage of the lesson on screen. Each lesson also keeps its own place in the session,
# so switching from one lesson to the other lands where that lesson was left, not on the other's stage number.
STAGE_KEYS = {"lesson": "lesson_stage", "lesson2": "lesson2_stage"}  # view -> session key of its place
STAGE_OF = "_stage_of"  # session key: the lesson whose stage the shared `stage` holds

Note = tuple[str, dict]


@dataclass(frozen=True)
class Settings:
    """Everything a link reproduces. Positions are 0-based here, 1-based in the URL."""

    sentence: str = ""
    model: str = "dot"
    beam: int = 1
    force: str = ""  # a French sentence to force, "" to let the model decode
    prefix: str = ""  # French words the model must start with, then it decodes on ("what if")
    hide: tuple[int, ...] = ()  # English word positions hidden from attention, 0-based
    view: str = "translate"
    step: int = 1  # output step, 1-based as the page counts
    stage: int = 1  # lesson stage, 1-based; the lesson clamps it to its length
    answers: tuple[tuple[str, int], ...] = ()  # the lesson's guesses: (stage key, 0-based option), in stage order
    lang: str = LANGS[0]
    present: bool = False
    layer: int = 0  # Transformer: the layer and head a single-attention view shows, 1-based; 0 = the model's own
    head: int = 0
    notes: tuple[Note, ...] = field(default=(), compare=False)


def _first(value) -> str:
    """A query value as one string (Streamlit gives the last of repeated keys; lists are accepted too)."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value)


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text.strip()) else None


def cut_text(text: str, limit: int = MAX_CHARS) -> tuple[str, Note | None]:
    """Keep the first `limit` characters and say so, instead of silently refusing long input."""
    if len(text) <= limit:
        return text, None
    return text[:limit], ("notes.cut_chars", {"chars": len(text), "limit": limit})


def parse_query(params: Mapping[str, object], models: Sequence[str], default: Settings) -> Settings:
    """Settings from query parameters; unknown or bad values fall back to `default` with a note.

    Args:
        params: the URL's query parameters (name -> str, or list of str).
        models: the scorers that are loaded (e.g. ("dot", "general", "concat", "none")).
        default: what an empty URL shows.
    """
    p = {k: _first(v) for k, v in params.items()}
    notes: list[Note] = []
    values: dict = {}

    def bad(name: str, fallback) -> None:
        notes.append(("notes.bad_param", {"name": name, "value": p[name][:40], "fallback": fallback}))

    for name in ("sentence", "force", "prefix"):
        if name in p:
            text, note = cut_text(p[name])
            values[name] = text
            notes.extend([note] if note else [])
    for name, choices in (("model", models), ("view", VIEWS), ("lang", LANGS)):
        if name in p:
            if p[name] in choices:
                values[name] = p[name]
            else:
                bad(name, getattr(default, name))
    if "beam" in p:
        beam = _int(p["beam"])
        if beam is not None and 1 <= beam <= MAX_BEAM:
            values["beam"] = beam
        else:
            bad("beam", default.beam)
    for name in ("step", "stage", "layer", "head"):
        if name in p:
            number = _int(p[name])
            if number is not None and number >= 1:
                values[name] = number  # the view clamps it to the translation's (lesson's) length
            elif name in ("layer", "head"):  # 0 is "the model's own head", not a number to show a reader
                notes.append(("notes.bad_head_param", {"name": name, "value": p[name][:40]}))
            else:
                bad(name, getattr(default, name))
    if "present" in p:
        if p["present"] in ("0", "1", "true", "false"):
            values["present"] = p["present"] in ("1", "true")
        else:
            bad("present", 0)
    if "answers" in p:
        answers, ok = parse_answers(p["answers"])
        values["answers"] = answers
        if not ok:
            notes.append(("notes.bad_answers", {"value": p["answers"][:80]}))
    s = replace(default, **values)
    if "hide" in p:
        hide, ok = parse_hide(p["hide"], len(tokenize_en(s.sentence)))
        if not ok:
            bad("hide", ", ".join(str(i + 1) for i in hide) or "-")
        s = replace(s, hide=hide)
    return replace(s, notes=tuple(notes))


def pick_head(trace: "Trace", layer: int, head: int) -> tuple["Trace", Note | None]:
    """The trace as head (layer, head) of a Transformer sees it (1-based; 0 = the model's own head).

    A head the model does not have falls back to the model's own, with a note; a GRU trace (one
    attention, no heads) comes back unchanged.
    """
    if trace.heads is None or (layer, head) == (0, 0):
        return trace, None
    layers, heads = trace.heads.shape
    want_layer, want_head = layer or trace.heads.layer + 1, head or trace.heads.head + 1
    if 1 <= want_layer <= layers and 1 <= want_head <= heads:
        return trace.for_head(want_layer - 1, want_head - 1), None
    asked = "bad_head" if layer and head else "bad_layer" if layer else "bad_head_only"  # what the link named
    return trace, (f"notes.{asked}", {"layer": want_layer, "head": want_head, "layers": layers, "heads": heads,
                                      "shown_layer": trace.heads.layer + 1, "shown_head": trace.heads.head + 1})


def keep_stage(session: MutableMapping, view: str, n: int) -> None:
    """Lesson `view` shows stage n: the link's `stage`, and that lesson's own place, become n."""
    session.update({"stage": n, STAGE_KEYS[view]: n, STAGE_OF: view})


def switch_stage(session: MutableMapping) -> None:
    """At the start of a run, before the link is read or written: when the view has just switched from
    one lesson to the other, `stage` still holds the other lesson's number; put this lesson's own place
    there. A link read afterwards (a reload, Back / Forward) still sets `stage` itself."""
    view, owner = session.get("view"), session.get(STAGE_OF)
    if view in STAGE_KEYS and owner is not None and owner != view:
        keep_stage(session, view, int(session.get(STAGE_KEYS[view], 1)))


def clamp_step(step: int, steps: int) -> tuple[int, Note | None]:
    """A 1-based step inside 1..steps; a step past the end becomes the last one, with a note."""
    if step <= steps:
        return max(step, 1), None
    return steps, ("notes.step_clamped", {"step": step, "last": steps})


def stage_note(asked, shown: int) -> Note | None:
    """A link's stage past the lesson's end (the lesson shows its last, `shown`): a note that says so."""
    try:
        number = int(asked)
    except (TypeError, ValueError, OverflowError):
        return None
    return ("notes.stage_clamped", {"stage": number, "last": shown}) if number > shown else None


def share_url(base: str, query: Mapping[str, str]) -> str:
    """The link that reproduces a view: `base` (the page's address, any query dropped) + `query`.

    Without a base (no browser), a relative link "/?...".
    """
    parts = urlsplit(base or "/")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(dict(query)), ""))


def parse_hide(text: str, words: int) -> tuple[tuple[int, ...], bool]:
    """1-based comma-separated positions -> (0-based positions that exist, whether all were good)."""
    parts = [x.strip() for x in text.split(",") if x.strip()]
    nums = [_int(x) for x in parts]
    fits = [n is not None and 1 <= n <= words for n in nums]
    good = sorted({n - 1 for n, ok in zip(nums, fits) if ok})
    return tuple(good), all(fits)


def parse_answers(text: str) -> tuple[tuple[tuple[str, int], ...], bool]:
    """`look:2,weigh:1` (stage key : 1-based option) -> ((stage key, 0-based option), ...) in stage order,
    and whether every item was good. Unknown stages, stages without a question and bad numbers are
    dropped; a stage named twice keeps its last guess."""
    found: dict[str, int] = {}
    ok = True
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        key, _, number = item.partition(":")
        option = _int(number)
        if key.strip() in ASKING and option is not None and 1 <= option <= MAX_OPTION:
            found[key.strip()] = option - 1
        else:
            ok = False
    return tuple((k, found[k]) for k in ASKING if k in found), ok


def format_answers(answers: Sequence[tuple[str, int]]) -> str:
    """The `answers` query value: `look:2,weigh:1` (1-based options, in the order given)."""
    return ",".join(f"{key}:{option + 1}" for key, option in answers)


def to_query(s: Settings, default: Settings) -> dict[str, str]:
    """The query parameters that reproduce `s`: only those that differ from `default`, in PARAMS order."""
    out: dict[str, str] = {}
    for name in PARAMS:
        value = getattr(s, name)
        if value == getattr(default, name):
            continue
        if name == "hide":
            out[name] = ",".join(str(i + 1) for i in value)
        elif name == "present":
            out[name] = "1" if value else "0"
        elif name == "answers":
            out[name] = format_answers(value)
        else:
            out[name] = str(value)
    return out
