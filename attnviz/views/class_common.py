"""What the class screen and the phones share: the store, the reader's language, a question's words.

attnviz/views/classroom.py (the teacher) and attnviz/views/phone.py (a student) draw with these; no
SQL here (attnviz/classroom/store.py), no rules (attnviz/classroom/session.py).
"""
from __future__ import annotations

import os

import streamlit as st

from .. import lesson_heads as heads_script
from ..classroom import session
from ..classroom.store import ClassStore, open_store
from ..explain import md_escape, scorer_label
from ..i18n import LANGS, Messages
from ..vocab import EOS

PARAMS = ("class", "teach", "join", "me")  # the live class's query parameters (README, "Links")
CODE, SECRET, CONSOLE = "class_code", "class_secret", "class_console"  # session keys of the teacher


def teaching() -> bool:
    """Whether this page is a teacher's with a class running (the class bar asks about what is shown)."""
    ss = st.session_state
    return bool(ss.get(CODE) and ss.get(SECRET))


@st.cache_resource(show_spinner=False)
def _open(url: str, data_dir: str) -> ClassStore:
    return open_store(url, data_dir or None)


def get_store() -> ClassStore:
    """One store per server process and environment (it pools its connections)."""
    return _open(os.environ.get("ATTNVIZ_DATABASE_URL", ""), os.environ.get("ATTNVIZ_DATA_DIR", ""))


def store_or_say(m: Messages) -> ClassStore | None:
    try:
        return get_store()
    except Exception as e:  # a PostgreSQL that does not answer, a folder we cannot write: say so, no crash
        st.error(m("classroom.no_store", reason=md_escape(str(e)[:300])) + " " + m("classroom.store_hint"))
        return None


def reader_lang() -> str:
    """The link's language, else the one chosen on the page, else the class's, else English."""
    ss = st.session_state
    for lang in (st.query_params.get("lang"), ss.get("lang"), ss.get("class_lang")):
        if lang in LANGS:
            ss["class_lang"] = lang
            return lang
    return LANGS[0]


def base_url() -> str:
    try:
        return st.context.url or ""
    except Exception:  # no browser (AppTest)
        return ""


def question_text(q: session.ClassQuestion, m: Messages) -> str:
    """The question in the reader's language; words from the model or a sentence as plain text."""
    return m(q.prompt, **{k: md_escape(str(v)) for k, v in q.fields.items()})


def option_text(q: session.ClassQuestion, i: int, m: Messages) -> str:
    """Option i as the lesson's own buttons say it: a model's name, a head as "layer 2 · head 3", a count
    with its meaning, the start mark, a French or English word."""
    word = q.options[i]
    if q.kind == "scorer":
        return scorer_label(word, m)
    if q.kind in ("count", "head", "self"):  # lesson 2's kinds: the lesson's own labels
        return heads_script.option_text(q.kind, q.options, i, m)
    return "<eos>" if word == EOS else word


def value_text(q: session.ClassQuestion, i: int) -> str:
    """The model's number for option i: a BLEU score, a weight; none for a count (the option is the number)."""
    v = q.values[i]
    return "" if v is None or q.kind == "count" else f"{v:.1f}" if q.kind == "scorer" else f"{v:.2f}"
