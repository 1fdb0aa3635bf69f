"""Browser fixtures: `streamlit run app.py` on a free port, and headless Chromium driven by Playwright.

Like Streamlit's own e2e_playwright/conftest.py: start the server, poll /_stcore/health, then drive
the page. Chromium comes from the system (/usr/bin/chromium); without it these tests skip.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ATTNVIZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {STARTUP_SECONDS} s")


def start_app(models_dir: Path, log: Path):
    """Start the app on a free port; returns (process, base url)."""
    port = free_port()
    env = {**os.environ, "ATTNVIZ_MODELS_DIR": str(models_dir), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
    except Exception:
        proc.kill()
        raise
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def serve(tmp_path_factory):
    """serve(models_dir) -> base url of a running app; every server is stopped at the end."""
    procs = []

    def _serve(models_dir: Path) -> str:
        proc, url = start_app(models_dir, tmp_path_factory.mktemp("streamlit") / "server.log")
        procs.append(proc)
        return url

    yield _serve
    for proc in procs:
        stop(proc)


@pytest.fixture(scope="session")
def app_url(chromium, serve, tiny_models_dir):
    """The app, serving the tiny fixture models."""
    return serve(tiny_models_dir)


@pytest.fixture
def page(chromium, app_url):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.goto(app_url)
    yield pg
    context.close()


@pytest.fixture
def open_page(chromium, app_url):
    """open_page(query, width, height, zoom) -> page; every request it makes is logged in page.requests."""
    contexts = []

    def _open(query: str = "", width: int = 1400, height: int = 1000, zoom: float = 1.0):
        ctx = chromium.new_context(viewport={"width": int(width / zoom), "height": int(height / zoom)},
                                   device_scale_factor=zoom)
        contexts.append(ctx)
        page = ctx.new_page()
        page.requests = []
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(f"{app_url}/{query}")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
