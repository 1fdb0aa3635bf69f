"""deploy/serve: two replicas behind nginx; two websocket sessions reach different replicas, keep their
own state, and stick to their replica; SIGTERM stops every child.

Skipped when `nginx` is not installed (apt-get install nginx). Uses the tiny fixture models.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attnviz import pagebench as pb

ROOT = Path(__file__).resolve().parents[1]
SERVE = ROOT / "deploy" / "serve"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")


def free_ports(n: int) -> list[int]:
    """n free ports, the last n-1 consecutive (the replicas), all on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        ports = [base] + [base + 1 + i for i in range(n - 1)]
        if all(pb.port_is_free(p) for p in ports) and ports[-1] < 65535:
            return ports
    raise RuntimeError("no free ports")


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def lecture_hall(tiny_models_dir, tmp_path_factory):
    port, first, second = free_ports(3)
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "ATTNVIZ_MODELS_DIR": str(tiny_models_dir)}
    proc = subprocess.Popen([sys.executable, str(SERVE), "--replicas", "2", "--port", str(port),
                             "--first-port", str(first), "--nginx", NGINX],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert pb.wait_for_ready(proc, 150), log.read_text()[-3000:]  # serve prints READY once nginx is up
        yield proc, url, (first, second), port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def route(url: str) -> tuple[str, str]:
    """A first visit: (the affinity cookie nginx set, the replica that answered)."""
    status, headers, cookies = pb.first_get(url)
    assert status == 200
    return cookies["attnviz_route"], headers["X-Attnviz-Replica"]


def test_two_sessions_on_two_replicas_keep_their_own_state(lecture_hall):
    _, url, replica_ports, _ = lecture_hall
    # first visits get random routes; collect one per replica (each is a coin flip: bounded tries)
    by_replica = {}
    for _ in range(40):
        cookie, replica = route(url)
        by_replica.setdefault(replica, cookie)
        if len(by_replica) == 2:
            break
    assert set(by_replica) == {f"127.0.0.1:{p}" for p in replica_ports}

    # a cookie always routes to the same replica
    for replica, cookie in by_replica.items():
        for _ in range(3):
            _, headers, _ = pb.first_get(url, {"Cookie": f"attnviz_route={cookie}"})
            assert headers["X-Attnviz-Replica"] == replica

    async def drive():
        sessions = [pb.Session(url, number=i, query={"sentence": pb.session_sentence(i, 0)},
                               headers={"Cookie": f"attnviz_route={cookie}"})
                    for i, cookie in enumerate(by_replica.values())]
        seen = []
        try:
            for s in sessions:
                first = await s.connect()
                assert first.ok, first.status
                seen.append(s.response_headers.get("x-attnviz-replica") or s.response_headers.get("X-Attnviz-Replica"))
            for action in ("sentence", "compare", "sentence", "translate"):
                for s in sessions:
                    r = await s.act(action)
                    assert isinstance(r, pb.RunResult) and r.ok, r
                    own, others = pb.crosstalk(r.text, pb.MARKERS[s.number], pb.MARKERS[:2])
                    assert own and not others, (s.number, action, others)
        finally:
            for s in sessions:
                await s.close()
        return seen

    seen = pb.run_async(asyncio.wait_for(drive(), 120))
    assert seen == list(by_replica)  # the websocket went where the cookie points


def test_streamlit_frontend_comes_from_nginx(lecture_hall):
    import re
    import urllib.request
    _, url, _, _ = lecture_hall
    with urllib.request.urlopen(url + "/", timeout=10) as r:
        script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', r.read().decode()).group(1)
    with urllib.request.urlopen(f"{url}/{script}", timeout=10) as r:
        assert r.status == 200 and len(r.read()) > 1000
        assert r.headers["X-Attnviz-Replica"] == "nginx"  # no replica was asked
        assert r.headers["Content-Type"].startswith("application/javascript")
        assert "immutable" in r.headers["Cache-Control"]


def test_sigterm_stops_nginx_and_replicas(lecture_hall):
    proc, _, replica_ports, port = lecture_hall
    assert all(listening(p) for p in (port, *replica_ports))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(listening(p) for p in (port, *replica_ports)):
        time.sleep(0.2)
    assert not any(listening(p) for p in (port, *replica_ports))
