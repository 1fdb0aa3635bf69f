"""The class screen's layout in headless Chromium, on a phone (390×844, where the count wrapped onto two
lines and the join link was cut) and on 1280×720 and 1920×1080 projectors (where the code ran out of its
column). Runs against the tiny fixture models. Run: pytest tests/e2e/test_class_layout.py -m e2e
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 30_000
FITS = """(el) => el.scrollWidth <= el.clientWidth + 1
                 && el.getBoundingClientRect().right <= document.documentElement.clientWidth + 1"""
LINES = "(el) => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))"


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 720), (1920, 1080)])
def test_the_class_screen_fits_the_window(open_page, width, height):
    page = open_page("?class=new", width, height)
    code = page.locator(".av-class-code")
    code.wait_for(timeout=TIMEOUT_MS)
    link = page.locator(".av-class-link")
    assert code.evaluate(FITS) and link.evaluate(FITS)
    assert code.evaluate(LINES) == 1
    assert link.evaluate(LINES) <= 2  # the host, then ?join=CODE: never broken inside the code
    assert link.locator("span").evaluate("(el) => el.getClientRects().length") == 1
    assert link.inner_text().replace("\n", "").endswith(f"/?join={code.inner_text().strip()}")
    if width > 640:  # a projector: the code is on screen before the first question, below the QR code
        assert code.bounding_box()["y"] + code.bounding_box()["height"] <= height
    page.locator(".st-key-class_ask_pick button:visible").click()
    count = page.locator("[data-testid=class-count]")
    count.wait_for(timeout=TIMEOUT_MS)
    assert count.evaluate(LINES) == 1 and count.evaluate(FITS)  # "0 of 0 answered" on one line
    assert page.evaluate("document.documentElement.scrollWidth") <= width
