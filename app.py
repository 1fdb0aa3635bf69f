"""attnviz dashboard: type an English sentence and watch the bundled encoder-decoders attend.

Thin on purpose: *_ui() read widgets, a cached Trace comes from attnviz, draw_*() show what
attnviz.figures and attnviz.explain build from it. Run: streamlit run app.py
"""
from __future__ import annotations

import os

# One thread per trace: a batch-of-one GRU gains nothing from more, and on a busy CPU idle OpenMP
# threads spin, turning a 10 ms trace into a second. It must be set before torch is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import streamlit as st  # noqa: E402

from attnviz import BundleError, Trace, explain, figures, load_all, trace_translation  # noqa: E402
from attnviz.checkpoint import bundle_paths  # noqa: E402

st.set_page_config(page_title="attnviz: watch attention", page_icon=":material/visibility:", layout="wide")

MODELS_DIR = os.environ.get("ATTNVIZ_MODELS_DIR") or str(Path(__file__).resolve().parent / "models")
VIEWS = ("Translate", "Compare scorers", "Step by step", "How attention works")
WIDE_AFTER = 12  # source words beyond which the heatmap takes the full width
PLAY_EVERY = 1.2  # seconds per step while playing: time to read the narration aloud
PLOTLY = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


@dataclass(frozen=True)
class Settings:
    sentence: str  # what is translated: the input, cut to explain.MAX_WORDS words
    notes: tuple[str, ...]  # what to say about the input (e.g. that it was cut)
    scorer: str
    beam: int
    target: str | None  # a French sentence to force, or None to let the model decode
    blocked: tuple[int, ...]  # source positions hidden from attention


def models_key() -> tuple:
    """The models folder and its files' times: a retrained bundle means a fresh load."""
    try:
        return MODELS_DIR, tuple((p.name, p.stat().st_mtime_ns) for p in bundle_paths(MODELS_DIR))
    except OSError:  # a bundle being rewritten by training right now
        return MODELS_DIR, ()


@st.cache_resource(show_spinner="Loading the models (once per server)…", max_entries=2)
def load_models(key: tuple) -> dict:
    return load_all(key[0])


@st.cache_data(show_spinner="Translating…", max_entries=2000)
def get_trace(key: tuple, scorer: str, sentence: str, beam: int, target: str | None, blocked: tuple) -> Trace:
    return trace_translation(load_models(key)[scorer], sentence, beam=beam, target=target, blocked=blocked)


def restart() -> None:
    st.session_state.update(step=1, playing=False)


def use_example() -> None:
    if st.session_state.example:
        st.session_state.sentence = st.session_state.example
    st.session_state.example = None
    restart()


def input_ui() -> explain.Prepared:
    st.text_input("English sentence", key="sentence", max_chars=explain.MAX_CHARS, on_change=restart,
                  placeholder="Type an English sentence and press Enter",
                  help=f"Up to {explain.MAX_WORDS} words; longer input is cut and the page says so.")
    st.pills("…or try an example", explain.EXAMPLES, key="example", on_change=use_example)
    return explain.prepare_input(st.session_state.sentence)


def sidebar_ui(models: dict, prepared: explain.Prepared) -> Settings:
    with st.sidebar:
        names = list(models)
        scorer = st.radio("Model", names, index=names.index("concat") if "concat" in names else 0,
                          format_func=explain.scorer_label, help="For Translate and Step by step.")
        beam = st.slider("Beam width", 1, 8, 1, help="1 = greedy: the most probable word at each step. More keeps "
                         "several candidate translations and lists them. Ignored while French is forced.")
        st.subheader("What if…")
        target = st.text_input("Force this French translation", max_chars=explain.MAX_CHARS // 3,
                               on_change=restart, help="The model must write these words; watch where it looks.")
        words = [f"{i + 1}. {tok}" for i, tok in enumerate(explain.source_tokens(prepared.sentence))]
        hidden = st.multiselect("Hide English words from attention", words, on_change=restart,
                                help="Their weight becomes 0: what does the model do without them?")
    return Settings(prepared.sentence, prepared.notes, scorer, beam, target.strip() or None,
                    tuple(words.index(w) for w in hidden))


def trace_or_warn(key: tuple, scorer: str, s: Settings) -> Trace | None:
    """The trace for these settings, or None after saying, in plain words, why there is none."""
    if not explain.source_tokens(s.sentence):
        st.info(explain.EMPTY_INPUT)
        return None
    try:
        return get_trace(key, scorer, s.sentence, s.beam, s.target, s.blocked)
    except ValueError as e:  # the core's messages are written for people
        st.warning(f"Cannot translate this: {explain.md_escape(str(e))}.")
        return None


def draw_heatmap(trace: Trace, key: str, upto: int | None = None, export: bool = False) -> None:
    if trace.weights is None:
        st.info(explain.NO_ATTENTION_NOTE)
        return
    fig = figures.attention_heatmap(trace, upto=upto)
    st.plotly_chart(fig, key=key, theme=None, config=PLOTLY)
    if export:  # built only when clicked: plotly.js inlined is a few MB
        st.download_button("Download this heatmap (HTML, works offline)", lambda: figures.figure_html(fig),
                           file_name=f"attention-{trace.scorer}.html", mime="text/html", key=f"{key}-html")


def draw_translate(key: tuple, s: Settings) -> None:
    trace = trace_or_warn(key, s.scorer, s)
    wide = trace is not None and len(trace.src_tokens) > WIDE_AFTER
    left, right = (st.container(), st.container()) if wide else st.columns([2, 1], gap="large")
    right.markdown(explain.EXPLAINER_SHORT)  # beside the heatmap, or below it for a long sentence
    if trace is None:
        return
    with left:
        for note in (*s.notes, *explain.input_notes(trace)):
            st.warning(note)
        st.markdown(f"**English, as the model reads it:** {explain.source_line(trace)}")
        st.markdown(f"### {explain.md_escape(trace.translation) or '(empty translation)'}")
        draw_heatmap(trace, "heatmap", export=True)
        st.caption(explain.HEATMAP_CAPTION)
        if trace.alternatives:
            st.markdown(f"**Beam search kept {len(trace.alternatives)} candidate translations** (best first):")
            st.dataframe(explain.alternatives_table(trace), hide_index=True)


def draw_compare(key: tuple, s: Settings, models: dict) -> None:
    names = list(models)
    for row in range(0, len(names), 2):
        for col, scorer in zip(st.columns(2, gap="medium"), names[row:row + 2]):
            with col.container(border=True):
                st.subheader(explain.scorer_label(scorer))
                if (trace := trace_or_warn(key, scorer, s)) is not None:
                    st.markdown(f"#### {explain.md_escape(trace.translation) or '(empty translation)'}")
                    draw_heatmap(trace, f"cmp-{scorer}")
    draw_quality({name: b.card for name, b in models.items()})


def draw_quality(cards: dict) -> None:
    st.header("Measured quality (from the model cards)")
    table = figures.metrics_frame(cards)
    st.dataframe(table.dropna(axis=1, how="all"), hide_index=True, column_config={
        name: st.column_config.NumberColumn(help=text) for name, text in explain.METRIC_HELP.items()})
    if table["BLEU"].isna().all():
        st.info(explain.NO_SCORES)
    left, right = st.columns(2)
    if not figures.bleu_by_length_frame(cards).empty:
        left.altair_chart(figures.bleu_by_length_chart(cards), width="stretch")
        left.caption(explain.BLEU_BY_LENGTH_CAPTION)
    if not figures.history_frame(cards).empty:
        right.altair_chart(figures.training_chart(cards), width="stretch")


def toggle_play(n: int) -> None:
    ss = st.session_state
    ss.step = 0 if not ss.playing and ss.step >= n else ss.step  # replay from the start
    ss.playing = not ss.playing


def move(delta: int, n: int) -> None:
    st.session_state.update(playing=False, step=min(max(st.session_state.step + delta, 1), n))


def draw_steps(key: tuple, s: Settings) -> None:
    if (trace := trace_or_warn(key, s.scorer, s)) is None:
        return
    n, every = trace.num_steps, PLAY_EVERY if st.session_state.playing else None

    @st.fragment(run_every=every)
    def playback() -> None:
        ss = st.session_state
        if bool(every) != ss.playing:
            st.rerun(scope="app")  # Play or Pause was pressed: a full run sets or drops the timer
        ss.step = min(max(ss.step + (1 if every else 0), 1), n)  # 1-based, as the narration counts
        ss.playing = ss.playing and ss.step < n  # at the end the timer's next tick stops it
        play, prev, nxt, slider = st.columns([1.2, 1.2, 1.2, 5], vertical_alignment="bottom")
        play.button("Pause" if every else "Play", on_click=toggle_play, args=(n,), type="primary",
                    icon=f":material/{'pause' if every else 'play_arrow'}:", width="stretch")
        prev.button("Back", icon=":material/skip_previous:", on_click=move, args=(-1, n), width="stretch")
        nxt.button("Next", icon=":material/skip_next:", on_click=move, args=(1, n), width="stretch")
        if n > 1:
            slider.slider("Output step", 1, n, key="step", on_change=lambda: ss.update(playing=False))
        draw_step(trace, ss.step - 1)

    playback()


def draw_step(trace: Trace, t: int) -> None:
    text = explain.step_captions(trace, t)
    st.markdown(f"#### {explain.step_narration(trace, t)}")
    left, right = st.columns([3, 2], gap="large")
    right.markdown(text["choose"])
    right.plotly_chart(figures.topk_figure(trace, t), key="topk", theme=None, config=PLOTLY)
    with left:
        draw_heatmap(trace, "fill", upto=t)
    if trace.weights is None:
        return
    st.markdown(text["look"])
    st.plotly_chart(figures.encoder_states_figure(trace), key="states", theme=None, config=PLOTLY)
    st.markdown(f"{text['score']}\n\n{text['weigh']}")
    st.plotly_chart(figures.scores_weights_figure(trace, t), key="scores", theme=None, config=PLOTLY)
    st.plotly_chart(figures.context_figure(trace, t), key="context", theme=None, config=PLOTLY)


def main() -> None:
    for name, value in {"sentence": explain.EXAMPLES[0], "step": 1, "playing": False}.items():
        st.session_state.setdefault(name, value)
    st.title("attnviz: watch a translator pay attention")
    st.caption(explain.TAGLINE)
    prepared = input_ui()
    try:
        models = load_models(key := models_key())
    except BundleError as e:
        st.error(f"No models to show: {explain.md_escape(str(e))}. Train them with "
                 "`python -m attnviz train --scorer concat`, or set ATTNVIZ_MODELS_DIR.")
        st.markdown(explain.EXPLAINER)
        return
    s = sidebar_ui(models, prepared)
    translate, compare, steps, how = st.tabs(VIEWS, key="view", on_change="rerun")
    for tab, draw in ((translate, lambda: draw_translate(key, s)), (compare, lambda: draw_compare(key, s, models)),
                      (steps, lambda: draw_steps(key, s)), (how, lambda: st.markdown(explain.EXPLAINER))):
        if tab.open:  # only the open tab runs: a hidden one costs nothing
            with tab:
                draw()


main()
