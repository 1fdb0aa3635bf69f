"""The browser's history: one entry per place in the page (view, step, stage, sentence, …), so Back and
Forward move between them; a prediction in the lesson is not a place, so it makes no entry.

Streamlit adds a history entry each time a run changes the address (st.query_params) and, on Back or
Forward, reruns the script with the address the browser went to; views/controls.py then reads that
address into the page. This script only keeps the lesson's `answers` out of the history: an address
that differs from the current one in nothing but `answers` replaces the entry instead of adding one,
so one press of Back goes to the previous stage, not to the same stage before its guess. Our own
constant text, run in the page itself (st.html with JavaScript allowed), like views/keys.py.
"""
from __future__ import annotations

NOT_A_PLACE = ("answers",)  # query parameters whose change alone adds no history entry

HISTORY_JS = """
<script>
(() => {
  const win = window.parent === window ? window : window.parent;
  const h = win.history;
  if (h.__attnvizPush) return;  // once per page: the script is drawn again on every run
  const push = h.pushState.bind(h);
  const place = (url) => {
    const u = new URL(url, win.location.href);
    for (const name of %s) u.searchParams.delete(name);
    u.searchParams.sort();
    return u.pathname + "?" + u.searchParams.toString();
  };
  h.pushState = function (state, title, url) {
    if (url != null && place(url) === place(win.location.href)) return h.replaceState(state, title, url);
    return push(state, title, url);
  };
  h.__attnvizPush = push;
})();
</script>
""" % (list(NOT_A_PLACE),)
