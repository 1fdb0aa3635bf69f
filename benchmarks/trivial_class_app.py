"""The yardstick for benchmarks/classbench.py: the least a Streamlit page can do for a voting phone.

The same store calls as a phone on app.py (the class, the question on screen, the phone's own vote,
the vote itself), the same polling fragment and the same button keys, and nothing else: no models,
no messages, no layout. The difference to app.py is what the live class's page itself costs.
Run: streamlit run benchmarks/trivial_class_app.py  (the benchmark starts it behind deploy/serve).
"""
from __future__ import annotations

import streamlit as st

from attnviz.classroom.store import open_store

POLL = 1.5  # as attnviz/views/classroom.py PHONE_EVERY


@st.cache_resource
def store():
    return open_store()


code, me = st.query_params.get("join", ""), st.query_params.get("me", "")


@st.fragment(run_every=POLL)
def live() -> None:
    s = store()
    info = s.get_class(code)
    row = s.question(code, info.current_q) if info and info.current_q else None
    if row is None:
        st.write("waiting")
        return
    mine = s.my_vote(code, row.qno, row.round, me)
    for i in range(row.options):
        st.button(str(i), key=f"phone_opt_{row.qno}_{row.round}_{i}",
                  on_click=s.vote, args=(code, row.qno, row.round, me, i))
    if mine is not None:
        st.write(f"Your answer: {mine}")


live()
