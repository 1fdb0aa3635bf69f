"""The live class: the teacher's class screen on the projector (/?class=new, or the teacher link
/?class=CODE&teach=SECRET), the class bar that asks about what is on the page, and the routing to a phone
(views/phone.py).

The rules are attnviz/classroom/session.py, the data attnviz/classroom/store.py (no SQL here), the
reveal's figure attnviz/classroom/figure.py. Teacher actions pass the secret this session holds to the
store, which refuses them without it: a forged widget value or link cannot reveal or move on. The
counts and the phones refresh in fragments (st.fragment(run_every=…)): the page is never redrawn.

The secret never stays in the address bar (a projector may show it): the session keeps it, the address
becomes /?class=CODE, and a cookie that this browser sends back (checked against the store like the link)
reopens the class screen on a reload. The full teacher link is shown only behind "Your teacher link".
"""
from __future__ import annotations

import html
import json
from dataclasses import replace

import segno
import streamlit as st

from .. import lesson as script
from .. import lesson_heads as heads_script
from ..classroom import figure, session
from ..classroom.store import ClassStore, NotTeacher
from ..explain import code as md_code
from ..explain import md_escape
from ..i18n import LANGS, Messages, messages
from ..state import Settings
from . import keys, lesson_heads, phone, viewport
from .class_common import (CODE, CONSOLE, PARAMS, SECRET, base_url, get_store, option_text, question_text,
                           reader_lang, store_or_say, teaching, value_text)
from .common import Traces, show_figure
from .controls import URL_LEFT

READ = "_class_url_read"  # the class part of the link has been read (once per session)
COOKIE = "attnviz-teach-"  # + the class code: the secret this browser keeps for a reload (views/classroom.py)
COUNT_EVERY = 1.0  # s: the projector's count (asked: at least every 2 s)
NARROW = 640  # window width (CSS px) below which the console is on a phone: smaller figures, no colour bar
NO_CODE = "no free class code after 20 tries"  # for the log: 22^6 codes make this all but impossible
START_CSS = """
<style>
/* presenter mode: "Start a class" sits in the top row after the views; a narrow window shows its icon */
@media (max-width: 1600px) and (min-width: 641px) { .st-key-class_start button p { display: none; } }
</style>
"""
TEACH_JS = """
<script>
(() => {
  // The teacher's secret never stays in the address bar, where a projector would show it. This browser
  // keeps it in a cookie for this class (sent back on a reload; the server checks it against the store,
  // as it checks the link), and the address loses its teach= without a history entry that still holds it.
  const win = window.parent === window ? window : window.parent;
  const name = %(name)s, secret = %(secret)s, until = new Date(%(until)d * 1000).toUTCString();  // the class's end
  const secure = win.location.protocol === "https:" ? "; Secure" : "";
  win.document.cookie = name + "=" + secret + "; path=/; expires=" + until + "; SameSite=Strict" + secure;
  const h = win.history;
  const held = () => new URL(win.location.href).searchParams.has("teach");
  if (!h.__attnvizTeach) {  // once per page: Streamlit pushes the new address; from one with teach=, replace it
    const push = h.pushState.bind(h);
    h.pushState = function (state, title, url) {
      return held() ? h.replaceState(state, title, url) : push(state, title, url);
    };
    h.__attnvizTeach = true;
  }
  if (held()) {
    const u = new URL(win.location.href);
    u.searchParams.delete("teach");
    h.replaceState(h.state, "", u.toString());
  }
})();
</script>
"""
CONSOLE_CSS = """
<style>
/* Sizes in cqi (hundredths of the column's width, .av-fit) where a line must fit its column: the code and
   the count on one line, the join link in two at most (its host, then ?join=CODE), from a phone (390 px)
   through a 1280×720 projector, where the side column is a quarter of the screen, to 1920×1080. */
.av-fit { container-type: inline-size; }
/* Korean wraps between words, as Korean is printed ("2층" never split), and anything too long still wraps */
[data-testid="stMarkdownContainer"] :is(p, h3) { word-break: keep-all; overflow-wrap: anywhere; }
.av-class-code { font-size: min(4.2rem, 19cqi); font-weight: 800; letter-spacing: 0.18em; font-family: monospace;
                 line-height: 1.1; white-space: nowrap; }
.av-class-link { font-size: min(1.5rem, 7.5cqi); overflow-wrap: anywhere; line-height: 1.35; }
.av-class-link span { white-space: nowrap; }
.av-class-count { font-weight: 700; line-height: 1.15; margin: 0.2rem 0 0.4rem; }
.av-class-names { color: #333; font-size: 1.5rem; }
.st-key-class_pick_lesson input { font-size: 1.2rem; }
@media (max-height: 899px) { .st-key-class_pick_lesson input { font-size: 1rem; } }
@media (max-width: 640px) { .av-class-names { font-size: 1.15rem; } }
</style>
"""


# ---------------------------------------------------------------- routing (called by app.py)


def page(traces: Traces) -> bool:
    """Draw the class page the link or session asks for: a phone (join=…), the teacher's console
    (class=…); False when this is an ordinary page (app.py draws it)."""
    ss = st.session_state
    q = st.query_params
    if not ss.get(READ):
        ss[READ] = True
        if "class" in q:
            ss[CONSOLE] = True  # the console first; "Back to the page" leads to the views
    if "join" in q:
        phone.draw(q.get("join", ""))
        return True
    if "class" in q and (ss.get(CONSOLE) or q.get("class") != ss.get(CODE)):  # a link to the console
        teacher_page(traces, q.get("class", ""), q.get("teach", ""))
        return True
    if ss.get(CONSOLE) and ss.get(CODE):  # this session's own class, opened from the page
        teacher_page(traces, ss[CODE], ss.get(SECRET, ""))
        return True
    return False


def keep_in_link() -> None:
    """On the ordinary page of a teacher with a class: keep the class, never its secret, in the link (a
    reload returns to the class screen through the cookie, kept_secret)."""
    ss = st.session_state
    if ss.get(CODE) and ss.get(SECRET):
        st.query_params["class"] = ss[CODE]
        st.query_params.pop("teach", None)


def browser_cookies() -> dict:
    """The cookies the browser sent when this session began (none in AppTest)."""
    try:
        return dict(st.context.cookies)
    except Exception:  # no browser
        return {}


def kept_secret(c: str) -> str:
    """The secret this browser kept for class `c` (TEACH_JS's cookie), unchecked: the store decides."""
    return str(browser_cookies().get(COOKIE + c, ""))[:100]


def keep_secret(c: str, secret: str, until: float) -> None:
    """Have this browser keep the secret until the class expires (`until`, epoch seconds) for a reload, and
    drop it from the address (TEACH_JS). The same text every run, so the page runs it again only if needed."""
    st.html(TEACH_JS % {"name": json.dumps(COOKIE + c), "secret": json.dumps(secret), "until": int(until)},
            unsafe_allow_javascript=True)


def _open_console() -> None:
    st.session_state[CONSOLE] = True
    st.query_params.clear()


def _back_to_page() -> None:
    """Leave the class screen for the page as it was: its own link again (plus the class), so the page
    does not take the class screen's address for a Back / Forward of the browser (controls.URL_LEFT)."""
    ss = st.session_state
    ss[CONSOLE] = False
    page = {k: v for k, v in (ss.get(URL_LEFT) or {}).items() if k not in PARAMS}
    if ss.get(CODE) and ss.get(SECRET):
        page["class"] = ss[CODE]
    st.query_params.from_dict(page)
    ss[URL_LEFT] = dict(page)


def _start(lang: str) -> None:
    """A new class: a fresh code (retried if a live class has it) and secret, held by this session."""
    store = get_store()
    for _ in range(20):
        c, secret = session.new_code(), session.new_secret()
        if store.create_class(c, secret, lang):
            st.session_state.update({CODE: c, SECRET: secret, CONSOLE: True, READ: True})
            st.query_params.clear()
            return
    raise RuntimeError(NO_CODE)


# ---------------------------------------------------------------- the class bar on ordinary pages


def class_bar(s: Settings, traces: Traces, top=None) -> None:
    """Presenter mode without a class: a button to start one, in the page's top row (`top`, from
    controls.view_ui), so the projector's layout does not move. With a class: one row with its code
    and join link, "Ask the class" about what is on screen (Translate, Step by step, the lesson's stage)
    and the way to the class screen."""
    m = messages(s.lang)
    ss = st.session_state
    if not teaching():
        if s.present:
            st.html(START_CSS)
            (top or st).button(m("classroom.start"), key="class_start", on_click=_start, args=(s.lang,),
                               help=m("classroom.start_help"), icon=":material/groups:", type="tertiary")
        return
    store = store_or_say(m)
    if store is None:
        return
    if store.get_class(ss[CODE]) is None:  # expired while the teacher was on the page
        st.warning(m("classroom.expired_code", code=md_code(ss[CODE])))
        for key in (CODE, SECRET, CONSOLE):
            ss.pop(key, None)
        return
    keep_in_link()
    joined, _ = store.nicknames(ss[CODE])
    with st.container(border=True, key="class_bar"):
        info, ask, console = st.columns([2.6, 7, 1.3], vertical_alignment="center")
        info.markdown(m("classroom.bar", code=ss[CODE], students=joined,
                        link=md_code(session.join_link(base_url(), ss[CODE], s.lang))))
        with ask:
            _ask_buttons(s, traces, m)
        console.button(m("classroom.console"), key="class_console_open", on_click=_open_console,
                       help=m("classroom.console_help"), type="primary", width="stretch")


def _ask(q: session.ClassQuestion) -> None:
    ss = st.session_state
    try:
        get_store().ask(ss[CODE], ss[SECRET], q.to_json(), len(q.options))
    except NotTeacher:
        return
    ss[CONSOLE] = True


def _ask_buttons(s: Settings, traces: Traces, m: Messages) -> None:
    if s.view in ("lesson", "lesson2"):  # the stage on screen (state.switch_stage: this lesson's own)
        try:
            q = _lesson_question(s, traces, *script.stage_at(st.session_state.get("stage", 1))) \
                if s.view == "lesson" else lesson_heads.class_question(s, traces, st.session_state.get("stage", 1))
        except ValueError:
            q = None
        if q is not None:
            st.button(m("classroom.ask_lesson"), key="class_ask_lesson", on_click=_ask, args=(q,))
        return
    if s.view not in ("translate", "steps"):
        return
    try:
        trace = traces.get(s)
    except ValueError:
        return
    steps = trace.num_steps - (1 if trace.finished else 0)
    if steps < 1:
        return
    # Step by step shows the words up to the current step: ask about the one after it (not yet on screen)
    shown = min(max(int(st.session_state.get("step", 1)), 1), steps)
    first = min(shown, steps - 1) if s.view == "steps" else 0
    pick, a, b = st.columns([1.1, 2.2, 2], vertical_alignment="center")
    t = pick.selectbox(m("classroom.ask_word"), range(steps), index=first, key=f"class_ask_step_{first}_{steps}",
                       format_func=lambda i: f"{i + 1}. {trace.tgt_tokens[i]}", label_visibility="collapsed")
    if trace.weights is not None:
        a.button(m("classroom.ask_source", word=trace.tgt_tokens[t]), key="class_ask_source", on_click=_ask,
                 args=(session.source_question(trace, t, s.view),), width="stretch")
    else:
        a.caption(m("classroom.no_attention"))
    b.button(m("classroom.ask_next"), key="class_ask_next", on_click=_ask,
             args=(session.next_word_question(trace, t, s.view),), width="stretch")


def _lesson_question(s: Settings, traces: Traces, n: int, stage: script.Stage) -> session.ClassQuestion | None:
    base = replace(s, sentence=stage.sentence, beam=1, force="", prefix="", hide=())
    found = {role: traces.get(replace(base, model=need.scorer, hide=need.blocked), need.scorer)
             for role, need in script.needs(stage, list(traces.models)).items()}
    return session.lesson_question(n, stage, found, traces.cards)


# ---------------------------------------------------------------- the teacher's console (projector)


def teacher_page(traces: Traces, code_param: str, teach: str) -> None:
    ss = st.session_state
    lang = reader_lang()
    m = messages(lang)
    store = store_or_say(m)
    if store is None:
        return
    linked = False  # this run read the secret from the link
    if code_param == "new":
        _start(lang)
    elif not (ss.get(CODE) == code_param and ss.get(SECRET)):  # a link: the secret must be the class's
        c = session.clean_code(code_param)
        if c is None:
            st.warning(m("classroom.bad_code", value=md_escape(code_param[:20]), example=session.new_code()))
            return
        if store.get_class(c) is None:
            st.warning(m("classroom.unknown_code", code=md_code(c)))
            return
        secret = next((k for k in (teach, kept_secret(c)) if k and store.is_teacher(c, k)), None)
        if secret is None:  # no secret, or not this class's: the console stays shut, the address keeps no secret
            st.query_params.pop("teach", None)
            st.info(m("classroom.not_teacher", code=md_code(c), link=md_code(session.join_link(base_url(), c, lang))))
            return
        ss.update({CODE: c, SECRET: secret})
        linked = secret == teach  # TEACH_JS takes it out of the address
    c, secret = ss[CODE], ss[SECRET]
    info = store.get_class(c)
    if info is None:
        st.warning(m("classroom.expired_code", code=md_code(c)))
        ss.pop(CODE, None)
        ss.pop(SECRET, None)
        return
    keep_secret(c, secret, info.expires_at)
    if not linked:  # the address without the secret. Not in the run that read it from the link: Streamlit
        # would push the new address before the page's script could make that a replace, and the old one,
        # secret and all, would stay in the history; the script replaces it, the next run finds it gone.
        st.query_params.from_dict({"class": c, **({"lang": lang} if lang != LANGS[0] else {})})
    keys.install(True)  # projector styling: large text, no Streamlit chrome
    st.html(CONSOLE_CSS)
    if info.ended:
        draw_summary(store, c, m, lang)
        return
    row = store.question(c, info.current_q) if info.current_q else None
    q = session.ClassQuestion.from_json(row.payload) if row else None
    main, side = st.columns([3, 1] if q else [3, 2], gap="large")
    with main:  # the votes go beside the question, above the join code, once the vote is closed
        if q is None:
            draw_pick(traces, store, c, secret, m, lang)
        else:
            draw_question(store, c, secret, row, q, m, side)
    with side:
        draw_join(c, lang, m, size=520 if q is None else 360 if row.status == "open" else 180)
    viewport.install()  # the window's width, for the heatmap (views/viewport.py)


def draw_join(c: str, lang: str, m: Messages, size: int) -> None:
    """The code, the join link and its QR code (drawn here, offline, by segno), `size` pixels wide:
    big on the projector before the first question, smaller once the class is in."""
    url = session.join_link(base_url() or "/", c, lang)
    st.markdown(m("classroom.join_here"))
    host, query = url.split("?", 1) if "?" in url else (url, "")  # a break before ?join=, never inside the code
    st.html(f'<div class="av-fit"><div class="av-class-link">{html.escape(host)}<wbr>'
            f'<span>{html.escape("?" + query if query else "")}</span></div></div>')
    image = segno.make(url, error="m").svg_data_uri(scale=8, border=2, dark="#111111")  # offline, no file
    # at most half the window's height, so the code below it stays on a 1280×720 projector's screen
    st.html(f'<div class="av-class-qr"><img src="{html.escape(image)}" alt="QR" data-testid="class-qr" '
            f'style="width:min({size}px, 100%, 48vh);height:auto;image-rendering:pixelated"></div>')
    st.html(f'<div class="av-fit"><div class="av-class-code" aria-label="{html.escape(m("classroom.code_label"))}">'
            f'{c}</div></div>')

    @st.fragment(run_every=COUNT_EVERY * 3)
    def names() -> None:
        joined, nicks = get_store().nicknames(c)
        shown = ", ".join(nicks[-30:])
        st.html(f'<div class="av-class-names">{html.escape(m("classroom.joined", n=joined))}'
                + (f"<br>{html.escape(m('classroom.joined_names', names=shown))}" if shown else "") + "</div>")

    names()
    with st.popover(m("classroom.teacher_link"), icon=":material/key:"):
        st.caption(m("classroom.teacher_link_help"))
        st.code(session.teacher_link(base_url(), c, st.session_state[SECRET], lang), language=None, wrap_lines=True)


def fit_font(text: str, rem: float) -> str:
    """A CSS font size: `rem`, or less where `text` would not fit its column (.av-fit) on one line. Widths
    are guessed from the characters: about 0.56 em a Latin letter or digit, 1 em a Hangul syllable."""
    ems = sum(1.0 if ord(ch) >= 0x1100 else 0.56 for ch in text) or 1.0
    return f"min({rem}rem, {92 / ems:.1f}cqi)"


def _act(action: str, qno: int = 0) -> None:
    """A teacher button: the store checks the secret this session holds."""
    ss = st.session_state
    store, c, secret = get_store(), ss.get(CODE, ""), ss.get(SECRET, "")
    try:
        if action in ("closed", "revealed", "open"):
            store.set_status(c, secret, qno, action)
        elif action == "round2":
            store.second_round(c, secret, qno)
        elif action == "next":
            store.next_question(c, secret)
        elif action == "end":
            if not ss.get("class_end_armed"):
                ss["class_end_armed"] = True
                return
            store.end(c, secret)
        elif action == "back":
            _back_to_page()
    except NotTeacher:
        pass
    ss["class_end_armed"] = False


def draw_pick(traces: Traces, store: ClassStore, c: str, secret: str, m: Messages, lang: str) -> None:
    """No question on screen: pick one of the two lessons' questions, or go back to the page to ask about it."""
    st.markdown(f"### {m('classroom.title', code=c)}")
    st.markdown(m("classroom.waiting_teacher"))
    found = [(m("classroom.lesson_option", lesson=lesson, n=n, title=title, prompt=m(q.prompt, **q.fields)), q)
             for lesson, n, title, q in lesson_questions(traces, m, lang)]  # plain text: a list, not Markdown
    if found:
        pick = st.selectbox(m("classroom.pick_lesson"), range(len(found)), format_func=lambda i: found[i][0],
                            key="class_pick_lesson")
        st.button(m("classroom.ask"), key="class_ask_pick", on_click=_ask, args=(found[pick][1],), type="primary")
    row = st.container(horizontal=True, gap="small", key="class_actions")
    row.button(m("classroom.back_to_page"), key="class_back", on_click=_act, args=("back",),
               icon=":material/arrow_back:")
    _end_button(row, m)


def lesson_questions(traces: Traces, m: Messages, lang: str) -> list[tuple[int, int, str, session.ClassQuestion]]:
    """Both lessons' questions, in order: (lesson, stage, the stage's title, question); a stage the loaded
    models cannot answer (lesson 2 without a Transformer) is left out."""
    s = Settings(lang=lang)
    out = []
    for n, stage in enumerate(script.STAGES, start=1):
        if stage.question:
            try:
                q = _lesson_question(s, traces, n, stage)
            except ValueError:
                q = None
            if q is not None:
                out.append((1, n, m(f"lesson.{stage.key}.title"), q))
    for n, stage in enumerate(heads_script.STAGES, start=1):
        try:
            q = lesson_heads.class_question(s, traces, n)
        except ValueError:
            q = None
        if q is not None:
            out.append((2, n, m(f"lesson_heads.{stage.key}.title"), q))
    return out


def _end_button(where, m: Messages) -> None:
    armed = bool(st.session_state.get("class_end_armed"))
    where.button(m("classroom.end_confirm") if armed else m("classroom.end"), key="class_end", on_click=_act,
                 args=("end",), type="tertiary" if not armed else "secondary", icon=":material/logout:")


def draw_question(store: ClassStore, c: str, secret: str, row, q: session.ClassQuestion, m: Messages,
                  side) -> None:
    st.markdown(f"### {question_text(q, m)}")
    if q.sentence:
        st.markdown(m("classroom.sentence", sentence=md_escape(q.sentence)))
    if row.status == "open":
        if row.round == 2:
            st.markdown(m("classroom.round_two_hint"))

        @st.fragment(run_every=COUNT_EVERY)
        def count() -> None:  # the count, not the answers; only this redraws
            joined, _ = get_store().nicknames(c)
            n = get_store().answered(c, row.qno, row.round)
            text = m("classroom.answered", n=n, joined=joined) if row.round == 1 else \
                m("classroom.answered_round", round=row.round, n=n, joined=joined)
            st.html(f'<div class="av-fit"><div class="av-class-count" data-testid="class-count" '
                    f'style="font-size:{fit_font(text, 3.0)}">{html.escape(text)}</div></div>')

        count()
        before = figure.context_heatmap(q, m, **_figure_size()) if q.weights else None
        if before is not None:  # the words so far and where they looked; the asked row stays empty
            show_figure(before, "class_context")
        row_ = st.container(horizontal=True, gap="small", key="class_actions")
        row_.button(m("classroom.close"), key="class_close", on_click=_act, args=("closed", row.qno), type="primary")
        _end_button(row_, m)
        return
    tallies = [store.tally(c, row.qno, r) for r in range(1, row.round + 1)]
    revealed = row.status == "revealed"
    if revealed:
        draw_reveal(q, tallies, m, side)
    else:
        st.markdown(m("classroom.closed", n=sum(tallies[-1].values())))
        draw_shares(q, tallies, m, show_answer=False, where=side if _has_heatmap(q) else None)
    row_ = st.container(horizontal=True, gap="small", key="class_actions")  # each button as wide as its words
    if row.round == 1:
        row_.button(m("classroom.round_two"), key="class_round2", on_click=_act, args=("round2", row.qno))
    if not revealed:
        row_.button(m("classroom.reveal"), key="class_reveal", on_click=_act, args=("revealed", row.qno),
                    type="primary")
    row_.button(m("classroom.next_question"), key="class_next", on_click=_act, args=("next",),
                type="primary" if revealed else "secondary")
    _end_button(row_, m)


def _figure_size() -> dict:
    """The heatmap's size for this window: large on a projector, compact on a phone (the teacher's own)."""
    narrow = viewport.size()[0] < NARROW
    return {"big": not narrow, "narrow": narrow}


def _has_heatmap(q: session.ClassQuestion) -> bool:
    """Whether the reveal draws the class's answers as heatmap rows (else the vote bars take the main area)."""
    return q.kind == "source" and bool(q.weights)


def draw_shares(q: session.ClassQuestion, tallies: list[dict], m: Messages, show_answer: bool, where=None) -> None:
    """The class's votes as bar lists: stacked in `where` (the side column, beside a heatmap), or, with
    no heatmap to draw (where=None), in the main area with round 2 beside round 1."""
    places = [where] * len(tallies) if where is not None else st.columns(len(tallies), gap="large")
    for i, (tally, place) in enumerate(zip(tallies, places)):
        share = session.shares(tally, len(q.options))
        title = m("classroom.split_title", round=i + 1, n=sum(tally.values()))
        place.html(figure.shares_html(q, share, title, show_answer, lambda i: option_text(q, i, m), big=True))


def draw_reveal(q: session.ClassQuestion, tallies: list[dict], m: Messages, side) -> None:
    """The model's answer, the share that matched it, and where the class looked on the heatmap."""
    words = q.kind in ("source", "next_word", "self")  # the model's own words, in code type
    answer = md_code(option_text(q, q.answer, m)) if words else md_escape(option_text(q, q.answer, m))
    number = value_text(q, q.answer)
    if not q.about_model:  # the maths, not something the model did: "the answer", "the right answer"
        st.markdown(m("classroom.answer_is", answer=answer))
    else:
        st.markdown(m("classroom.model_answer_value", answer=answer, value=number) if number else
                    m("classroom.model_answer", answer=answer))
    one, two = ("classroom.matched", "classroom.matched_rounds") if q.about_model else \
        ("classroom.matched_right", "classroom.matched_rounds_right")
    rights = [session.matched(t, q.answer) for t in tallies]
    if len(rights) == 2 and rights[1][1]:
        first = rights[0][0] / rights[0][1] if rights[0][1] else 0.0
        st.markdown(m(two, first=first, second=rights[1][0] / rights[1][1]))
    elif rights[-1][1]:
        right, total = rights[-1]
        st.markdown(m(one, share=right / total, right=right, total=total))
    if not _has_heatmap(q):
        draw_shares(q, tallies, m, show_answer=True)
        return
    shares = [session.shares(t, len(q.options)) for t in tallies]
    votes = [sum(t.values()) for t in tallies]
    st.markdown(f"**{m('classroom.fig.title')}**")
    show_figure(figure.class_heatmap(q, shares, votes, m, **_figure_size()), "class_heatmap")
    draw_shares(q, tallies, m, show_answer=True, where=side)


def draw_summary(store: ClassStore, c: str, m: Messages, lang: str) -> None:
    """The end: per question, the model's answer and how many matched it in each round; the CSV."""
    st.markdown(f"### {m('classroom.title', code=c)}")
    st.markdown(m("classroom.ended"))
    rows = []
    for r in store.questions(c):
        q = session.ClassQuestion.from_json(r.payload)
        rows.append(session.SummaryRow(r.qno, q, tuple(store.tally(c, r.qno, k) for k in range(1, r.round + 1))))
    if not rows:
        st.markdown(m("classroom.summary_none"))
    else:
        def cell(row: session.SummaryRow, k: int) -> str:
            if k >= len(row.rounds):
                return "–"
            right, total = session.matched(row.rounds[k], row.question.answer)
            return m("classroom.summary_votes", right=right, total=total, share=right / total if total else 0.0)

        st.dataframe([{m("classroom.summary_question"): f"{r.qno}. {m(r.question.prompt, **r.question.fields)}",
                       m("classroom.summary_answer"): option_text(r.question, r.question.answer, m),
                       m("classroom.summary_round1"): cell(r, 0), m("classroom.summary_round2"): cell(r, 1)}
                      for r in rows], hide_index=True, width="stretch")
        data = session.summary_csv(rows, lambda q: m(q.prompt, **q.fields), lambda q, i: option_text(q, i, m))
        st.download_button(m("classroom.csv"), data.encode("utf-8"), file_name=f"attnviz-class-{c}.csv",
                           mime="text/csv", key="class_csv", help=m("classroom.csv_help"), on_click="ignore")
    st.button(m("classroom.new_class"), key="class_new", on_click=_start, args=(lang,))
