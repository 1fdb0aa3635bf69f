"""The live class under load: python benchmarks/classbench.py [--students 100] [--replicas 2] [--store URL]

Starts deploy/serve (N replicas behind nginx, all on one store) and drives phones over Streamlit's
websocket exactly as a browser tab does (attnviz.pagebench.Session: GET / for nginx's affinity cookie,
then /_stcore/stream with protobuf BackMsg/ForwardMsg). Each phone opens /?join=CODE&me=ID, polls its
fragment every 1.5 s as the browser's run_every timer does (a fragment rerun with is_auto_rerun), and
taps an option button (a trigger on the widget "phone_opt_<q>_<round>_<option>"), so every vote takes
the page's own code path: the button's callback, then the store's upsert. The teacher's class screen is
a websocket session too, polling its count fragment every second.

Phases, on app.py:
  1. vote: every phone votes once at a random moment in the first 10 s, a third change their answer;
     checks: the store counts each phone once, with its last confirmed answer; the projector's count
     is right within 2 s of the last vote; one phone then taps 1,000 times: still one vote.
  2. round 2 with a fault: the teacher opens round 2 (time until each phone shows it), half the phones
     vote, one replica is killed (SIGKILL), its phones reconnect (nginx sends them to the other
     replica) and vote; checks: every vote confirmed before the kill is kept, every phone is counted.
Then the yardstick: the same phones, polling and voting against benchmarks/trivial_class_app.py (the
same store calls, nothing else) behind the same nginx. Students per core = phone-seconds served per
CPU-second of the replicas during the vote phase; printed for both and as a ratio.

Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from attnviz import pagebench as pb  # noqa: E402
from attnviz.classroom import session  # noqa: E402
from attnviz.classroom.store import open_store  # noqa: E402

POLL = 1.5  # s, as the phone's fragment (attnviz/views/classroom.py PHONE_EVERY)
COUNT_POLL = 1.0  # s, as the projector's count fragment
COUNT = re.compile(r"(\d+)\D+(\d+)")  # "12 of 30 answered" / "30명 중 12명": the numbers


def log(msg: str) -> None:
    print(f"[classbench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Tab(pb.Session):
    """A browser tab that also keeps its fragments' ids and HTML, and can send the fragment timer's rerun."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.fragments: dict[str, str] = {}  # a marker seen in the fragment's output -> fragment id
        self.html: list[str] = []
        self._auto = False

    def _delta(self, msg, texts):
        d = msg.delta
        if d.WhichOneof("type") == "new_element":
            el = d.new_element
            if el.WhichOneof("type") == "html":
                texts.append(el.html.body)
                if d.fragment_id and "class-count" in el.html.body:
                    self.fragments["count"] = d.fragment_id
            if d.fragment_id and el.WhichOneof("type") != "html":
                self.fragments.setdefault("live", d.fragment_id)
        super()._delta(msg, texts)

    def _back_msg(self, trigger=None, fragment_id: str = "", query_string: str = ""):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        msg = BackMsg()
        msg.ParseFromString(super()._back_msg(trigger, fragment_id, query_string))
        msg.rerun_script.is_auto_rerun = self._auto
        return msg.SerializeToString()

    async def poll(self, name: str = "live") -> pb.RunResult:
        """What the browser's run_every timer sends: a rerun of the fragment alone."""
        self._auto = True
        try:
            return await self.rerun(fragment_id=self.fragments.get(name, ""))
        finally:
            self._auto = False

    async def tap(self, key: str) -> pb.RunResult | str:
        """A tap on the button with this key (a one-shot trigger, in its fragment)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        wid = pb.find_widget(self.widgets, key)
        if wid is None:
            return f"no button {key}"
        return await self.rerun(trigger=WidgetState(id=wid, trigger_value=True),
                                fragment_id=self.widgets[wid].fragment_id)

    @property
    def replica(self) -> str:
        h = self.response_headers
        return h.get("x-attnviz-replica") or h.get("X-Attnviz-Replica") or "?"


# ---------------------------------------------------------------- servers


def serve(app: Path, replicas: int, env: dict, tmp: Path) -> tuple[subprocess.Popen, str, list[int]]:
    """deploy/serve with `replicas` replicas of `app`; returns (process, nginx url, replica ports)."""
    port = pb.free_port()
    first = pb.free_port()
    while any(p == port for p in range(first, first + replicas)):
        first = pb.free_port()
    errlog = tmp / f"serve-{app.stem}.log"
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve"), "--replicas", str(replicas),
                             "--port", str(port), "--first-port", str(first), "--app", str(app)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errlog.open("w"), text=True,
                            start_new_session=True)
    if not pb.wait_for_ready(proc, 240):
        proc.kill()
        raise SystemExit(f"deploy/serve did not start: {errlog.read_text()[-2000:]}")
    return proc, f"http://127.0.0.1:{port}", list(range(first, first + replicas))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def replica_pid(port: int) -> int | None:
    """The streamlit process listening on `port` (found by its command line in /proc)."""
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(cmd) and b"--server.port" in cmd and \
                cmd[cmd.index(b"--server.port") + 1] == str(port).encode():
            return int(d.name)
    return None


def cpu(ports: list[int]) -> float:
    total = 0.0
    for port in ports:
        pid = replica_pid(port)
        if pid:
            try:
                total += pb.proc_cpu_seconds(pid)
            except OSError:
                pass
    return total


def pct(values: list[float], q: float) -> float:
    return pb.percentile(values, q) if values else float("nan")


# ---------------------------------------------------------------- phases


async def connect_all(url: str, code: str, ids: list[str], limit: int = 16) -> list[Tab]:
    gate = asyncio.Semaphore(limit)

    async def one(i: int) -> Tab:
        async with gate:
            tab = Tab(url, i, query={"join": code, "me": ids[i]})
            r = await tab.connect()
            if not r.ok:
                raise RuntimeError(f"phone {i} could not open the page: {r.status}")
            return tab

    return list(await asyncio.gather(*(one(i) for i in range(len(ids)))))


async def vote_phase(tabs: list[Tab], qno: int, rnd: int, options: int, window: float, duration: float,
                     seed: int, changers: float = 1 / 3) -> dict:
    """Every phone polls every POLL s; votes once at a random moment in `window`; some change their mind."""
    rng = random.Random(seed)
    plan = []
    for tab in tabs:
        first = rng.uniform(0.2, window)
        moves = [(first, rng.randrange(options))]
        if rng.random() < changers:
            moves.append((rng.uniform(first + 0.5, window + 2), rng.randrange(options)))
        plan.append(moves)
    confirmed: dict[int, int] = {}
    latencies: list[float] = []
    failed = []
    t0 = time.monotonic()
    last_vote = [0.0]

    async def phone(i: int, tab: Tab) -> None:
        moves = list(plan[i])
        next_poll = t0 + rng.uniform(0, POLL)
        while time.monotonic() - t0 < duration:
            now = time.monotonic()
            if moves and now - t0 >= moves[0][0]:
                _, choice = moves.pop(0)
                r = await tab.tap(f"phone_opt_{qno}_{rnd}_{choice}")
                if isinstance(r, str) or not r.ok:
                    failed.append((i, r if isinstance(r, str) else r.status))
                    continue
                latencies.append(r.seconds)
                confirmed[i] = choice  # the page has run the button's callback: the store has the vote
                last_vote[0] = max(last_vote[0], time.monotonic())
                continue
            if now >= next_poll:
                r = await tab.poll()
                next_poll += POLL
                if not r.ok:
                    failed.append((i, r.status))
                continue
            wake = min(next_poll, t0 + moves[0][0] if moves else next_poll)
            await asyncio.sleep(max(0.0, min(wake - time.monotonic(), 0.5)))

    await asyncio.gather(*(phone(i, t) for i, t in enumerate(tabs)))
    return {"confirmed": confirmed, "latencies": latencies, "failed": failed, "last_vote": last_vote[0],
            "t0": t0, "votes": sum(len(p) for p in plan)}


async def projector(teacher: Tab, until: float, seen: list) -> None:
    """The class screen's count fragment, every COUNT_POLL s: (time, count) pairs."""
    while time.monotonic() < until:
        r = await teacher.poll("count")
        found = [COUNT.search(t) for t in r.text.split("\n") if "class-count" in t]
        if r.ok and found and found[-1]:
            seen.append((time.monotonic(), int(found[-1].group(1))))
        await asyncio.sleep(COUNT_POLL)


async def run_app(url: str, ports: list[int], store, code: str, secret: str, qno: int, options: int,
                  students: int, duration: float, seed: int, kill: bool) -> dict:
    out: dict = {}
    ids = [session.new_student() for _ in range(students)]
    t = time.monotonic()
    tabs = await connect_all(url, code, ids)
    out["connect_s"] = time.monotonic() - t
    out["by_replica"] = {r: sum(tab.replica == r for tab in tabs) for r in sorted({tab.replica for tab in tabs})}
    teacher = Tab(url, 10_000, query={"class": code, "teach": secret})
    assert (await teacher.connect()).ok and "count" in teacher.fragments, "the class screen shows no count"

    seen: list = []
    c0, w0 = cpu(ports), time.monotonic()
    watch = asyncio.create_task(projector(teacher, time.monotonic() + duration + 4, seen))
    res = await vote_phase(tabs, qno, 1, options, window=10, duration=duration, seed=seed)
    cpu_used, wall = cpu(ports) - c0, time.monotonic() - w0
    await watch
    out.update(res)
    out["cpu"], out["wall"] = cpu_used, wall
    out["stored"] = {i: store.my_vote(code, qno, 1, ids[i]) for i in range(students)}
    out["answered"] = store.answered(code, qno, 1)
    right_at = next((ts for ts, n in seen if ts >= res["last_vote"] and n == len(res["confirmed"])), None)
    out["projector_lag"] = None if right_at is None else right_at - res["last_vote"]
    out["projector_final"] = seen[-1][1] if seen else None

    # one phone taps 1,000 times
    t = time.monotonic()
    taps = 0
    for k in range(1000):
        r = await tabs[0].tap(f"phone_opt_{qno}_1_{k % options}")
        taps += not isinstance(r, str) and r.ok
    out["dup_taps"], out["dup_s"] = taps, time.monotonic() - t
    out["answered_after_dup"] = store.answered(code, qno, 1)

    if kill:
        out["fault"] = await fault_phase(tabs, ids, ports, store, code, secret, qno, options, seed + 1, url)
    for tab in (*tabs, teacher):
        await tab.close()
    return out


async def fault_phase(tabs, ids, ports, store, code, secret, qno, options, seed, url) -> dict:
    """Round 2: time to show it on every phone; half vote; one replica is killed; everyone votes."""
    store.set_status(code, secret, qno, "closed")
    store.second_round(code, secret, qno)
    asked = time.monotonic()
    shown: dict[int, float] = {}

    async def until_shown(i: int, tab: Tab) -> None:
        await asyncio.sleep(random.Random(seed + i).uniform(0, POLL))  # the timers are not in step
        for _ in range(40):
            r = await tab.poll()
            if r.ok and pb.find_widget(tab.widgets, f"phone_opt_{qno}_2_0"):
                shown[i] = time.monotonic() - asked
                return
            await asyncio.sleep(POLL)

    await asyncio.gather(*(until_shown(i, t) for i, t in enumerate(tabs)))
    rng = random.Random(seed)
    victim = f"127.0.0.1:{ports[0]}"
    first_half = [i for i in range(len(tabs)) if i % 2 == 0]
    confirmed: dict[int, int] = {}
    for i in first_half:
        choice = rng.randrange(options)
        r = await tabs[i].tap(f"phone_opt_{qno}_2_{choice}")
        if not isinstance(r, str) and r.ok:
            confirmed[i] = choice
    pid = replica_pid(ports[0])
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    on_victim = [i for i, t in enumerate(tabs) if t.replica == victim]
    kept = sum(store.my_vote(code, qno, 2, ids[i]) == c for i, c in confirmed.items())
    # phones of the dead replica: their socket is gone; they reconnect (same cookie, same link) and vote
    reconnect_s, moved_to = [], {}
    for i in on_victim:
        await tabs[i].close()
        headers = dict(tabs[i].headers)
        for attempt in range(30):
            tab = Tab(url, i, query={"join": code, "me": ids[i]}, headers=headers)
            try:
                r = await tab.connect()
                if r.ok:
                    tabs[i] = tab
                    reconnect_s.append(time.monotonic() - killed_at)
                    moved_to[tab.replica] = moved_to.get(tab.replica, 0) + 1
                    break
            except Exception:
                pass
            await tab.close()
            await asyncio.sleep(0.5)
    late = {}
    for i in range(len(tabs)):
        if i not in confirmed:
            choice = rng.randrange(options)
            for _ in range(3):
                try:
                    r = await tabs[i].tap(f"phone_opt_{qno}_2_{choice}")
                except Exception:
                    r = "socket"
                if not isinstance(r, str) and r.ok:
                    late[i] = choice
                    break
                await asyncio.sleep(0.5)
    stored = {i: store.my_vote(code, qno, 2, ids[i]) for i in range(len(tabs))}
    return {"shown": list(shown.values()), "not_shown": len(tabs) - len(shown), "victim": victim,
            "on_victim": len(on_victim), "confirmed_before": len(confirmed), "kept": kept,
            "kept_on_victim": sum(stored[i] == confirmed[i] for i in confirmed if i in on_victim),
            "confirmed_on_victim": sum(i in on_victim for i in confirmed),
            "reconnected": len(reconnect_s), "reconnect_s": reconnect_s, "moved_to": moved_to,
            "late_votes": len(late), "answered": store.answered(code, qno, 2),
            "right": sum(stored[i] == c for i, c in {**confirmed, **late}.items())}


async def run_yardstick(url: str, ports: list[int], store, code: str, qno: int, options: int, students: int,
                        duration: float, seed: int) -> dict:
    ids = [session.new_student() for _ in range(students)]
    tabs = await connect_all(url, code, ids)
    c0, w0 = cpu(ports), time.monotonic()
    res = await vote_phase(tabs, qno, 1, options, window=10, duration=duration, seed=seed)
    res["cpu"], res["wall"] = cpu(ports) - c0, time.monotonic() - w0
    res["answered"] = store.answered(code, qno, 1)
    for tab in tabs:
        await tab.close()
    return res


# ---------------------------------------------------------------- main


def question_payload() -> tuple[str, int]:
    """A real question: which English word will the bundled model look at when it writes its 2nd word."""
    from attnviz.checkpoint import load_all_report
    from attnviz.trace import trace_translation

    models, _ = load_all_report(os.environ.get("ATTNVIZ_MODELS_DIR") or ROOT / "models")
    name = next(n for n in ("general", "dot", "concat") if n in models)
    q = session.source_question(trace_translation(models[name], "I am very tired."), 1, "bench")
    return q.to_json(), len(q.options)


def new_class(store, payload: str, options: int) -> tuple[str, str, int]:
    for _ in range(20):
        code, secret = session.new_code(), session.new_secret()
        if store.create_class(code, secret):
            return code, secret, store.ask(code, secret, payload, options)
    raise SystemExit("no free class code")


def report(args, app: dict, yard: dict, cores: int) -> str:
    n = args.students
    per_core_app = n * app["wall"] / app["cpu"] if app["cpu"] else float("nan")
    per_core_yard = n * yard["wall"] / yard["cpu"] if yard["cpu"] else float("nan")
    expected = app["confirmed"]
    wrong = sum(app["stored"][i] != c for i, c in expected.items())
    lines = [
        f"classbench: {n} phones, {args.replicas} replicas behind nginx, store {args.store_name}, "
        f"{cores} CPU cores, {args.duration:.0f} s vote phase (seed {args.seed})",
        f"phones per replica                 {app['by_replica']}",
        f"connect {n} phones                 {app['connect_s']:.1f} s",
        f"votes sent / confirmed phones      {app['votes']} / {len(expected)}  (failed: {len(app['failed'])})",
        f"store: answered (each phone once)  {app['answered']}  (expected {len(expected)}; wrong answer kept: {wrong})",
        f"vote latency p50 / p95 / max       {1000 * pct(app['latencies'], 50):.0f} / "
        f"{1000 * pct(app['latencies'], 95):.0f} / {1000 * max(app['latencies'] or [float('nan')]):.0f} ms",
        f"projector right after last vote    "
        + (f"{app['projector_lag']:.2f} s" if app['projector_lag'] is not None else "never")
        + f"  (its last count {app['projector_final']})",
        f"1,000 taps from one phone          {app['dup_taps']} runs in {app['dup_s']:.1f} s -> answered "
        f"{app['answered_after_dup']} (before: {app['answered']})",
    ]
    if "fault" in app:
        f = app["fault"]
        lines += [
            f"round 2 shown on phones p50 / max  {pct(f['shown'], 50):.2f} / {max(f['shown'] or [float('nan')]):.2f} s"
            f"  (not shown: {f['not_shown']})",
            f"killed replica {f['victim']}: {f['on_victim']} phones on it; votes confirmed before the kill "
            f"{f['confirmed_before']} (on it {f['confirmed_on_victim']}), kept {f['kept']} (on it {f['kept_on_victim']})",
            f"its phones reconnected             {f['reconnected']} of {f['on_victim']}, after "
            f"{pct(f['reconnect_s'], 50):.1f} s median, to {f['moved_to']}",
            f"round 2 answered                   {f['answered']} of {n}  (answers as confirmed: {f['right']})",
        ]
    lines += [
        f"replica CPU during the vote phase  app {app['cpu']:.1f} s, yardstick {yard['cpu']:.1f} s "
        f"(of {app['wall']:.0f} s wall)",
        f"phones per core (polling every {POLL} s, voting)   app {per_core_app:.0f}   "
        f"yardstick {per_core_yard:.0f}   ratio app/yardstick {per_core_app / per_core_yard:.2f}",
        f"yardstick check: answered {yard['answered']} of {len(yard['confirmed'])} confirmed",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--duration", type=float, default=20.0, help="seconds of the vote phase (votes in the first 10)")
    p.add_argument("--store", default="", help="a postgresql:// URL (default: SQLite in a fresh temp folder)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-kill", dest="kill", action="store_false", help="skip the replica-kill phase")
    p.add_argument("--no-yardstick", dest="yardstick", action="store_false")
    args = p.parse_args(argv)
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        raise SystemExit("nginx not found: apt-get install nginx")
    tmp = Path(tempfile.mkdtemp(prefix="classbench-"))
    env = {**os.environ, "ATTNVIZ_DATA_DIR": str(tmp / "data"), "ATTNVIZ_DATABASE_URL": args.store}
    os.environ.update({"ATTNVIZ_DATA_DIR": env["ATTNVIZ_DATA_DIR"], "ATTNVIZ_DATABASE_URL": args.store})
    args.store_name = "PostgreSQL" if args.store else "SQLite (WAL)"
    store = open_store()
    payload, options = question_payload()
    cores = os.cpu_count() or 1

    log(f"starting {args.replicas} replicas of app.py behind nginx")
    proc, url, ports = serve(ROOT / "app.py", args.replicas, env, tmp)
    try:
        code, secret, qno = new_class(store, payload, options)
        log(f"class {code}: {args.students} phones")
        app = asyncio.run(asyncio.wait_for(run_app(url, ports, store, code, secret, qno, options, args.students,
                                                   args.duration, args.seed, args.kill), 900))
    finally:
        stop(proc)
    yard = {"cpu": float("nan"), "wall": 1.0, "answered": 0, "confirmed": {}}
    if args.yardstick:
        log("the yardstick: benchmarks/trivial_class_app.py behind the same nginx")
        proc, url, ports = serve(ROOT / "benchmarks" / "trivial_class_app.py", args.replicas, env, tmp)
        try:
            code, secret, qno = new_class(store, payload, options)
            yard = asyncio.run(asyncio.wait_for(run_yardstick(url, ports, store, code, qno, options, args.students,
                                                              args.duration, args.seed), 600))
        finally:
            stop(proc)
    print(report(args, app, yard, cores), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
