"""Message catalogues: every string a person reads, keyed once, one catalogue per language.

Catalogues live in attnviz/messages/<lang>/<area>.toml; a key is "<area>.<name>" (e.g. "steps.next").
Values are str.format templates: m("steps.of", step=2, total=7). English is the reference; every
language must have exactly its keys (tests/test_i18n.py checks both directions).
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Callable

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
LANGS = ("en", "ko")  # the first is the default and the reference
LANG_NAMES = {"en": "English", "ko": "한국어"}

Messages = Callable[..., str]


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Every key of `lang` as "<area>.<name>" -> template; ValueError for an unknown language."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    flat: dict[str, str] = {}
    for path in sorted((MESSAGES_DIR / lang).glob("*.toml")):
        with path.open("rb") as f:
            _flatten(tomllib.load(f), path.stem, flat)
    return flat


def _flatten(table: dict, prefix: str, out: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, dict):
            _flatten(value, key, out)
        else:
            out[key] = str(value)


def messages(lang: str) -> Messages:
    """m(key, **values) -> the formatted string in `lang` (English where a key is missing there).

    A key missing from English too is a bug: KeyError names it.
    """
    own, reference = catalogue(lang), catalogue(LANGS[0])

    def m(key: str, **values) -> str:
        template = own.get(key)
        if template is None:
            template = reference[key]
        return template.format(**values) if values else template

    return m
