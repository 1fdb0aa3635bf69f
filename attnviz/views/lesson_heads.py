"""Lesson 2, "from one attention to many heads": five stages on the Transformer's real heads; predict first,
then see (view=lesson2).

The script (sentences, questions, measurements) is attnviz/lesson_heads.py; the words are in
messages/<lang>/lesson_heads.toml. Like the first lesson, the stage on screen is st.session_state["stage"]
(the link's `stage`), this lesson's own place st.session_state["lesson2_stage"] (state.keep_stage: switching
lessons lands where each was left), and the guesses live in st.session_state["lesson_guesses"] (the link's
`answers`; the two lessons' stage keys differ). Back / Next are the first lesson's keys, so the keyboard and a
presentation clicker work here too.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import streamlit as st

from .. import lesson as first
from .. import lesson_heads as script
from ..architectures import is_transformer
from ..classroom import session
from ..explain import code, md_escape
from ..figures import lesson as lesson_figures
from ..figures import lesson_heads as figs
from ..figures.heatmap import attention_heatmap
from ..i18n import Messages, messages
from ..state import Settings, keep_stage
from ..trace import Trace
from .common import Traces, refusal, show_figure
from . import lesson as lesson_view
from . import viewport
from .controls import GUESSES

WIDE_FROM = 760  # window width (CSS px) from which the all-heads grid has one column per head (a phone: two)

STAGE = "stage"  # session key: the stage of the lesson on screen, 1-based (the link's `stage`)
VIEW = "lesson2"


@dataclass(frozen=True)
class Screen:
    """What one stage draws from: the sentence the stage chose, its trace (the model's own head), the
    step it is about, its question and the student's pick."""

    s: Settings
    m: Messages
    stage: script.Stage
    candidate: script.Candidate
    trace: Trace
    status: str
    t: int
    question: script.Question | None
    guess: int | None
    traces: Traces
    gru: str | None

    @property
    def big(self) -> bool:
        return self.s.present

    @property
    def focus(self) -> str:
        return code(self.trace.tgt_tokens[self.t])

    def say(self, name: str, **fields) -> str:
        return self.m(f"lesson_heads.{self.stage.key}.{name}", **fields)


def has_heads(traces: Traces) -> dict[str, bool]:
    return {name: is_transformer(b.cfg) for name, b in traces.models.items()}


def _go(n: int) -> None:
    st.session_state[STAGE] = n


def _guess(key: str, option: int) -> None:
    st.session_state[GUESSES] = {**st.session_state.get(GUESSES, {}), key: option}


def _restart() -> None:
    """From the first stage, this lesson's predictions forgotten (the first lesson's are kept)."""
    guesses = st.session_state.get(GUESSES, {})
    keep_stage(st.session_state, VIEW, 1)
    st.session_state[GUESSES] = {k: g for k, g in guesses.items() if k not in script.KEYS}


def _open() -> None:
    st.session_state.update({"view": VIEW, "playing": False})
    keep_stage(st.session_state, VIEW, 1)


def start_button(m: Messages, key: str = "lesson2_start") -> None:
    """A button that opens this lesson at its first stage (the first lesson's end offers it)."""
    st.button(m("lesson_heads.start_lesson"), key=key, on_click=_open, type="primary")


def stage_trace(s: Settings, traces: Traces, stage: script.Stage, model: str):
    """(candidate, trace, status): the stage's sentence chosen from the model's own translations."""
    base = replace(s, beam=1, force="", prefix="", hide=(), model=model)
    return script.choose(stage, lambda en: traces.get(replace(base, sentence=en), model))


def stage_question(s: Settings, traces: Traces, stage: script.Stage, model: str):
    """(candidate, trace, status, step, question): what the stage asks, about the sentence it chose."""
    candidate, trace, status = stage_trace(s, traces, stage, model)
    t = script.focus_step(stage, candidate, trace)
    question = script.question_for(stage, trace, t, [n for n, yes in has_heads(traces).items() if not yes])
    return candidate, trace, status, t, question


def class_question(s: Settings, traces: Traces, number: int) -> session.ClassQuestion | None:
    """Stage `number`'s own question (1-based), for the whole class (views/classroom.py asks it): the same
    sentence, step, options and numbers as the stage; None when it asks nothing or no model has heads."""
    n, stage = script.stage_at(number)
    model = script.heads_model(has_heads(traces))
    if model is None:
        return None
    _, trace, _, t, question = stage_question(s, traces, stage, model)
    return None if question is None else session.heads_lesson_question(n, trace, t, question)


def screen(s: Settings, traces: Traces, stage: script.Stage, model: str) -> Screen:
    candidate, trace, status, t, question = stage_question(s, traces, stage, model)
    gru = script.gru_model(has_heads(traces))
    guess = st.session_state.get(GUESSES, {}).get(stage.key)
    guess = guess if question is not None and guess is not None and 0 <= guess < len(question.options) else None
    return Screen(s, messages(s.lang), stage, candidate, trace, status, t, question, guess, traces, gru)


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    n, stage = lesson_view.open_stage(VIEW, script.stage_at, m)
    model = script.heads_model(has_heads(traces))
    if model is None:
        st.warning(m("lesson_heads.no_heads_model"))
        return
    nav(m, n, stage)
    if n == 1:
        st.caption(m("lesson_heads.intro", count=len(script.STAGES)))
    try:
        sc = screen(s, traces, stage, model)
    except ValueError as e:
        st.warning(refusal(e, m, "lesson_heads.cannot"))
        return
    sentence_note(sc)
    STAGES[stage.key](sc)
    right, made = tally(s, traces, model)
    if n == len(script.STAGES) and (sc.question is None or sc.guess is not None):
        st.success(m("lesson_heads.end", made=made, right=right) if made else m("lesson_heads.end_none"))
        st.button(m("lesson_heads.restart"), key="lesson2_restart", on_click=_restart)


def nav(m: Messages, n: int, stage: script.Stage) -> None:
    """Progress and Back / Next (the first lesson's button keys: views/keys.py clicks them for ← / →)."""
    lesson_view.nav_bar(m, n, len(script.STAGES), m(f"lesson_heads.{stage.key}.title"), "lesson_heads.progress", _go)


def sentence_note(sc: Screen) -> None:
    """Say so when the model does not translate the stage's sentence as a French speaker would."""
    if sc.status != script.RIGHT:
        st.caption(sc.m("lesson_heads.not_right", translation=md_escape(sc.trace.translation),
                        reference=md_escape(sc.candidate.fr)))


def tally(s: Settings, traces: Traces, model: str) -> tuple[int, int]:
    """This lesson's running tally: its predictions made so far and how many the model agreed with."""
    m = messages(s.lang)
    guesses = {k: g for k, g in st.session_state.get(GUESSES, {}).items() if k in script.KEYS}
    others = [n for n, yes in has_heads(traces).items() if not yes]
    questions = {}
    for stage in script.STAGES:
        if stage.key in guesses:
            try:
                candidate, trace, _ = stage_trace(s, traces, stage, model)
            except ValueError:
                continue
            q = script.question_for(stage, trace, script.focus_step(stage, candidate, trace), others)
            if q is not None:
                questions[stage.key] = q
    unusable = {k: g for k, g in guesses.items() if k in questions and not 0 <= g < len(questions[k].options)}
    if unusable:  # e.g. answers=several:40 in a link: not counted, said once, dropped from the link
        st.warning(m("notes.bad_answers", value=",".join(f"{k}:{g + 1}" for k, g in unusable.items())))
        st.session_state[GUESSES] = {k: g for k, g in st.session_state.get(GUESSES, {}).items() if k not in unusable}
    right, made = first.tally(questions, guesses)
    st.markdown(m("lesson.tally", right=right, made=made) if made else m("lesson.tally_none"))
    return right, made


# ---------------------------------------------------------------- predict, then reveal


def option_label(sc: Screen, i: int) -> str:
    """What option i's button says (lesson_heads.option_text: the live class's phones say the same)."""
    return script.option_text(sc.question.kind, sc.question.options, i, sc.m)


def shown(sc: Screen, i: int) -> str:
    """Option i in running text."""
    q = sc.question
    if q.kind in ("head", "scorer", "count"):
        return f"**{md_escape(option_label(sc, i))}**"
    return code(option_label(sc, i))


def predict(sc: Screen, **fields) -> bool:
    """The question with one button per option until the student picks; then the graded reveal.
    Returns whether the answer is revealed."""
    q = sc.question
    if q is None:
        return True
    if sc.guess is None:
        st.markdown(sc.m("lesson.predict", prompt=sc.say("prompt", **fields)))
        row = st.container(horizontal=True, gap="small", key="lesson2_options")
        for i in range(len(q.options)):
            row.button(option_label(sc, i), key=f"lesson2_{sc.stage.key}_{i}", on_click=_guess,
                       args=(sc.stage.key, i), width="content")
        return False
    g = first.grade(q, sc.guess)
    verdict = "right" if g.correct else "wrong"
    if q.kind == "self" and sc.guess > sc.t:
        verdict = "masked"  # a later French word: the mask gave it 0
    values = dict(guess=shown(sc, g.guess), best=shown(sc, q.answer), guess_value=g.value or 0.0,
                  best_value=g.best or 0.0, **fields)
    (st.success if g.correct else st.warning)(sc.m(f"lesson_heads.reveal.{q.kind}_{verdict}", **values))
    return True


# ---------------------------------------------------------------- the stages


def fig(spec, key: str) -> None:
    show_figure(spec, key=f"lesson2-{key}")


def written(trace: Trace, t: int) -> str:
    return code(" ".join(trace.tgt_tokens[:t])) if t else "—"


def draw_several(sc: Screen) -> None:
    tr, h = sc.trace, sc.trace.heads
    layers, heads = h.shape
    layer = h.layer
    left, right = lesson_view.text_and_figures()
    with left:
        st.markdown(sc.say("body", layers=layers, heads=heads, k=h.keys.shape[-1], sentence=code(tr.source),
                           translation=md_escape(tr.translation)))
        revealed = predict(sc, focus=sc.focus, heads=heads, layer=layer + 1)
        if revealed:
            looks = script.looks(tr, sc.t, layer)
            lines = [sc.m("lesson_heads.several.line", head=a + 1, word=code(tr.src_tokens[j]), weight=w)
                     for a, (j, w) in enumerate(looks)]
            st.markdown("\n".join(f"- {x}" for x in lines))
            count = len({j for j, _ in looks})
            st.markdown(sc.say("after_one" if count == 1 else "after", heads=heads, k=h.keys.shape[-1],
                               d=h.cross_out.shape[-1], count=count))
    with right:
        if revealed:
            fig(figs.layer_heads_figure(tr, layer, sc.t, m=sc.m, big=sc.big), "several-heads")
        else:  # the one attention the other views show; the row to predict left empty
            title = sc.m("lesson_heads.fig.one_head", layer=layer + 1, head=h.head + 1)
            spec = attention_heatmap(tr, upto=sc.t, title=title, m=sc.m, big=sc.big)
            fig(lesson_figures.mark_cells(spec, blank_row=sc.t), "several-one")


def draw_onehead(sc: Screen) -> None:
    tr, h = sc.trace, sc.trace.heads
    k = h.keys.shape[-1]
    left, right = lesson_view.text_and_figures()
    with left:
        st.markdown(sc.say("body", layer=h.layer + 1, head=h.head + 1, focus=sc.focus, written=written(tr, sc.t),
                           k=k, words=len(tr.src_tokens)))
        revealed = predict(sc)
        if revealed:
            top = first.looked_at(tr, sc.t)
            st.markdown(sc.say("scores", top=code(tr.src_tokens[top])))
            st.latex(script.dot_latex(tr, sc.t, top))
            st.markdown(sc.say("softmax"))
            st.latex(first.softmax_latex(tr, sc.t, top, lesson_view.softmax_terms_shown()))
            st.markdown(sc.say("after", k=k, top=code(tr.src_tokens[top]), weight=float(tr.weights[sc.t][top]),
                               others=h.shape[1] - 1, layer=h.layer + 1))
    with right:
        if revealed:
            fig(lesson_figures.lesson_scores_figure(tr, sc.t, m=sc.m, big=sc.big), "onehead-scores")
            fig(lesson_figures.lesson_weights_figure(tr, sc.t, m=sc.m, guess=sc.guess, big=sc.big), "onehead-weights")
            fig(figs.head_sum_figure(tr, sc.t, m=sc.m, big=sc.big), "onehead-sum")
        else:
            fig(figs.query_keys_figure(tr, sc.t, m=sc.m, big=sc.big), "onehead-qk")


def draw_special(sc: Screen) -> None:
    tr, h = sc.trace, sc.trace.heads
    layers, heads = h.shape
    punct = script.punctuation(tr)
    marks = ", ".join(code(tr.src_tokens[j]) for j in punct) or "—"
    st.markdown(sc.say("body", n=layers * heads, layers=layers, heads=heads,
                       translation=md_escape(tr.translation)))
    if sc.question is None:
        st.info(sc.say("no_punctuation"))
        return
    left, right = lesson_view.text_and_figures()
    with left:
        revealed = predict(sc, punct=marks)
        if revealed:
            w = script.punctuation_weights(tr)
            low = min(range(len(sc.question.values)), key=lambda i: sc.question.values[i])
            st.markdown(sc.say("after", punct=marks, uniform=len(punct) / len(tr.src_tokens),
                               words=len(tr.src_tokens), steps=max(first.written_steps(tr), 1),
                               best=shown(sc, sc.question.answer), best_value=float(w.max()),
                               low=shown(sc, low), low_value=float(w.min())))
            q = sc.question
            fig(lesson_figures.guess_bars([option_label(sc, i) for i in range(len(q.options))], q.values,
                                          sc.m("lesson_heads.fig.punct_title"), sc.m("lesson_heads.fig.punct_x"),
                                          m=sc.m, best=q.answer, guess=sc.guess, x_range=[0, 1], big=sc.big),
                "special-bars")
    with right:
        if revealed:
            cols = heads if viewport.size()[0] >= WIDE_FROM else min(heads, 2)
            fig(figs.all_heads_figure(tr, m=sc.m, big=sc.big, column=punct[-1], cols=cols,
                                      values=script.punctuation_weights(tr)), "special-grid")


def draw_masked(sc: Screen) -> None:
    tr, h = sc.trace, sc.trace.heads
    layer, head = script.previous_word_head(tr)
    left, right = lesson_view.text_and_figures()
    with left:
        st.markdown(sc.say("body", layer=layer + 1, head=head + 1, translation=md_escape(tr.translation)))
        revealed = predict(sc, focus=sc.focus)
        if revealed:
            prev = script.previous_word_weights(tr)
            st.markdown(sc.say("after", layer=layer + 1, head=head + 1, prev=float(prev[layer, head]),
                               n=prev.size, low=float(prev.min()), steps=max(first.written_steps(tr) - 1, 1)))
    with right:
        if revealed:
            fig(figs.self_attention_figure(tr, layer, head, sc.t, m=sc.m, big=sc.big, guess=sc.guess), "masked-self")
        else:
            fig(figs.self_attention_figure(tr, layer, head, sc.t, m=sc.m, big=sc.big, upto=sc.t - 1), "masked-before")


def draw_linkback(sc: Screen) -> None:
    tr, h = sc.trace, sc.trace.heads
    layers, heads = h.shape
    gru_name = sc.m(f"scorers.{sc.gru}") if sc.gru else "—"
    st.markdown(sc.say("body", gru=f"**{md_escape(gru_name)}**", cross=layers * heads, layers=layers, heads=heads))
    if not predict(sc):
        return
    found = gru_row(sc)
    st.markdown(sc.say("after", k=h.keys.shape[-1]))
    tops = [float(h.cross_weights[sc.t, l, a].max()) for l in range(layers) for a in range(heads)]
    if found is not None:
        gru, j, weight, t = found
        st.markdown(sc.say("numbers", focus=sc.focus, gru=md_escape(gru_name), gru_fr=code(gru.tgt_tokens[t]),
                           gru_word=code(gru.src_tokens[j]), gru_weight=weight, cross=len(tops), low=min(tops),
                           high=max(tops)))
    quality(sc)
    # the two models side by side across the page (in half a page each would be too narrow to read)
    shown = ([(gru_name, found[0], "linkback-gru")] if found is not None else []) + [
        (sc.m("lesson_heads.fig.one_head", layer=h.layer + 1, head=h.head + 1), tr, "linkback-head")]
    for col, (name, trace, key) in zip(st.columns(2, gap="large"), shown):
        with col:
            st.markdown(f"**{md_escape(name)}**")
            fig(lesson_figures.lesson_small_heatmap(trace, m=sc.m, big=sc.big), key)


def gru_row(sc: Screen):
    """(trace, English position, weight, step): the one-attention model on the same sentence, at the French
    word the stage is about (when it wrote it), else at the same step; None when no such model is loaded."""
    if sc.gru is None:
        return None
    base = replace(sc.s, beam=1, force="", prefix="", hide=(), sentence=sc.trace.source, model=sc.gru)
    try:
        gru = sc.traces.get(base, sc.gru)
    except ValueError:
        return None
    t = script.wrote(gru, sc.trace.tgt_tokens[sc.t])
    t = first.clamp_step(gru, sc.t if t is None else t)
    j = first.looked_at(gru, t)
    return gru, j, float(gru.weights[t][j]), t


def quality(sc: Screen) -> None:
    """The two models' measured BLEU, when both cards have it."""
    cards = sc.traces.cards
    mine = first.metric(cards, sc.trace.scorer, "bleu_greedy")
    theirs = first.metric(cards, sc.gru, "bleu_greedy") if sc.gru else None
    if mine is not None and theirs is not None:
        st.markdown(sc.say("quality", gru=md_escape(sc.m(f"scorers.{sc.gru}")), gru_bleu=theirs,
                           model=md_escape(sc.m(f"scorers.{sc.trace.scorer}")), bleu=mine))


STAGES: dict[str, Callable[[Screen], None]] = {
    "several": draw_several, "onehead": draw_onehead, "special": draw_special, "masked": draw_masked,
    "linkback": draw_linkback,
}
