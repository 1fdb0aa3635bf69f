"""What every view shares: the loaded models, cached traces, and saying why there is no trace.

Traces are cached per server as shared read-only objects (st.cache_resource): a hit costs a dict
lookup, not the unpickling a copy per rerun would (cache_data copies ~80 KiB per Trace each time).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from .. import explain
from ..checkpoint import Bundle, bundle_paths
from ..i18n import Messages, messages
from ..state import Settings
from ..trace import Trace, trace_translation

MODELS_DIR = os.environ.get("ATTNVIZ_MODELS_DIR") or str(Path(__file__).resolve().parents[2] / "models")
TRACE_CACHE_ENTRIES = 512  # ~80 KiB each at 10 words: at most ~40 MB for a whole class's sentences
PLOTLY = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def models_key() -> tuple:
    """The models folder and its files' times: a retrained bundle means a fresh load."""
    try:
        return MODELS_DIR, tuple((p.name, p.stat().st_mtime_ns) for p in bundle_paths(MODELS_DIR))
    except OSError:  # a bundle being rewritten by training right now
        return MODELS_DIR, ()


@st.cache_resource(show_spinner=False, max_entries=2)
def load_models(key: tuple) -> dict[str, Bundle]:
    from ..checkpoint import load_all

    return load_all(key[0])


@st.cache_resource(show_spinner=False, max_entries=TRACE_CACHE_ENTRIES)
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
        elif s.prefix.strip():
            opts["prefix"] = s.prefix
        opts.update(options)
        return _cached_trace(self.key, scorer or s.model, s.sentence, tuple(sorted(opts.items())))


def page_messages(s: Settings) -> Messages:
    return messages(s.lang)


def trace_or_warn(traces: Traces, s: Settings, scorer: str | None = None, **options) -> Trace | None:
    """The trace for these settings, or None after saying, in plain words, why there is none."""
    m = messages(s.lang)
    if not explain.source_tokens(s.sentence):
        st.info(m("app.empty_input"))
        return None
    try:
        return traces.get(s, scorer, **options)
    except ValueError as e:  # the core's messages are written for people
        st.warning(m("app.cannot_translate", reason=explain.md_escape(str(e))))
        return None


def show_notes(s: Settings) -> None:
    """The notes the link or the input produced (bad parameter, input cut), in the reader's language."""
    m = messages(s.lang)
    for key, values in s.notes:
        st.warning(m(key, **values))
