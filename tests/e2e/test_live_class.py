"""A live class in headless Chromium: a teacher at 1920×1080 and three phones at 390×844 against two
replicas behind nginx (deploy/serve; one replica when nginx is missing) sharing one store — SQLite,
and PostgreSQL when ATTNVIZ_TEST_DATABASE_URL names one. Runs against the tiny fixture models.
Run: pytest tests/e2e/test_live_class.py -m e2e
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attnviz import pagebench as pb

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

PG_URL = os.environ.get("ATTNVIZ_TEST_DATABASE_URL", "")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
COUNT = re.compile(r"(\d+) of (\d+) answered")


def _serve_replicas(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port, first = pb.free_port(), pb.free_port()
    while first + 1 == port or not pb.port_is_free(first + 1):
        first = pb.free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve"), "--replicas", "2", "--port", str(port),
                             "--first-port", str(first), "--nginx", NGINX], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True, start_new_session=True)
    if not pb.wait_for_ready(proc, 180):
        proc.kill()
        raise RuntimeError(log.read_text()[-3000:])
    return proc, f"http://127.0.0.1:{port}"



def _serve_one(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = pb.free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        pb.wait_healthy(url, proc)
    except Exception:
        proc.kill()
        raise
    return proc, url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hall(request, chromium, tiny_models_dir, tmp_path_factory):
    """The app for a class: (base url, how many replicas), on the store the parameter names."""
    if request.param == "postgres" and not PG_URL:
        pytest.skip("ATTNVIZ_TEST_DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it)")
    tmp = tmp_path_factory.mktemp(f"class-{request.param}")
    env = {**os.environ, "ATTNVIZ_MODELS_DIR": str(tiny_models_dir), "ATTNVIZ_DATA_DIR": str(tmp / "data"),
           "ATTNVIZ_DATABASE_URL": PG_URL if request.param == "postgres" else "", "OMP_NUM_THREADS": "1"}
    proc, url = (_serve_replicas if NGINX else _serve_one)(env, tmp / "server.log")
    yield url, 2 if NGINX else 1
    if NGINX:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    else:
        proc.terminate()
        proc.wait(timeout=30)


def visible(page, key: str):
    return page.locator(f".st-key-{key} button:visible").first


def answered(teacher) -> tuple[int, int]:
    text = teacher.locator("[data-testid=class-count]").inner_text()
    n, joined = COUNT.search(text).groups()
    return int(n), int(joined)


def wait_count(teacher, n: int, within: float) -> float:
    """Seconds until the projector says n answered (it refreshes itself: no reload, no click)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < within:
        try:
            if answered(teacher)[0] == n:
                return time.monotonic() - t0
        except (AttributeError, Exception):
            pass
        time.sleep(0.1)
    raise AssertionError(f"the projector did not show {n} answered within {within} s: {answered(teacher)}")


def options(page):
    return page.locator("[class*=st-key-phone_opt_] button:visible")


def test_a_class_with_three_phones(chromium, hall):
    url, replicas = hall
    teacher_ctx = chromium.new_context(viewport={"width": 1920, "height": 1080})
    contexts = [teacher_ctx]
    try:
        teacher = teacher_ctx.new_page()
        teacher.goto(f"{url}/?class=new")
        teacher.locator(".av-class-code").wait_for(timeout=TIMEOUT_MS)
        code = teacher.locator(".av-class-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{6}", code)
        teacher.wait_for_function("() => !new URLSearchParams(location.search).has('teach')", timeout=TIMEOUT_MS)
        secret = {c["name"]: c["value"] for c in teacher_ctx.cookies()}[f"attnviz-teach-{code}"]  # not in the URL
        assert len(secret) >= 22 and secret not in teacher.url
        qr = teacher.locator("[data-testid=class-qr]")
        assert qr.bounding_box()["width"] >= 300  # big on the projector
        assert teacher.locator(".av-class-link").inner_text().endswith(f"/?join={code}")

        phones, served_by = [], set()
        for i in range(3):
            ctx = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
            contexts.append(ctx)
            page = ctx.new_page()
            response = page.goto(f"{url}/?join={code}")
            served_by.add(response.headers.get("x-attnviz-replica", "one"))
            page.get_by_text("You are in").wait_for(timeout=TIMEOUT_MS)
            assert "teach" not in page.url and secret not in page.content()
            phones.append(page)
        phones[0].locator(".st-key-class_nick_box input").fill("<b>Mina</b>")
        phones[0].keyboard.press("Enter")

        visible(teacher, "class_ask_pick").click()
        asked = time.monotonic()
        teacher.locator("[data-testid=class-count]").wait_for(timeout=TIMEOUT_MS)
        for page in phones:  # the question arrives by itself: the phones poll, nobody reloads
            options(page).first.wait_for(timeout=TIMEOUT_MS)
        arrived = time.monotonic() - asked
        assert arrived <= 6, f"phones saw the question after {arrived:.1f} s (asked: within 3 s)"
        assert teacher.locator(".av-class-names").inner_text().count("<b>Mina</b>") == 1  # text, not markup

        n = options(phones[0]).count()
        assert n >= 2
        options(phones[0]).nth(0).click()
        options(phones[1]).nth(1).click()
        options(phones[2]).nth(0).click()
        options(phones[2]).nth(1 % n).click()  # changed mind: still one vote
        took = wait_count(teacher, 3, within=10)
        assert took <= 10 and answered(teacher)[0] == 3

        # a reload and a second tab on the same phone are the same student
        phones[0].reload()
        options(phones[0]).first.wait_for(timeout=TIMEOUT_MS)
        second = contexts[1].new_page()
        second.goto(f"{url}/?join={code}")
        second.wait_for_url(re.compile(r"me="), timeout=TIMEOUT_MS)
        options(second).first.wait_for(timeout=TIMEOUT_MS)
        assert re.search(r"me=([^&]+)", second.url).group(1) == re.search(r"me=([^&]+)", phones[0].url).group(1)
        options(second).nth(1 % n).click()
        time.sleep(3)
        assert answered(teacher)[0] == 3
        for page in phones:  # a phone is a phone: nothing wider than its screen
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        visible(teacher, "class_close").click()
        visible(teacher, "class_reveal").wait_for(timeout=TIMEOUT_MS)
        phones[1].get_by_text("The vote is closed").wait_for(timeout=TIMEOUT_MS)
        visible(teacher, "class_reveal").click()
        teacher.get_by_text("The model's answer").first.wait_for(timeout=TIMEOUT_MS)
        teacher.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)  # the class row on the heatmap
        assert teacher.locator(".av-class-shares").count() == 1
        for page in phones:
            page.get_by_text("The model's answer was").or_(page.get_by_text("Right!")).first.wait_for(
                timeout=TIMEOUT_MS)

        visible(teacher, "class_round2").click()
        for page in phones:
            page.get_by_text("Round 2").first.wait_for(timeout=TIMEOUT_MS)
            options(page).first.click()
        wait_count(teacher, 3, within=10)
        visible(teacher, "class_close").click()
        visible(teacher, "class_reveal").click()
        teacher.locator(".av-class-shares").nth(1).wait_for(timeout=TIMEOUT_MS)  # round 2 beside round 1

        visible(teacher, "class_end").click()
        visible(teacher, "class_end").click()
        teacher.get_by_text("The class has ended").wait_for(timeout=TIMEOUT_MS)
        with teacher.expect_download() as download:
            visible(teacher, "class_csv").click()
        text = Path(download.value.path()).read_text()
        assert text.startswith("question,kind,prompt") and "Mina" not in text
        phones[2].get_by_text("The class has ended").wait_for(timeout=TIMEOUT_MS)

        forged = contexts[2].new_page()  # a student who edits the link gets no console
        forged.goto(f"{url}/?class={code}&teach={'x' * 32}")
        forged.get_by_text("only the teacher's own link").wait_for(timeout=TIMEOUT_MS)
        assert visible(forged, "class_reveal").count() == 0
    finally:
        for ctx in contexts:
            ctx.close()
    assert replicas == 1 or served_by  # which replica served whom is nginx's coin flip; both share the store
