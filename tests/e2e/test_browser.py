"""End to end in headless Chromium: type a sentence, see the heatmap, hover a cell, play the decoder back.

Runs against the tiny fixture models (fast, no training needed). Run: pytest tests/e2e -m e2e
An opt-in test (ATTNVIZ_README_SCREENSHOT=1) retakes docs/screenshot.png with the real models.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e

TIMEOUT_MS = 30_000
HEATMAP = ".js-plotly-plot"


def type_sentence(page, text: str) -> None:
    box = page.get_by_label("English sentence", exact=True).and_(page.locator("input"))
    box.fill(text)
    box.press("Enter")


def wait_for_source(page, token: str) -> None:
    """Wait until the page shows `token` among the English words as the model reads them."""
    page.get_by_text("English, as the model reads it").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("code", has_text=re.compile(rf"^{re.escape(token)}\*?$")).first.wait_for(timeout=TIMEOUT_MS)


def open_view(page, label: str) -> None:
    """Click a view in the view switch (a segmented control)."""
    page.locator(".st-key-view").get_by_role("radio", name=label, exact=True).click()


def heatmap_cell_center(page, row: int, col: int) -> tuple[float, float]:
    """Screen position of a heatmap cell: under its English tick label, level with its French one."""
    plot = page.locator(HEATMAP).first
    x = plot.locator("g.xtick").nth(col).bounding_box()
    y = plot.locator("g.ytick").nth(row).bounding_box()
    area = plot.locator(".nsewdrag").first.bounding_box()
    return x["x"] + x["width"] / 2, max(y["y"] + y["height"] / 2, area["y"] + 2)


def test_translate_hover_and_play_back(page, tmp_path):
    page.locator(HEATMAP).first.wait_for(timeout=TIMEOUT_MS)
    type_sentence(page, "Where is my car?")
    wait_for_source(page, "Where")

    # the heatmap is drawn, with the English words on its x axis
    plot = page.locator(HEATMAP).first
    plot.locator(".heatmaplayer").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => [...document.querySelector('.js-plotly-plot').querySelectorAll('g.xtick')].map(t => t.textContent)"
        ".join(' ') === 'Where is my car ?'", timeout=TIMEOUT_MS)
    assert plot.locator("g.ytick").count() >= 1
    assert plot.locator(".colorbar").count() == 1
    # plotly.js has the figure's data revision (views/common.DATA_REVISION), so it draws the chart once
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').layout.datarevision") == "spec"

    # hovering a cell shows both words, the weight and the raw score
    x, y = heatmap_cell_center(page, row=0, col=3)
    page.mouse.move(x, y)
    tip = page.locator(".hoverlayer .hovertext").first
    tip.wait_for(timeout=TIMEOUT_MS)
    text = tip.text_content()
    assert "English: car" in text and "French:" in text
    assert re.search(r"weight: [01]\.\d{3}", text) and re.search(r"raw score: -?\d+\.\d{3}", text)
    page.screenshot(path=str(tmp_path / "translate.png"), full_page=True)

    # step the decoder forward
    open_view(page, "Step by step")
    page.get_by_text(re.compile(r"^Step 1 of \d+\.$")).first.wait_for(timeout=TIMEOUT_MS)
    page.locator(".st-key-next button:visible").click()
    page.get_by_text(re.compile(r"^Step 2 of \d+\.$")).first.wait_for(timeout=TIMEOUT_MS)

    # Play advances on its own; Pause stops it
    page.locator(".st-key-play button:visible").click()
    page.get_by_text(re.compile(r"^Step 4 of \d+\.$")).first.wait_for(timeout=TIMEOUT_MS)
    page.locator(".st-key-play button:visible").click()
    page.get_by_role("button", name="Play").wait_for(timeout=TIMEOUT_MS)
    shown = page.get_by_text(re.compile(r"^Step \d+ of \d+\.$")).first.text_content()
    page.wait_for_timeout(3000)
    assert page.get_by_text(re.compile(r"^Step \d+ of \d+\.$")).first.text_content() == shown
    page.screenshot(path=str(tmp_path / "steps.png"), full_page=True)


def test_bad_input_keeps_the_page_usable(page):
    page.locator(HEATMAP).first.wait_for(timeout=TIMEOUT_MS)
    type_sentence(page, "<script>window.hacked = 1</script> " + "word " * 60)
    page.get_by_text(re.compile("only the first 30")).first.wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.hacked === undefined")
    assert page.locator("text=Traceback").count() == 0
    type_sentence(page, "")
    page.get_by_text("Type an English sentence above").first.wait_for(timeout=TIMEOUT_MS)


@pytest.mark.skipif(not os.environ.get("ATTNVIZ_README_SCREENSHOT"), reason="set ATTNVIZ_README_SCREENSHOT=1")
def test_readme_screenshots(chromium, serve):
    """docs/*.png with the real models in models/, at a classroom-friendly 1400 px width."""
    url = serve(ROOT / "models")
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.goto(url)
    page.locator(HEATMAP).first.wait_for(timeout=120_000)
    type_sentence(page, "I see the white car.")  # the README's caption names this sentence
    wait_for_source(page, "white")
    page.get_by_label("English sentence", exact=True).and_(page.locator("input")).blur()
    page.wait_for_timeout(1500)  # let plotly finish drawing
    docs = ROOT / "docs"
    page.screenshot(path=str(docs / "screenshot.png"))

    open_view(page, "Step by step")
    for k in (2, 3, 4):  # "voiture": looks at "car"
        page.locator(".st-key-next button:visible").click()
        page.get_by_text(re.compile(rf"^Step {k} of \d+\.$")).first.wait_for(timeout=TIMEOUT_MS)
    page.set_viewport_size({"width": 1400, "height": 2300})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(docs / "step-by-step.png"))

    open_view(page, "Compare scorers")
    page.locator(".st-key-quality_charts label").first.click()  # the quality charts wait for their toggle
    page.locator(".stVegaLiteChart, [data-testid='stVegaLiteChart']").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(2000)
    page.screenshot(path=str(docs / "compare.png"))

    context.close()
    context = chromium.new_context(viewport={"width": 1400, "height": 1100}, device_scale_factor=2)  # crisp cells
    page = context.new_page()
    page.goto(url + "/?model=transformer&sentence=The+white+car+is+fast.")
    page.locator(".st-key-heads_all summary").first.click()  # Translate's "All heads" grid
    grid = page.locator(".st-key-heads_all").first
    grid.locator(".js-plotly-plot .heatmaplayer").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    grid.screenshot(path=str(docs / "heads.png"))
    context.close()
    for name in ("screenshot.png", "step-by-step.png", "compare.png", "heads.png"):
        assert (docs / name).stat().st_size > 50_000
