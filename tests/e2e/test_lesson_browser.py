"""The guided lesson in headless Chromium: Back/Next (buttons and arrow keys), predict then reveal with
the running tally, Korean as Hangul, nothing fetched from outside. Runs against the tiny fixture models.
Run: pytest tests/e2e/test_lesson.py -m e2e
"""
from __future__ import annotations

import re

import pytest

from attnviz.lesson import KEYS

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 30_000


@pytest.fixture
def lesson_page(open_page):
    """lesson_page(query) -> a page on the lesson; every request it makes is logged in page.requests."""
    return lambda query="", width=1400, height=1000: open_page(f"?view=lesson{query}", width, height)


def wait_stage(page, n: int, lang: str = "en") -> None:
    text = rf"^Stage {n} of \d+ · " if lang == "en" else rf"^활동 {n}/\d+ · "  # 활동: a lesson stage, not a step
    page.get_by_text(re.compile(text)).first.wait_for(timeout=TIMEOUT_MS)


def click(page, key: str) -> None:
    button = page.locator(f".st-key-{key} button").first
    button.scroll_into_view_if_needed()
    button.click()


def test_back_next_keys_and_predict_then_reveal(lesson_page):
    page = lesson_page()
    wait_stage(page, 1)
    assert page.locator(".st-key-lesson_prev button").is_disabled()
    click(page, "lesson_next")
    wait_stage(page, 2)
    click(page, "lesson_prev")
    wait_stage(page, 1)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no text box has the keys
    page.keyboard.press("ArrowRight")  # a presentation clicker's "next"
    wait_stage(page, 2)
    page.keyboard.press("ArrowLeft")
    wait_stage(page, 1)
    click(page, "lesson_next")
    wait_stage(page, 2)
    click(page, "lesson_next")
    wait_stage(page, 3)

    # stage 3: one button per English word, nothing revealed until one is picked
    page.get_by_text("Predict first.").first.wait_for(timeout=TIMEOUT_MS)
    options = page.locator("[class*='st-key-lesson_look_'] button")
    assert options.count() >= 2
    assert page.get_by_text(re.compile(r"^(Right|Not this time)\.")).count() == 0
    page.get_by_text(re.compile(r"Your predictions so far: none yet")).first.wait_for(timeout=TIMEOUT_MS)
    click(page, "lesson_look_0")
    verdict = page.get_by_text(re.compile(r"^(Right|Not this time)\.$")).first
    verdict.wait_for(timeout=TIMEOUT_MS)
    right = verdict.text_content().startswith("Right")
    page.get_by_text(re.compile(rf"Your predictions so far: {int(right)} of 1 right")).first.wait_for(
        timeout=TIMEOUT_MS)
    assert page.locator("[class*='st-key-lesson_look_'] button").count() == 0  # the answer stays revealed
    # the reveal is the real weights, the guess named on its bar
    page.locator(".js-plotly-plot").filter(has_text="your guess").first.wait_for(timeout=TIMEOUT_MS)

    click(page, "lesson_next")  # the tally follows the student to the next stage
    wait_stage(page, 4)
    page.get_by_text(re.compile(rf"Your predictions so far: {int(right)} of 1 right")).first.wait_for(
        timeout=TIMEOUT_MS)
    outside = [u for u in page.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))]
    assert outside == [], outside


def test_the_korean_lesson_renders_hangul(lesson_page):
    page = lesson_page("&lang=ko")
    wait_stage(page, 1, "ko")
    title = page.locator("h3").filter(has_text="어텐션 없는 인코더-디코더").first
    title.wait_for(timeout=TIMEOUT_MS)
    same_as_missing = page.evaluate("""(el) => {
        const font = getComputedStyle(el).fontFamily;
        const draw = (ch) => { const c = document.createElement('canvas'); c.width = 64; c.height = 64;
            const g = c.getContext('2d'); g.font = '40px ' + font; g.fillText(ch, 4, 48);
            return Array.from(g.getImageData(0, 0, 64, 64).data).join(','); };
        const missing = draw('\\uE000');  // a private-use character: no font has it, so it draws as tofu
        return ['인', '코', '더', '수', '업'].map(ch => draw(ch) === missing);
    }""", title.element_handle())
    assert same_as_missing == [False] * 5
    click(page, "lesson_next")
    wait_stage(page, 2, "ko")
    page.get_by_text("지금까지의 예측").first.wait_for(timeout=TIMEOUT_MS)


# ---------------------------------------------------------------- the lesson keeps its place, and Back works


def verdict(page):
    v = page.get_by_text(re.compile(r"^(Right|Not this time)\.$")).first
    v.wait_for(timeout=TIMEOUT_MS)
    return v.text_content().startswith("Right")


def test_back_and_forward_go_to_the_previous_stage_and_view(lesson_page):
    """Issue 14: the app wrote the address back; three presses of Back did nothing, the fourth left."""
    page = lesson_page()
    wait_stage(page, 1)
    click(page, "lesson_next")
    wait_stage(page, 2)
    click(page, "lesson_next")
    wait_stage(page, 3)
    page.go_back()
    wait_stage(page, 2)
    page.wait_for_function("() => new URLSearchParams(location.search).get('stage') === '2'", timeout=TIMEOUT_MS)
    page.go_back()
    wait_stage(page, 1)
    page.go_forward()
    wait_stage(page, 2)
    click(page, "lesson_next")
    wait_stage(page, 3)
    click(page, "lesson_look_0")  # a guess is not a place: Back goes to stage 2, not to stage 3 unanswered
    right = verdict(page)
    page.wait_for_function("() => location.search.includes('answers=')", timeout=TIMEOUT_MS)
    page.go_back()
    wait_stage(page, 2)
    page.go_forward()
    wait_stage(page, 3)
    assert verdict(page) == right  # still answered, counted once
    page.get_by_text(re.compile(rf"Your predictions so far: {int(right)} of 1 right")).first.wait_for(
        timeout=TIMEOUT_MS)
    page.locator(".st-key-view").get_by_role("radio", name="Translate", exact=True).click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => !location.search.includes('view=lesson')", timeout=TIMEOUT_MS)
    page.go_back()  # from the view switch back to the lesson, where it was
    wait_stage(page, 3)
    assert page.url.startswith(page.url.split("?")[0]) and "view=lesson" in page.url


def test_a_reload_keeps_the_stage_and_the_tally(lesson_page):
    page = lesson_page("&stage=3")
    wait_stage(page, 3)
    click(page, "lesson_look_0")
    right = verdict(page)
    page.wait_for_function("() => location.search.includes('answers=look')", timeout=TIMEOUT_MS)
    page.reload()
    wait_stage(page, 3)
    assert verdict(page) == right
    page.get_by_text(re.compile(rf"Your predictions so far: {int(right)} of 1 right")).first.wait_for(
        timeout=TIMEOUT_MS)
    assert page.locator("[class*='st-key-lesson_look_'] button").count() == 0  # no second guess


CUT_LABELS = """() => [...document.querySelectorAll("[class*='st-key-lesson_scorers_'] button")]
    .filter((b) => [b, ...b.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1))
    .map((b) => b.innerText)"""


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("width, height, extra", [(1920, 1080, ""), (1920, 1080, "&present=1"), (390, 844, "")])
def test_answer_buttons_show_their_whole_label(lesson_page, lang, width, height, extra):
    """Issue 14: "concat (Bahdan…", "no attention (b…" at 1920 wide with room to spare."""
    n = KEYS.index("scorers") + 1
    page = lesson_page(f"&stage={n}&lang={lang}{extra}", width, height)
    wait_stage(page, n, lang)
    buttons = page.locator("[class*='st-key-lesson_scorers_'] button")
    buttons.nth(3).wait_for(timeout=TIMEOUT_MS)  # Streamlit draws the buttons one by one: wait for the fourth
    assert buttons.count() == 4
    assert page.evaluate(CUT_LABELS) == []
    widest = page.evaluate("() => document.documentElement.scrollWidth")
    assert widest <= width  # nothing pushed off the side either
