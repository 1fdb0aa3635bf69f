"""A student's phone in a live class (/?join=CODE&me=ID, the 390×844 layout): the question and the
sentence as soon as the teacher asks, one button per answer, changeable until the vote closes.

The phone's id is a random `me=` in its own link (a reload is the same student) and, for a second tab
or a second scan of the QR code, in the browser's localStorage (a few lines of our own JavaScript).
The live part is a fragment that polls the store every PHONE_EVERY seconds: the page is never reloaded.
"""
from __future__ import annotations

import streamlit as st

from ..classroom import session
from ..classroom.store import ClassStore
from ..explain import code as md_code
from ..explain import md_escape
from ..i18n import Messages, messages
from .class_common import get_store, option_text, question_text, reader_lang, store_or_say

ME, NICK = "class_me", "class_nick"  # session keys of a student
PHONE_EVERY = 1.5  # s: the phones look for a new question (asked: within 3 s)
PHONE_CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding: 0.8rem 1rem 2rem 1rem; max-width: 640px; }
[class*="st-key-phone_opt_"] button { min-height: 3.2rem; font-size: 1.15rem; }
/* Korean wraps between words, as Korean is printed; a word too long for the screen still wraps */
[data-testid="stMarkdownContainer"] p, [data-testid="stAlertContentInfo"] p { word-break: keep-all; overflow-wrap: anywhere; }
</style>
"""
ME_JS = """
<script>
(() => {
  // A second tab (or a fresh scan of the QR code) on this phone is the same student: the id this
  // phone got for this class is kept in localStorage and put back into the link when it is missing.
  const win = window.parent === window ? window : window.parent;
  const code = %(code)s, key = "attnviz-class-" + code;
  let tries = 0;
  const sync = () => {
    const url = new URL(win.location.href);
    const me = url.searchParams.get("me"), kept = win.localStorage.getItem(key);
    if (kept && me !== kept) { url.searchParams.set("me", kept); win.location.replace(url.toString()); return; }
    if (me && !kept) { win.localStorage.setItem(key, me); return; }
    if (!me && tries++ < 20) setTimeout(sync, 250);
  };
  try { sync(); } catch (e) { /* no storage (private mode): the link alone keeps the student */ }
})();
</script>
"""


def _vote(c: str, qno: int, rnd: int, choice: int) -> None:
    ss = st.session_state
    ss["class_refused"] = not get_store().vote(c, qno, rnd, ss[ME], choice)


def _nick(c: str) -> None:
    ss = st.session_state
    ss[NICK] = session.clean_nickname(ss.get("class_nick_box", ""))
    get_store().join(c, ss[ME], ss[NICK])


def draw(join: str) -> None:
    """The phone's page for the class `join` (a code as linked; bad or unknown codes get a note)."""
    ss = st.session_state
    lang = reader_lang()
    m = messages(lang)
    st.html(PHONE_CSS)
    c = session.clean_code(join)
    if c is None:
        st.warning(m("classroom.bad_code", value=md_escape(str(join)[:20]), example=session.new_code()))
        return
    store = store_or_say(m)
    if store is None:
        return
    if store.get_class(c) is None:
        st.warning(m("classroom.unknown_code", code=md_code(c)))
        return
    if ME not in ss:
        given = st.query_params.get("me")
        ss[ME] = session.clean_student(given) or session.new_student()
        ss["class_me_from_link"] = ss[ME] == given
        if given and ss[ME] != given:
            st.caption(m("classroom.bad_me"))
    st.query_params["me"] = ss[ME]  # a reload or a copy of this tab keeps the student
    st.html(ME_JS % {"code": f'"{c}"'}, unsafe_allow_javascript=True)
    st.markdown(f"#### {m('classroom.phone_title', code=c)}")
    st.text_input(m("classroom.nickname"), key="class_nick_box", max_chars=session.NICKNAME_MAX,
                  on_change=_nick, args=(c,), help=m("classroom.nickname_help"))

    @st.fragment(run_every=PHONE_EVERY)
    def live() -> None:
        store = get_store()
        if ss.get("class_me_from_link") or ss.get("class_ticks", 0) > 0:  # not before the tab's id is settled
            if not ss.get("class_joined"):
                ss["class_joined"] = store.join(c, ss[ME], ss.get(NICK, ""))
        ss["class_ticks"] = ss.get("class_ticks", 0) + 1
        info = store.get_class(c)
        if info is None:
            st.warning(m("classroom.expired_code", code=md_code(c)))
            return
        if info.ended:
            st.success(m("classroom.phone_ended"))
            return
        row = store.question(c, info.current_q) if info.current_q else None
        if row is None:
            st.info(m("classroom.phone_waiting"))
            return
        draw_phone_question(store, c, row, session.ClassQuestion.from_json(row.payload), m)

    live()


def draw_phone_question(store: ClassStore, c: str, row, q: session.ClassQuestion, m: Messages) -> None:
    ss = st.session_state
    st.markdown(f"**{question_text(q, m)}**")
    if q.sentence:
        st.markdown(m("classroom.sentence", sentence=md_escape(q.sentence)))
    mine = store.my_vote(c, row.qno, row.round, ss[ME])
    if ss.pop("class_refused", False):  # tapped just as the teacher closed the vote
        st.warning(m("classroom.phone_vote_refused"))
    if row.status == "open":
        if row.round == 2:
            st.markdown(m("classroom.phone_round_two"))
        st.markdown(m("classroom.phone_pick"))
        for i in range(len(q.options)):  # labels are Markdown to Streamlit: the model's words stay plain text
            st.button(md_escape(option_text(q, i, m)), key=f"phone_opt_{row.qno}_{row.round}_{i}", on_click=_vote,
                      args=(c, row.qno, row.round, i), type="primary" if mine == i else "secondary",
                      width="stretch")
        if mine is not None:
            st.markdown(m("classroom.phone_your_answer", answer=md_escape(option_text(q, mine, m))))
        return
    answer = md_escape(option_text(q, q.answer, m))
    if row.status == "closed":
        st.info(m("classroom.phone_closed", answer=md_escape(option_text(q, mine, m))) if mine is not None
                else m("classroom.phone_closed_none"))
        return
    said = "" if q.about_model else "_answer"  # the maths (lesson 2's scorer question): "the answer", not the model's
    if mine is None:
        st.info(m(f"classroom.phone_revealed_none{said}", answer=answer))
    elif mine == q.answer:
        st.success(m(f"classroom.phone_right{said}", answer=answer))
    else:
        st.warning(m(f"classroom.phone_wrong{said}", answer=answer, guess=md_escape(option_text(q, mine, m))))
