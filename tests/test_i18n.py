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
    allowed = {"explain.metric_bleu", "explain.metric_chrf", "explain.metric_aer", "explain.period",
               "lesson.scorers.reference"}  # French, the same in every language
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
    calls = [dict(sentence=""), dict(sentence="?! ..."), dict(sentence="a " * 60), dict(sentence="x" * (MAX_INPUT_CHARS + 1)),
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


# ---------------------------------------------------------------- every template, filled as the page fills it

MARK = "⟦값⟧"  # a sample string value: where a value ends, the text around it is checked
BATCHIM_PARTICLES = "은|는|이|가|을|를|과|와|으로|로"  # forms that depend on the word before: write 을(를), 은(는), …
DUAL = r"은\(는\)|이\(가\)|을\(를\)|과\(와\)|\(으\)로"
PLACEHOLDER_LEFT = re.compile(r"(?<![%\\\w^_{}])\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")


def own_fields(template: str) -> set[str]:
    """The fields m() fills: not Plotly's %{x} hover fields, not LaTeX in a template shown verbatim."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", re.sub(r"%\{[^{}]*\}", "", template), flags=re.S)  # math
    return {n for n in fields(text) if re.fullmatch(r"[A-Za-z_]\w*", n)}


def sample_values(template: str) -> dict:
    """A value for each field: numbers where the format asks for one (`:.2f`, `:,`), else a marked string."""
    out = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if not name or name not in own_fields(template):
            continue
        if spec and spec[-1] in "fe%":
            out[name] = 0.87
        elif spec and (spec[-1] in "dn" or "," in spec):
            out[name] = 3480
        else:
            out[name] = MARK
    return out


def doubled_particles(text: str) -> list[str]:
    """Particles that come twice where one is meant: 을(를)를, 는은, «…»가가, "지금까지 `je`까지"."""
    found = []
    found += re.findall(rf"(?:{DUAL})(?:{BATCHIM_PARTICLES}|의|에)(?![가-힣])", text)
    found += re.findall(rf"{MARK}(?:{BATCHIM_PARTICLES})(?:{BATCHIM_PARTICLES})(?![가-힣])", text)
    found += [m.group(0) for m in re.finditer(rf"(까지|부터|마다|에서|에게|처럼|보다)\s*[^\s]*{MARK}[»`*]*\1", text)]
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_fills_with_sample_values_and_leaves_no_placeholder(lang):
    """m(key, **values) fills each field; a template without fields is shown as it is (so no {{ }} there)."""
    problems = []
    for key, template in catalogue(lang).items():
        if not own_fields(template):
            if "{{" in template or "}}" in template:
                problems.append((key, "escaped braces in a template shown verbatim"))
            continue
        try:
            text = messages(lang)(key, **sample_values(template))
        except (KeyError, ValueError, IndexError) as e:
            problems.append((key, f"does not fill: {e!r}"))
            continue
        if left := PLACEHOLDER_LEFT.findall(text):
            problems.append((key, f"left unfilled: {left}"))
        if lang == "ko" and (doubled := doubled_particles(text)):
            problems.append((key, f"doubled particle: {doubled}"))
    assert problems == []


def test_no_korean_particle_is_fixed_after_a_value():
    """A value's last sound is unknown (`je`, «… rapide.», 0.87), so the particle after it is written
    both ways, 을(를), or the sentence is built so that none is needed (lesson.reveal.translation_wrong
    used to say «{guess}»가)."""
    hard = re.compile(rf"(?<!%)\{{[^{{}}]+\}}[»\"”'’*]*(?:{BATCHIM_PARTICLES})(?=[\s.,!?:;)]|$)")
    found = {k: hard.findall(v) for k, v in catalogue("ko").items() if hard.search(v)}
    assert found == {}


def test_the_particle_checks_catch_what_they_are_for():
    assert doubled_particles(f"{MARK}을(를)를 썼습니다")
    assert doubled_particles(f"지금까지 `{MARK}`까지 썼습니다")
    assert doubled_particles(f"{MARK}를을 보았습니다")
    assert not doubled_particles(f"지금까지 쓴 프랑스어는 {MARK}입니다. {MARK}을(를) 썼습니다.")
    assert PLACEHOLDER_LEFT.findall("확률 {p}를") and not PLACEHOLDER_LEFT.findall("%{x}번째 수, \\frac{a}{b}")


def _message_calls() -> list[tuple[str, int, str, set[str] | None]]:
    """Every m("area.key", ...) call in the package with a literal key: (file, line, key, names given,
    or None when **values passes an unknown set)."""
    out = []
    for path in sorted((ROOT / "attnviz").rglob("*.py")) + [ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if name != "m" or not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            given = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            out.append((path.name, node.lineno, first.value, given))
    return out


def test_every_message_call_fills_all_of_its_templates_fields():
    """A call that passes fewer values than its template has fields shows a raw {placeholder} (or
    raises): each literal m("key", …) passes every field the template names."""
    en = catalogue(LANGS[0])
    calls = [c for c in _message_calls() if c[2] in en]
    assert len(calls) > 50  # the scan finds the page's calls
    missing = [(f, line, key, sorted(own_fields(en[key]) - given)) for f, line, key, given in calls
               if given is not None and own_fields(en[key]) - given]
    assert missing == []
