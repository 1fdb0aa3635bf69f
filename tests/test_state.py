"""The link as the page's state: parse_query / to_query round trips, bad values -> defaults + notes."""
from __future__ import annotations

from dataclasses import replace

import pytest

from attnviz.i18n import LANGS, messages
from attnviz.state import (MAX_BEAM, MAX_CHARS, PARAMS, VIEWS, Settings, clamp_step, cut_text, parse_hide,
                           parse_query, share_url, to_query)

MODELS = ("dot", "general", "concat", "none")
DEFAULT = Settings(sentence="The white car is fast.", model="dot")


def note_names(s: Settings) -> list[str]:
    return [values.get("name", key) for key, values in s.notes]


def test_empty_link_is_the_default():
    assert parse_query({}, MODELS, DEFAULT) == DEFAULT
    assert to_query(DEFAULT, DEFAULT) == {}


def test_the_issues_example_link():
    s = parse_query({"sentence": "She reads a red book.", "model": "dot", "view": "steps", "step": "3"},
                    MODELS, DEFAULT)
    assert (s.sentence, s.model, s.view, s.step) == ("She reads a red book.", "dot", "steps", 3)
    assert not s.notes


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("lang", LANGS)
def test_every_view_and_language_round_trips(view, lang):
    s = Settings(sentence="I don't like cats.", model="concat", beam=4, force="Je n'aime pas les chats.",
                 hide=(0, 3), view=view, step=5, stage=4, lang=lang, present=True)
    q = to_query(s, DEFAULT)
    assert list(q) == [p for p in PARAMS if p in q]  # a stable order: links read the same every time
    assert q["hide"] == "1,4" and q["present"] == "1" and q["step"] == "5" and q["stage"] == "4"
    assert parse_query(q, MODELS, DEFAULT) == s


@pytest.mark.parametrize("name, value", [
    ("model", "bogus"), ("model", ""), ("view", "nowhere"), ("lang", "fr"), ("beam", "0"),
    ("beam", str(MAX_BEAM + 1)), ("beam", "-1"), ("beam", "2.5"), ("beam", "junk"), ("step", "0"),
    ("step", "-3"), ("step", "x"), ("step", "9" * 20), ("present", "yes"), ("stage", "0"), ("stage", "two"),
])
def test_bad_values_fall_back_to_the_default_with_a_note(name, value):
    s = parse_query({name: value}, MODELS, DEFAULT)
    assert getattr(s, name) == getattr(DEFAULT, name)
    assert note_names(s) == [name]
    key, values = s.notes[0]
    for lang in LANGS:  # the note can be said in every language
        text = messages(lang)(key, **values)
        assert name in text


def test_step_past_the_end_is_kept_for_the_view_to_clamp():
    s = parse_query({"step": "99"}, MODELS, DEFAULT)
    assert s.step == 99 and not s.notes
    assert clamp_step(99, 7) == (7, ("notes.step_clamped", {"step": 99, "last": 7}))
    assert clamp_step(3, 7) == (3, None) and clamp_step(0, 7) == (1, None)
    for lang in LANGS:
        assert "99" in messages(lang)("notes.step_clamped", step=99, last=7)


def test_hidden_positions_are_1_based_and_checked_against_the_sentence():
    assert parse_hide("1, 3", 5) == ((0, 2), True)
    assert parse_hide("3,1,3", 5) == ((0, 2), True)
    assert parse_hide("0,2,9,x", 5) == ((1,), False)
    s = parse_query({"sentence": "I am cold.", "hide": "2,7"}, MODELS, DEFAULT)
    assert s.hide == (1,) and note_names(s) == ["hide"]


def test_repeated_parameters_take_the_last():
    s = parse_query({"model": ["dot", "general"]}, MODELS, DEFAULT)
    assert s.model == "general"


def test_long_text_in_a_link_is_cut_with_a_note():
    s = parse_query({"sentence": "a" * (MAX_CHARS + 5)}, MODELS, DEFAULT)
    assert len(s.sentence) == MAX_CHARS
    assert s.notes == (("notes.cut_chars", {"chars": MAX_CHARS + 5, "limit": MAX_CHARS}),)
    assert cut_text("short") == ("short", None)


def test_share_url_keeps_the_host_and_drops_an_old_query():
    q = to_query(replace(DEFAULT, view="steps", step=3, sentence="She reads a red book."), DEFAULT)
    url = share_url("http://127.0.0.1:8501/?model=none#top", q)
    assert url == "http://127.0.0.1:8501/?sentence=She+reads+a+red+book.&view=steps&step=3"
    assert share_url("", {"lang": "ko"}) == "/?lang=ko"
    assert share_url("https://class.example/attnviz/", {}) == "https://class.example/attnviz/"


def test_markup_and_unicode_survive_the_round_trip():
    s = replace(DEFAULT, sentence="<b>x</b> & é 😀 ?=&#", force="« Bonjour » & co")
    assert parse_query(to_query(s, DEFAULT), MODELS, DEFAULT) == s


# ---------------------------------------------------------------- the lesson's guesses: answers=


def test_answers_round_trip_in_stage_order_with_1_based_options():
    from attnviz.state import ASKING

    s = Settings(sentence=DEFAULT.sentence, model="dot", view="lesson", stage=6, answers=(("look", 0), ("reorder", 3)))
    q = to_query(s, DEFAULT)
    assert q["answers"] == "look:1,reorder:4" and list(q) == [p for p in PARAMS if p in q]
    assert parse_query(q, MODELS, DEFAULT) == s
    assert parse_query({"answers": "reorder:4,look:1"}, MODELS, DEFAULT).answers == (("look", 0), ("reorder", 3))
    assert "look" in ASKING and "plain" not in ASKING  # only stages that ask something take a guess


@pytest.mark.parametrize("value, kept", [
    ("look:0", ()), ("look:x", ()), ("look", ()), ("nowhere:2", ()), ("plain:1", ()),  # stage 1 asks nothing
    ("look:2,look:-1", (("look", 1),)), ("look:2,,junk", (("look", 1),)), ("look:100", ()),
    ("<script>:1", ()), ("look:" + "9" * 30, ()),
])
def test_junk_answers_are_ignored_with_a_note_never_an_error(value, kept):
    s = parse_query({"answers": value}, MODELS, DEFAULT)
    assert s.answers == kept
    assert [k for k, _ in s.notes] == ["notes.bad_answers"]
    for lang in LANGS:
        assert "answers=" in messages(lang)(s.notes[0][0], **s.notes[0][1])


def test_a_stage_named_twice_keeps_its_last_guess():
    s = parse_query({"answers": "weigh:1,weigh:3"}, MODELS, DEFAULT)
    assert s.answers == (("weigh", 2),) and not s.notes


def test_each_lesson_keeps_its_own_stage_in_the_session():
    from attnviz.state import STAGE_KEYS, keep_stage, switch_stage
    ss: dict = {}
    switch_stage(ss)  # a new session: nothing to switch
    assert ss == {}
    keep_stage(ss, "lesson", 4)
    ss["view"] = "lesson2"  # the view menu: `stage` still says lesson 1's 4
    switch_stage(ss)
    assert ss["stage"] == 1 and ss[STAGE_KEYS["lesson"]] == 4  # lesson 2 starts at its own first stage
    keep_stage(ss, "lesson2", 3)
    ss["view"] = "translate"
    switch_stage(ss)
    assert ss["stage"] == 3  # another view leaves it alone
    ss["view"] = "lesson"
    switch_stage(ss)
    assert ss["stage"] == 4 and ss[STAGE_KEYS["lesson2"]] == 3
    ss["stage"] = 7  # a link read later in the run (reload, Back) still decides, within the same lesson
    switch_stage(ss)
    assert ss["stage"] == 7
