"""attnviz dashboard: type an English sentence and watch the bundled encoder-decoders attend.

A router: read the link and the widgets into a Settings, write it back to the URL, and call the open
view's draw(settings, traces). Views live in attnviz/views/. Run: streamlit run app.py
"""
from __future__ import annotations

import os

# One thread per trace: a batch-of-one GRU gains nothing from more, and on a busy CPU idle BLAS
# threads spin (measured: a trace twice as slow). NumPy reads it when it loads, so set it first.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import streamlit as st  # noqa: E402

from attnviz import explain  # noqa: E402
from attnviz.checkpoint import BundleError  # noqa: E402
from attnviz.i18n import LANGS, messages  # noqa: E402
from attnviz.state import Settings, switch_stage, to_query  # noqa: E402
from attnviz.views import chrome, classroom, compare, controls, copylink, how, learn, lesson, lesson_heads  # noqa: E402
from attnviz.views import steps, translate  # noqa: E402
from attnviz.views.common import PAGE_ICON, Traces, load_report, models_key, show_notes  # noqa: E402

if not st.session_state.get("_page_set"):  # once a session: the browser keeps the title, icon and layout
    st.session_state["_page_set"] = True
    st.set_page_config(page_title="attnviz", page_icon=PAGE_ICON, layout="wide")

VIEWS = {"translate": translate.draw, "compare": compare.draw, "steps": steps.draw, "lesson": lesson.draw,
         "lesson2": lesson_heads.draw, "learn": learn.draw, "how": how.draw}


def default_settings(cards: dict) -> Settings:
    """What an empty link shows: the first example, by the model with the best measured BLEU."""
    return Settings(sentence=explain.EXAMPLES[0], model=explain.best_model(cards))


def main() -> None:
    try:
        models, problems = load_report(key := models_key())
    except BundleError as e:
        lang = st.query_params.get("lang", LANGS[0])
        m = messages(lang if lang in LANGS else LANGS[0])
        st.error(m("app.no_models", reason=explain.md_escape(str(e))))
        st.markdown(m("explain.explainer_short"))
        return
    traces = Traces(key, models)
    # before the link is read or written: a switch between the two lessons brings back the new lesson's
    # own stage, not the other lesson's number
    switch_stage(st.session_state)
    if classroom.page(traces):  # a phone in a class (join=), the teacher's class screen (class=)
        return
    default = default_settings(traces.cards)
    controls.init_from_url(list(models), default)
    lang, present = st.session_state.lang, bool(st.session_state.present)
    m = messages(lang)
    if not present:
        st.title(m("app.title"))
        st.caption(m("app.tagline"))
        controls.input_ui(lang)
    top = controls.view_ui(lang, present)  # presenter mode: the top row, where "Start a class" goes
    share = None if present else controls.sidebar_ui(list(models), lang)
    s = controls.settings()
    if share is not None:
        share.html(copylink.link_html(controls.page_link(s, default)))
    controls.write_url(to_query(s, default))  # the address: the page's public state
    show_notes(s)
    for problem in problems:  # a bundle with a file missing or damaged: say which, show the others
        st.warning(m("app.bundle_problem", problem=explain.md_escape(problem)))
    classroom.class_bar(s, traces, top)  # presenter mode: Start a class; with a class: Ask the class
    VIEWS[s.view](s, traces)
    chrome.install(present)  # keys, Back / Forward, the window's size; the page's CSS
    controls.remember_url()  # the address as this run leaves it: a different one next run is Back / Forward


main()
