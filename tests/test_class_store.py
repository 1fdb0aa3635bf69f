"""The class store on both backends: SQLite always, PostgreSQL when ATTNVIZ_TEST_DATABASE_URL names one
(.ci/run starts Debian's postgresql and sets it). One vote per (class, question, round, student),
changeable until closed, 1,000 submissions count once, classes expire, teacher actions need the secret."""
from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest

from attnviz.classroom import session
from attnviz.classroom.store import (SCHEMA_VERSION, NotTeacher, PostgresStore, SqliteStore, open_store,
                                     secret_hash)

PG_URL = os.environ.get("ATTNVIZ_TEST_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "classes.sqlite3")
    else:
        if not PG_URL:
            pytest.skip("ATTNVIZ_TEST_DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it)")
        s = PostgresStore(PG_URL)
    yield s
    s.close()


@pytest.fixture
def klass(store):
    """A fresh class (a random code: the PostgreSQL database is shared between runs) with one question."""
    code, secret = session.new_code(), session.new_secret()
    assert store.create_class(code, secret, "en")
    qno = store.ask(code, secret, '{"q": 1}', options=4)
    return store, code, secret, qno


def test_a_vote_counts_once_and_can_change_until_closed(klass):
    store, code, secret, qno = klass
    assert store.vote(code, qno, 1, "a" * 16, 2)
    assert store.vote(code, qno, 1, "b" * 16, 2)
    assert store.answered(code, qno, 1) == 2
    assert store.vote(code, qno, 1, "a" * 16, 0)  # changed mind
    assert store.tally(code, qno, 1) == {0: 1, 2: 1}
    assert store.my_vote(code, qno, 1, "a" * 16) == 0
    store.set_status(code, secret, qno, "closed")
    assert not store.vote(code, qno, 1, "a" * 16, 3)  # too late
    assert not store.vote(code, qno, 1, "c" * 16, 3)
    assert store.tally(code, qno, 1) == {0: 1, 2: 1}


def test_a_thousand_submissions_from_one_session_count_once(klass):
    store, code, secret, qno = klass
    for i in range(1000):
        assert store.vote(code, qno, 1, "same-student-id1", i % 4)
    assert store.answered(code, qno, 1) == 1
    assert store.tally(code, qno, 1) == {3: 1}  # the last answer stands


def test_concurrent_submissions_count_once_per_student(klass):
    store, code, secret, qno = klass

    def student(i: int) -> None:
        for _ in range(20):
            store.vote(code, qno, 1, f"student-{i:08d}", i % 4)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert store.answered(code, qno, 1) == 8


def test_votes_outside_the_open_round_or_options_are_refused(klass):
    store, code, secret, qno = klass
    assert not store.vote(code, qno, 1, "x" * 16, 4)  # only options 0..3
    assert not store.vote(code, qno, 1, "x" * 16, -1)
    assert not store.vote(code, qno, 2, "x" * 16, 1)  # round 2 has not started
    assert not store.vote(code, qno + 1, 1, "x" * 16, 1)  # no such question
    assert not store.vote("NOCLAS", qno, 1, "x" * 16, 1)
    assert store.answered(code, qno, 1) == 0


def test_second_round_keeps_the_first(klass):
    store, code, secret, qno = klass
    store.vote(code, qno, 1, "a" * 16, 1)
    store.set_status(code, secret, qno, "closed")
    store.second_round(code, secret, qno)
    assert store.question(code, qno).round == 2 and store.question(code, qno).status == "open"
    assert store.vote(code, qno, 2, "a" * 16, 3)
    assert not store.vote(code, qno, 1, "a" * 16, 0)  # round 1 is over
    assert store.tally(code, qno, 1) == {1: 1} and store.tally(code, qno, 2) == {3: 1}


def test_only_the_secret_can_act(klass):
    store, code, secret, qno = klass
    forged = session.new_secret()
    for action in (lambda s: store.set_status(code, s, qno, "revealed"), lambda s: store.second_round(code, s, qno),
                   lambda s: store.next_question(code, s), lambda s: store.end(code, s),
                   lambda s: store.ask(code, s, "{}", 2)):
        for bad in (forged, "", secret[:-1], secret_hash(secret)):
            with pytest.raises(NotTeacher):
                action(bad)
    assert store.question(code, qno).status == "open" and store.get_class(code).current_q == qno
    assert store.is_teacher(code, secret) and not store.is_teacher(code, forged)
    store.set_status(code, secret, qno, "revealed")
    assert store.question(code, qno).status == "revealed"


def test_the_secret_is_not_stored(klass):
    store, code, secret, qno = klass
    rows = store._all("SELECT secret_hash FROM classes WHERE code = ?", (code,))
    assert rows[0][0] == secret_hash(secret) and secret not in rows[0][0]


def test_classes_expire_with_everything_in_them(store):
    code, secret, now = session.new_code(), session.new_secret(), time.time()
    assert store.create_class(code, secret, "ko", hours=1, now=now)
    qno = store.ask(code, secret, "{}", 2, now=now)
    assert store.join(code, "s" * 16, "Mina", now=now)
    assert store.vote(code, qno, 1, "s" * 16, 1, now=now)
    assert store.get_class(code, now=now + 3599).lang == "ko"
    assert store.get_class(code, now=now + 3601) is None  # expired: an unknown code to everyone
    assert not store.vote(code, qno, 1, "t" * 16, 1, now=now + 3601)
    assert not store.is_teacher(code, secret, now=now + 3601)
    assert store.purge(now=now + 3601) >= 1
    assert store.questions(code) == [] and store.nicknames(code) == (0, [])
    assert store.tally(code, qno, 1) == {}
    assert store.create_class(code, secret, now=now + 3602)  # the code is free again


def test_a_live_code_is_not_given_twice(store):
    code = session.new_code()
    assert store.create_class(code, session.new_secret())
    assert not store.create_class(code, session.new_secret())


def test_students_and_nicknames(store):
    code, secret = session.new_code(), session.new_secret()
    store.create_class(code, secret)
    assert store.join(code, "a" * 16, "")
    assert store.join(code, "b" * 16, "<b>Jo</b>")
    assert store.join(code, "b" * 16, "Jo")  # renamed, still one student
    assert store.nicknames(code) == (2, ["Jo"])
    store.end(code, secret)
    assert store.get_class(code).ended
    assert not store.join(code, "c" * 16, "")


def test_schema_is_versioned_and_migrating_again_changes_nothing(store):
    assert store.schema_version() == SCHEMA_VERSION
    assert store.migrate() == SCHEMA_VERSION
    assert store.schema_version() == SCHEMA_VERSION


def test_sqlite_uses_wal_and_one_file(tmp_path):
    s = open_store(url="", data_dir=tmp_path)
    assert isinstance(s, SqliteStore) and s.path == tmp_path / "classes.sqlite3"
    with sqlite3.connect(s.path) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_open_store_refuses_unknown_urls(tmp_path):
    with pytest.raises(ValueError, match="postgresql://"):
        open_store(url="mysql://x")
    assert isinstance(open_store(url=f"sqlite:///{tmp_path}/x.sqlite3"), SqliteStore)


def test_two_stores_on_one_file_see_each_other(tmp_path):
    """Two replicas on one host: two processes' stores on one SQLite file."""
    a, b = SqliteStore(tmp_path / "c.sqlite3"), SqliteStore(tmp_path / "c.sqlite3")
    code, secret = session.new_code(), session.new_secret()
    a.create_class(code, secret)
    qno = b.ask(code, secret, "{}", 3)
    assert a.vote(code, qno, 1, "x" * 16, 2) and b.vote(code, qno, 1, "y" * 16, 2)
    assert b.tally(code, qno, 1) == {2: 2} == a.tally(code, qno, 1)


@pytest.mark.skipif(not PG_URL, reason="ATTNVIZ_TEST_DATABASE_URL is not set")
def test_open_store_picks_postgres_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATTNVIZ_DATABASE_URL", PG_URL)
    assert isinstance(open_store(), PostgresStore)


def test_random_ids_are_unique_enough():
    assert len({session.new_code() for _ in range(2000)}) > 1990
