"""Presenter mode for the back row and the misbehaviours a new user found (issue 14, sections 3 and 4),
in headless Chromium: what only a browser shows (layout, clipping, the clipboard, pointing, phones)."""
from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 30_000
SENTENCE = "She%20reads%20a%20red%20book."


def settled(page) -> None:
    """The script has run and the heatmap is drawn."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=TIMEOUT_MS)
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for(timeout=TIMEOUT_MS)
    time.sleep(0.8)  # the viewport report's rerun, Plotly's second layout


def box(page, selector: str) -> tuple[int, int, int, int]:
    b = page.locator(selector).first.bounding_box()
    return round(b["x"]), round(b["y"]), round(b["width"]), round(b["height"])


def same_place(a: list, b: list, slack: int = 2) -> bool:
    """The same boxes, give or take sub-pixel rounding."""
    return all(abs(x - y) <= slack for p, q in zip(a, b) for x, y in zip(p, q))


def click_at(page, locator) -> None:
    """Click where the element is drawn (Plotly's layers lie over its tick labels, as for a real pointer)."""
    b = locator.bounding_box()
    page.mouse.click(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)


def unscrolled(page) -> bool:
    return page.evaluate("() => { const m = document.querySelector('[data-testid=stMain]');"
                         " return m.scrollHeight <= m.clientHeight + 4; }")


def test_play_and_pause_move_nothing_and_use_icons_that_render(open_page):
    page = open_page(f"?present=1&view=steps&sentence={SENTENCE}", 1920, 1080)
    settled(page)
    before = [box(page, sel) for sel in (".st-key-fill", ".st-key-states", ".st-key-context")]
    play = page.locator(".st-key-play button:visible").first
    assert play.locator('[data-testid="stIconMaterial"]').inner_text() == "play_arrow"
    page.keyboard.press(" ")
    page.locator(".st-key-play button:visible", has_text="Pause").first.wait_for(timeout=TIMEOUT_MS)
    time.sleep(1.5)
    assert same_place([box(page, sel) for sel in (".st-key-fill", ".st-key-states", ".st-key-context")], before)
    assert play.locator('[data-testid="stIconMaterial"]').inner_text() == "pause"
    page.keyboard.press(" ")
    page.locator(".st-key-play button:visible", has_text="Play").first.wait_for(timeout=TIMEOUT_MS)
    time.sleep(1.0)
    assert same_place([box(page, sel) for sel in (".st-key-fill", ".st-key-states", ".st-key-context")], before)
    # the icon font is Streamlit's own (no emoji font on the machine, nothing fetched from outside)
    assert page.evaluate("() => document.fonts.check('20px \"Material Symbols Rounded\"')")
    base = page.url.split("/?")[0]
    assert not [u for u in page.requests if u.startswith("http") and not u.startswith(base)]


@pytest.mark.parametrize("view", ["steps", "translate", "compare"])
@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_presenter_views_fit_the_screen_and_the_colour_bar_is_whole(open_page, view, size):
    page = open_page(f"?present=1&view={view}&sentence={SENTENCE}", *size)
    settled(page)
    page.wait_for_function("() => { const m = document.querySelector('[data-testid=stMain]');"
                           " return m.scrollHeight <= m.clientHeight + 4; }", timeout=TIMEOUT_MS)
    clipped = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((plot) => {
        const svg = plot.querySelector('svg.main-svg').getBoundingClientRect();
        return [...plot.querySelectorAll('.colorbar text')].filter((t) => t.getBoundingClientRect().right > svg.right + 1)
            .map((t) => t.textContent);
    })""")
    assert clipped == []  # "weight" and "0.75", not "weig" and "0.7"
    assert unscrolled(page)


def test_presenter_sentence_box_translates_without_leaving(open_page):
    page = open_page("?present=1", 1920, 1080)
    settled(page)
    page.locator(".st-key-present_sentence button").first.click()
    box_ = page.get_by_label("English sentence", exact=True).and_(page.locator("input"))
    box_.fill("She reads a red book.")  # not the default sentence, which the link leaves out
    box_.press("Enter")
    page.wait_for_function("() => /sentence=She(\\+|%20)reads/.test(location.search)", timeout=TIMEOUT_MS)
    assert page.locator('[data-testid="stSidebar"]').count() == 0 or not page.locator(
        '[data-testid="stSidebar"]').is_visible()
    assert "present=1" in page.url


@pytest.mark.parametrize("phone", [False, True])
def test_copy_link_copies_with_one_tap_and_says_so(chromium, app_url, phone):
    size = {"width": 390, "height": 844} if phone else {"width": 1400, "height": 1000}
    ctx = chromium.new_context(viewport=size, has_touch=phone, is_mobile=phone)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    page = ctx.new_page()
    try:
        page.goto(f"{app_url}/?view=steps&step=2&sentence={SENTENCE}")
        settled(page)
        if phone:  # the sidebar is folded away on a phone: open it as a student would
            page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
                         ).first.tap()
        button = page.locator("button.av-copy-button")
        button.wait_for(state="visible", timeout=TIMEOUT_MS)
        button.tap() if phone else button.click()
        page.locator(".av-copy-note", has_text="Link copied").wait_for(timeout=TIMEOUT_MS)
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == page.url and "view=steps" in copied and "step=2" in copied
    finally:
        ctx.close()


def test_clicking_a_word_outlines_its_column_and_a_french_word_its_row(open_page):
    page = open_page(f"?present=1&sentence={SENTENCE}", 1920, 1080)
    settled(page)
    plot = page.locator(".st-key-heatmap .js-plotly-plot")
    area = plot.locator(".nsewdrag").first.bounding_box()
    words = plot.locator("g.xtick text")
    n = words.count()
    click_at(page, words.nth(2))
    mark = plot.locator(".av-point")
    mark.wait_for(timeout=TIMEOUT_MS)
    b = mark.bounding_box()
    assert abs(b["width"] - area["width"] / n) < 3 and abs(b["height"] - area["height"]) < 3
    assert abs(b["x"] - (area["x"] + 2 * area["width"] / n)) < 3
    rows = plot.locator("g.ytick text")
    click_at(page, rows.nth(1))  # a French word: its row instead
    page.wait_for_function("() => { const m = document.querySelector('.st-key-heatmap .av-point');"
                           " return m && m.getBoundingClientRect().width > 300; }", timeout=TIMEOUT_MS)
    click_at(page, rows.nth(1))  # the same word again: cleared
    page.wait_for_function("() => !document.querySelector('.st-key-heatmap .av-point')", timeout=TIMEOUT_MS)


def test_leaving_step_by_step_pauses_playback(open_page):
    page = open_page(f"?view=steps&sentence={SENTENCE}", 1400, 1000)
    settled(page)
    page.locator(".st-key-play button:visible").first.click()
    page.locator(".st-key-play button:visible", has_text="Pause").first.wait_for(timeout=TIMEOUT_MS)
    page.locator(".st-key-view").get_by_role("radio", name="Translate", exact=True).click()
    page.wait_for_function("() => !location.search.includes('view=steps')", timeout=TIMEOUT_MS)
    left = re.search(r"step=(\d+)", page.url)
    time.sleep(4)  # three steps' worth of playback, had it kept running
    page.locator(".st-key-view").get_by_role("radio", name="Step by step", exact=True).click()
    page.locator(".st-key-play button:visible", has_text="Play").first.wait_for(timeout=TIMEOUT_MS)
    time.sleep(1)
    now = re.search(r"step=(\d+)", page.url)
    assert (now and now.group(1)) == (left and left.group(1))



def test_next_moves_the_address_the_shown_link_and_back_with_it(open_page):
    """Next reruns the step's fragment alone (views/steps.py): the address bar, the link under "Show the
    link" and the browser's Back still follow the step."""
    page = open_page(f"?view=steps&sentence={SENTENCE}", 1400, 1000)
    settled(page)
    for k in (2, 3):
        page.locator(".st-key-next button:visible").first.click()
        page.get_by_text(re.compile(rf"^Step {k} of \d+\.$")).first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(f"() => location.search.includes('step={k}')", timeout=TIMEOUT_MS)
    page.locator("[data-testid=stSidebar] [data-testid=stPopover] button").first.click()
    link = page.locator("code.av-link").first
    link.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => document.querySelector('code.av-link').textContent === location.href",
                           timeout=TIMEOUT_MS)
    assert "step=3" in link.inner_text()
    page.keyboard.press("Escape")
    page.go_back()
    page.get_by_text(re.compile(r"^Step 2 of \d+\.$")).first.wait_for(timeout=TIMEOUT_MS)
    assert "step=2" in page.url

def test_phone_toolbar_does_not_cover_titles(chromium, app_url):
    ctx = chromium.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = ctx.new_page()
    try:
        page.goto(f"{app_url}/?sentence={SENTENCE}")
        settled(page)
        plot = page.locator(".st-key-heatmap .js-plotly-plot")
        plot.tap()
        shown = page.evaluate("() => [...document.querySelectorAll('.modebar-container')]"
                              ".some((m) => getComputedStyle(m).display !== 'none')")
        assert not shown
    finally:
        ctx.close()


def overlap(a: tuple, b: tuple) -> bool:
    """Whether two (x, y, width, height) boxes share any area."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080), (390, 844)])
def test_start_a_class_covers_none_of_the_top_row(open_page, width, height):
    """It takes its own place in the top row: never over the views, the sentence button or Exit."""
    page = open_page(f"?present=1&view=steps&model=transformer&sentence={SENTENCE}", width, height)
    settled(page)
    start = box(page, ".st-key-class_start button >> visible=true")
    for other in (".st-key-view", ".st-key-present_sentence button >> visible=true",
                  ".st-key-exit_present button >> visible=true"):
        assert not overlap(start, box(page, other)), other


def test_start_a_class_scrolls_away_with_the_top_row(open_page):
    """It sits in the top row; scrolled down to the heads, it moves with that row, never over the figures."""
    page = open_page(f"?present=1&model=transformer&sentence={SENTENCE}", 1280, 720)
    settled(page)
    page.locator(".st-key-heads_all summary").click()
    page.locator(".st-key-heads_all_fig .js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    before, views = box(page, ".st-key-class_start"), box(page, ".st-key-view")
    page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollBy(0, 300)")
    time.sleep(0.3)
    scrolled = views[1] - box(page, ".st-key-view")[1]  # as far as the page could scroll, at most 300 px
    assert scrolled > 150
    assert abs(before[1] - box(page, ".st-key-class_start")[1] - scrolled) <= 2  # moved with the row


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080), (390, 844)])
def test_the_model_notes_close_button_stays_on_its_line(open_page, width, height):
    """The ✕ sits beside the note at every width (it wrapped to a line of its own at 1280x720 and on a
    phone), and closing the note keeps the sentence."""
    page = open_page(f"?sentence={SENTENCE}", width, height)
    settled(page)
    text = box(page, ".st-key-model_note [data-testid=stCaptionContainer]")
    close = box(page, ".st-key-model_note_close >> visible=true")
    middle = close[1] + close[3] / 2
    assert text[1] <= middle <= text[1] + text[3], (text, close)  # level with the text, not below it
    assert close[0] >= text[0] + text[2] - 2, (text, close)  # after it on that line
    page.locator(".st-key-model_note_close button >> visible=true").click()
    page.locator(".st-key-model_note").wait_for(state="detached", timeout=TIMEOUT_MS)
    assert page.locator(".st-key-sentence input").input_value() == "She reads a red book."
