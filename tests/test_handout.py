"""The teacher's kit (attnviz/handout.py): the printable worksheet and the class script, built from the
lesson's STAGES, the message catalogue and real traces of the bundled models, in both languages."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attnviz import handout, lesson
from attnviz.__main__ import main as cli
from attnviz.checkpoint import DEFAULT_MODELS_DIR, BundleError, load_all
from attnviz.i18n import LANGS, catalogue, messages

APP = str(Path(__file__).resolve().parent.parent / "app.py")
BREAK = '<section class="answers">'
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")


@pytest.fixture(scope="module")
def bundles():
    try:
        return load_all(DEFAULT_MODELS_DIR)
    except (BundleError, OSError) as e:  # a bundle being rewritten by training right now
        pytest.skip(f"bundled models do not load: {e}")


@pytest.fixture(scope="module")
def cards(bundles):
    return {name: b.card for name, b in bundles.items()}


@pytest.fixture(scope="module", params=LANGS)
def sheet(request, bundles, cards):
    lang = request.param
    return lang, handout.handout_html(lang, handout.bundle_traces(bundles), cards)


def questions(bundles, cards, stages=lesson.STAGES) -> dict[str, lesson.Question]:
    traces_for = handout.bundle_traces(bundles)
    out = {}
    for stage in stages:
        q = lesson.question_for(stage, traces_for(stage), cards)
        if q is not None:
            out[stage.key] = q
    return out


def visible(doc: str) -> str:
    """The document's text as a reader sees it: no style sheet, no tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", doc, flags=re.S)))


def sections(part: str) -> dict[str, str]:
    """Each stage's <section> of the worksheet, by stage key."""
    return dict(re.findall(r'<section class="stage" id="stage-([^"]+)">(.*?)</section>', part, flags=re.S))


def test_every_stage_appears_in_order_with_its_title(sheet):
    lang, doc = sheet
    worksheet = doc.split(BREAK)[0]
    m = messages(lang)
    assert list(sections(worksheet)) == list(lesson.KEYS)
    at = [worksheet.index(html.escape(m(f"lesson.{key}.title"), quote=True)) for key in lesson.KEYS]
    assert at == sorted(at)
    assert f'<html lang="{lang}">' in doc


def test_a_blank_box_and_the_options_for_each_prediction(sheet, bundles, cards):
    lang, doc = sheet
    m = messages(lang)
    qs = questions(bundles, cards)
    assert len(qs) >= 3
    found = sections(doc.split(BREAK)[0])
    for key, text in found.items():
        if key in qs:
            assert text.count('class="box"') == 1, key
            options = re.findall(r'<li><span class="tick"></span>(.*?)</li>', text)
            assert [html.unescape(o) for o in options] == [handout.option_label(m, qs[key], o) for o in qs[key].options]
        else:
            assert 'class="box"' not in text, key
    assert doc.count('class="box"') == len(qs)


def test_the_answers_come_only_after_the_page_break(sheet, bundles, cards):
    lang, doc = sheet
    m = messages(lang)
    assert doc.count(BREAK) == 1
    css = re.search(r"\.answers \{([^}]*)\}", doc).group(1)
    assert "break-before: page" in css and "page-break-before: always" in css
    worksheet, answers = doc.split(BREAK)
    qs = questions(bundles, cards)
    assert worksheet.count('class="answer"') == 0 and m("handout.answer_mark") not in visible(worksheet)
    for key, q in qs.items():
        line = handout.fill(m, handout._kind_key(lang, "answer", q.kind), handout.answer_values(m, q), lang)
        assert line and line not in worksheet and line in answers, key
        assert f'id="answer-{key}"' in answers
    # A word that answers a question is left blank wherever a later stage's text would name it (the
    # question's own stage may name its options: "When the model writes `Kenji`, …").
    found = sections(worksheet)
    for j, key in enumerate(lesson.KEYS):
        if key in qs and qs[key].kind in ("source", "next_word"):
            word = f"<code>{html.escape(qs[key].options[qs[key].answer])}</code>"
            for later in lesson.KEYS[j + 1:]:
                assert word not in found[later], (key, later)


def test_no_placeholder_is_left_unfilled_and_the_page_works_offline(sheet):
    lang, doc = sheet
    assert PLACEHOLDER.findall(visible(doc)) == []
    assert "\ue000" not in doc and "____" in visible(doc)  # markers all replaced; the intro explains blanks
    for outside in ("<script", "<link", "@import", "url(", "http://", "https://", "<img", "@font-face"):
        assert outside not in doc.lower(), outside
    assert "@page" in doc and "break-inside: avoid" in doc


def test_korean_uses_the_lesson_words(bundles, cards):
    doc = handout.handout_html("ko", handout.bundle_traces(bundles), cards)
    text = visible(doc)
    assert "활동 1 · " in text and "단계 1" not in text
    assert "소프트맥스 가중치" in text and "정답 (교사용)" in text


def test_user_text_is_escaped(bundles, cards):
    stage = lesson.Stage("look", 'I am <b>very</b> & "tired".', step=1, question="source")
    for lang in LANGS:
        doc = handout.handout_html(lang, handout.bundle_traces(bundles), cards, stages=(stage,))
        assert "<b>" not in doc and "</b>" not in doc
        assert "&lt;" in doc and "&amp;" in doc


def test_a_stage_added_to_the_lesson_appears_without_new_code(bundles, cards):
    """Stages come from lesson.STAGES at run time: a new one (here without words in the catalogue yet)
    gets its section, its options and its box, and nothing unfilled."""
    new = lesson.Stage("copy_test", "Tom sees Paris.", question="source")
    stages = (*lesson.STAGES, new)
    qs = questions(bundles, cards, stages)
    for lang in LANGS:
        doc = handout.handout_html(lang, handout.bundle_traces(bundles), cards, stages=stages)
        found = sections(doc.split(BREAK)[0])
        assert list(found) == [s.key for s in stages]
        assert ("copy_test" in qs) == ('class="box"' in found["copy_test"])
        assert "Tom sees Paris." in html.unescape(found["copy_test"])
        assert PLACEHOLDER.findall(visible(doc)) == []


def test_the_class_script_fits_ten_minutes_and_names_every_stage(bundles, cards):
    traces_for = handout.bundle_traces(bundles)
    sheets = handout.prepare("en", traces_for, cards)
    secs = handout.timings(sheets)
    assert sum(secs) + handout.OPEN_SECONDS + handout.CLOSE_SECONDS == 600
    assert all(s % handout.GRAIN == 0 and s >= handout.GRAIN for s in secs)
    asked = [s for s, sh in zip(secs, sheets) if sh.question is not None]
    shown = [s for s, sh in zip(secs, sheets) if sh.question is None]
    assert min(asked) >= max(shown)  # the predictions get the time
    for lang in LANGS:
        m = messages(lang)
        page = handout.script_html(lang, traces_for, cards)
        md = handout.script_markdown(lang, traces_for, cards)
        for key in lesson.KEYS:
            assert m(f"lesson.{key}.title") in html.unescape(page) and m(f"lesson.{key}.title") in md
        assert "0:00–1:00" in page and "9:00–10:00" in page and "| 9:00–10:00 |" in md
        assert PLACEHOLDER.findall(visible(page)) == [] and PLACEHOLDER.findall(md) == []
        assert f"/?view=lesson&amp;present=1&amp;lang={lang}" in page


def test_fill_leaves_out_a_template_it_cannot_fill_and_escapes_values():
    m = messages("en")
    assert handout.fill(m, "lesson.look.body", {"sentence": handout.Word("x")}, "en") is None
    out = handout.fill(m, "handout.sentence", {"sentence": handout.Word("<i>&")}, "en")
    assert "<code>&lt;i&gt;&amp;</code>" in out
    assert handout.md_inline("**a** *b* `c` $e^x$") == (
        '<strong>a</strong> <em>b</em> <code>c</code> <span class="math"><var>e</var><sup><var>x</var></sup></span>')
    assert "handout.answer.other" in catalogue("en")  # the answer line of a question kind without its own


def test_the_command_line_writes_both(tmp_path, bundles):
    out = tmp_path / "sheet.html"
    assert cli(["handout", "--lang", "ko", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    md = tmp_path / "script.md"
    assert cli(["handout", "--lang", "en", "--script", "--out", str(md)]) == 0
    assert md.read_text(encoding="utf-8").startswith("# ")


def test_the_lesson_page_offers_both_downloads(tiny_models_dir, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(view="lesson", lang="ko")
    at.run()
    assert not at.exception
    labels = [getattr(e, "proto", None) for e in at.get("download_button")]
    text = " ".join(str(p) for p in labels)
    assert catalogue("ko")["handout.download_handout"] in text
    assert catalogue("ko")["handout.download_script"] in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_committed_class_scripts_are_those_of_the_bundled_models(lang, bundles, cards):
    """docs/class-script-*.md quote the bundles' own words and weights: a retrained or re-evaluated bundle
    must come with them regenerated (python -m attnviz handout --lang L --script --out docs/class-script-L.md).
    They had gone stale once: they still quoted `blanc`, the model lesson 1 no longer uses."""
    committed = (Path(__file__).resolve().parents[1] / "docs" / f"class-script-{lang}.md").read_text(encoding="utf-8")
    undated = lambda text: re.sub(r"\d{4}-\d{2}-\d{2}", "<date>", text)  # noqa: E731  the footer says when it was made
    assert undated(handout.script_markdown(lang, handout.bundle_traces(bundles), cards)) == undated(committed)
