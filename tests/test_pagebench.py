"""attnviz.pagebench: the pure parts (percentiles, widget lookup, schedule, cross-talk, report), the
protocol pieces on hand-built protos, and a smoke run: the trivial app driven by 2 sessions."""
from __future__ import annotations

import asyncio
import math
import subprocess
import sys

import pytest
from streamlit.proto.Element_pb2 import Element

from attnviz import pagebench as pb


def test_percentile_interpolates_and_handles_edges():
    assert pb.percentile([3, 1, 2, 4], 50) == 2.5
    assert pb.percentile(range(1, 11), 95) == pytest.approx(9.55)
    assert pb.percentile([7], 95) == 7
    assert pb.percentile([1, 2], 0) == 1 and pb.percentile([1, 2], 100) == 2
    assert math.isnan(pb.percentile([], 50))


def test_find_widget_by_key_suffix():
    widgets = {"$$ID-abc-sentence": 1, "$$ID-def-view": 2, "$$ID-0ab-example": 3, "$$ID-123-heatmap-html": 4}
    assert pb.find_widget(widgets, "sentence") == "$$ID-abc-sentence"
    assert pb.find_widget(widgets, "view") == "$$ID-def-view"
    assert pb.find_widget(widgets, "html") == "$$ID-123-heatmap-html"
    assert pb.find_widget(widgets, "next") is None
    assert pb.find_widget(widgets, "ample") is None  # a key is a whole suffix after "-"


def test_schedule_is_seeded_bounded_and_paced():
    a = pb.schedule(seed=1, sessions=30, duration=60)
    assert a == pb.schedule(seed=1, sessions=30, duration=60)
    assert a != pb.schedule(seed=2, sessions=30, duration=60)
    assert len(a) == 30
    for plan in a:
        times = [t for t, _ in plan]
        assert all(0 < t < 60 for t in times)
        gaps = [b - a for a, b in zip([0.0, *times], times)]
        assert all(2.0 - 1e-6 <= g <= 6.0 + 1e-6 for g in gaps)
        assert 60 / 6 - 1 <= len(plan) <= 60 / 2
        assert all(action in pb.ACTIONS for _, action in plan)
    assert pb.schedule(seed=0, sessions=3, duration=1.5) == [[], [], []]


def test_sessions_type_their_own_marker_and_crosstalk_spots_others():
    for i in range(len(pb.MARKERS)):
        assert all(pb.MARKERS[i] in pb.session_sentence(i, turn).lower() for turn in range(4))
    assert pb.session_sentence(0, 0) != pb.session_sentence(0, 1)
    own, others = pb.crosstalk("**English:** `Where` `is` `the` `squirrel*` `?` — Où est l'écureuil ?", "squirrel")
    assert own and others == []
    own, others = pb.crosstalk('{"x":["I","see","the","tiger"]} I see the umbrella', "squirrel")
    assert not own and others == ["tiger", "umbrella"]
    assert pb.crosstalk("squirrels", "squirrel") == (False, [])  # whole words only


def test_pick_option_views_by_prefix_and_models_in_turn():
    views = ["Translate", "Compare scorers", "Step by step", "Lesson", "How attention works"]
    assert pb.pick_option(views, "compare", "Translate") == "Compare scorers"
    assert pb.pick_option(views, "steps", "Translate") == "Step by step"
    assert pb.pick_option(["translate", "compare", "steps"], "translate", None) == "translate"
    assert pb.pick_option(views, "model", None) == "Translate"
    models = ["dot (Luong)", "general (Luong)", "concat (Bahdanau)", "no attention (baseline)"]
    assert pb.pick_option(models, "model", "concat (Bahdanau)") == "no attention (baseline)"
    assert pb.pick_option(models, "model", models[-1]) == models[0]
    assert pb.pick_option([], "model", None) is None
    assert pb.pick_option(views, "lessons-nope", None) is None


def element(kind: str, **fields) -> Element:
    el = Element()
    proto = getattr(el, kind)
    for name, value in fields.items():
        field = getattr(proto, name)
        if isinstance(value, list):
            for v in value:
                if isinstance(v, str) and kind == "button_group" and name == "options":
                    field.add().content = v
                else:
                    field.append(v)
        else:
            setattr(proto, name, value)
    return el


def test_widgets_from_element_protos():
    w = pb.widget_from_element(element("text_input", id="$$ID-1-sentence", value="I see the tiger."))
    assert (w.kind, w.value) == ("text_input", "I see the tiger.")
    w = pb.widget_from_element(element("radio", id="$$ID-2-model", options=["dot", "general"], raw_value="general"))
    assert (w.kind, w.options, w.value) == ("radio", ["dot", "general"], "general")
    w = pb.widget_from_element(element("button_group", id="$$ID-3-view", options=["Translate", "Step by step"],
                                       raw_values=["Step by step"]), fragment_id="f1")
    assert (w.options, w.value, w.fragment_id) == (["Translate", "Step by step"], "Step by step", "f1")
    w = pb.widget_from_element(element("slider", id="$$ID-4-step", min=1, max=5, value=[2.0]))
    assert (w.lo, w.hi, w.value) == (1, 5, 2.0)
    assert pb.widget_from_element(element("markdown", body="hello")) is None
    assert pb.element_text(element("markdown", body="hello `tiger`")) == "hello `tiger`"


def test_session_changes_one_widget_per_action_and_skips_missing_ones():
    s = pb.Session("http://127.0.0.1:1", number=5)
    for el in (element("text_input", id="$$ID-1-sentence", value="x"),
               element("button_group", id="$$ID-3-view", options=["translate", "compare", "steps"]),
               element("radio", id="$$ID-2-model", options=["dot", "general"], raw_value="dot"),
               element("slider", id="$$ID-4-step", min=1, max=3, value=[3.0])):
        w = pb.widget_from_element(el)
        s.widgets[w.id] = w
    st, frag, one_shot = s.change("sentence")
    assert st.string_value == pb.session_sentence(5, 1) and not one_shot
    st, _, _ = s.change("compare")
    assert list(st.string_array_value.data) == ["compare"]
    st, _, _ = s.change("model")
    assert st.string_value == "general"
    st, _, _ = s.change("step")
    assert list(st.double_array_value.data) == [1.0]  # wraps from the end to the start
    assert s.change("next") == "no widget 'next'"
    s.widgets["$$ID-5-next"] = pb.Widget("$$ID-5-next", "button", [], None, fragment_id="frag")
    st, frag, one_shot = s.change("next")
    assert st.trigger_value and one_shot and frag == "frag"


def test_capacity_from_cpu_per_interaction():
    assert pb.capacity({"cpu_load": 0.02}) == pytest.approx((50, 100))
    assert pb.capacity({"cpu_load": float("nan"), "cpu_alone": 0.04}) == pytest.approx((25, 50))
    assert all(math.isnan(x) for x in pb.capacity({}))


def test_report_has_both_apps_and_the_targets():
    fig = {"cpu_alone": 0.021, "cpu_load": 0.03, "per_core": 47.6, "p50": 0.08, "p95": 0.4, "max": 0.5,
           "done": 100, "skipped": 2, "skips": {"next": 2}, "failed": 0, "crosstalk": 0, "checked": 130,
           "rss_peak": 420.4, "rss_idle": 390.0, "by_action": {"sentence": 0.03},
           "browser": {"first load": 1.5, "new sentence": 0.2}}
    text = pb.format_report({"app.py": fig, "trivial_app": {**fig, "browser": {}}}, sessions=30, idle=60)
    lines = text.splitlines()
    assert "app.py" in lines[0] and "trivial_app" in lines[0] and "target" in lines[0]
    assert any(line.startswith("latency p95, 30 sessions") and "400 ms" in line and "<= 1000 ms" in line
               for line in lines)
    assert any("RSS, 60 s after disconnect" in line and "390 MB" in line for line in lines)
    assert any(line.startswith("browser: first load") and "1500 ms" in line for line in lines)
    assert any(line.startswith("interactions/s per core") and " 33 " in line for line in lines)  # 1 / 30 ms
    assert any(line.startswith("students/replica") and " 67 " in line for line in lines)  # 0.5 * 4 s / 30 ms
    assert "0 of 130" in text and "100 / 2 / 0" in text and "skipped in app.py: next x2" in text


def test_smoke_two_sessions_on_the_trivial_app():
    with pb.serve(pb.TRIVIAL_APP) as (proc, url):
        fig = pb.run_async(asyncio.wait_for(
            pb._crowd(url, sessions=2, duration=5, seed=3, pid=proc.pid, idle=0, log=lambda m: None), 60))
    assert fig["failed"] == 0 and fig["crosstalk"] == 0
    assert fig["done"] >= 1 and fig["checked"] >= 2
    assert 0 < fig["p50"] <= fig["p95"] < 10
    assert fig["rss_peak"] > 20


def test_a_process_cpu_time_is_read_finer_than_the_kernels_10_ms_ticks():
    burn = ("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
            "print('done', flush=True)\ntime.sleep(30)")
    child = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"
        got = pb.proc_cpu_seconds(child.pid)
        assert 0.3 <= got < 5  # the loop, and the interpreter's start
        assert abs(got * 100 - round(got * 100)) > 1e-6  # not a whole number of ticks
    finally:
        child.kill()
        child.wait()
