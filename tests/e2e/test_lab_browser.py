"""The decoding lab in headless Chromium: pick another top word, see the beam tree, download a CSV and a PNG.

Runs against the tiny fixture models. Run: pytest tests/e2e/test_lab.py -m e2e
"""
from __future__ import annotations

import csv
import io
import re

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 30_000
PLOT = ".js-plotly-plot"
SENTENCE = "She reads a red book."
STEM = "dot-she-reads-a-red-book"


def open_page(chromium, app_url: str, query: str):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{app_url}/?model=dot&sentence={SENTENCE.replace(' ', '+')}{query}")
    page.locator(PLOT).first.wait_for(timeout=TIMEOUT_MS)
    return context, page


MAIN_H3 = "[data-testid='stMain'] h3"  # the translation (the sidebar has an h3 of its own)


def headline(page) -> str:
    return page.locator(MAIN_H3).first.inner_text()



def camera_download(page):
    """Click the first chart's camera button (Plotly's modebar) and return the download."""
    plot = page.locator(PLOT).first
    plot.hover()
    with page.expect_download(timeout=TIMEOUT_MS) as got:
        plot.locator(".modebar-btn[data-title^='Download plot']").first.click()
    return got.value


def test_picking_another_top_word_changes_the_translation(chromium, app_url):
    context, page = open_page(chromium, app_url, "")
    try:
        before = headline(page)
        page.locator(".st-key-lab summary").click()  # the lab's expander: drawn only while open
        # the model's own word is the checked pill; another one forces a word
        pick = page.locator(".st-key-lab_pick button[aria-checked='false']").first
        word = re.sub(r" \([0-9.]+\)$", "", pick.inner_text())
        pick.click()
        page.get_by_text("Chosen by you").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(f"b => document.querySelector(\"{MAIN_H3}\").innerText !== b", arg=before,
                               timeout=TIMEOUT_MS)
        assert headline(page).lower().startswith(word.lower().rstrip("'"))
        assert "prefix=" in page.url  # the link reproduces the edit
        ticks = page.locator(PLOT).first.locator("g.ytick").evaluate_all("els => els.map(e => e.textContent)")
        assert ticks[0].startswith("✎")  # the forced step is marked in the heatmap
    finally:
        context.close()


def test_beam_tree_is_drawn(chromium, app_url):
    context, page = open_page(chromium, app_url, "&beam=3")
    try:
        page.get_by_text("Show the attention of hypothesis").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot text')].some(t => t.textContent === 'start')",
            timeout=TIMEOUT_MS)
        tree = page.locator(PLOT, has=page.locator("text", has_text=re.compile("^start$"))).first
        legend = tree.locator("g.legend").first.text_content()
        assert "kept" in legend and "finished (end)" in legend
    finally:
        context.close()


def test_csv_and_png_downloads_are_named_and_hold_the_right_content(chromium, app_url):
    context, page = open_page(chromium, app_url, "")
    try:
        with page.expect_download(timeout=TIMEOUT_MS) as got:
            page.get_by_role("button", name="⬇ CSV").click()
        csv_file = got.value
        assert csv_file.suggested_filename == f"attention-{STEM}.csv"
        rows = list(csv.DictReader(io.StringIO(open(csv_file.path(), encoding="utf-8").read())))
        assert list(rows[0]) == ["step", "french_word", "english_word", "score", "weight"]
        assert [r["english_word"] for r in rows[:6]] == ["She", "reads", "a", "red", "book", "."]
        assert rows[-1]["french_word"] == "<eos>" and len(rows) % 6 == 0
        assert abs(sum(float(r["weight"]) for r in rows if r["step"] == "1") - 1) < 1e-4

        png = camera_download(page)
        assert png.suggested_filename == f"attention-{STEM}.png"
        assert open(png.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"

        page.get_by_text("SVG", exact=True).click()  # the format the camera button saves
        page.wait_for_timeout(1500)
        svg = camera_download(page)
        assert svg.suggested_filename == f"attention-{STEM}.svg"
        text = open(svg.path(), encoding="utf-8").read()
        assert text.lstrip().startswith("<svg") and SENTENCE in text  # titled with the sentence
    finally:
        context.close()


def test_standalone_html_is_titled_and_works_offline(chromium, app_url, tmp_path):
    context, page = open_page(chromium, app_url, "")
    try:
        with page.expect_download(timeout=TIMEOUT_MS) as got:
            page.get_by_role("button", name="⬇ HTML").click()
        assert got.value.suggested_filename == f"attention-{STEM}.html"
        path = tmp_path / got.value.suggested_filename
        got.value.save_as(path)
    finally:
        context.close()
    offline = chromium.new_context(offline=True)
    page = offline.new_page()
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    try:
        page.goto(path.as_uri())
        page.locator(f"{PLOT} .heatmaplayer").first.wait_for(timeout=TIMEOUT_MS)
        assert SENTENCE in page.title() and "dot" in page.title()
        page.locator(PLOT).first.hover()
        titles = page.locator(".modebar-btn").evaluate_all("els => els.map(e => e.dataset.title)")
        assert any(t.startswith("Download plot") for t in titles)
        assert not [t for t in titles if "Chart Studio" in t or "cloud" in t.lower()]
        assert [u for u in asked if not u.startswith(("file:", "data:", "blob:"))] == []
    finally:
        offline.close()
