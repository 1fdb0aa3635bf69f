"""Where a live class lives between page runs and replicas: classes, questions, students and votes.

One interface (ClassStore), two implementations sharing their SQL: SqliteStore (the default: one file
in a data folder, WAL mode, so several replicas on one host share it) and PostgresStore (psycopg 3,
for replicas on several machines), chosen by open_store() from ATTNVIZ_DATABASE_URL. Every query
takes parameters, never formatted values. The schema is versioned: numbered, append-only MIGRATIONS
and a schema_version table. Nothing personal is stored: a student is a random id the phone holds in
its link, with an optional nickname; a class and everything in it is deleted when it expires.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
import queue
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"  # unless ATTNVIZ_DATA_DIR names another
DB_NAME = "classes.sqlite3"
DEFAULT_HOURS = 12.0  # a class expires this long after it starts (ATTNVIZ_CLASS_HOURS)
POOL_IDLE = 8  # idle connections a store keeps for the next script run (per process)
STATUSES = ("open", "closed", "revealed")  # a question's vote: open to votes, closed, answer shown
ROUNDS = (1, 2)  # a first vote, and a second after discussing with a neighbour

# Numbered, append-only steps: never edit one that has shipped, add the next. {float} is the dialect's
# 8-byte float (times are seconds since the epoch; PostgreSQL's REAL has only 4 bytes).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: classes, questions, students, votes
        """CREATE TABLE classes (
            code TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL,
            lang TEXT NOT NULL DEFAULT 'en',
            created_at {float} NOT NULL,
            expires_at {float} NOT NULL,
            current_q INTEGER,
            ended INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE questions (
            code TEXT NOT NULL,
            qno INTEGER NOT NULL,
            payload TEXT NOT NULL,
            options INTEGER NOT NULL,
            round INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'open',
            asked_at {float} NOT NULL,
            PRIMARY KEY (code, qno))""",
        """CREATE TABLE students (
            code TEXT NOT NULL,
            student TEXT NOT NULL,
            nickname TEXT NOT NULL DEFAULT '',
            joined_at {float} NOT NULL,
            PRIMARY KEY (code, student))""",
        """CREATE TABLE votes (
            code TEXT NOT NULL,
            qno INTEGER NOT NULL,
            round INTEGER NOT NULL,
            student TEXT NOT NULL,
            choice INTEGER NOT NULL,
            at {float} NOT NULL,
            PRIMARY KEY (code, qno, round, student))""",
        "CREATE INDEX classes_expiry ON classes (expires_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class NotTeacher(PermissionError):
    """A teacher action without the class's secret (or for a class that is gone)."""


@dataclass(frozen=True)
class ClassInfo:
    code: str
    lang: str
    created_at: float
    expires_at: float
    current_q: int | None  # the question on screen, None between questions
    ended: bool


@dataclass(frozen=True)
class QuestionRow:
    qno: int  # 1, 2, … in the order asked
    payload: str  # the question as JSON (session.ClassQuestion.to_json)
    options: int
    round: int
    status: str


class ClassStore(Protocol):
    """What the page needs from a store. Teacher actions take the class's secret and raise NotTeacher
    without it; `now` (seconds since the epoch) is for tests, default time.time()."""

    def create_class(self, code: str, secret: str, lang: str = "en", hours: float | None = None,
                     now: float | None = None) -> bool: ...
    def get_class(self, code: str, now: float | None = None) -> ClassInfo | None: ...
    def is_teacher(self, code: str, secret: str, now: float | None = None) -> bool: ...
    def ask(self, code: str, secret: str, payload: str, options: int, now: float | None = None) -> int: ...
    def set_status(self, code: str, secret: str, qno: int, status: str) -> None: ...
    def second_round(self, code: str, secret: str, qno: int) -> None: ...
    def next_question(self, code: str, secret: str) -> None: ...
    def end(self, code: str, secret: str) -> None: ...
    def join(self, code: str, student: str, nickname: str = "", now: float | None = None) -> bool: ...
    def vote(self, code: str, qno: int, rnd: int, student: str, choice: int, now: float | None = None) -> bool: ...
    def question(self, code: str, qno: int) -> QuestionRow | None: ...
    def questions(self, code: str) -> list[QuestionRow]: ...
    def answered(self, code: str, qno: int, rnd: int) -> int: ...
    def tally(self, code: str, qno: int, rnd: int) -> dict[int, int]: ...
    def my_vote(self, code: str, qno: int, rnd: int, student: str) -> int | None: ...
    def nicknames(self, code: str) -> tuple[int, list[str]]: ...
    def purge(self, now: float | None = None) -> int: ...


def secret_hash(secret: str) -> str:
    """What the store keeps of a teacher's secret: its SHA-256 (the secret itself never leaves the teacher)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def class_hours() -> float:
    """Hours a class lives: ATTNVIZ_CLASS_HOURS (a positive number), else DEFAULT_HOURS."""
    try:
        hours = float(os.environ.get("ATTNVIZ_CLASS_HOURS", DEFAULT_HOURS))
    except ValueError:
        return DEFAULT_HOURS
    return hours if 0 < hours < 24 * 365 else DEFAULT_HOURS


class _SqlStore:
    """The SQL both backends run. Subclasses give a connection per thread, the placeholder style and a
    transaction; queries are written with `?` placeholders."""

    float_type = "REAL"
    lock_row = ""  # appended to a SELECT that must lock the class row for the transaction

    # ---------------------------------------------------------------- backend hooks

    def _connect(self):
        """A new connection (the subclass's database, autocommit outside transactions)."""
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql

    def _begin(self, c, schema: bool):
        """A context manager: one transaction on connection c."""
        raise NotImplementedError

    def _init_pool(self) -> None:
        self._pool: queue.LifoQueue = queue.LifoQueue()

    @contextmanager
    def _borrow(self) -> Iterator:
        """A connection from the pool (a new one when none is idle), back to it afterwards. Streamlit runs
        every script run in a fresh thread, so per-thread connections would be made anew for every run."""
        try:
            c = self._pool.get_nowait()
        except queue.Empty:
            c = self._connect()
        ok = False
        try:
            yield c
            ok = True
        except NotTeacher:  # a refusal, not a broken connection
            ok = True
            raise
        finally:
            if ok and self._pool.qsize() < POOL_IDLE:
                self._pool.put(c)
            else:  # an error may leave it in a bad state; too many idle ones: close it
                with suppress(Exception):
                    c.close()

    @contextmanager
    def _tx(self, schema: bool = False) -> Iterator:
        with self._borrow() as c, self._begin(c, schema):
            yield c

    def _exec(self, c, sql: str, params: tuple):
        cur = c.cursor()
        cur.execute(self._sql(sql), params)
        return cur

    def _run(self, sql: str, params: tuple = (), conn=None) -> int:
        """Run a statement; the number of rows it changed."""
        if conn is not None:
            return self._exec(conn, sql, params).rowcount
        with self._borrow() as c:
            return self._exec(c, sql, params).rowcount

    def _one(self, sql: str, params: tuple = (), conn=None):
        if conn is not None:
            return self._exec(conn, sql, params).fetchone()
        with self._borrow() as c:
            return self._exec(c, sql, params).fetchone()

    def _all(self, sql: str, params: tuple = (), conn=None) -> list:
        if conn is not None:
            return self._exec(conn, sql, params).fetchall()
        with self._borrow() as c:
            return self._exec(c, sql, params).fetchall()

    def close(self) -> None:
        """Close the idle connections (those in use close when they come back)."""
        while True:
            try:
                c = self._pool.get_nowait()
            except queue.Empty:
                return
            with suppress(Exception):
                c.close()

    # ---------------------------------------------------------------- schema

    def migrate(self) -> int:
        """Bring the schema to SCHEMA_VERSION (idempotent, safe when replicas start together)."""
        with self._tx(schema=True) as c:
            self._run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", conn=c)
            have = self._one("SELECT MAX(version) FROM schema_version", conn=c)[0] or 0
            if have > SCHEMA_VERSION:
                raise RuntimeError(f"the class store has schema {have}, newer than this code's {SCHEMA_VERSION}")
            for number in range(have + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number - 1]:
                    self._run(statement.format(float=self.float_type), conn=c)
                self._run("INSERT INTO schema_version (version) VALUES (?)", (number,), conn=c)
                log.info("class store: schema step %d applied", number)
        return SCHEMA_VERSION

    def schema_version(self) -> int:
        return self._one("SELECT MAX(version) FROM schema_version")[0] or 0

    # ---------------------------------------------------------------- classes and authority

    def create_class(self, code: str, secret: str, lang: str = "en", hours: float | None = None,
                     now: float | None = None) -> bool:
        """A new class under `code`; False when a live class already has it (pick another code)."""
        now = time.time() if now is None else now
        hours = class_hours() if hours is None else hours
        self.purge(now)
        with self._tx() as c:
            if self._one("SELECT 1 FROM classes WHERE code = ?", (code,), conn=c):
                return False
            self._run("INSERT INTO classes (code, secret_hash, lang, created_at, expires_at, ended) "
                      "VALUES (?, ?, ?, ?, ?, 0)", (code, secret_hash(secret), lang, now, now + hours * 3600), conn=c)
        return True

    def get_class(self, code: str, now: float | None = None) -> ClassInfo | None:
        """The class, or None when no class has this code or it has expired."""
        now = time.time() if now is None else now
        row = self._one("SELECT code, lang, created_at, expires_at, current_q, ended FROM classes "
                        "WHERE code = ? AND expires_at > ?", (code, now))
        return None if row is None else ClassInfo(row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    def _check(self, c, code: str, secret: str, now: float | None = None) -> None:
        """Raise NotTeacher unless `secret` is this live class's (constant-time compare of the hashes)."""
        now = time.time() if now is None else now
        row = self._one("SELECT secret_hash FROM classes WHERE code = ? AND expires_at > ?" + self.lock_row,
                        (code, now), conn=c)
        if row is None or not hmac.compare_digest(row[0], secret_hash(secret or "")):
            raise NotTeacher(f"not the teacher of class {code!r}")

    def is_teacher(self, code: str, secret: str, now: float | None = None) -> bool:
        try:
            with self._tx() as c:
                self._check(c, code, secret, now)
            return True
        except NotTeacher:
            return False

    def ask(self, code: str, secret: str, payload: str, options: int, now: float | None = None) -> int:
        """Put a question to the class (round 1, open to votes); returns its number."""
        now = time.time() if now is None else now
        with self._tx() as c:
            self._check(c, code, secret, now)
            qno = (self._one("SELECT MAX(qno) FROM questions WHERE code = ?", (code,), conn=c)[0] or 0) + 1
            self._run("INSERT INTO questions (code, qno, payload, options, round, status, asked_at) "
                      "VALUES (?, ?, ?, ?, 1, 'open', ?)", (code, qno, payload, int(options), now), conn=c)
            self._run("UPDATE classes SET current_q = ? WHERE code = ?", (qno, code), conn=c)
        return qno

    def set_status(self, code: str, secret: str, qno: int, status: str) -> None:
        """Open, close or reveal the vote on question `qno`."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
        with self._tx() as c:
            self._check(c, code, secret)
            self._run("UPDATE questions SET status = ? WHERE code = ? AND qno = ?", (status, code, qno), conn=c)

    def second_round(self, code: str, secret: str, qno: int) -> None:
        """"Discuss with your neighbour, vote again": round 2 of `qno`, open to votes."""
        with self._tx() as c:
            self._check(c, code, secret)
            self._run("UPDATE questions SET round = 2, status = 'open' WHERE code = ? AND qno = ?",
                      (code, qno), conn=c)
            self._run("UPDATE classes SET current_q = ? WHERE code = ?", (qno, code), conn=c)

    def next_question(self, code: str, secret: str) -> None:
        """No question on screen: the teacher picks the next one."""
        with self._tx() as c:
            self._check(c, code, secret)
            self._run("UPDATE classes SET current_q = NULL WHERE code = ?", (code,), conn=c)

    def end(self, code: str, secret: str) -> None:
        with self._tx() as c:
            self._check(c, code, secret)
            self._run("UPDATE classes SET ended = 1, current_q = NULL WHERE code = ?", (code,), conn=c)
            self._run("UPDATE questions SET status = 'revealed' WHERE code = ? AND status = 'open'", (code,), conn=c)

    # ---------------------------------------------------------------- students

    def join(self, code: str, student: str, nickname: str = "", now: float | None = None) -> bool:
        """Register (or rename) a student of a live class; False when the class is unknown or over."""
        now = time.time() if now is None else now
        changed = self._run(
            "INSERT INTO students (code, student, nickname, joined_at) "
            "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM classes WHERE code = ? AND expires_at > ? AND ended = 0) "
            "ON CONFLICT (code, student) DO UPDATE SET nickname = excluded.nickname",
            (code, student, nickname, now, code, now))
        return changed > 0

    def vote(self, code: str, qno: int, rnd: int, student: str, choice: int, now: float | None = None) -> bool:
        """Record (or change) a student's answer. One row per (class, question, round, student): a retried
        or repeated vote replaces the student's answer and never counts twice. False when the vote is not
        open (closed, another question or round on screen, class over) or the option does not exist."""
        now = time.time() if now is None else now
        changed = self._run(
            "INSERT INTO votes (code, qno, round, student, choice, at) "
            "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS ("
            " SELECT 1 FROM classes c JOIN questions q ON q.code = c.code AND q.qno = c.current_q"
            " WHERE c.code = ? AND c.ended = 0 AND c.expires_at > ? AND q.qno = ? AND q.round = ?"
            " AND q.status = 'open' AND ? >= 0 AND ? < q.options) "
            "ON CONFLICT (code, qno, round, student) DO UPDATE SET choice = excluded.choice, at = excluded.at",
            (code, int(qno), int(rnd), student, int(choice), now, code, now, int(qno), int(rnd),
             int(choice), int(choice)))
        return changed > 0

    # ---------------------------------------------------------------- reading

    def question(self, code: str, qno: int) -> QuestionRow | None:
        row = self._one("SELECT qno, payload, options, round, status FROM questions WHERE code = ? AND qno = ?",
                        (code, qno))
        return None if row is None else QuestionRow(*row)

    def questions(self, code: str) -> list[QuestionRow]:
        return [QuestionRow(*r) for r in self._all(
            "SELECT qno, payload, options, round, status FROM questions WHERE code = ? ORDER BY qno", (code,))]

    def answered(self, code: str, qno: int, rnd: int) -> int:
        return self._one("SELECT COUNT(*) FROM votes WHERE code = ? AND qno = ? AND round = ?", (code, qno, rnd))[0]

    def tally(self, code: str, qno: int, rnd: int) -> dict[int, int]:
        """Votes per option (options nobody chose are absent)."""
        return {int(choice): int(n) for choice, n in self._all(
            "SELECT choice, COUNT(*) FROM votes WHERE code = ? AND qno = ? AND round = ? GROUP BY choice",
            (code, qno, rnd))}

    def my_vote(self, code: str, qno: int, rnd: int, student: str) -> int | None:
        row = self._one("SELECT choice FROM votes WHERE code = ? AND qno = ? AND round = ? AND student = ?",
                        (code, qno, rnd, student))
        return None if row is None else int(row[0])

    def nicknames(self, code: str) -> tuple[int, list[str]]:
        """(students who joined, the nicknames given, in joining order)."""
        rows = self._all("SELECT nickname FROM students WHERE code = ? ORDER BY joined_at", (code,))
        return len(rows), [r[0] for r in rows if r[0]]

    def purge(self, now: float | None = None) -> int:
        """Delete every expired class with its questions, students and votes; returns how many classes."""
        now = time.time() if now is None else now
        with self._tx() as c:
            gone = [r[0] for r in self._all("SELECT code FROM classes WHERE expires_at <= ?", (now,), conn=c)]
            for code in gone:
                for table in ("votes", "students", "questions", "classes"):
                    self._run(f"DELETE FROM {table} WHERE code = ?", (code,), conn=c)  # table: our constant
        return len(gone)


class SqliteStore(_SqlStore):
    """One SQLite file in WAL mode (readers never wait for the writer; replicas on one host share it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._init_pool()
        with self._borrow() as c:
            c.execute("PRAGMA journal_mode=WAL")
        self.migrate()

    def _connect(self) -> sqlite3.Connection:
        c = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        c.execute("PRAGMA busy_timeout = 10000")
        c.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash of the machine may lose the last commit only
        return c

    @contextmanager
    def _begin(self, c: sqlite3.Connection, schema: bool) -> Iterator:
        c.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock between replicas
        try:
            yield
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")


class PostgresStore(_SqlStore):
    """PostgreSQL through psycopg 3: pooled connections, autocommit outside transactions."""

    float_type = "DOUBLE PRECISION"
    lock_row = " FOR UPDATE"

    def __init__(self, url: str) -> None:
        import psycopg  # only when PostgreSQL is chosen

        self._psycopg = psycopg
        self.url = url
        self._init_pool()
        self.migrate()

    def _connect(self):
        return self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def _sql(self, sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    @contextmanager
    def _begin(self, c, schema: bool) -> Iterator:
        with c.transaction():
            if schema:  # replicas starting together: one migrates, the others wait and find it done
                c.execute("SELECT pg_advisory_xact_lock(7140514)")
            yield


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_store(url: str | None = None, data_dir: str | Path | None = None) -> ClassStore:
    """The store the environment names: PostgreSQL when ATTNVIZ_DATABASE_URL (or `url`) is a postgres://
    URL, else SQLite in ATTNVIZ_DATA_DIR (or `data_dir`, default ./data) as classes.sqlite3.

    ValueError for a URL of any other kind (the choices are listed).
    """
    url = os.environ.get("ATTNVIZ_DATABASE_URL", "") if url is None else url
    if url:
        if is_postgres_url(url):
            return PostgresStore(url)
        if url.startswith("sqlite:///"):
            return SqliteStore(url[len("sqlite:///"):])
        raise ValueError("ATTNVIZ_DATABASE_URL must be postgresql://… or sqlite:///path (or unset for data/)")
    folder = Path(data_dir or os.environ.get("ATTNVIZ_DATA_DIR") or DATA_DIR)
    return SqliteStore(folder / DB_NAME)
