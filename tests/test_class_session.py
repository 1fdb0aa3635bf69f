"""The live class: its rules (codes, secrets, questions from a real Trace, tallies, CSV) and its pages
through AppTest — a teacher's console and students' phones sharing one SQLite store."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attnviz import lesson as script
from attnviz import lesson_heads as heads_script
from attnviz.classroom import figure, session
from attnviz.i18n import messages
from attnviz.trace import trace_translation
from charts import chart_spec

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EN, KO = messages("en"), messages("ko")


# ---------------------------------------------------------------- rules


def test_codes_have_six_characters_without_look_alikes():
    for _ in range(200):
        code = session.new_code()
        assert len(code) == 6 and session.clean_code(code) == code
        assert not set(code) & set("01OIL25SZ8BGQ6")
    assert session.clean_code("ac3 d4e") == "AC3D4E"
    for bad in ("", "ABC", "AC3D4E5", "AC3D4O", "<b>AAAA", None, 7):
        assert session.clean_code(bad) is None


def test_secrets_are_long_random_and_compared_in_constant_time():
    a, b = session.new_secret(), session.new_secret()
    assert a != b and len(a) >= 22  # 24 random bytes >= 128 bits
    assert session.same_secret(a, a) and not session.same_secret(b, a)
    assert not session.same_secret(None, a) and not session.same_secret(["x"], a)


def test_student_ids_and_nicknames():
    me = session.new_student()
    assert session.clean_student(me) == me
    assert session.clean_student("x" * 40) is None and session.clean_student("abc") is None
    assert session.clean_student("<script>alert(1)</scri") is None
    assert session.clean_nickname("  Mina\n\t <b>k</b>  ") == "Mina <b>k</b>"  # text: escaped where shown
    assert len(session.clean_nickname("x" * 50)) == session.NICKNAME_MAX


def test_links_never_carry_the_secret_to_students():
    secret = session.new_secret()
    join = session.join_link("http://host:8501/?sentence=x&teach=" + secret, "AC3D4E", "ko")
    assert join == "http://host:8501/?join=AC3D4E&lang=ko" and secret not in join
    assert session.join_link("", "AC3D4E") == "/?join=AC3D4E"
    assert secret in session.teacher_link("http://host/", "AC3D4E", secret)


@pytest.fixture(scope="module")
def general(tiny_models_dir):
    from attnviz.checkpoint import load_bundle
    return load_bundle(tiny_models_dir / "general")


def test_a_source_question_is_the_models_own_attention(general):
    tr = trace_translation(general, "I see the white car.")
    q = session.source_question(tr, 1, "translate")
    assert q.options == tr.src_tokens and q.answer == int(tr.weights[1].argmax())
    assert q.values[q.answer] == pytest.approx(float(tr.weights[1].max()))
    assert q.fields == {"word": tr.tgt_tokens[1]} and q.tgt_tokens == tr.tgt_tokens[:2]
    assert len(q.weights) == 2 and q.weights[1][q.answer] == pytest.approx(float(tr.weights[1].max()), abs=1e-4)
    assert session.ClassQuestion.from_json(q.to_json()) == q
    assert "«" in EN(q.prompt, **q.fields) and "{" not in KO(q.prompt, **q.fields)


def test_a_next_word_question_is_the_models_own_probabilities(general):
    tr = trace_translation(general, "I see the white car.")
    q = session.next_word_question(tr, 2)
    assert q.options[q.answer] == tr.topk_tokens[2][0]
    assert q.prompt == "classroom.q.next_word" and q.fields["before"] == " ".join(tr.tgt_tokens[:2])
    assert session.next_word_question(tr, 0).prompt == "classroom.q.first_word"
    with pytest.raises(ValueError):
        session.source_question(trace_translation(general, "I see."), 99)


def test_every_lesson_question_can_be_put_to_the_class(tiny_models_dir):
    from attnviz.checkpoint import load_all_report

    models, _ = load_all_report(tiny_models_dir)
    cards = {k: b.card for k, b in models.items()}
    asked = 0
    for n, stage in enumerate(script.STAGES, start=1):
        found = {role: trace_translation(models[need.scorer], stage.sentence, blocked=need.blocked)
                 for role, need in script.needs(stage, list(models)).items()}
        q = session.lesson_question(n, stage, found, cards)
        own = script.question_for(stage, found, cards)
        assert (q is None) == (own is None)
        if q is not None:
            asked += 1
            assert (q.options, q.values, q.answer) == (own.options, own.values, own.answer)
            assert q.origin == f"lesson:{n}" and q.kind == own.kind
            for m in (EN, KO):
                assert "{" not in m(q.prompt, **q.fields)
    assert asked >= 4


@pytest.fixture(scope="module")
def heads_traced(tiny_models_dir):
    """The tiny Transformer's traces as lesson 2 makes them (greedy, nothing hidden)."""
    from attnviz.checkpoint import load_bundle
    bundle = load_bundle(tiny_models_dir / "transformer")
    return lambda en: trace_translation(bundle, en, beam=1, blocked=())


def test_every_lesson2_question_can_be_put_to_the_class(heads_traced):
    """Lesson 2's kinds (count, source, head, self, scorer) were refused by ClassQuestion: only lesson 1's."""
    from attnviz.views.class_common import option_text, value_text
    kinds = set()
    for n, stage in enumerate(heads_script.STAGES, start=1):
        candidate, tr, _ = heads_script.choose(stage, heads_traced)
        t = heads_script.focus_step(stage, candidate, tr)
        own = heads_script.question_for(stage, tr, t, ["dot", "general", "concat"])
        if own is None:  # the tiny model's sentence has no punctuation
            continue
        q = session.heads_lesson_question(n, tr, t, own)
        kinds.add(q.kind)
        assert (q.kind, q.options, q.values, q.answer) == (own.kind, own.options, own.values, own.answer)
        assert q.origin == f"lesson2:{n}" and session.ClassQuestion.from_json(q.to_json()) == q
        for m in (EN, KO):
            text = m(q.prompt, **q.fields)
            assert "{" not in text and "this head" not in text and "이 헤드" not in text  # stands on its own
            assert all(option_text(q, i, m) for i in range(len(q.options)))
        h = tr.heads
        if q.kind == "source":  # the trace's own head: its weights are the rows the reveal draws
            assert q.head == f"{h.layer + 1}.{h.head + 1}" and q.fields == {"word": tr.tgt_tokens[t],
                                                                            "layer": h.layer + 1, "head": h.head + 1}
            assert q.weights[-1] == pytest.approx(list(h.cross_weights[t, h.layer, h.head]), abs=1e-4)
            assert value_text(q, q.answer) == f"{h.cross_weights[t, h.layer, h.head].max():.2f}"
        if q.kind == "head":
            assert option_text(q, q.answer, EN) == "layer {} · head {}".format(*q.options[q.answer].split("."))
            assert option_text(q, 0, KO) == "1층 · 1번 헤드" and not q.weights
        if q.kind == "count":
            assert option_text(q, 0, EN) == "1: all the same word" and value_text(q, q.answer) == ""
            assert q.fields["heads"] == h.shape[1] == len(q.options)
        if q.kind == "self":
            assert option_text(q, 0, EN) == "‹start›" and option_text(q, 0, KO) == "‹시작›"
            layer, head = heads_script.previous_word_head(tr)
            assert (q.fields["layer"], q.fields["head"]) == (layer + 1, head + 1)
        if q.kind == "scorer":
            assert not q.about_model and option_text(q, q.answer, EN).startswith("general")
    assert kinds >= {"count", "source", "self", "scorer"}
    with pytest.raises(ValueError, match="choose one of"):
        session.ClassQuestion("guess", "classroom.q.source", {}, "", "", 0, ("a",), (None,), 0)


def test_a_question_saved_before_lesson2_still_loads():
    """A question stored by the previous version (no `head`, no `about_model`) still reads back."""
    q = session.ClassQuestion("next_word", "classroom.q.first_word", {}, "I am.", "general", 0, ("je", "tu"),
                              (0.7, 0.1), 0)
    old = q.to_json().replace(', "head": ""', "").replace(', "about_model": true', "")
    assert "about_model" not in old and session.ClassQuestion.from_json(old) == q


def test_shares_match_and_csv():
    q = session.ClassQuestion("source", "classroom.q.source", {"word": "suis"}, "I am.", "general", 1,
                              ("I", "am", "."), (0.1, 0.8, 0.1), 1, ("I", "am", "."), ("je", "suis"),
                              ((0.9, 0.05, 0.05), (0.1, 0.8, 0.1)))
    assert session.shares({1: 3, 0: 1}, 3) == [0.25, 0.75, 0.0]
    assert session.shares({}, 3) == [0.0, 0.0, 0.0]
    assert session.matched({1: 3, 0: 1}, 1) == (3, 4)
    text = session.summary_csv([session.SummaryRow(1, q, ({1: 3, 0: 1}, {1: 4}))], lambda q: EN(q.prompt, **q.fields))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and rows[1]["votes"] == "3" and rows[1]["model_answer"] == "1"
    assert rows[4]["round"] == "2" and rows[4]["share"] == "1.000"
    assert "student" not in text.lower().split("\n")[0]  # counts only
    heads = session.ClassQuestion("head", "classroom.q.head", {"punct": "."}, "I am.", "transformer", -1,
                                  ("1.1", "1.2", "2.1"), (0.1, 0.5, 0.2), 1)
    from attnviz.views.class_common import option_text
    text = session.summary_csv([session.SummaryRow(1, heads, ({1: 2},))], lambda q: EN(q.prompt, **q.fields),
                               lambda q, i: option_text(q, i, EN))
    assert [r["option"] for r in csv.DictReader(io.StringIO(text))] == ["layer 1 · head 1", "layer 1 · head 2",
                                                                       "layer 2 · head 1"]


def test_the_class_row_sits_right_above_the_models_row_on_one_scale():
    q = session.ClassQuestion("source", "classroom.q.source", {"word": "suis"}, "I am.", "general", 1,
                              ("I", "<b>am</b>", "."), (0.1, 0.8, 0.1), 1, ("I", "<b>am</b>", "."), ("je", "suis"),
                              ((0.9, 0.05, 0.05), (0.1, 0.8, 0.1)))
    fig = figure.class_heatmap(q, [[0.25, 0.75, 0.0], [0.0, 1.0, 0.0]], [4, 4], EN)
    z, ticks = fig["data"][0]["z"], fig["layout"]["yaxis"]["ticktext"]
    assert z == [[0.9, 0.05, 0.05], [0.25, 0.75, 0.0], [0.0, 1.0, 0.0], [0.1, 0.8, 0.1]]
    assert "class, round 1 (4)" in ticks[1] and "round 2" in ticks[2] and "suis" in ticks[3]
    assert (fig["data"][0]["zmin"], fig["data"][0]["zmax"]) == (0.0, 1.0)
    assert "&lt;b&gt;am&lt;/b&gt;" in fig["layout"]["xaxis"]["ticktext"]
    before = figure.context_heatmap(q, EN)  # while voting: the words before, the asked row empty
    assert before["data"][0]["z"] == [[0.9, 0.05, 0.05], [None, None, None]]
    assert "suis" in before["layout"]["yaxis"]["ticktext"][1] and "0.8" not in str(before["data"][0]["text"])
    page = figure.shares_html(q, [0.25, 0.75, 0.0], "Round 1", True)
    assert "&lt;b&gt;am&lt;/b&gt;\u00a0✓" in page and "<b>am" not in page and "75%" in page
    page = figure.shares_html(q, [0.25, 0.75, 0.0], "Round 1", True, label=lambda i: f"<{i}>")
    assert "&lt;1&gt;\u00a0✓" in page
    assert page.count("white-space:nowrap") == 3  # short names ("layer 2 · head 3") keep to one line
    sentences = figure.shares_html(q, [0.25, 0.75, 0.0], "Round 1", True, label=lambda i: "Elle lit un livre. " * 2)
    assert "white-space:nowrap" not in sentences  # a translation wraps
    from dataclasses import replace
    one_head = figure.class_heatmap(replace(q, head="2.3"), [[0.25, 0.75, 0.0]], [4], KO)  # lesson 2: a head's rows
    assert one_head["layout"]["yaxis"]["ticktext"][-1] == "<b>모델 2층 · 3번 헤드: «suis»</b>"


# ---------------------------------------------------------------- pages


@pytest.fixture
def env(tiny_models_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("ATTNVIZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ATTNVIZ_DATABASE_URL", raising=False)
    return tmp_path


def open_app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def qp(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def texts(at: AppTest) -> str:
    parts = [*at.markdown, *at.warning, *at.info, *at.error, *at.success, *at.caption]
    return "\n".join(str(p.value) for p in parts)


def htmls(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def new_class(lang: str = "en") -> tuple[AppTest, str, str]:
    at = open_app(**({"class": "new"} | ({"lang": lang} if lang != "en" else {})))
    code, secret = qp(at, "class"), at.session_state["class_secret"]
    assert "teach" not in at.query_params and secret not in str(at.query_params)  # the projector's address
    assert session.clean_code(code) == code and len(secret) >= 22
    return at, code, secret


def ask_first_lesson_question(teacher: AppTest) -> AppTest:
    teacher.selectbox(key="class_pick_lesson").select_index(0).run()
    return click(teacher, "class_ask_pick")


def phone(code: str, me: str | None = None, lang: str | None = None) -> AppTest:
    params = {"join": code} | ({"me": me} if me else {}) | ({"lang": lang} if lang else {})
    return open_app(**params)


def options(at: AppTest) -> list:
    return [b for b in at.button if b.key and b.key.startswith("phone_opt_")]


def test_class_new_gives_a_code_a_join_link_and_a_qr_code(env):
    teacher, code, secret = new_class()
    page = htmls(teacher)
    link = re.sub(r"<[^>]+>", "", page.split('class="av-class-link">')[1].split("</div>")[0])  # <wbr>, <span>
    assert link == f"/?join={code}" and "data:image/svg+xml" in page and code in page
    assert secret not in page.split("av-class-link")[1].split("</div>")[0]  # the join link has no secret
    assert "No question yet" in texts(teacher)


def test_a_full_class_two_rounds_reveal_and_summary(env):
    teacher, code, secret = new_class()
    ask_first_lesson_question(teacher)
    assert "0 of 0 answered" in htmls(teacher)
    phones = [phone(code) for _ in range(3)]
    ids = [qp(p, "me") for p in phones]
    assert len(set(ids)) == 3 and all(session.clean_student(i) for i in ids)
    for p in phones:
        p.run()  # the second run registers the student (the first lets a second tab find its id)
    prompt = texts(teacher).split("\n")[0].lstrip("# ")
    for p in phones:
        assert prompt.split("«")[0] in texts(p) and len(options(p)) >= 2
    n = len(options(phones[0]))
    teacher.run()
    assert "0 of 3 answered" in htmls(teacher)
    options(phones[0])[0].click().run()
    options(phones[1])[1 % n].click().run()
    options(phones[2])[0].click().run()
    options(phones[2])[1 % n].click().run()  # changed mind
    assert options(phones[2])[1 % n].proto.type == "primary"
    assert "You can change it" in texts(phones[2])
    teacher.run()
    assert "3 of 3 answered" in htmls(teacher)
    assert "class-count" in htmls(teacher)
    click(teacher, "class_close")
    assert "3 answered" in texts(teacher)
    options(phones[0])[1 % n].click().run() if options(phones[0]) else phones[0].run()
    assert "vote is closed" in texts(phones[0])
    click(teacher, "class_round2")
    for p in phones:
        p.run()
        options(p)[1 % n].click().run()
    click(teacher, "class_close")
    click(teacher, "class_reveal")
    page = texts(teacher)
    assert "The model's answer" in page and "Round 1:" in page and "round 2:" in page
    assert any(c.key == "class_heatmap" for c in teacher.get("plotly_chart")) or "source" not in page
    assert "Round 2: 3 votes" in htmls(teacher) and "Round 1: 3 votes" in htmls(teacher)
    for p in phones:
        p.run()
        assert "The model's answer was" in texts(p) or "Right!" in texts(p)
    click(teacher, "class_next")
    assert "No question yet" in texts(teacher)
    click(teacher, "class_end")  # armed
    assert teacher.button(key="class_end").label.startswith("Click again")
    click(teacher, "class_end")
    assert "The class has ended" in texts(teacher)
    frame = teacher.dataframe[0].value
    assert len(frame) == 1 and "3 of 3" in str(frame.iloc[0].tolist()) or "of 3" in str(frame.iloc[0].tolist())
    phones[0].run()
    assert "The class has ended" in texts(phones[0])


def test_a_reload_keeps_the_student_and_a_thousand_clicks_count_once(env):
    teacher, code, _ = new_class()
    ask_first_lesson_question(teacher)
    p = phone(code)
    me = qp(p, "me")
    again = phone(code, me=me)  # a reload (or a second tab with the same link)
    for _ in range(30):
        options(p)[0].click().run()
        options(again)[0].click().run()
    teacher.run()
    assert "1 of" in htmls(teacher) and " answered" in htmls(teacher)
    from attnviz.views.classroom import get_store
    store = get_store()
    info = store.get_class(code)
    for _ in range(1000):
        store.vote(code, info.current_q, 1, me, 1)  # the same path the button takes
    assert store.answered(code, info.current_q, 1) == 1


def test_students_and_forged_links_cannot_act(env):
    teacher, code, secret = new_class()
    ask_first_lesson_question(teacher)
    forged = open_app(**{"class": code, "teach": session.new_secret()})
    assert "only the teacher's own link" in texts(forged) and f"join={code}" in texts(forged)
    assert not [b for b in forged.button if b.key and b.key.startswith("class_")]
    bare = open_app(**{"class": code})
    assert "only the teacher's own link" in texts(bare)
    p = phone(code)
    assert not [b for b in p.button if b.key and b.key.startswith("class_")]
    assert secret not in str(p.query_params) and secret not in htmls(p) + texts(p)
    # forged widget state: a student session pressing a teacher callback has no secret to pass
    from attnviz.views import classroom
    p.session_state["class_code"] = code
    p.run()
    info = classroom.get_store().get_class(code)
    assert classroom.get_store().question(code, info.current_q).status == "open"
    own = open_app(**{"class": code, "teach": secret})  # the teacher's link on another device works
    assert [b for b in own.button if b.key == "class_close"]


@pytest.mark.parametrize("params, words", [
    ({"join": "AAAAAA"}, "no class with the code"),
    ({"join": "hello<b>"}, "is not a class code"),
    ({"join": ""}, "is not a class code"),
    ({"class": "AAAAAA", "teach": "x"}, "no class with the code"),
    ({"class": "nope"}, "is not a class code"),
])
def test_bad_and_unknown_codes_get_a_clear_note(env, params, words):
    at = open_app(**params)
    assert words in texts(at).lower().replace("there is ", "")
    assert "<b>" not in texts(at)


def test_bad_and_unknown_codes_in_korean(env):
    at = open_app(join="AAAAAA", lang="ko")
    assert "수업 코드가" in texts(at)
    teacher, code, _ = new_class("ko")
    assert "QR 코드" in texts(teacher) and f"lang=ko" in htmls(teacher)
    ask_first_lesson_question(teacher)
    assert "무엇일까요" in texts(teacher) and "명 답함" in htmls(teacher)  # still Korean after a click
    p = phone(code, lang="ko")
    assert "무엇일까요" in texts(p)


def test_a_damaged_student_id_gets_a_new_one_with_a_note(env):
    teacher, code, _ = new_class()
    p = phone(code, me="<script>")
    assert "damaged" in texts(p) and session.clean_student(qp(p, "me"))


def test_nicknames_are_plain_text_on_the_projector(env):
    teacher, code, _ = new_class()
    p = phone(code)
    p.text_input(key="class_nick_box").set_value("<img src=x>Mo").run()
    teacher.run()
    page = htmls(teacher)
    assert "&lt;img src=x&gt;Mo" in page and "<img src=x" not in page


def test_presenter_mode_starts_a_class_and_translate_asks_about_the_screen(env):
    at = open_app(present="1", sentence="I see the white car.")
    click(at, "class_start")
    code = qp(at, "class")
    assert "No question yet" in texts(at)
    click(at, "class_back")  # back to the page: the class bar asks about what is on screen
    assert qp(at, "class") == code
    assert [b for b in at.button if b.key == "class_ask_source"]
    click(at, "class_ask_source")
    assert "look at most when it writes" in texts(at)
    at.session_state["class_console"] = False
    at.session_state["view"] = "steps"
    at.run()
    click(at, "class_ask_next")
    assert "comes next" in texts(at) or "write first" in texts(at)
    info = __import__("attnviz.views.classroom", fromlist=["get_store"]).get_store().get_class(code)
    assert info.current_q == 2


def test_the_store_files_live_in_the_data_folder(env):
    new_class()
    assert (env / "data" / "classes.sqlite3").exists()


def test_the_lesson_asks_the_class_its_stages_question(env):
    at = open_app(view="lesson", stage="3")
    at.session_state["present"] = True
    at.run()
    click(at, "class_start")
    click(at, "class_back")
    assert at.session_state["view"] == "lesson"
    click(at, "class_ask_lesson")
    page = texts(at)
    assert "look at most when it writes" in page and "0 of 0 answered" in htmls(at)


def plain(text: str) -> str:
    """Text as Markdown shows it: the page escapes the model's words and labels ("dot \\(Luong\\)")."""
    return text.replace("\\", "")


def lesson2_class(stage: int) -> tuple[AppTest, str]:
    """A teacher in presenter mode on lesson 2's stage, with a class started and the page back on screen."""
    at = open_app(view="lesson2", stage=str(stage))
    at.session_state["present"] = True
    at.run()
    click(at, "class_start")
    click(at, "class_back")
    assert at.session_state["view"] == "lesson2" and at.session_state["stage"] == stage
    return at, qp(at, "class")


def test_lesson2_asks_the_class_its_stages_question_with_heads_named(env, tiny_models_dir):
    """Ask the class was offered on lesson 1 only; lesson 2's head question reaches the phones in words."""
    at, code = lesson2_class(3)  # heads that specialise: which head looks at the punctuation?
    click(at, "class_ask_lesson")
    assert "Which head puts the most weight on the punctuation" in texts(at) and "0 of 0 answered" in htmls(at)
    phones = [phone(code) for _ in range(3)]
    for p in phones:
        p.run()
    labels = [b.label for b in options(phones[0])]
    assert labels == ["layer 1 · head 1", "layer 1 · head 2", "layer 2 · head 1", "layer 2 · head 2"]
    from attnviz.views.classroom import get_store
    info = get_store().get_class(code)
    q = session.ClassQuestion.from_json(get_store().question(code, info.current_q).payload)
    assert q.kind == "head" and q.origin == "lesson2:3"
    for p, pick in zip(phones, (q.answer, q.answer, (q.answer + 1) % 4)):
        options(p)[pick].click().run()
    click(at, "class_close")
    click(at, "class_reveal")
    page = texts(at)
    best = labels[q.answer]
    assert f"The model's answer: **{best}** ({q.values[q.answer]:.2f})" in page
    assert "**67%** of the class picked the model's answer (2 of 3)" in page
    assert f"{best}\u00a0✓" in htmls(at) and "67%" in htmls(at)
    assert not [c for c in at.get("plotly_chart") if c.key == "class_heatmap"]  # no heatmap row for a head pick
    phones[2].run()
    assert f"The model's answer was **{best}**" in texts(phones[2])
    ko = phone(code, lang="ko")
    assert f"모델의 답은 **{heads_script.option_text('head', q.options, q.answer, KO)}**" in texts(ko)


def test_lesson2_source_question_reveals_the_class_as_a_row_of_the_heads_heatmap(env, tiny_models_dir):
    at, code = lesson2_class(2)  # one head's three steps: which English word will this head weigh most?
    click(at, "class_ask_lesson")
    from attnviz.views.classroom import get_store
    q = session.ClassQuestion.from_json(get_store().question(code, get_store().get_class(code).current_q).payload)
    layer, head = q.fields["layer"], q.fields["head"]  # the tiny Transformer's own head
    assert q.kind == "source" and q.head == f"{layer}.{head}"
    assert f"Which English word will head {head} of layer {layer} weigh most" in texts(at)
    p = phone(code)
    p.run()
    options(p)[0].click().run()
    click(at, "class_close")
    click(at, "class_reveal")
    (chart,) = [c for c in at.get("plotly_chart") if c.key == "class_heatmap"]
    spec = chart_spec(chart)
    ticks = spec["layout"]["yaxis"]["ticktext"]
    assert "class, round 1 (1)" in ticks[-2] and ticks[-1].startswith(f"<b>layer {layer} · head {head}: «")
    assert spec["data"][0]["z"][-1] == [pytest.approx(w, abs=1e-4) for w in q.weights[-1]]  # the head's row


def test_lesson2_scorer_question_says_the_answer_not_the_models(env, tiny_models_dir):
    at, code = lesson2_class(5)  # back to the GRU scorers: maths, not a measurement
    click(at, "class_ask_lesson")
    p = phone(code)
    p.run()
    assert [plain(b.label) for b in options(p)] == ["dot (Luong)", "general (Luong)", "concat (Bahdanau)"]
    options(p)[1].click().run()
    click(at, "class_close")
    click(at, "class_reveal")
    page = plain(texts(at))
    assert "The answer: **general (Luong)**" in page and "picked the right answer (1 of 1)" in page
    assert "The model's answer" not in page
    p.run()
    assert "**Right!** The answer is **general (Luong)**" in plain(texts(p))


def test_the_class_screen_lists_both_lessons_questions(env):
    teacher, code, _ = new_class()
    labels = list(teacher.selectbox(key="class_pick_lesson").options)
    first = [x for x in labels if x.startswith("Lesson 1 · stage ")]
    second = [x for x in labels if x.startswith("Lesson 2 · stage ")]
    assert first and len(second) == len(heads_script.STAGES) and labels == first + second
    assert "Lesson 2 · stage 3. Heads that specialise: Which head puts" in second[2]
    teacher.selectbox(key="class_pick_lesson").select(second[0]).run()
    click(teacher, "class_ask_pick")
    assert "how many different English words will the 2 heads of layer 2 look at most?" in texts(teacher)
    p = phone(code)
    p.run()
    assert [plain(b.label) for b in options(p)] == ["1: all the same word", "2: each a different word"]
    ko, _, _ = new_class("ko")
    assert any(x.startswith("수업 2 · 활동 3. ") for x in ko.selectbox(key="class_pick_lesson").options)


def cookie_jar(monkeypatch, jar: dict) -> None:
    """What the browser sends back on a reload (AppTest has no browser): the cookies st.context would hold."""
    from attnviz.views import classroom
    monkeypatch.setattr(classroom, "browser_cookies", lambda: dict(jar))


def test_the_teacher_link_leaves_no_secret_in_the_address(env):
    teacher, code, secret = new_class()
    own = open_app(**{"class": code, "teach": secret})  # the teacher link, opened once: the page's script
    assert [b for b in own.button if b.key == "class_ask_pick"]  # replaces the address; without a browser,
    own.run()  # the next run does
    assert dict(own.query_params) == {"class": code} or qp(own, "class") == code
    assert "teach" not in own.query_params and secret not in str(own.query_params)
    page = htmls(own)  # the page hands the secret to the browser's cookie, the address drops it
    assert f'"attnviz-teach-{code}"' in page and "searchParams.delete(\"teach\")" in page
    assert f"teach={secret}" not in texts(own)  # the teacher link only inside the closed popover
    click(own, "class_back")  # the ordinary page keeps the class, not the secret
    assert qp(own, "class") == code and "teach" not in own.query_params
    assert secret not in str(own.query_params)


def test_a_teacher_reload_returns_to_the_class_screen(env, monkeypatch):
    teacher, code, secret = new_class()
    ask_first_lesson_question(teacher)
    cookie_jar(monkeypatch, {f"attnviz-teach-{code}": secret})
    again = open_app(**{"class": code})  # a reload: a new session, the address without the secret
    assert [b for b in again.button if b.key == "class_close"] and "look at most" in texts(again)
    assert "teach" not in again.query_params


def test_a_wrong_secret_cannot_control_the_class(env, monkeypatch):
    teacher, code, secret = new_class()
    ask_first_lesson_question(teacher)
    other, other_code, other_secret = new_class()
    for jar, params in (({f"attnviz-teach-{code}": "x" * 32}, {}),  # a forged cookie
                        ({f"attnviz-teach-{code}": other_secret}, {}),  # another class's secret
                        ({f"attnviz-teach-{other_code}": other_secret}, {}),  # a cookie for another class
                        ({}, {"teach": other_secret}),  # another class's secret in the link
                        ({}, {"teach": secret[:-1]})):  # one character short
        cookie_jar(monkeypatch, jar)
        at = open_app(**{"class": code, **params})
        assert "only the teacher's own link" in texts(at), (jar, params)
        assert not [b for b in at.button if b.key and b.key.startswith("class_")]
        assert "teach" not in at.query_params and "attnviz-teach" not in htmls(at)
    from attnviz.views import classroom
    info = classroom.get_store().get_class(code)
    assert classroom.get_store().question(code, info.current_q).status == "open"
    cookie_jar(monkeypatch, {f"attnviz-teach-{code}": "x" * 32})  # a stale cookie, the right link: the link wins
    assert [b for b in open_app(**{"class": code, "teach": secret}).button if b.key == "class_close"]
