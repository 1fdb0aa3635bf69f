"""The yardstick for `python -m attnviz bench --page`: a trivial Streamlit page with one heatmap.

It has the widget keys the benchmark drives (sentence, model, view, next, prev, step) and draws one
small Plotly heatmap of the typed words, so the difference to app.py is what attnviz itself costs.
Run: streamlit run benchmarks/trivial_app.py
"""
from __future__ import annotations

import zlib

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="trivial", layout="wide")
MODELS = ["dot", "general", "concat", "none"]
VIEWS = ["translate", "compare", "steps", "lesson", "how"]
ss = st.session_state
if "sentence" not in ss:  # first run: the link may name the sentence, view and model, as in app.py
    q = st.query_params
    ss.sentence = q.get("sentence", "The white car is fast.")
    if q.get("view") in VIEWS:
        ss.view = q["view"]
    if q.get("model") in MODELS:
        ss.model = q["model"]
ss.setdefault("step", 1)
ss.setdefault("view", "translate")

with st.sidebar:
    st.radio("Model", MODELS, key="model")
st.text_input("English sentence", key="sentence")
view = st.segmented_control("View", VIEWS, key="view", required=True)

words = ss.sentence.split()[:30] or ["(empty)"]
rows = [f"{w}'" for w in words]
# weights from a hash of the sentence and model: deterministic, no randomness, no model
z = [[(zlib.crc32(f"{ss.model}{r}{c}{ss.sentence}".encode()) % 100) / 100 for c in range(len(words))]
     for r in range(len(rows))]
st.markdown("**English:** " + " ".join(f"`{w}`" for w in words))
if view == "steps":
    ss.step = min(max(ss.step, 1), len(rows))
    left, mid, _ = st.columns([1, 1, 6])
    left.button("Back", key="prev", on_click=lambda: ss.update(step=max(1, ss.step - 1)))
    mid.button("Next", key="next", on_click=lambda: ss.update(step=min(len(rows), ss.step + 1)))
    if len(rows) > 1:
        st.slider("Output step", 1, len(rows), key="step")
    z = z[: ss.step]
fig = go.Figure(go.Heatmap(z=z, x=words, y=rows[: len(z)], colorscale="Blues", zmin=0, zmax=1))
fig.update_layout(height=360, margin=dict(l=40, r=20, t=20, b=40))
st.plotly_chart(fig, key="heatmap")
