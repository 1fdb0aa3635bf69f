"""Message catalogues: every key in every language, every template fills, and no view speaks English
on its own (all text a person reads comes from attnviz/messages/<lang>/*.toml)."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from attnviz.i18n import LANGS, MESSAGES_DIR, catalogue, messages

ROOT = Path(__file__).resolve().parents[1]
VIEW_FILES = sorted((ROOT / "attnviz" / "views").glob("*.py")) + [ROOT / "app.py"]
HANGUL = re.compile("[\uac00-\ud7a3]")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_exactly_the_reference_keys():
    reference = catalogue(LANGS[0])
    for lang in LANGS[1:]:
        own = catalogue(lang)
        assert sorted(set(reference) - set(own)) == [], f"missing in {lang}"
        assert sorted(set(own) - set(reference)) == [], f"only in {lang}, not in {LANGS[0]}"


def test_every_area_file_exists_in_every_language():
    areas = {lang: sorted(p.name for p in (MESSAGES_DIR / lang).glob("*.toml")) for lang in LANGS}
    assert all(a == areas[LANGS[0]] for a in areas.values()), areas


def test_templates_take_the_same_fields_in_every_language():
    reference = catalogue(LANGS[0])
    for lang in LANGS[1:]:
        own = catalogue(lang)
        for key in set(reference) & set(own):
            assert fields(own[key]) == fields(reference[key]), key


def test_korean_is_written_in_korean():
    ko = catalogue("ko")
    english_only = [k for k, v in ko.items() if not HANGUL.search(v) and len(re.findall(r"[A-Za-z]{4,}", v)) >= 2
                    and v == catalogue("en").get(k)]
    allowed = {"explain.metric_bleu", "explain.metric_chrf", "explain.metric_aer", "explain.period"}
    assert sorted(set(english_only) - allowed) == []


def test_korean_uses_the_textbook_terms():
    ko = "\n".join(catalogue("ko").values())
    for term in ("은닉 상태", "소프트맥스", "문맥 벡터", "어텐션", "인코더", "디코더"):
        assert term in ko


def test_a_missing_key_is_a_loud_error():
    with pytest.raises(KeyError):
        messages("ko")("nowhere.nothing")
    with pytest.raises(ValueError, match="unknown language"):
        catalogue("xx")


def _literals_in_st_calls(path: Path) -> list[tuple[int, str]]:
    """String literals passed to st.* / container calls (labels, markdown, help=...) in a view module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in {"get", "pop", "html", "plotly_chart", "fragment", "cache_resource", "cache_data", "columns",
                    "update", "from_dict", "join", "format", "replace", "startswith", "split", "setenv"}:
            continue
        args = list(node.args) + [k.value for k in node.keywords if k.arg in {"label", "help", "body", "placeholder",
                                                                              "caption", "text", "title"}]
        for arg in args:
            for sub in ast.walk(arg):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    words = re.findall(r"[A-Za-z]{3,}", sub.value)
                    if len(words) >= 2 and not re.fullmatch(r"[\w.\-/:%{}\[\] ]*", sub.value.replace(" ", "")):
                        found.append((sub.lineno, sub.value))
                    elif len(words) >= 2 and " " in sub.value.strip():
                        found.append((sub.lineno, sub.value))
    return found


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda p: p.name)
def test_no_view_holds_user_facing_english(path):
    assert _literals_in_st_calls(path) == []


def test_the_literal_scan_finds_english():
    """The scan above must be able to fail: a view with an English label is caught."""
    sample = ROOT / "tests" / "_i18n_sample.py"
    sample.write_text('import streamlit as st\nst.button("Play the steps", key="play")\nst.markdown(m("a.b"))\n')
    try:
        assert [text for _, text in _literals_in_st_calls(sample)] == ["Play the steps"]
    finally:
        sample.unlink()


def _refusals(tiny_bundle):
    """One real InputError for each reason the core gives a person."""
    from attnviz.trace import MAX_INPUT_CHARS, MAX_TARGET_TOKENS, InputError, trace_translation

    long_fr = "mot " * (MAX_TARGET_TOKENS + 1)
    calls = [dict(sentence=""), dict(sentence="a " * 60), dict(sentence="x" * (MAX_INPUT_CHARS + 1)),
             dict(target="  "), dict(target=long_fr), dict(target="x" * (MAX_INPUT_CHARS + 1)),
             dict(prefix=long_fr), dict(prefix="x" * (MAX_INPUT_CHARS + 1)),
             dict(blocked=[0, 1, 2]), dict(blocked=[7]), dict(beam=2, hypothesis=9)]
    errors = []
    for kwargs in calls:
        sentence = kwargs.pop("sentence", "The car.")
        with pytest.raises(InputError) as e:
            trace_translation(tiny_bundle, sentence, **kwargs)
        errors.append(e.value)
    return errors


@pytest.mark.parametrize("lang", LANGS)
def test_every_refusal_of_the_core_is_said_in_every_language(tiny_bundle, lang):
    """The page shows an InputError as refusals.<code> filled with its params: each must exist and fill."""
    errors = _refusals(tiny_bundle)
    codes = {e.code for e in errors}
    assert codes == {k.split(".", 1)[1] for k in catalogue(LANGS[0]) if k.startswith("refusals.")}
    m = messages(lang)
    for e in errors:
        text = m(f"refusals.{e.code}", **e.params)
        assert "{" not in text and all(str(v) in text.replace(",", "") for v in e.params.values()
                                       if isinstance(v, int)), (e.code, text)
