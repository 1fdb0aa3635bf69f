"""Page-level benchmark: python -m attnviz bench --page — a class of students clicking at once.

Starts `streamlit run app.py` and, on another port, benchmarks/trivial_app.py (one heatmap, the same
widget keys), then drives N sessions over Streamlit's websocket (/_stcore/stream, protobuf
BackMsg/ForwardMsg from streamlit.proto) exactly as a browser tab does: the first run carries the
URL query string, and every interaction is a BackMsg rerun_script with the session's widget states,
one widget's value changed. Widgets are found by key: their ids end with "-<key>". An interaction
whose widget is not on the page is skipped and counted, so the driver works with any app that keeps
the keys `sentence`, `model`, `view`, `next`, `prev`, `step`.

Printed for both apps, from the same run:
  * server CPU per interaction: CPU time of the server process (utime + stime from /proc) —
    per action for one session acting alone (attributable), and total / interactions under load;
  * N sessions each acting every 2–6 s (seeded): p50 / p95 from sending the BackMsg to the
    script_finished ForwardMsg, and cross-talk: each session types sentences with its own marker word,
    and every page it gets back must name its own marker and no other session's;
  * server RSS with N sessions connected, and `--idle` seconds after they disconnect;
  * with --browser: Playwright + /usr/bin/chromium, first load to the sentence's words visible (first
    paint) and to the heatmap visible, and the browser time
    of each interaction, from the click / Enter to the last change of the page (browser_measure).
With --url it drives a server it did not start (e.g. deploy/serve's nginx): latency and cross-talk only.

Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
import dataclasses
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
TRIVIAL_APP = ROOT / "benchmarks" / "trivial_app.py"
STARTUP_SECONDS = 90
RUN_TIMEOUT = 30.0  # seconds one interaction may take before it counts as timed out

# Marker nouns: each session's sentences contain its own; none of them appears in the app's fixed text,
# and none is a French word (the bundled models' French vocabulary has none of them: "I see the guitar."
# once came back as "Je vois le piano." from the no-attention model, which looked like cross-talk).
MARKERS = ("squirrel", "umbrella", "elephant", "guitar", "banana", "tiger", "lemon", "camel", "violin",
           "pencil", "rabbit", "carrot", "monkey", "onion", "pillow", "ladder", "spoon", "blanket",
           "pelican", "candle", "parrot", "tomato", "wallet", "hammer", "kettle", "mirror", "rocket",
           "lizard", "penguin", "sheep", "potato", "turtle", "donkey", "cherry", "spider", "carpet",
           "helmet", "jacket", "beetle", "wolf", "needle", "goat", "feather", "barrel", "saddle",
           "frog", "compass", "lantern", "trumpet", "owl", "walrus", "zebra", "giraffe", "kangaroo",
           "dolphin", "octopus", "pumpkin", "peach", "mango", "coconut")
# (more sessions than markers share them: cross-talk between two sessions with one marker goes unseen)
TEMPLATES = ("I see the {}.", "Where is the {}?", "The {} is very old.", "She has a {}.")
ADJECTIVES = ("", "red ", "small ", "big ", "new ", "green ", "white ", "black ")  # a fresh sentence each turn

# An action: the widget key it changes (Session.change says how).
ACTIONS = {
    "sentence": "sentence",    # type a new sentence (with the session's marker)
    "translate": "view",       # switch view
    "compare": "view",
    "steps": "view",
    "next": "next",            # Next step button
    "prev": "prev",
    "step": "step",            # move the step slider
    "model": "model",          # pick another model
}
# What one student does, over and over (each session starts at a seeded point in the cycle).
CYCLE = ("sentence", "compare", "steps", "next", "next", "model", "translate")
VIEW_PREFIX = {"translate": ("translat",), "compare": ("compar",), "steps": ("step",),
               "lesson": ("lesson",), "how": ("how",)}


def run_async(coro):
    """asyncio.run(coro), in a thread of its own: the caller may already run an event loop (Playwright's
    sync API keeps one in the main thread), and asyncio.run refuses to nest."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


# ---------------------------------------------------------------- pure parts (unit-tested)

def percentile(values, q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks; nan if empty."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def find_widget(widgets: dict, key: str) -> str | None:
    """The id of the widget made from user key `key`: ids from a key end with "-<key>"."""
    hits = [wid for wid in widgets if wid == key or wid.endswith(f"-{key}")]
    return hits[-1] if hits else None


def session_sentence(session: int, turn: int) -> str:
    """The sentence session `session` types on its `turn`-th new sentence: always its own marker."""
    adjective = ADJECTIVES[turn // len(TEMPLATES) % len(ADJECTIVES)]
    return TEMPLATES[turn % len(TEMPLATES)].format(adjective + MARKERS[session % len(MARKERS)])


def schedule(seed: int, sessions: int, duration: float, lo: float = 2.0, hi: float = 6.0,
             cycle=CYCLE) -> list[list[tuple[float, str]]]:
    """Per session, (seconds after start, action) pairs: gaps uniform in [lo, hi], seeded, < duration.

    Each session walks `cycle` from a seeded starting point (not a step control); its first action comes
    after one gap.
    """
    rng = random.Random(seed)
    plans = []
    for _ in range(sessions):
        starts = [j for j, a in enumerate(cycle) if ACTIONS.get(a) not in ("next", "prev", "step")] or [0]
        t, i, plan = 0.0, rng.choice(starts), []  # nobody starts by pressing Next before opening the steps
        for _ in range(10_000):  # bounded: duration / lo actions at most
            t += rng.uniform(lo, hi)
            if t >= duration:
                break
            plan.append((round(t, 3), cycle[i % len(cycle)]))
            i += 1
        plans.append(plan)
    return plans


def pick_option(options: list[str], action: str, current: str | None) -> str | None:
    """The option an action selects: a view by its name's prefix, or for `model` the next model."""
    if not options:
        return None
    if action == "model":
        i = options.index(current) if current in options else -1
        return options[(i + 1) % len(options)]
    for opt in options:
        if opt.lower().startswith(VIEW_PREFIX.get(action, (action,))):
            return opt
    return None


WORD = re.compile(r"[a-z]+")


def crosstalk(text: str, own: str, markers=MARKERS) -> tuple[bool, list[str]]:
    """(own marker on the page, other sessions' markers on the page)."""
    words = set(WORD.findall(text.lower()))
    return own in words, sorted(m for m in markers if m != own and m in words)


def fmt_ms(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x * 1000:.0f} ms"


def fmt_mb(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0f} MB"


def format_report(results: dict, sessions: int, idle: float, targets: bool = True) -> str:
    """A table: one column per app (results: name -> the figures bench_app / _crowd return)."""
    names = list(results)
    rows = [
        ("server CPU / interaction, alone", lambda r: fmt_ms(r.get("cpu_alone")), "<= 50 ms"),
        (f"server CPU / interaction, {sessions} sess.", lambda r: fmt_ms(r.get("cpu_load")), "<= 50 ms"),
        ("interactions/s per core", lambda r: _num(capacity(r)[0], "{:.0f}"), ""),
        ("students/replica, every 4 s, 50% CPU", lambda r: _num(capacity(r)[1], "{:.0f}"), ""),
        ("server / bench-client CPU, of one core", lambda r: f"{_num(r.get('server_util'), '{:.0%}')} / "
                                                            f"{_num(r.get('client_util'), '{:.0%}')}", ""),
        (f"first page, {sessions} at once, p95", lambda r: fmt_ms(r.get("first_p95")), ""),
        (f"latency p50, {sessions} sessions", lambda r: fmt_ms(r.get("p50")), ""),
        (f"latency p95, {sessions} sessions", lambda r: fmt_ms(r.get("p95")), "<= 1000 ms"),
        ("latency max", lambda r: fmt_ms(r.get("max")), ""),
        ("interactions done / skipped / failed",
         lambda r: f"{r.get('done', 0)} / {r.get('skipped', 0)} / {r.get('failed', 0)}", ""),
        ("cross-talk (pages naming another sess.)",
         lambda r: f"{r.get('crosstalk', 0)} of {r.get('checked', 0)}", "0"),
        (f"RSS, {sessions} sessions (peak)", lambda r: fmt_mb(r.get("rss_peak")), "<= 450 MB"),
        (f"RSS, {idle:g} s after disconnect", lambda r: fmt_mb(r.get("rss_idle")), "<= 400 MB"),
    ]
    browser_keys = [k for r in results.values() for k in r.get("browser", {})]
    for k in dict.fromkeys(browser_keys):
        tgt = {"first load": "<= 3000 ms, <= 1.5x", "first paint": "<= 1.5x"}.get(k, "<= 250 ms, <= 2.5x")
        rows.append((f"browser: {k}", lambda r, k=k: fmt_ms(r.get("browser", {}).get(k)), tgt))
    w0 = max(len(r[0]) for r in rows) + 2
    cols = [max(len(n), *(len(f(results[n])) for _, f, _ in rows)) + 2 for n in names]
    head = "".ljust(w0) + "".join(n.ljust(c) for n, c in zip(names, cols)) + ("target" if targets else "")
    lines = [head, "-" * len(head)]
    for label, f, tgt in rows:
        lines.append(label.ljust(w0) + "".join(f(results[n]).ljust(c) for n, c in zip(names, cols))
                     + (tgt if targets else ""))
    skips = {n: r.get("skips") for n, r in results.items() if r.get("skips")}
    for n, s in skips.items():
        lines.append(f"skipped in {n}: " + ", ".join(f"{a} x{c}" for a, c in sorted(s.items())))
    for n, r in results.items():
        if r.get("by_action"):
            lines.append(f"CPU by action, alone ({n}): " + ", ".join(
                f"{a} {fmt_ms(v)}" for a, v in r["by_action"].items()))
    return "\n".join(lines)


def capacity(fig: dict, every: float = 4.0, busy: float = 0.5) -> tuple[float, float]:
    """(interactions per second per core, students acting every `every` s one replica serves while
    its core is `busy`): from the server CPU per interaction under load (alone when there is none).
    One replica is one Python process: its script runs share one GIL, so it uses at most ~one core."""
    cpu = fig.get("cpu_load")
    if cpu is None or not cpu > 0:
        cpu = fig.get("cpu_alone")
    if cpu is None or not cpu > 0:
        return float("nan"), float("nan")
    return 1 / cpu, busy * every / cpu


def _num(x, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else spec.format(x)


# ---------------------------------------------------------------- the server process

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:port (deploy/serve needs runs of consecutive free ports)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_for_ready(proc: subprocess.Popen, timeout: float) -> bool:
    """Read deploy/serve's stdout until it prints READY (nginx and every replica up); False if it exits
    or `timeout` seconds pass first."""
    import select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        if proc.stdout.readline().startswith("READY"):
            return True
    return False


def proc_cpu_seconds(pid: int) -> float:
    """CPU time of a process (all its threads, dead ones included), in seconds: Linux's clock of that
    process (nanoseconds; the clock id clock_getcpuclockid(3) gives), else utime + stime from /proc, which
    count in 10 ms ticks (one action of ~20 ms read as 10, 20 or 30)."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    except (OSError, AttributeError):  # not Linux, or not ours to read
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def streamlit_cmd(script: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer /_stcore/health within {timeout:.0f} s")


@contextlib.contextmanager
def serve(script: Path, port: int | None = None, log: Path | None = None, env: dict | None = None):
    """Run `streamlit run script` on 127.0.0.1:port; yields (process, base url); stops it at the end."""
    port = port or free_port()
    log = log or Path(tempfile.mkstemp(prefix=f"pagebench-{script.stem}-", suffix=".log")[1])
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    with log.open("w") as out:
        proc = subprocess.Popen(streamlit_cmd(script, port), cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, proc)
        except RuntimeError as e:
            raise RuntimeError(f"{e}\n{log.read_text()[-3000:]}") from None
        yield proc, url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ---------------------------------------------------------------- one websocket session

@dataclasses.dataclass
class Widget:
    id: str
    kind: str              # the Element oneof name: text_input, radio, button_group, slider, button, tabs, ...
    options: list[str]     # formatted options (radio, button_group, selectbox) or tab labels
    value: object          # the value the page shows (may be None when unknown)
    fragment_id: str = ""  # set when the widget lives in a fragment: its reruns are fragment runs
    lo: float = 0.0
    hi: float = 0.0


def widget_from_element(el, fragment_id: str = "") -> Widget | None:
    """A Widget from an Element proto (None for elements that are not widgets)."""
    kind = el.WhichOneof("type")
    if kind is None:
        return None
    p = getattr(el, kind)
    wid = getattr(p, "id", "") if hasattr(p, "id") else ""
    if not wid:
        return None
    options, value, lo, hi = [], None, 0.0, 0.0
    if kind == "text_input":
        value = p.value if p.HasField("value") else p.default
    elif kind in ("radio", "selectbox"):
        options = list(p.options)
        value = p.raw_value if p.HasField("raw_value") else (options[p.default] if options and p.HasField("default")
                                                            and p.default < len(options) else None)
    elif kind == "button_group":
        options = [o.content for o in p.options]
        value = list(p.raw_values)[0] if len(p.raw_values) else (
            options[p.default[0]] if len(p.default) and p.default[0] < len(options) else None)
    elif kind == "slider":
        vals = list(p.value) or list(p.default)
        value, lo, hi = (vals[0] if vals else None), p.min, p.max
    return Widget(wid, kind, options, value, fragment_id, lo, hi)


def element_text(el) -> str:
    """The words an element shows (markdown, headings, alerts, text, chart specs, text inputs)."""
    kind = el.WhichOneof("type")
    p = getattr(el, kind)
    if kind in ("markdown", "heading", "text", "alert", "code"):
        return p.body
    if kind == "plotly_chart":
        return p.spec
    if kind == "text_input":
        return p.value
    return ""


@dataclasses.dataclass
class RunResult:
    ok: bool
    seconds: float
    text: str
    status: str


class Session:
    """One browser tab, speaking Streamlit's protocol over a websocket."""

    def __init__(self, url: str, number: int, query: dict | None = None, headers: dict | None = None):
        self.ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.number = number
        self.query = query or {}
        self.query_string = ""  # the address the page last wrote: sent with every rerun, as a browser does
        self.headers = headers or {}  # e.g. the affinity cookie of deploy/serve's nginx
        self.response_headers: dict = {}
        self.errors: list[str] = []  # exceptions shown on the page in the current run
        self.widgets: dict[str, Widget] = {}
        self.states: dict[str, object] = {}  # widget id -> WidgetState proto we keep sending
        self.page_hash = ""
        self.turn = 0
        self.ws = None

    async def connect(self) -> RunResult:
        """Load the page as a browser does: GET / (keeping the cookies it sets, e.g. nginx's affinity
        cookie), then open the websocket and run the script with the link's query string."""
        import websockets
        if "Cookie" not in self.headers:
            _, headers, cookies = await asyncio.to_thread(first_get, self.ws_url.replace("ws://", "http://", 1)
                                                          .rsplit("/_stcore/stream", 1)[0])
            if cookies:
                self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=RUN_TIMEOUT, ping_interval=None,
                                           additional_headers=self.headers or None)
        self.response_headers = dict(self.ws.response.headers) if self.ws.response else {}
        self.query_string = urllib.parse.urlencode(self.query)
        return await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
            self.ws = None

    def _back_msg(self, trigger=None, fragment_id: str = "", query_string: str = ""):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query_string
        cs.page_script_hash = self.page_hash
        if fragment_id:
            cs.fragment_id = fragment_id
        for st in self.states.values():
            cs.widget_states.widgets.add().CopyFrom(st)
        if trigger is not None:
            cs.widget_states.widgets.add().CopyFrom(trigger)
        return msg.SerializeToString()

    async def rerun(self, trigger=None, fragment_id: str = "") -> RunResult:
        """Send rerun_script with the address the page last wrote (as a browser does: the app tells
        Back/Forward from its own writes by it); read ForwardMsgs until the run has finished."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        t0 = time.perf_counter()
        await self.ws.send(self._back_msg(trigger, fragment_id, self.query_string))
        texts: list[str] = []
        self.errors = []
        deadline = t0 + RUN_TIMEOUT
        for _ in range(100_000):  # bounded in count as well as in time
            left = deadline - time.perf_counter()
            if left <= 0:
                return RunResult(False, time.perf_counter() - t0, "\n".join(texts), "timeout")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except (asyncio.TimeoutError, TimeoutError):
                return RunResult(False, time.perf_counter() - t0, "\n".join(texts), "timeout")
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.main_script_hash or self.page_hash
            elif kind == "page_info_changed":  # the app wrote its address (st.query_params)
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta":
                self._delta(msg, texts)
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    texts.clear()
                    self.errors = []
                    continue
                ok = status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY") and not self.errors
                if self.errors:
                    status = "exception " + self.errors[0]
                return RunResult(ok, time.perf_counter() - t0, "\n".join(texts), status)
        return RunResult(False, time.perf_counter() - t0, "\n".join(texts), "too many messages")

    def _delta(self, msg, texts: list[str]) -> None:
        d = msg.delta
        which = d.WhichOneof("type")
        if which == "new_element":
            el = d.new_element
            if el.WhichOneof("type") == "exception":  # a traceback on the page: the run failed
                self.errors.append(f"{el.exception.type}: {el.exception.message}"[:300])
            w = widget_from_element(el, d.fragment_id)
            if w is not None:
                self.widgets[w.id] = w
            with contextlib.suppress(Exception):
                texts.append(element_text(el))
        elif which == "add_block" and d.add_block.WhichOneof("type") == "tab_container":
            tc = d.add_block.tab_container
            if tc.id:  # a stateful st.tabs: a string_value widget; its tabs' labels come as child blocks
                self.widgets[tc.id] = Widget(tc.id, "tabs", [], None, d.fragment_id)
                self._tabs = (tc.id, tuple(msg.metadata.delta_path))
        elif which == "add_block" and d.add_block.WhichOneof("type") == "tab":
            tabs = getattr(self, "_tabs", None)
            if tabs and tuple(msg.metadata.delta_path[:-1]) == tabs[1]:
                w = self.widgets[tabs[0]]
                w.options.append(d.add_block.tab.label)

    def change(self, action: str):
        """(WidgetState to send as a one-shot trigger or None, fragment id) for an action, or a skip reason."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        wid = find_widget(self.widgets, ACTIONS[action])
        if wid is None:
            return f"no widget '{ACTIONS[action]}'"
        w = self.widgets[wid]
        st = WidgetState(id=wid)
        if action == "sentence":
            if w.kind not in ("text_input", "text_area"):
                return f"'{w.kind}' is not a text input"
            self.turn += 1
            st.string_value = session_sentence(self.number, self.turn)
        elif w.kind == "button":
            st.trigger_value = True
            return st, w.fragment_id, True
        elif w.kind == "slider":
            if w.hi <= w.lo:
                return "slider with one value"
            cur = w.value if w.value is not None else w.lo
            new = cur + 1 if cur + 1 <= w.hi else w.lo
            st.double_array_value.data.append(new)
            w.value = new
        elif w.kind in ("radio", "selectbox", "tabs"):
            opt = pick_option(w.options, action, w.value)
            if opt is None:
                return f"no option for {action}"
            st.string_value = opt
            w.value = opt
        elif w.kind == "button_group":
            opt = pick_option(w.options, action, w.value)
            if opt is None:
                return f"no option for {action}"
            st.string_array_value.data.append(opt)
            w.value = opt
        else:
            return f"cannot drive a '{w.kind}'"
        return st, w.fragment_id, False

    async def act(self, action: str) -> RunResult | str:
        """Do one interaction; a string says why it was skipped."""
        got = self.change(action)
        if isinstance(got, str):
            return got
        st, fragment_id, one_shot = got
        if not one_shot:
            self.states[st.id] = st
        # a fragment run only when the widget is in a fragment and nothing outside it changed
        return await self.rerun(trigger=st if one_shot else None, fragment_id=fragment_id)


def first_get(url: str, headers: dict | None = None, timeout: float = 10):
    """GET the page as a browser's first request does: (status, response headers, cookies set)."""
    req = urllib.request.Request(url + "/", headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        r.read()
        cookies = dict(c.split(";", 1)[0].strip().split("=", 1) for c in r.headers.get_all("Set-Cookie") or []
                       if "=" in c.split(";", 1)[0])
        return r.status, r.headers, cookies


# ---------------------------------------------------------------- the benchmark

async def _alone(url: str, rounds: int, pid: int, seed: int) -> dict:
    """One session acting alone: CPU per action (attributable: nothing else runs on the server)."""
    s = Session(url, number=0, query={"sentence": session_sentence(0, 0)})
    try:
        first = await s.connect()
        if not first.ok:
            raise RuntimeError(f"first run failed: {first.status}")
        for action in CYCLE:  # warm-up, not measured: lazy imports, the first figures, the model cache
            await s.act(action)
        by_action: dict[str, list[float]] = {}
        times = []
        for i in range(rounds * len(CYCLE)):
            action = CYCLE[i % len(CYCLE)]
            c0 = proc_cpu_seconds(pid)
            r = await s.act(action)
            await asyncio.sleep(0.05)  # let the server finish sending and collecting garbage
            if isinstance(r, RunResult) and r.ok:
                by_action.setdefault(action, []).append(proc_cpu_seconds(pid) - c0)
                times.append(r.seconds)
    finally:
        await s.close()
    cpu = [c for cs in by_action.values() for c in cs]
    mean = statistics.fmean(cpu) if cpu else float("nan")
    return {"cpu_alone": mean, "per_core": 1 / mean if cpu and mean > 0 else float("nan"),
            "by_action": {a: statistics.fmean(v) for a, v in by_action.items()},
            "alone_p50": percentile(times, 50)}


def _cpu(pids) -> float:
    return sum(proc_cpu_seconds(p) for p in pids) if pids else float("nan")


def _rss(pids) -> float:
    return sum(proc_rss_mb(p) for p in pids) if pids else float("nan")


async def _crowd(url: str, sessions: int, duration: float, seed: int, pid, idle: float,
                 log=print) -> dict:
    """`sessions` sessions acting on the seeded schedule; latency, cross-talk, CPU, RSS.

    pid: the server process, or a list of them (summed), or None when the server is not ours."""
    pids = [] if pid is None else [pid] if isinstance(pid, int) else list(pid)
    plans = schedule(seed, sessions, duration)
    clients = [Session(url, number=i, query={"sentence": session_sentence(i, 0)}) for i in range(sessions)]
    latencies, skips, firsts = [], {}, []
    counts = {"done": 0, "failed": 0, "crosstalk": 0, "checked": 0, "loaded": 0}
    rss_peak = [0.0]
    examples = []
    replicas: dict[str, int] = {}  # behind deploy/serve: sessions per replica

    def check(s: Session, r: RunResult) -> None:
        own, others = crosstalk(r.text, MARKERS[s.number % len(MARKERS)])
        others = [m for m in others if MARKERS.index(m) < sessions]  # markers no live session owns never count
        if own or others:
            counts["checked"] += 1
        if others:
            counts["crosstalk"] += 1
            if len(examples) < 3:
                i = r.text.lower().find(others[0])
                examples.append(f"session {s.number} ({MARKERS[s.number % len(MARKERS)]}) saw {others}: "
                                f"...{r.text[max(0, i - 150):i + 80]!r}...")

    async def one(s: Session, plan) -> None:
        try:
            first = await s.connect()
        except Exception as e:  # refused, reset, bad handshake: this student could not load the page
            counts["failed"] += 1
            if len(examples) < 3:
                examples.append(f"session {s.number} could not connect: {e!r}"[:200])
            return
        if not first.ok:
            counts["failed"] += 1
            return
        firsts.append(first.seconds)
        replica = s.response_headers.get("x-attnviz-replica")
        if replica:
            replicas[replica] = replicas.get(replica, 0) + 1
        check(s, first)
        if MARKERS[s.number % len(MARKERS)] not in r_words(first.text):
            typed = await s.act("sentence")  # an app that does not read ?sentence= gets it typed
            if isinstance(typed, RunResult) and typed.ok:
                check(s, typed)
        counts["loaded"] += 1
        await ready.wait()
        t_start = loop.time()
        for at, action in plan:
            delay = t_start + at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            r = await s.act(action)
            if isinstance(r, str):
                skips[action] = skips.get(action, 0) + 1
                continue
            if not r.ok:
                counts["failed"] += 1
                continue
            counts["done"] += 1
            latencies.append(r.seconds)
            check(s, r)

    async def sample_rss(stop: asyncio.Event) -> None:
        for _ in range(int(3600 / 0.5)):
            if pids:
                rss_peak[0] = max(rss_peak[0], _rss(pids))
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            if stop.is_set():
                return

    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(stop))
    tasks = [asyncio.create_task(one(s, p)) for s, p in zip(clients, plans)]
    # every session loads its page first (a class opening the link), then the clock starts
    for _ in range(int(STARTUP_SECONDS / 0.2)):
        if counts["loaded"] + counts["failed"] >= sessions or all(t.done() for t in tasks):
            break
        await asyncio.sleep(0.2)
    c0, t0, own0 = _cpu(pids), time.perf_counter(), time.process_time()
    ready.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), duration + 2 * RUN_TIMEOUT + 30)
    cpu = _cpu(pids) - c0
    wall = time.perf_counter() - t0
    client_util = (time.process_time() - own0) / wall  # this driver shares the machine's cores
    rss_connected = _rss(pids)
    stop.set()
    await sampler
    for s in clients:
        await s.close()
    if replicas:
        log("  sessions per replica: " + ", ".join(f"{k} {v}" for k, v in sorted(replicas.items())))
    if pids and idle > 0:
        log(f"  {sessions} sessions disconnected; waiting {idle:g} s for the idle RSS")
        await asyncio.sleep(idle)
    done = counts["done"]
    return {
        "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "first_p95": percentile(firsts, 95),
        "max": max(latencies) if latencies else float("nan"),
        "cpu_load": cpu / done if done else float("nan"), "cpu_util": cpu / wall, "client_util": client_util,
        "server_util": cpu / wall,
        "done": done, "skipped": sum(skips.values()), "skips": skips, "failed": counts["failed"],
        "crosstalk": counts["crosstalk"], "checked": counts["checked"], "crosstalk_examples": examples,
        "rss_peak": max(rss_peak[0], rss_connected) if pids else float("nan"), "rss_connected": rss_connected,
        "rss_idle": _rss(pids), "replicas": replicas,
    }


def r_words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def bench_app(script: Path, port: int | None, sessions: int, duration: float, idle: float, seed: int,
              rounds: int, browser: bool, log=print) -> dict:
    """Start `script`, measure it alone, then under the crowd; the figures for format_report."""
    with serve(script, port) as (proc, url):
        log(f"{script.name}: serving at {url} (pid {proc.pid})")
        fig: dict = {}
        fig["rss_start"] = proc_rss_mb(proc.pid)
        if rounds > 0:
            fig.update(run_async(_alone(url, rounds, proc.pid, seed)))
            log(f"  alone: {fmt_ms(fig['cpu_alone'])} CPU per interaction")
        if browser:
            fig["browser"] = browser_measure(url, log=log)
            log("  browser: " + ", ".join(f"{k} {fmt_ms(v)}" for k, v in fig["browser"].items()))
        fig.update(run_async(_crowd(url, sessions, duration, seed, proc.pid, idle, log=log)))
        log(f"  crowd: p95 {fmt_ms(fig['p95'])}, {fig['done']} interactions, "
            f"server CPU {fig['cpu_util']:.0%} of one core")
        for e in fig.get("crosstalk_examples", []):
            log(f"  CROSS-TALK: {e}")
    return fig


# ---------------------------------------------------------------- in a browser (--browser)

CHROMIUM = Path(os.environ.get("ATTNVIZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
BROWSER_TIMEOUT_MS = 30_000
HEATMAP_JS = "document.querySelector('.js-plotly-plot .heatmaplayer')"
# The first useful paint: the page's words about the sentence (app.py: "As read" and the translation's
# headline; the trivial app: its "English:" line), before or without any chart.
FIRST_PAINT_JS = ("document.querySelector('[data-testid=stMain] [data-testid=stMarkdownContainer] h3, "
                  "[data-testid=stMain] [data-testid=stMarkdownContainer] p > strong:first-child')")

# Armed before an action: t0 is the browser's own timestamp of the click / Enter that starts it; the page
# is updated at the last DOM change after t0, once Streamlit's root says the script is no longer running
# (data-test-script-state) and nothing has changed for QUIET_MS. (A fast run may never show "running":
# React can batch it away, so any DOM change after t0 counts as the run having happened.)
QUIET_MS = 150
ARM_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const b = window.__bench = {t0: null, ran: false, last: null};
  const start = (e) => { if (b.t0 === null && (e.type === 'click' || e.key === 'Enter')) b.t0 = e.timeStamp; };
  document.addEventListener('click', start, true);
  document.addEventListener('keydown', start, true);
  b.obs = new MutationObserver((records) => {
    if (b.t0 === null) return;
    if (app.getAttribute('data-test-script-state') === 'running') b.ran = true;
    b.last = performance.now();
  });
  b.obs.observe(app, {attributes: true, childList: true, subtree: true, characterData: true});
}"""
DONE_JS = """([marker, quiet]) => {
  const b = window.__bench;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!b || b.t0 === null || b.last === null) return false;
  if (app.getAttribute('data-test-script-state') === 'running') return false;
  if (performance.now() - b.last < quiet) return false;
  if (marker) {  // a new sentence: its words, as the page lists them one code span each
    const shown = [...document.querySelectorAll('code')].map(c => c.textContent.replace(/[*]$/, '').toLowerCase());
    if (!shown.join(' ').includes(marker)) return false;
  }
  b.obs.disconnect();
  return b.last - b.t0;
}"""


def ensure_chromium(log=print) -> Path:
    """Debian's Chromium, installed with apt-get when missing and running as root."""
    if not CHROMIUM.exists() and os.geteuid() == 0:
        log("  installing chromium (apt-get install chromium)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=300, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, timeout=600, check=False)
    if not CHROMIUM.exists():
        raise SystemExit(f"--browser needs Chromium at {CHROMIUM}: apt-get install chromium")
    return CHROMIUM


def _browser_action(page, action: str, turn: int) -> str | None:
    """Start one interaction in the page; the words to wait for on the page, "" for none, None = skip."""
    key = ACTIONS[action]
    box = page.locator(f".st-key-{key}")
    if box.count() == 0:
        return None
    if action == "sentence":
        sentence = session_sentence(1, turn)
        inp = box.locator("input").first
        inp.fill(sentence)
        inp.press("Enter")
        return " ".join(WORD.findall(sentence.lower()))  # e.g. "i see the red umbrella"
    if action in ("next", "prev"):
        box.locator("button").first.click()
        return ""
    if key == "view":  # a segmented control's buttons, a radio's labels, or tabs
        for sel in ("button", "[role=radiogroup] label", "[role=tab]"):
            items = box.locator(sel)
            labels = [t.strip().lower() for t in items.all_inner_texts()]
            hits = [i for i, t in enumerate(labels) if t.startswith(VIEW_PREFIX[action])]
            if hits:
                items.nth(hits[0]).click()
                return ""
        return None
    if action == "model":
        labels = box.locator("[role=radiogroup] label")
        checked = box.locator("input[type=radio]").evaluate_all("els => els.map(e => e.checked)")
        if labels.count() < 2 or len(checked) != labels.count():
            return None
        nxt = (checked.index(True) + 1) % len(checked) if True in checked else 0
        labels.nth(nxt).click()
        return ""
    return None


def browser_measure(url: str, rounds: int = 5, loads: int = 3, log=print) -> dict:
    """Seconds: first load to heatmap visible (median of `loads` fresh contexts), and the median browser
    time of each interaction over `rounds` rounds."""
    from playwright.sync_api import sync_playwright
    chromium = ensure_chromium(log)
    out: dict[str, float] = {}
    link = f"{url}/?" + urllib.parse.urlencode({"sentence": session_sentence(1, 0)})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            firsts, paints = [], []
            for _ in range(loads):
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = ctx.new_page()
                page.goto(link)
                got = page.wait_for_function(f"() => {FIRST_PAINT_JS} ? performance.now() : false",
                                             polling="raf", timeout=BROWSER_TIMEOUT_MS)
                paints.append(got.json_value() / 1000)  # since navigation start
                got = page.wait_for_function(f"() => {HEATMAP_JS} ? performance.now() : false",
                                             polling="raf", timeout=BROWSER_TIMEOUT_MS)
                firsts.append(got.json_value() / 1000)
                ctx.close()
            out["first paint"] = statistics.median(paints)
            out["first load"] = statistics.median(firsts)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            page.goto(link)
            page.wait_for_function(f"() => {HEATMAP_JS}", timeout=BROWSER_TIMEOUT_MS)
            page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
                timeout=BROWSER_TIMEOUT_MS)
            names = {"sentence": "new sentence", "compare": "view compare", "steps": "view steps",
                     "next": "next step", "model": "change model", "translate": "view translate"}
            times: dict[str, list[float]] = {}
            for r in range(rounds):
                for action in ("sentence", "compare", "steps", "next", "model", "translate"):
                    page.evaluate(ARM_JS)
                    marker = _browser_action(page, action, turn=r + 1)
                    if marker is None:
                        log(f"  browser: no widget for {action}; skipped")
                        continue
                    try:
                        got = page.wait_for_function(DONE_JS, arg=[marker, QUIET_MS], polling="raf",
                                                     timeout=BROWSER_TIMEOUT_MS)
                    except Exception:
                        state = page.evaluate("() => { const b = window.__bench; return b && "
                                              "{t0: b.t0, ran: b.ran, last: b.last}; }")
                        raise RuntimeError(f"browser: {action} did not finish: {state}") from None
                    times.setdefault(names[action], []).append(got.json_value() / 1000)
            out.update({k: statistics.median(v) for k, v in times.items()})
            ctx.close()
            heads = all_heads_times(browser, url, rounds)
            if heads:
                out[ALL_HEADS] = statistics.median(heads)
        finally:
            browser.close()
    return out


ALL_HEADS = "all heads, new sentence"  # against the trivial app's "new sentence"
ALL_HEADS_OPEN = ".st-key-heads_all summary"
ALL_HEADS_JS = "document.querySelector('.st-key-heads_all_fig .js-plotly-plot .heatmaplayer')"


def all_heads_times(browser, url: str, rounds: int) -> list[float]:
    """Seconds for a new sentence to repaint the Transformer's all-heads grid (every layer x head), over
    `rounds` sentences; [] when the page has no such grid (the trivial app, no Transformer bundle)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    query = urllib.parse.urlencode({"sentence": session_sentence(1, 0), "model": "transformer"})
    page.goto(f"{url}/?{query}")
    page.wait_for_function(f"() => {HEATMAP_JS}", timeout=BROWSER_TIMEOUT_MS)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=BROWSER_TIMEOUT_MS)
    if page.locator(ALL_HEADS_OPEN).count() == 0:
        page.context.close()
        return []
    page.locator(ALL_HEADS_OPEN).first.click()
    page.wait_for_function(f"() => {ALL_HEADS_JS}", timeout=BROWSER_TIMEOUT_MS)
    times = []
    for r in range(rounds):
        page.evaluate(ARM_JS)
        marker = _browser_action(page, "sentence", turn=r + 1)
        got = page.wait_for_function(DONE_JS, arg=[marker, QUIET_MS], polling="raf", timeout=BROWSER_TIMEOUT_MS)
        page.wait_for_function(f"() => {ALL_HEADS_JS}", timeout=BROWSER_TIMEOUT_MS)
        times.append(got.json_value() / 1000)
    page.context.close()
    return times


def add_page_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--page", action="store_true", help="page-level benchmark over Streamlit's websocket")
    p.add_argument("--sessions", type=int, default=30, help="concurrent sessions (--page)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds the sessions act (--page)")
    p.add_argument("--idle", type=float, default=60.0, help="seconds after disconnect before the idle RSS (--page)")
    p.add_argument("--port", type=int, default=None, help="port for app.py (the trivial app takes port+1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rounds", type=int, default=3, help="cycles of actions for one session alone (CPU/action)")
    p.add_argument("--browser", action="store_true", help="also time the page in Chromium (Playwright)")
    p.add_argument("--only", choices=("app", "trivial"), default=None, help="benchmark one of the two apps")
    p.add_argument("--url", default=None, help="drive a running server instead (e.g. deploy/serve's nginx); "
                   "no CPU or RSS figures then")


def main(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731 — progress on stderr, the table on stdout
    results = {}
    if args.url:  # a server we did not start (e.g. deploy/serve): latency and cross-talk only
        url = args.url.rstrip("/")
        log(f"driving {url} (not started here: no server CPU or RSS)")
        results[url] = run_async(_crowd(url, args.sessions, args.duration, args.seed, None, 0, log=log))
        if args.browser:
            results[url]["browser"] = browser_measure(url, log=log)
    else:
        apps = {"app.py": APP, "trivial_app": TRIVIAL_APP}
        if args.only:
            apps = {k: v for k, v in apps.items() if (args.only == "app") == (v == APP)}
        for i, (name, script) in enumerate(apps.items()):
            port = args.port + i if args.port else None
            results[name] = bench_app(script, port, args.sessions, args.duration, args.idle, args.seed,
                                      args.rounds, args.browser, log=log)
    print(f"page benchmark: {args.sessions} sessions acting every 2-6 s for {args.duration:g} s (seed {args.seed}), "
          f"{os.cpu_count()} CPU cores, {time.perf_counter() - t0:.0f} s in all")
    print(format_report(results, args.sessions, args.idle))
    app, trivial = results.get("app.py", {}).get("browser", {}), results.get("trivial_app", {}).get("browser", {})
    yardstick = {**trivial, ALL_HEADS: trivial.get("new sentence")}  # 12 heatmaps against the trivial app's one
    ratios = {k: app[k] / yardstick[k] for k in app if yardstick.get(k)}
    if ratios:
        print("browser time, app.py / trivial_app: " + ", ".join(f"{k} {v:.1f}x" for k, v in ratios.items())
              + "   (target: first paint and first load <= 1.5x, the rest <= 2.5x)")
        if trivial.get("first load") and app.get("first paint"):  # the words against the trivial page's heatmap
            print(f"app.py first paint / trivial_app first load: {app['first paint'] / trivial['first load']:.2f}x")
    for name, r in results.items():
        if r.get("replicas"):
            print(f"sessions per replica ({name}): " + ", ".join(f"{k} {v}" for k, v in sorted(r["replicas"].items())))
        for e in r.get("crosstalk_examples", []):
            print(f"{name}: {e}")
    return 0
