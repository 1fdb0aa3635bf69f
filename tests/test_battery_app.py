"""The odd-input battery through the page (AppTest): no exception, a usable page, nothing lost.

The same seeded inputs as test_battery.py (core and CLI). Every input goes into the sentence box of
one running page, in turn, so a bad input that broke the page's state would break the next one too.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attnviz.i18n import messages
from odd_inputs import odd_inputs

APP = str(Path(__file__).resolve().parent.parent / "app.py")
VIEWS_TO_VISIT = ("translate", "steps", "compare")
LAB_TABS = tuple(messages("en")(f"lab.tab_{name}") for name in ("edit", "hide", "gold"))


@pytest.fixture(scope="module")
def page(tiny_models_dir):
    import os

    os.environ["ATTNVIZ_MODELS_DIR"] = str(tiny_models_dir)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    at.session_state["lab"] = True  # the lab's expander open, so its tabs meet every input too
    yield at
    os.environ.pop("ATTNVIZ_MODELS_DIR", None)


def _browser_can_send(text: str) -> bool:
    """A browser sends valid UTF-8 only: lone surrogates (the core's battery has them) cannot arrive."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


NON_FINITE = re.compile(r"(?<![\w.])[-+]?(nan|inf|infinity)(?![\w])", re.IGNORECASE)


def _finite_numbers_on_page(at: AppTest, typed: str) -> bool:
    """No NaN or infinity printed as a number in any text element (unless the input itself said so)."""
    if NON_FINITE.search(typed):
        return True  # the page quotes the input; a typed "NaN" is not a computed one
    parts = [*at.markdown, *at.warning, *at.info, *at.caption]
    return not any(NON_FINITE.search(str(p.value)) for p in parts)


@pytest.mark.parametrize("chunk", range(4))
def test_a_thousand_odd_inputs_never_break_the_page(page, chunk):
    inputs = [t for t in odd_inputs(1100, seed=0) if _browser_can_send(t)][:1000]
    assert len(inputs) == 1000
    size = math.ceil(len(inputs) / 4)
    for i, text in enumerate(inputs[chunk * size:(chunk + 1) * size]):
        page.session_state["view"] = VIEWS_TO_VISIT[i % len(VIEWS_TO_VISIT)]
        page.session_state["lab_tab_en"] = LAB_TABS[i // len(VIEWS_TO_VISIT) % len(LAB_TABS)]  # drawn: the open one
        page.text_input(key="sentence").set_value(text).run()
        assert not page.exception, (i, text)
        assert page.text_input(key="sentence").value == text[:1000], "the input box must keep what was typed"
        assert _finite_numbers_on_page(page, text), text
