"""The teacher's secret never stays in the projector's address bar: in headless Chromium, the class screen's
address and history lose `teach=`, a reload stays the class screen (the browser's cookie, checked by the
server), and a wrong secret in the link or the cookie opens nothing. Runs against the tiny fixture models.
Run: pytest tests/e2e/test_teacher_secret.py -m e2e
"""
from __future__ import annotations

import pytest

from attnviz import pagebench as pb

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 60_000
FIRST_MS = 300_000  # a cold server on a busy 2-core machine: imports and models before the first page
NO_TEACH = "() => !new URLSearchParams(location.search).has('teach')"


@pytest.fixture(scope="module")
def class_url(chromium, tiny_models_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("teacher-secret")
    env = {"ATTNVIZ_MODELS_DIR": str(tiny_models_dir), "ATTNVIZ_DATA_DIR": str(tmp / "data"),
           "ATTNVIZ_DATABASE_URL": ""}
    with pb.serve(pb.APP, log=tmp / "server.log", env=env) as (_, url):
        yield url


def console(page):
    return page.locator(".st-key-class_back button:visible").first


def test_the_secret_leaves_the_address_and_a_reload_keeps_the_class(chromium, class_url):
    projector = chromium.new_context(viewport={"width": 1920, "height": 1080})
    device = chromium.new_context(viewport={"width": 1400, "height": 1000})
    stranger = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = projector.new_page()
        page.goto(f"{class_url}/?class=new")
        page.locator(".av-class-code").wait_for(timeout=FIRST_MS)
        code = page.locator(".av-class-code").inner_text().strip()
        page.wait_for_function(NO_TEACH, timeout=TIMEOUT_MS)
        assert f"class={code}" in page.url and "teach" not in page.url
        page.get_by_text("Your teacher link").first.click()  # the full link only behind this reveal
        shown = page.locator("[data-testid=stPopoverBody] code").first
        shown.wait_for(timeout=TIMEOUT_MS)
        link = shown.inner_text().strip()
        secret = link.split("teach=")[1].split("&")[0]
        assert len(secret) >= 22 and f"class={code}" in link
        page.keyboard.press("Escape")
        page.reload()  # this browser kept the secret: the class screen again, no secret in the address
        console(page).wait_for(timeout=TIMEOUT_MS)
        assert "teach" not in page.url and secret not in page.url

        other = device.new_page()  # the teacher link on another device: opens, then drops the secret
        blank = other.evaluate("history.length")  # a new tab's about:blank
        other.goto(link.replace(link.split("/?")[0], class_url))
        console(other).wait_for(timeout=TIMEOUT_MS)
        other.wait_for_function(NO_TEACH, timeout=TIMEOUT_MS)
        other.wait_for_timeout(1000)
        assert other.evaluate("history.length") == blank + 1  # replaced, not pushed: Back cannot show it
        cookies = {c["name"]: c["value"] for c in device.cookies()}
        assert cookies.get(f"attnviz-teach-{code}") == secret
        other.reload()
        console(other).wait_for(timeout=TIMEOUT_MS)
        assert "teach" not in other.url

        forged = stranger.new_page()  # a wrong secret, in the link or in a cookie, opens nothing
        forged.goto(f"{class_url}/?class={code}&teach={'x' * 32}")
        forged.get_by_text("only the teacher's own link").first.wait_for(timeout=TIMEOUT_MS)
        assert console(forged).count() == 0
        stranger.add_cookies([{"name": f"attnviz-teach-{code}", "value": "y" * 32, "url": class_url}])
        forged.goto(f"{class_url}/?class={code}")
        forged.get_by_text("only the teacher's own link").first.wait_for(timeout=TIMEOUT_MS)
        assert console(forged).count() == 0 and secret not in forged.content()
    finally:
        for ctx in (projector, device, stranger):
            ctx.close()
