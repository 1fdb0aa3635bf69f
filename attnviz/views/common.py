"""What every view shares: the loaded models, cached traces, and saying why there is no trace.

Traces are cached per server as shared read-only objects (functools.lru_cache): a hit costs a dict
lookup, not the unpickling a copy per rerun would (cache_data copies ~80 KiB per Trace each time), nor
st.cache_resource's hashing of every argument (~0.4 ms a call; Compare makes five).
"""
from __future__ import annotations

import base64
import functools
import gc
import hashlib
import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from .. import explain
from ..checkpoint import Bundle, bundle_paths
from ..i18n import Messages, messages
from ..state import Settings
from ..trace import InputError, Trace, trace_translation

MODELS_DIR = str(Path(__file__).resolve().parents[2] / "models")  # unless ATTNVIZ_MODELS_DIR names another
TRACE_CACHE_ENTRIES = 512  # ~80 KiB each at 10 words: at most ~40 MB for a whole class's sentences
# The tab's icon, shipped (works offline) and sent as a data: URL read once: given the file's path,
# Streamlit reads and registers the file again on every run (~0.5 ms of each interaction).
PAGE_ICON = "data:image/png;base64," + base64.b64encode(
    (Path(__file__).resolve().parents[1] / "resources" / "icon.png").read_bytes()).decode("ascii")
PLOTLY = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
_TRACE_OPTIONS = set(inspect.signature(trace_translation).parameters)  # what this core accepts


def models_key() -> tuple[str, str]:
    """The models folder and a digest of its files' names and times: a retrained bundle means a fresh
    load. (Short, because each run's load_report hashes it.)"""
    folder = os.environ.get("ATTNVIZ_MODELS_DIR") or MODELS_DIR  # read each run: tests point it elsewhere
    try:
        stamps = tuple((p.name, p.stat().st_mtime_ns) for p in bundle_paths(folder))
    except OSError:  # a bundle being rewritten by training right now
        stamps = ()
    return folder, hashlib.blake2b(repr(stamps).encode(), digest_size=8).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=2)
def load_report(key: tuple) -> tuple[dict[str, Bundle], tuple[str, ...]]:
    """The bundles that load, and one message per broken or incomplete bundle (naming its file)."""
    from ..checkpoint import load_all_report

    models, problems = load_all_report(key[0])
    # The models (and plotly, pandas) live as long as the server: move them out of the garbage
    # collector's sight, so a full collection walks only what a script run left behind (this is what
    # makes runner.postScriptGC = false in .streamlit/config.toml safe and cheap; see there).
    gc.collect()
    gc.freeze()
    return models, tuple(problems)


def load_models(key: tuple) -> dict[str, Bundle]:
    return load_report(key)[0]


@functools.lru_cache(maxsize=TRACE_CACHE_ENTRIES)  # thread-safe; a refusal (ValueError) is not kept
def _cached_trace(key: tuple, scorer: str, sentence: str, options: tuple) -> Trace:
    return trace_translation(load_models(key)[scorer], sentence, **dict(options))


@dataclass(frozen=True)
class Traces:
    """The page's door to the model: the loaded bundles and their cached traces."""

    key: tuple
    models: dict[str, Bundle]

    @property
    def cards(self) -> dict[str, dict]:
        return {name: b.card for name, b in self.models.items()}

    def get(self, s: Settings, scorer: str | None = None, **options) -> Trace:
        """The trace of s.sentence by `scorer` (default s.model) under the settings; ValueError if none.

        `options` override or add trace_translation keyword arguments (e.g. hypothesis=2).
        """
        opts = {"beam": s.beam, "blocked": s.hide}
        if s.force.strip():
            opts["target"] = s.force
        elif s.prefix.strip() and "prefix" in _TRACE_OPTIONS:
            opts["prefix"] = s.prefix
        opts.update(options)
        return _cached_trace(self.key, scorer or s.model, s.sentence, tuple(sorted(opts.items())))


def opened(label: str, key: str, icon: str, active: bool = False):
    """An expander that reruns the page when it is opened or closed: itself while open, None while closed
    (so nothing inside it is built, nor sent to the browser, until a person asks for it).

    active: what it holds is in force (e.g. a link's forced translation, hidden word or edit): it then
    opens by itself the first time it is drawn. After that it stays as the reader last left it, also when its
    label changes language: a flag keeps its last state, since the expander's widget identity includes
    its label and `expanded`, and a new identity starts from `expanded`."""
    ss = st.session_state
    flag = f"_{key}_open"
    box = st.expander(label, key=key, icon=icon, expanded=bool(ss.get(flag, active)), on_change="rerun")
    ss[flag] = bool(box.open)
    return box if box.open else None


def trace_or_warn(traces: Traces, s: Settings, scorer: str | None = None, **options) -> Trace | None:
    """The trace for these settings, or None after saying, in the reader's language, why there is none."""
    got = trace_or_refusal(traces, s, scorer, **options)
    if isinstance(got, ValueError):
        say_refusal(got, s)
        return None
    return got


def trace_or_refusal(traces: Traces, s: Settings, scorer: str | None = None, **options) -> Trace | ValueError:
    """The trace for these settings, or the core's refusal (for say_refusal), drawing nothing."""
    try:
        return traces.get(s, scorer, **options)
    except ValueError as e:
        return e


def say_refusal(e: ValueError, s: Settings) -> None:
    """Why there is no trace, in the reader's language (nothing typed yet is said without alarm)."""
    say = st.info if getattr(e, "code", "") == "no_english_word" else st.warning
    say(refusal(e, messages(s.lang)))


def refusal(e: ValueError, m: Messages, other: str = "app.cannot_translate") -> str:
    """Why the core refused: its InputError said in the reader's language (refusals.toml), any other
    reason in the core's English words inside the message `other` (a template with {reason})."""
    if isinstance(e, InputError):
        return m(f"refusals.{e.code}", **e.params)
    return m(other, reason=explain.md_escape(str(e)))


def show_notes(s: Settings) -> None:
    """The notes the link or the input produced (bad parameter, input cut), in the reader's language."""
    m = messages(s.lang)
    for key, values in s.notes:
        st.warning(m(key, **values))


class _Spec(go.Figure):
    """A figure spec handed to st.plotly_chart as it is: st.plotly_chart re-validates a plain dict
    through plotly's object tree (~13 ms a heatmap); a Figure is taken through to_dict() alone."""

    def __init__(self, spec: dict) -> None:  # no BaseFigure.__init__: nothing to build or check
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


# Once a chart is mounted, Streamlit re-applies its theme to a JSON copy of the figure and hands the
# copy to plotly.js, which takes every copied array for new data and draws the chart a second time
# (a new sentence on Translate: 2,000-5,000 DOM changes again, 45-75 ms in Chromium). A figure here
# never changes in place (a changed spec is a new element, mounted afresh: its id hashes the spec),
# so one constant `layout.datarevision` is true for every figure, and tells plotly.js to keep its data.
DATA_REVISION = "spec"


# plotly.js reads a numeric array sent as {"dtype", "bdata": base64 of its bytes, "shape"} (a typed
# array spec), the model's own float32 numbers bit for bit. As JSON text, each number is written out in
# Python (~19 characters: the hidden states of a 13-word sentence are 137 KB and 2.4 ms to encode; as
# bytes 4 bytes each and no formatting) and parsed again in the browser.
TYPED = {"f": {4: "f4", 8: "f8"}, "i": {1: "i1", 2: "i2", 4: "i4"}, "u": {1: "u1", 2: "u2", 4: "u4"}}
TYPED_FROM = 16  # smaller arrays stay JSON lists: their bytes would not be shorter
AS_TEXT = {"text", "hovertext", "ticktext"}  # read as words by plotly.js, never as a typed array


def typed_arrays(value, key: str = ""):
    """The spec with every numeric NumPy array of TYPED_FROM or more numbers as a typed array spec,
    arrays of words as lists, everything else as it is (an int64 array as int32 when its numbers fit)."""
    if isinstance(value, dict):
        return {k: typed_arrays(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], dict):  # traces, annotations, shapes
        return [typed_arrays(v) for v in value]
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype.kind in "OSU":  # words as a list: plotly hands a figure to orjson where it is installed,
        return value.tolist()  # which refuses arrays of words, and plotly's fallback walks the whole figure
    if value.size < TYPED_FROM or key in AS_TEXT:  # in Python first (2.8 of 19.4 ms of server CPU a click)
        return value
    if value.dtype.kind in "iu" and value.dtype.itemsize == 8:
        if value.min() < np.iinfo(np.int32).min or value.max() > np.iinfo(np.int32).max:
            return value
        value = value.astype(np.int32)
    code = TYPED.get(value.dtype.kind, {}).get(value.dtype.itemsize)
    if code is None:  # booleans, float16: JSON as before
        return value
    data = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
    return {"dtype": code, "bdata": base64.b64encode(data.tobytes()).decode("ascii"),
            "shape": ", ".join(map(str, value.shape))}


def show_figure(spec, key: str, config: dict | None = None, **kwargs) -> None:
    """Draw a figure spec (attnviz.figures) or a plotly Figure, without re-validating it, and once;
    its numeric arrays go to the browser as typed arrays (typed_arrays).
    config: plotly's config (default PLOTLY), e.g. exports.plotly_config for a named image download."""
    spec = spec if isinstance(spec, dict) else spec.to_dict()  # a Figure is never changed in place
    spec = typed_arrays(spec)
    st.plotly_chart(_Spec({**spec, "layout": {**spec.get("layout", {}), "datarevision": DATA_REVISION}}), key=key,
                    theme=None, config=PLOTLY if config is None else config, **kwargs)
