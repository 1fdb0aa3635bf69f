"""Lesson: a guided tour of attention in nine stages with the real models; predict first, then see.

The script (sentences, models, questions, scoring) is attnviz/lesson.py; the words are in
messages/<lang>/lesson.toml. The stage on screen (1-based) is st.session_state["stage"], the lesson's own
place st.session_state["lesson_stage"] (state.keep_stage: the second lesson keeps its own), and the guesses
st.session_state["lesson_guesses"]; the link carries the stage and the guesses (`stage`, `answers`), so a
reload keeps the student's place and tally. Back/Next are the buttons "lesson_prev" / "lesson_next".
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import streamlit as st

from .. import explain, figures
from .. import lesson as script
from ..explain import code, md_escape
from ..i18n import Messages, messages
from ..state import Settings, keep_stage, stage_note
from ..trace import Trace
from ..vocab import EOS
from .common import Traces, refusal, show_figure
from ..architectures import TRANSFORMERS
from . import lesson_heads
from .kit import teacher_kit
from . import viewport
from .controls import GUESSES  # session key: stage key -> the option the student picked (0-based)

STAGE = "stage"  # session key: the stage on screen, 1-based (the link's `stage`)
VIEW = "lesson"
SCORERS_HEATMAP_HEIGHT = 360  # three heatmaps side by side, the quality chart below them


@dataclass(frozen=True)
class Screen:
    """What one stage draws from: settings, messages, its traces and question, and the student's pick."""

    s: Settings
    m: Messages
    stage: script.Stage
    traces: dict[str, Trace]
    cards: dict
    question: script.Question | None
    guess: int | None

    @property
    def main(self) -> Trace:
        return script.main_trace(self.stage, self.traces)

    @property
    def big(self) -> bool:
        return self.s.present

    def say(self, name: str, **fields) -> str:
        return self.m(f"lesson.{self.stage.key}.{name}", **fields)


def _go(n: int) -> None:
    st.session_state[STAGE] = n


def _guess(key: str, option: int) -> None:
    st.session_state[GUESSES] = {**st.session_state.get(GUESSES, {}), key: option}


def _restart() -> None:
    keep_stage(st.session_state, VIEW, 1)
    st.session_state[GUESSES] = {}


def stage_traces(s: Settings, traces: Traces, stage: script.Stage) -> dict[str, Trace]:
    """The stage's traces (see lesson.needs), each from a copy of the settings with the stage's sentence."""
    base = replace(s, sentence=stage.sentence, beam=1, force="", prefix="", hide=())
    return {role: traces.get(replace(base, model=need.scorer, hide=need.blocked), need.scorer)
            for role, need in script.needs(stage, list(traces.models)).items()}


def screen(s: Settings, traces: Traces, stage: script.Stage) -> Screen:
    found = stage_traces(s, traces, stage)
    question = script.question_for(stage, found, traces.cards)
    guess = st.session_state.get(GUESSES, {}).get(stage.key)
    guess = guess if question is not None and guess is not None and 0 <= guess < len(question.options) else None
    return Screen(s, messages(s.lang), stage, found, traces.cards, question, guess)


def draw(s: Settings, traces: Traces) -> None:
    m = messages(s.lang)
    n, stage = open_stage(VIEW, script.stage_at, m)
    try:
        script.attention_model(list(traces.models))
    except ValueError:
        st.warning(m("lesson.no_attention_model"))
        return
    nav(m, n, stage)
    if n == 1:
        st.caption(m("lesson.intro", count=len(script.STAGES)))
    try:
        sc = screen(s, traces, stage)
    except ValueError as e:
        st.warning(refusal(e, m, "lesson.cannot"))
        return
    STAGES[stage.key](sc)
    right, made = tally(s, traces)
    explore_button(sc)
    teacher_kit(s, traces)  # the printable worksheet and class script (views/kit.py)
    if n == len(script.STAGES) and (sc.question is None or sc.guess is not None):
        st.success(m("lesson.end", made=made, right=right) if made else m("lesson.end_none"))
        st.button(m("lesson.restart"), key="lesson_restart", on_click=_restart)
        if any(card.get("config", {}).get("scorer") in TRANSFORMERS for card in traces.cards.values()):
            lesson_heads.start_button(m)  # the next lesson: from one attention to many heads


def _explore(sentence: str, model: str, step: int, hide: tuple[int, ...]) -> None:
    """Open the stage's sentence in Step by step, at the stage's word: the student goes on alone."""
    st.session_state.update(sentence=sentence, model=model, beam=1, force="", prefix="", hide=list(hide),
                            view="steps", step=step, playing=False, example=None)


def explore_button(sc: Screen) -> None:
    tr = sc.main
    t = script.focus_step(sc.stage, tr) if tr.weights is not None else 0
    st.button(sc.m("lesson.explore"), key="lesson_explore", on_click=_explore,
              args=(tr.source, tr.scorer, t + 1, tr.blocked), help=sc.m("lesson.explore_help"))


def open_stage(view: str, stage_at: Callable, m: Messages) -> tuple[int, object]:
    """The stage the link or session asks for, clamped into lesson `view` (stage_at: that lesson's) and
    kept as its place; a note when the link asked past the end (stage=77 opens the last stage)."""
    ss = st.session_state
    asked = ss.get(STAGE, 1)
    n, stage = stage_at(asked)
    keep_stage(ss, view, n)
    if (note := stage_note(asked, n)) is not None:
        st.warning(m(note[0], **note[1]))
    return n, stage


def nav(m: Messages, n: int, stage: script.Stage) -> None:
    """Progress, the running tally's place, and Back / Next."""
    nav_bar(m, n, len(script.STAGES), m(f"lesson.{stage.key}.title"), "lesson.progress", _go)


def nav_bar(m: Messages, n: int, total: int, title: str, progress: str, go) -> None:
    """A lesson's progress bar (message `progress`), Back / Next calling go(stage), and the stage's title;
    both lessons draw it, with the same button keys."""
    buttons = 1.3 if viewport.wide(BESIDE_FROM_PX) else 2.6  # at 853 px, 1.3 of 10.6 printed "Ba ck" and "N…"
    left, back, nxt = st.columns([8, buttons, buttons], vertical_alignment="bottom")
    left.progress(n / total, text=m(progress, n=n, total=total, title=title))
    # The keyboard handler (views/keys.py) clicks `.st-key-lesson_back button` for ← / PageUp: the
    # container carries that name, the button its own key.
    back.container(key="lesson_back").button(m("lesson.prev"), key="lesson_prev", on_click=go, args=(n - 1,),
                                            disabled=n <= 1, width="stretch")
    nxt.button(m("lesson.next"), key="lesson_next", on_click=go, args=(n + 1,), disabled=n >= total,
               type="primary", width="stretch")
    st.subheader(title)


def tally(s: Settings, traces: Traces) -> tuple[int, int]:
    """The running tally, shown on every stage: predictions made so far and how many were right."""
    m = messages(s.lang)
    guesses = st.session_state.get(GUESSES, {})
    questions = {}
    for stage in script.STAGES:
        if stage.key in guesses:
            try:
                q = script.question_for(stage, stage_traces(s, traces, stage), traces.cards)
            except ValueError:
                continue
            if q is not None:
                questions[stage.key] = q
    unusable = {k: g for k, g in guesses.items() if k in questions and not 0 <= g < len(questions[k].options)}
    if unusable:  # e.g. answers=look:40 in a link: not counted, said once, dropped from the link
        st.warning(m("notes.bad_answers", value=",".join(f"{k}:{g + 1}" for k, g in unusable.items())))
        st.session_state[GUESSES] = {k: g for k, g in guesses.items() if k not in unusable}
    right, made = script.tally(questions, guesses)
    st.markdown(m("lesson.tally", right=right, made=made) if made else m("lesson.tally_none"))
    return right, made


# ---------------------------------------------------------------- predict, then reveal


def option_label(sc: Screen, option: str) -> str:
    return sc.m(f"scorers.{option}") if sc.question.kind == "scorer" else option


def shown(sc: Screen, option: str) -> str:
    """An option in running text: a word as code, a translation in quotes, a model by its name."""
    if sc.question.kind == "translation":
        return md_escape(option)
    if sc.question.kind == "scorer":
        return md_escape(sc.m(f"scorers.{option}"))
    return code("<eos>" if option == EOS else option)


def predict(sc: Screen, **fields) -> bool:
    """The question and one button per option until the student picks; then the graded reveal.

    Returns whether the answer is revealed.
    """
    q = sc.question
    if q is None:
        return True
    if sc.guess is None:
        st.markdown(sc.m("lesson.predict", prompt=sc.say("prompt", **fields)))
        # Sentences one per row; words and model names in a row that wraps, each button as wide as its
        # label: equal columns cut long labels ("concat (Bahdan…") however wide the screen.
        wide = q.kind == "translation"
        row = None if wide else st.container(horizontal=True, gap="small", key="lesson_options")
        for i, option in enumerate(q.options):
            (st.container() if wide else row).button(
                option_label(sc, option), key=f"lesson_{sc.stage.key}_{i}", on_click=_guess,
                args=(sc.stage.key, i), width="stretch" if wide else "content")
        return False
    g = script.grade(q, sc.guess)
    values = dict(guess=shown(sc, q.options[g.guess]), best=shown(sc, q.options[q.answer]),
                  guess_value=g.value, best_value=g.best)
    verdict = "right" if g.correct else "unranked" if g.value is None and q.kind == "next_word" else "wrong"
    text = sc.m(f"lesson.reveal.{q.kind}_{verdict}", **values)
    (st.success if g.correct else st.warning)(text)
    return True


# ---------------------------------------------------------------- the stages


def fig(spec, key: str) -> None:
    show_figure(spec, key=f"lesson-{key}")


# A stage's text beside its figures where the text's column keeps about 300 px (326 in a 1280 px window),
# else the text above them: a 1100 px window left it 244 px, an 853 px one (1280x720 at 150 %) 193, a line
# of three or four words beside a figure squeezed as narrow.
BESIDE_FROM_PX = 1200


def text_and_figures() -> tuple:
    """A stage's text column and figure column: side by side in a wide window, else one above the other."""
    if viewport.wide(BESIDE_FROM_PX):
        return tuple(st.columns([5, 6], gap="large"))
    return st.container(), st.container()


# The worked softmax writes out this many terms of its sum where its column holds them (KaTeX, measured in
# Chromium: 373 px with five, 277 with three; the column beside the figures is 326 px in a 1280 px window,
# 426 in a 1500 px one), else fewer: a laptop's 1280 px, a phone, a window with the text above the figures.
SOFTMAX_TERMS, SOFTMAX_TERMS_NARROW, SOFTMAX_TERMS_FROM_PX = 5, 3, 1500


def softmax_terms_shown() -> int:
    """How many terms of the softmax's sum the worked example writes out in this window."""
    return SOFTMAX_TERMS if viewport.wide(SOFTMAX_TERMS_FROM_PX) else SOFTMAX_TERMS_NARROW


def states_height(trace: Trace, big: bool) -> int:
    """The hidden states drawn tall enough to see each word's row: the lesson has room for them."""
    return min(max(160 + (56 if big else 44) * len(trace.src_tokens), 320), 640)


def written(trace: Trace, t: int) -> str:
    return code(" ".join(trace.tgt_tokens[:t])) if t else "—"


def draw_plain(sc: Screen) -> None:
    none, att = sc.main, sc.traces["attention"]
    left, right = text_and_figures()
    att_name = sc.m(f"scorers.{att.scorer}")
    with left:
        st.markdown(sc.say("body", words=script.word_count(none.source), att=f"**{md_escape(att_name)}**"))
        bucket = script.length_bucket(none.source)
        by_none = script.bleu_by_length(sc.cards, none.scorer)
        by_att = script.bleu_by_length(sc.cards, att.scorer)
        test = script.metric(sc.cards, att.scorer, "test_sentences")
        if bucket in by_none and bucket in by_att and "1-4" in by_none and "1-4" in by_att and test:
            st.markdown(sc.say("measured", test=f"{int(test):,}", bucket=bucket, none_bleu=by_none[bucket],
                               att_bleu=by_att[bucket], att=f"**{md_escape(att_name)}**",
                               none_short=by_none["1-4"], att_short=by_att["1-4"]))
    with right:  # the two translations first: what the class looks at
        st.markdown(f"{code(none.source)}")
        st.markdown(sc.say("none_line", translation=md_escape(none.translation)) + "  \n"
                    + sc.say("att_line", model=md_escape(att_name), translation=md_escape(att.translation)))
        cards = {k: sc.cards[k] for k in (att.scorer, none.scorer)}
        if figures.bleu_by_length_frame(cards).empty:
            st.info(sc.m("lesson.unmeasured"))
        else:
            st.altair_chart(figures.bleu_by_length_chart(cards, sc.m, big=sc.big), width="stretch")


def draw_handover(sc: Screen) -> None:
    tr = sc.main
    left, right = text_and_figures()
    left.markdown(sc.say("body", words=len(tr.src_tokens), sentence=code(tr.source), hidden=tr.enc_out.shape[1],
                         last=code(tr.src_tokens[-1])))
    with right:
        spec = figures.encoder_states_figure(tr, m=sc.m, big=sc.big, height=states_height(tr, sc.big))
        fig(figures.mark_last_state(spec, sc.m), "handover")


def draw_look(sc: Screen) -> None:
    tr = sc.main
    t = script.focus_step(sc.stage, tr)
    left, right = text_and_figures()
    with left:
        st.markdown(sc.say("body", sentence=code(tr.source), written=written(tr, t), hidden=tr.enc_out.shape[1],
                           words=len(tr.src_tokens)))
        revealed = predict(sc)
        if revealed:  # not the French word: stage 5 asks the student to predict it
            st.markdown(sc.say("after"))
    with right:
        if revealed:
            fig(figures.lesson_weights_figure(tr, t, m=sc.m, guess=sc.guess, big=sc.big), "look-weights")
        else:
            fig(figures.encoder_states_figure(tr, m=sc.m, big=sc.big, height=states_height(tr, sc.big)), "look-states")


def draw_score(sc: Screen) -> None:
    tr = sc.main
    t = script.focus_step(sc.stage, tr)
    scores = tr.scores[t]
    allowed = [j for j in range(len(tr.src_tokens)) if j not in tr.blocked]
    top, low = max(allowed, key=lambda j: scores[j]), min(allowed, key=lambda j: scores[j])
    hidden = tr.enc_out.shape[1]
    left, right = text_and_figures()
    left.markdown(sc.say("body", words=len(tr.src_tokens), formula=sc.say(f"formula_{tr.scorer}", hidden=hidden),
                         written=written(tr, t), top=code(tr.src_tokens[top]), top_score=float(scores[top]),
                         low=code(tr.src_tokens[low]), low_score=float(scores[low])))
    with right:
        fig(figures.lesson_scores_figure(tr, t, m=sc.m, big=sc.big), "score")


def draw_weigh(sc: Screen) -> None:
    tr = sc.main
    t = script.focus_step(sc.stage, tr)
    top = script.looked_at(tr, t)
    left, right = text_and_figures()
    with left:
        st.markdown(sc.say("body", top=code(tr.src_tokens[top])))
        st.latex(script.softmax_latex(tr, t, top, softmax_terms_shown()))
        st.markdown(sc.say("after", words=len(tr.src_tokens), hidden=tr.enc_out.shape[1],
                           top=code(tr.src_tokens[top]), top_weight=float(tr.weights[t][top])))
        revealed = predict(sc)
    with right:
        if revealed:
            guess = sc.question.options[sc.guess] if sc.guess is not None else None
            fig(figures.lesson_topk_figure(tr, t, m=sc.m, guess=guess, big=sc.big), "weigh-topk")
        fig(figures.lesson_weights_figure(tr, t, m=sc.m, big=sc.big), "weigh-weights")
        fig(figures.context_figure(tr, t, m=sc.m, big=sc.big), "weigh-context")


def draw_reorder(sc: Screen) -> None:
    tr = sc.main
    t = script.focus_step(sc.stage, tr)
    left, right = text_and_figures()
    with left:
        st.markdown(sc.say("body", sentence=code(tr.source), translation=f"**{md_escape(tr.translation)}**"))
        revealed = predict(sc, focus=code(tr.tgt_tokens[t]))
        cross = script.crossing(tr, sc.stage)
        if revealed and cross:
            st.markdown(sc.say("crossed" if cross["crossed"] else "straight",
                               noun=code(tr.src_tokens[cross["noun"]]), adj=code(tr.src_tokens[cross["adj"]]),
                               noun_fr=code(tr.tgt_tokens[cross["noun_step"]]),
                               adj_fr=code(tr.tgt_tokens[cross["adj_step"]]),
                               noun_weight=cross["noun_weight"], adj_weight=cross["adj_weight"],
                               noun_pos=cross["noun"] + 1, adj_pos=cross["adj"] + 1))
    with right:
        if revealed:
            cells = [(cross["noun_step"], cross["noun"]), (cross["adj_step"], cross["adj"])] if cross else []
            guess = (t, sc.guess) if sc.guess is not None else None
            spec = figures.mark_cells(figures.attention_heatmap(tr, m=sc.m, big=sc.big), cells, guess)
        else:
            spec = figures.mark_cells(figures.attention_heatmap(tr, upto=t, m=sc.m, big=sc.big), blank_row=t)
        fig(spec, "reorder")


def draw_copy(sc: Screen) -> None:
    """A word the model cannot write is copied from the English word attention points at; the model
    without attention has nothing to point with."""
    tr = sc.main
    t = script.focus_step(sc.stage, tr)
    left, right = text_and_figures()
    with left:
        unknown = [code(w) for w, known in zip(tr.src_tokens, tr.src_known) if not known]
        st.markdown(sc.say("body", sentence=code(tr.source), unknown=", ".join(unknown) or code(tr.src_tokens[0]),
                           focus=code(tr.tgt_tokens[t])))
        revealed = predict(sc, focus=code(tr.tgt_tokens[t]))
        if revealed:
            st.markdown(explain.step_narration(tr, t, sc.m))
            if (line := explain.copy_line(tr, sc.m)) is not None:
                st.info(line)
            if "none" in sc.traces:
                plain = sc.traces["none"]
                st.markdown(sc.say("none_line", translation=f"**{md_escape(plain.translation)}**"))
                if (line := explain.copy_line(plain, sc.m)) is not None:
                    st.warning(line)
    with right:
        if revealed:
            fig(figures.attention_heatmap(tr, m=sc.m, big=sc.big), "copy")
        else:
            fig(figures.mark_cells(figures.attention_heatmap(tr, upto=t, m=sc.m, big=sc.big), blank_row=t), "copy")


def draw_hide(sc: Screen) -> None:
    hidden_tr, plain = sc.main, sc.traces.get("alt0", sc.main)
    words = ", ".join(code(hidden_tr.src_tokens[i]) for i in hidden_tr.blocked)
    left, right = text_and_figures()
    with left:
        st.markdown(sc.say("body", sentence=code(plain.source), plain=f"**{md_escape(plain.translation)}**",
                           hidden=words))
        revealed = predict(sc, hidden=words)
    if not revealed:
        with right:
            fig(figures.attention_heatmap(plain, title=sc.say("before_title"), m=sc.m, big=sc.big), "hide-before")
        return
    right.markdown(sc.say("after", hidden=words, translation=f"**{md_escape(hidden_tr.translation)}**"))
    title = sc.say("after_title", word=", ".join(hidden_tr.src_tokens[i] for i in hidden_tr.blocked))
    for col, (tr, text, key) in zip(st.columns(2, gap="large"), ((plain, sc.say("before_title"), "hide-before"),
                                                                  (hidden_tr, title, "hide-after"))):
        with col:
            fig(figures.attention_heatmap(tr, title=text, m=sc.m, big=sc.big), key)


def draw_scorers(sc: Screen) -> None:
    tr = sc.main
    names = list(sc.traces)
    reference = sc.say("reference")  # what a French speaker writes, from the catalogue, not from a model
    st.markdown(sc.say("body", sentence=code(tr.source)))
    st.markdown(sc.say("reference_line", reference=md_escape(reference)))
    for col, name in zip(st.columns(len(names)), names):
        with col:
            translation = sc.traces[name].translation
            st.markdown(f"**{md_escape(sc.m(f'scorers.{name}'))}**: {md_escape(translation)}")
            right = script.same_translation(translation, reference)
            st.markdown(sc.say("matches" if right else "differs"))
            fig(figures.lesson_small_heatmap(sc.traces[name], m=sc.m, big=sc.big, height=SCORERS_HEATMAP_HEIGHT),
                f"scorers-{name}")
    test = script.metric(sc.cards, tr.scorer, "test_sentences")
    if sc.question is None:
        st.info(sc.m("lesson.unmeasured"))
        return
    left, right = text_and_figures()
    with left:
        revealed = predict(sc, test=f"{int(test or 0):,}")
    if revealed:  # the measured quality across the page: the model names take room beside the bars
        right.markdown(sc.say("after", test=f"{int(test or 0):,}"))
        guess = sc.question.options[sc.guess] if sc.guess is not None else None
        fig(figures.lesson_quality_figure(sc.cards, m=sc.m, guess=guess, big=sc.big), "scorers-quality")


STAGES: dict[str, Callable[[Screen], None]] = {
    "plain": draw_plain, "handover": draw_handover, "look": draw_look, "score": draw_score, "weigh": draw_weigh,
    "reorder": draw_reorder, "copy": draw_copy, "hide": draw_hide, "scorers": draw_scorers,
}
