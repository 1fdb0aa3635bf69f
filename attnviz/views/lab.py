"""The decoding lab, drawn inside the Translate and Step-by-step views: what-if edits (prefix-constrained
decoding), the beam as a tree, gold alignments over attention, the hide test, and exports.

Draw functions only: numbers come from Traces (attnviz.trace), HideEffect (attnviz.causal) and the
gold pairs (attnviz.alignment); figures from attnviz.figures; words from messages/<lang>/lab.toml.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from .. import explain, exports, figures
from ..alignment import bundled_pairs, find_pair, sentence_aer
from ..causal import HideEffect, hide_effects
from ..explain import code, md_escape
from ..i18n import Messages, messages
from ..state import Settings
from ..text import detokenize_fr, tokenize_fr
from ..trace import LEFT_OUT_PENALTY, Trace
from . import viewport
from .common import Traces, load_models, opened, refusal, show_figure

HISTORY = "lab_history"  # session state: the edits made, newest last, to undo
MAX_HISTORY = 20
SPECIAL = ("<eos>", "<unk>", "<pad>", "<bos>")  # never offered as a word to continue with
PENALTIES = ("none", "average", "gnmt")
GNMT_ALPHA = 0.6  # Wu et al. 2016 found 0.6-0.7 best on their data; the slider starts here
IMAGE_FORMATS = ("png", "svg")
MAIN_RESERVE = 130  # Translate's heatmap: its title (three lines) and a little air, within the window


# ---------------------------------------------------------------- shared


def _show(spec, key: str, trace: Trace, kind: str) -> None:
    """Draw a figure spec; its modebar camera saves `<kind>-<model>-<sentence>.<png|svg>`."""
    fmt = st.session_state.get("lab_img_format") or "png"
    show_figure(spec, key, config=exports.plotly_config(exports.file_stem(kind, trace), fmt))


def _so_far(trace: Trace, t: int) -> str:
    return detokenize_fr([w for w in trace.tgt_tokens[:t] if w not in SPECIAL])


def _forced(trace: Trace) -> tuple[bool, ...]:
    return tuple(getattr(trace, "forced", ()) or ())


# ---------------------------------------------------------------- what if? (prefix-constrained decoding)


def _remember() -> None:
    ss = st.session_state
    hist = [h for h in ss.get(HISTORY, []) if h["sentence"] == ss.sentence]
    hist.append({"sentence": ss.sentence, "prefix": ss.get("prefix", ""), "force": ss.get("force", "")})
    ss[HISTORY] = hist[-MAX_HISTORY:]


def _apply_prefix(prefix: str) -> None:
    """Keep the output so far, force the chosen word, let the model continue (greedy or beam)."""
    _remember()
    st.session_state.update(prefix=prefix, force="", playing=False)


def _apply_typed(so_far: str) -> None:
    ss = st.session_state
    typed = (ss.get("lab_typed") or "").strip()
    ss.lab_typed = ""
    if tokenize_fr(typed):
        _apply_prefix(f"{so_far} {typed}".strip())


def _undo() -> None:
    ss = st.session_state
    hist = [h for h in ss.get(HISTORY, []) if h["sentence"] == ss.sentence]
    if hist:
        last = hist.pop()
        ss.update(prefix=last["prefix"], force=last["force"], playing=False)
    ss[HISTORY] = hist


def _clear_edits() -> None:
    _remember()
    st.session_state.update(prefix="", playing=False)


def edit_history() -> list[dict]:
    """The undoable edits of the sentence shown, oldest first."""
    ss = st.session_state
    return [h for h in ss.get(HISTORY, []) if h["sentence"] == ss.get("sentence")]


def _picked(so_far: str, words: tuple[str, ...], current: int | None) -> None:
    """A top word was picked: force it and let the model continue (the model's own word changes nothing)."""
    i = st.session_state.get("lab_pick")
    if i is not None and i != current:
        _apply_prefix(f"{so_far} {words[i]}".strip())


def draw_edit_at_step(s: Settings, traces: Traces, trace: Trace, t: int) -> None:
    """Step by step, paused: the what-if at this step in an expander drawn only while open (open by itself
    when first drawn with an edit in force). Closed, Back and Next send eight page elements fewer, five
    of them widgets the browser would redraw at every step."""
    if s.present or st.session_state.get("playing"):
        return
    box = opened(messages(s.lang)("lab.edit_title"), "steps_edit", ":material/edit:", active=bool(s.prefix))
    if box is not None:
        with box:
            draw_edit(s, traces, trace, t)


def draw_edit(s: Settings, traces: Traces, trace: Trace, t: int | None = None) -> None:
    """What if the model had chosen another word at step t? Its top words to pick from, a typed word, undo.

    t: the output step (0-based) in the Step-by-step view; None on Translate (a step picker is shown).
    """
    m = messages(s.lang)
    ss = st.session_state
    if s.present or ss.get("playing"):
        return
    if t is None:  # a slider, not a list of words: its labels would go stale when an edit changes them
        st.markdown(f"#### {m('lab.edit_title')}")  # (Step by step: the expander around it says it)
        n = trace.num_steps
        ss.lab_edit_step = min(max(int(ss.get("lab_edit_step", 1)), 1), n)
        t = (st.slider(m("lab.edit_step"), 1, n, key="lab_edit_step") if n > 1 else 1) - 1
    t = min(max(int(t), 0), trace.num_steps - 1)
    so_far = _so_far(trace, t)
    given = trace.mode == "forced" or (t < len(_forced(trace)) and _forced(trace)[t])
    st.markdown(m("lab.edit_at_forced" if given else "lab.edit_at", step=t + 1,
                  word=code(trace.tgt_tokens[t]), so_far=code(so_far) if so_far else m("lab.edit_start")))
    words = [(w, float(p)) for w, p in zip(trace.topk_tokens[t], trace.topk_probs[t]) if w not in SPECIAL]
    # The top words as one row of pills, the model's own word shown picked: one page element where a
    # button a word took six (every element costs the server time on every run; a phone wraps the row).
    if words:
        wrote = trace.tgt_tokens[t].casefold()
        current = next((i for i, (w, _) in enumerate(words) if w.casefold() == wrote), None)
        ss.lab_pick = current
        st.pills(m("lab.edit_pick"), range(len(words)), key="lab_pick", label_visibility="collapsed",
                 format_func=lambda i: f"{words[i][0]} ({words[i][1]:.2f})", on_change=_picked,
                 args=(so_far, tuple(w for w, _ in words), current))
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
    row.text_input(m("lab.edit_type"), key="lab_typed", max_chars=60, placeholder=m("lab.edit_type_placeholder"))
    row.button(m("lab.edit_go"), key="lab_go", on_click=_apply_typed, args=(so_far,), width="stretch")
    forced = _forced(trace)
    hist = edit_history()
    if s.prefix and any(forced) and trace.mode != "forced":
        st.info(m("lab.edit_active", prefix=code(s.prefix), mark=figures.FORCED_MARK.strip()))
    row = st.container(horizontal=True, gap="small")
    row.button(m("lab.undo", n=len(hist)), key="lab_undo", on_click=_undo, disabled=not hist, width="stretch")
    row.button(m("lab.clear"), key="lab_clear", on_click=_clear_edits, disabled=not s.prefix, width="stretch")
    if hist:
        st.caption(m("lab.history") + " " + " → ".join(code(h["prefix"] or "—") for h in hist[-5:])
                   + " → " + code(s.prefix or "—"))


# ---------------------------------------------------------------- the beam as a tree


def _penalty() -> str | float:
    ss = st.session_state
    choice = ss.get("lab_penalty") or "average"
    return float(ss.get("lab_alpha", GNMT_ALPHA)) if choice == "gnmt" else choice


def draw_beam_tree(s: Settings, traces: Traces, trace: Trace) -> None:
    """Beam search as a tree, a length-penalty control, the ranked results, and the picked one's heatmap."""
    m = messages(s.lang)
    ss = st.session_state
    if getattr(trace, "beam_tree", None) is None:  # a core without the tree: the table of results
        st.dataframe(explain.alternatives_table(trace, m), hide_index=True)
        return
    ss.setdefault("lab_penalty", "average")
    st.segmented_control(m("lab.penalty"), PENALTIES, key="lab_penalty", required=True,
                         format_func=lambda k: m(f"lab.penalty_{k}"), help=m("lab.penalty_help"))
    if ss.lab_penalty == "gnmt":
        st.slider(m("lab.alpha"), 0.0, 2.0, GNMT_ALPHA, 0.1, key="lab_alpha")
    penalty = _penalty()
    try:
        ranked = trace if penalty == getattr(trace.beam_tree, "length_penalty", "average") else \
            traces.get(s, length_penalty=penalty)
    except ValueError as e:
        st.warning(refusal(e, m))
        return
    tree = ranked.beam_tree
    n = len(tree.ranked)
    if int(ss.get("lab_hyp", 0) or 0) >= n:
        ss.lab_hyp = 0
    k = int(ss.get("lab_hyp", 0) or 0)
    st.caption(m("lab.tree_caption", beam=tree.beam))
    _show(figures.titled(figures.beam_tree_figure(tree, selected=k, m=m, big=s.present), exports.figure_title(trace, m)),
          "beam_tree", trace, "beam-tree")
    st.radio(m("lab.hypothesis"), list(range(n)), key="lab_hyp", horizontal=True,
             format_func=lambda r: f"#{r + 1} {ranked.alternatives[r][0] if r < len(ranked.alternatives) else ''}")
    st.dataframe(figures.beam_ranking_frame(tree, ranked.alternatives, m), hide_index=True)
    st.caption(m(f"lab.penalty_why_{'gnmt' if isinstance(penalty, float) else penalty}") + " "
               + m("lab.left_out_why", penalty=LEFT_OUT_PENALTY))
    try:
        own = traces.get(s, length_penalty=penalty, hypothesis=k)
    except ValueError as e:
        st.warning(refusal(e, m))
        return
    if own.tgt_tokens == trace.tgt_tokens:  # the translation shown above: its heatmap is there already
        st.caption(m("lab.hypothesis_same", rank=k + 1))
        return
    st.markdown(m("lab.hypothesis_heatmap", rank=k + 1, text=md_escape(own.translation) or "…"))
    if own.weights is None:
        st.info(m("app.no_attention"))
        return
    spec = figures.titled(figures.mark_forced_rows(figures.attention_heatmap(own, m=m), own),
                          exports.figure_title(own, m))
    _show(spec, "beam_heatmap", own, f"attention-hypothesis-{k + 1}")


# ---------------------------------------------------------------- gold alignments


def _load_gold(i: int | None = None) -> None:
    ss = st.session_state
    i = ss.get("lab_gold") if i is None else i
    if i is None:
        return
    pair = bundled_pairs()[i]
    ss.update(sentence=pair.en, force=pair.fr, prefix="", hide=[], step=1, playing=False)
    ss[HISTORY] = []


def draw_gold(s: Settings, traces: Traces, trace: Trace) -> None:
    """A picker of the hand-aligned sentences; for one of them, the gold links over attention and its AER."""
    m = messages(s.lang)
    ss = st.session_state
    pairs = bundled_pairs()
    pair = find_pair(trace.src_tokens, trace.tgt_tokens)  # forced, or the model wrote the reference itself
    index = pairs.index(pair) if pair is not None else None
    if ss.get("lab_gold") != index:
        ss.lab_gold = index  # the picker shows the sentence on the page, or nothing
    st.selectbox(m("lab.gold_pick"), list(range(len(pairs))), key="lab_gold", index=None, on_change=_load_gold,
                 placeholder=m("lab.gold_placeholder", n=len(pairs)),
                 format_func=lambda i: f"{pairs[i].en}  →  {pairs[i].fr}")
    if pair is None:
        same = [i for i, p in enumerate(pairs)
                if [w.casefold() for w in p.src_tokens] == [w.casefold() for w in trace.src_tokens]]
        if same:  # the sentence is in the set, but the model's own words do not line up with the gold ones
            st.button(m("lab.gold_use", fr=pairs[same[0]].fr), key="lab_gold_use", on_click=_load_gold,
                      args=(same[0],))
        st.caption(m("lab.gold_info"))
        return
    if trace.weights is None:
        st.info(m("app.no_attention"))
        return
    aer = sentence_aer(trace.weights, pair)
    best = trace.weights[: len(pair.tgt_tokens)].argmax(axis=1)
    on_sure = sum((int(i), j) in pair.sure for j, i in enumerate(best))
    on_possible = sum((int(i), j) in pair.possible for j, i in enumerate(best))
    a, b = st.columns([1, 3], vertical_alignment="center")
    a.metric(m("lab.gold_aer"), f"{aer:.2f}", help=m("lab.gold_aer_help"))
    b.markdown(m("lab.gold_summary", sure=on_sure, possible=on_possible, n=len(pair.tgt_tokens)))
    spec = figures.gold_overlay(figures.titled(figures.attention_heatmap(trace, m=m), exports.figure_title(trace, m)),
                                pair, trace.weights, m)
    _show(spec, "gold_heatmap", trace, "gold-alignment")
    st.caption(m("lab.gold_caption"))


# ---------------------------------------------------------------- is attention an explanation?


@st.cache_resource(show_spinner=False, max_entries=256)
def _cached_effect(key: tuple, scorer: str, source: str, words: tuple, blocked: tuple, _trace: Trace) -> HideEffect:
    return hide_effects(load_models(key)[scorer], _trace)


def effect_frame(effect: HideEffect, m: Messages) -> pd.DataFrame:
    return pd.DataFrame({m("lab.col_word"): list(effect.src_tokens),
                         m("lab.col_attention"): np.round(effect.attention, 3),
                         m("lab.col_effect"): np.round(effect.effect, 3)})


def draw_hide_effect(s: Settings, traces: Traces, trace: Trace) -> None:
    """For each English word: the attention it got, next to what hiding it does to the chosen French words."""
    m = messages(s.lang)
    if trace.weights is None:
        st.info(m("app.no_attention"))
        return
    try:
        effect = _cached_effect(traces.key, trace.scorer, trace.source, tuple(trace.tgt_tokens),
                                tuple(trace.blocked), trace)
    except ValueError as e:
        st.info(refusal(e, m, "lab.effect_none"))
        return
    st.markdown(m("lab.effect_intro", n=trace.num_steps))
    left, right = st.container(), st.container()  # stacked: the Translate column is narrow on a laptop
    with left:
        per = st.segmented_control(m("lab.effect_per"), ("word", "cell"), key="lab_effect_per", default="word",
                                   required=True, format_func=lambda k: m(f"lab.effect_per_{k}"))
        cells = trace.weights if per == "cell" else None
        spec = figures.titled(figures.hide_effect_figure(effect, weights=cells, m=m, big=s.present, title=False),
                              f"{m('lab.effect_title')} · {exports.figure_title(trace, m)}")
        _show(spec, "hide_effect", trace, "attention-vs-hiding")
    with right:
        st.dataframe(effect_frame(effect, m), hide_index=True)
    if not np.isfinite(effect.effect).any():  # one English word: nothing can be hidden and compared
        st.caption(m("lab.effect_caption"))
        return
    finite = np.where(np.isfinite(effect.effect), effect.effect, np.inf)
    top_att, top_eff = int(np.argmax(effect.attention)), int(np.argmin(finite))
    key = "lab.effect_same" if top_att == top_eff else "lab.effect_differ"
    st.markdown(m(key, att=code(effect.src_tokens[top_att]), eff=code(effect.src_tokens[top_eff]),
                  drop=f"{-effect.effect[top_eff]:.2f}"))
    st.caption(m("lab.effect_caption"))


# ---------------------------------------------------------------- the heatmap with its exports


def draw_exports(s: Settings, trace: Trace, figure) -> None:
    """Download buttons: tidy CSV, JSON (the CLI's schema), the figure as offline HTML; PNG or SVG choice."""
    m = messages(s.lang)
    # one horizontal container, not four columns: one page element for the row instead of five
    row = st.container(key="lab_exports", horizontal=True, vertical_alignment="bottom", gap="small")
    if trace.weights is not None:
        row.download_button(m("lab.csv"), lambda: exports.tidy_csv(trace), on_click="ignore",
                            file_name=exports.file_name("attention", trace, "csv"), mime="text/csv",
                            key="lab_csv", help=m("lab.csv_help"), width="stretch")
    row.download_button(m("lab.json"), lambda: exports.trace_json(trace), on_click="ignore",
                        file_name=exports.file_name("trace", trace, "json"), mime="application/json",
                        key="lab_json", help=m("lab.json_help"), width="stretch")
    if figure is not None:
        title = exports.figure_title(trace, m)
        stem = exports.file_stem("attention", trace)
        row.download_button(m("lab.html"), lambda: exports.standalone_html(figure, title, stem), on_click="ignore",
                            file_name=f"{stem}.html", mime="text/html", key="lab_html",
                            help=m("lab.html_help"), width="stretch")
        row.segmented_control(m("lab.image_format"), IMAGE_FORMATS, key="lab_img_format", default="png",
                              required=True, format_func=str.upper, help=m("lab.image_help"))


def draw_main_heatmap(s: Settings, traces: Traces, trace: Trace) -> None:
    """The Translate view's heatmap, titled (sentence, translation, model), what-if words marked ✎,
    its camera button saving a named PNG or SVG, and the export buttons below it."""
    m = messages(s.lang)
    if trace.weights is None:
        st.info(m("app.no_attention"))
        draw_exports(s, trace, None)
        return
    # a long sentence: no taller than the window, so every row shows at once (the title adds its room)
    height = viewport.fit(figures.heatmap_height(trace.num_steps), MAIN_RESERVE)
    spec = figures.attention_heatmap(trace, m=m, height=height)
    spec = figures.titled(figures.mark_forced_rows(spec, trace), exports.figure_title(trace, m))
    _show(spec, "heatmap", trace, "attention")
    draw_exports(s, trace, spec)


def cut_note(trace: Trace, m: Messages) -> str:
    """Why the output stopped before the model ended the sentence: the length limit, with its numbers."""
    from .. import trace as core

    ratio, slack = getattr(core, "LENGTH_RATIO", 1.5), getattr(core, "LENGTH_SLACK", 5)
    s_len = len(trace.src_tokens)
    return m("lab.cut_why", ratio=ratio, s=s_len, slack=slack, limit=trace.num_steps)


def draw_panels(s: Settings, traces: Traces, trace: Trace) -> None:
    """The lab under the Translate heatmap: what if?, is attention an explanation?, human alignment."""
    if s.present:
        return
    m = messages(s.lang)
    if getattr(trace, "stop_reason", "eos") == "length" and trace.mode != "forced":
        st.caption(cut_note(trace, m))
    # All three behind one expander, drawn only while open (open by itself when first drawn with an edit in
    # force, e.g. from a link or after one made in Step by step, so its Undo is at hand):
    # closed, the page has a dozen widgets fewer for the browser to redraw on every click (~60 ms) and the
    # server to send. Inside, only the open tab is drawn: the hide test alone re-runs the model once per
    # English word, and a hidden tab's charts would still be rendered by the browser on every click.
    box = opened(m("lab.title"), "lab", ":material/science:", active=bool(s.prefix))
    if box is None:
        return
    names = {"edit": m("lab.tab_edit"), "hide": m("lab.tab_hide"), "gold": m("lab.tab_gold")}
    tabs = box.tabs(list(names.values()), key=f"lab_tab_{s.lang}", on_change="rerun")
    for tab, draw in zip(tabs, (draw_edit, draw_hide_effect, draw_gold)):
        if tab.open:
            with tab:
                draw(s, traces, trace)
