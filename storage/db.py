"""Engines and sessions, shared by the web app, the CLI and the worker (no Flask here)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Base

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    # WAL lets the web process read while the worker writes; busy_timeout waits for a
    # writer instead of failing at once; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:  # noqa: ANN001
    # BEGIN IMMEDIATE takes the write lock up front: two processes that both read and
    # then write can otherwise deadlock and fail at once instead of waiting (busy_timeout).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class SQLiteWriterQueue:
    """Lines SQLite's writers up on an flock beside the database, across processes.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries, so two
    gunicorn workers taking turns at the write lock lose most of their time asleep while
    the lock is free (a webhook's p99 was hundreds of milliseconds). Here a transaction
    takes an flock first, retried every millisecond or so, and BEGIN IMMEDIATE then
    finds the database free; the flock is let go as soon as the transaction commits or
    rolls back. After ``timeout`` seconds it gives up as SQLite would ("database is
    locked"). One lock file descriptor per connection, so threads queue too.
    """

    # Ask the background checkpointer to write the WAL back every this many commits.
    CHECKPOINT_EVERY = 32

    def __init__(self, database_path: str, timeout: float = 10.0) -> None:
        self.database = database_path
        self.path = database_path + "-writers"
        self.timeout = timeout
        self._held: dict[int, int] = {}  # id(DBAPI connection) -> its open lock file
        self._commits = 0

    def install(self, engine: Engine) -> None:
        """Take the lock before each BEGIN IMMEDIATE; let it go after each commit or rollback."""
        dialect = engine.dialect
        plain_commit, plain_rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection) -> None:  # noqa: ANN001
            try:
                plain_commit(dbapi_connection)
            finally:
                self.release(dbapi_connection)
            self._commits += 1
            if self._commits % self.CHECKPOINT_EVERY == 0:
                checkpointer.request(self.database)

        def do_rollback(dbapi_connection) -> None:  # noqa: ANN001
            try:
                plain_rollback(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]
        event.listen(engine, "close", lambda dbapi_connection, _record: self.release(dbapi_connection))
        event.listen(engine, "begin", self._begin)

    def _begin(self, connection) -> None:  # noqa: ANN001
        self.acquire(connection.connection)
        try:
            _sqlite_begin(connection)
        except BaseException:
            self.release(connection.connection)
            raise

    @staticmethod
    def _key(connection) -> int:  # noqa: ANN001
        # The dialect is handed the pool's proxy or the DBAPI connection itself, by path.
        return id(getattr(connection, "dbapi_connection", None) or connection)

    def acquire(self, dbapi_connection) -> None:  # noqa: ANN001
        if self._key(dbapi_connection) in self._held:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        pause = 0.0002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
        self._held[self._key(dbapi_connection)] = fd

    def release(self, dbapi_connection) -> None:  # noqa: ANN001
        fd = self._held.pop(self._key(dbapi_connection), None)
        if fd is not None:
            os.close(fd)  # closing the only descriptor lets the flock go


class _Checkpointer:
    """Writes SQLite's WAL back into the database file from a thread of its own.

    SQLite does it itself in whichever commit finds the WAL over 1,000 pages: that
    commit then took several milliseconds (a sync of the database file) while it still
    held the writers' lock, so every other writer queued behind it. Asked every
    ``SQLiteWriterQueue.CHECKPOINT_EVERY`` commits, this thread does a PASSIVE
    checkpoint, which waits for no one and holds up no reader or writer, and the WAL
    rarely reaches the point where a commit would do it (which still happens, if this
    thread falls behind). One thread per process, started on first use and again after
    a fork.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted: set[str] = set()
        self._wake = threading.Event()
        self._pid: int | None = None

    def request(self, database: str) -> None:
        with self._lock:
            self._wanted.add(database)
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True).start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                self._wake.clear()
                wanted, self._wanted = self._wanted, set()
            for database in wanted:
                self.checkpoint(database)

    @staticmethod
    def checkpoint(database: str) -> None:
        try:
            # mode=rw: a database removed meanwhile (a test's) is not made again, empty.
            connection = sqlite3.connect(f"file:{database}?mode=rw", uri=True, timeout=0)
        except sqlite3.Error:
            return
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # busy or gone: the next request, or SQLite itself, will do it
            logging.getLogger(__name__).debug("checkpoint skipped: %s", type(exc).__name__)
        finally:
            connection.close()


checkpointer = _Checkpointer()


class _NoResultRows(logging.Filter):
    """Drop SQLAlchemy's DEBUG lines that print result rows (they hold children's words)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


logging.getLogger("sqlalchemy.engine.Engine").addFilter(_NoResultRows())


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the settings each backend needs.

    SQL logging (``sqlalchemy.engine`` at INFO, or ``echo``) never shows bound values:
    they hold children's words and contact details.
    """
    backend = make_url(url).get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        # The upserts (storage.upsert) and the migrations are written for these two only.
        raise ValueError(f"DATABASE_URL: {backend} is not supported; use SQLite or PostgreSQL")
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if path and path != ":memory:" and fcntl is not None:
            SQLiteWriterQueue(path).install(engine)
        else:
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """One engine and its session factory.

    ``settings`` (the app's ``config.Config``) rides on every session as
    ``session.info["settings"]``, for code deep in a transaction that needs one (an
    alert's link and how the IRO hears of it) without a settings argument on every call.
    """

    def __init__(self, url: str, *, settings: Any = None, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.Session = sessionmaker(self.engine, expire_on_commit=False,
                                    info={"settings": settings} if settings is not None else None)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        session = self.Session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to date with the Alembic migrations."""
        from alembic import command

        command.upgrade(alembic_config(self.url), revision)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):
    """An Alembic config pointing at this package's migrations and the given database."""
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def create_all_for_tests(db: Database) -> None:
    """Create the schema straight from the models (used only to compare with migrations)."""
    Base.metadata.create_all(db.engine)
