"""SQLite's writers queue on an flock beside the database (storage.db.SQLiteWriterQueue)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from storage.db import SQLiteWriterQueue, _Checkpointer, checkpointer, make_engine


def _engine(tmp_path):  # noqa: ANN001, ANN202
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE marks (who TEXT, at REAL)"))
    return engine


def _lock_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_waiting_writer_goes_once_the_first_commits_and_not_before(tmp_path):
    engine = _engine(tmp_path)
    first_in = threading.Event()
    order: list[str] = []

    def first() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO marks VALUES ('first', 0)"))
            first_in.set()
            time.sleep(0.3)
            order.append("first commits")

    def second() -> None:
        first_in.wait(5)
        with engine.begin() as conn:
            order.append("second writes")
            conn.execute(text("INSERT INTO marks VALUES ('second', 0)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first commits", "second writes"]
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT who FROM marks")).scalars()) == ["first", "second"]
    assert _lock_is_free(str(tmp_path / "queue.sqlite") + "-writers")
    engine.dispose()


def test_the_lock_is_let_go_on_rollback_and_on_error(tmp_path):
    engine = _engine(tmp_path)
    lock_path = str(tmp_path / "queue.sqlite") + "-writers"
    conn = engine.connect()
    transaction = conn.begin()
    conn.execute(text("INSERT INTO marks VALUES ('gone', 0)"))
    assert not _lock_is_free(lock_path)  # held for the whole transaction
    transaction.rollback()
    assert _lock_is_free(lock_path)
    conn.close()
    with pytest.raises(Exception, match="no such table"), engine.begin() as conn:
        conn.execute(text("INSERT INTO nowhere VALUES (1)"))
    assert _lock_is_free(lock_path)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM marks")).scalar() == 0
    engine.dispose()


def test_a_writer_gives_up_as_sqlite_would_when_the_lock_is_never_let_go(tmp_path):
    queue = SQLiteWriterQueue(str(tmp_path / "held.sqlite"), timeout=0.2)
    holder = os.open(queue.path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process, stuck mid-transaction
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        queue.acquire(object())
    assert 0.2 <= time.monotonic() - started < 2
    os.close(holder)
    connection = object()
    queue.acquire(connection)  # free again: taken at once
    assert not _lock_is_free(queue.path)
    queue.release(connection)
    assert _lock_is_free(queue.path)


def test_every_so_many_commits_the_wal_is_written_back_by_the_checkpoint_thread(tmp_path, monkeypatch):
    """The checkpoint is asked for after the writers' lock is let go, and done off the request's thread."""
    import storage.db as storage_db

    asked: list[str] = []
    monkeypatch.setattr(storage_db.checkpointer, "request", lambda database: asked.append(database))
    engine = _engine(tmp_path)
    for n in range(2 * SQLiteWriterQueue.CHECKPOINT_EVERY):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO marks VALUES (:who, :at)"), {"who": "w", "at": n})
    # _engine's CREATE TABLE was one commit more; every CHECKPOINT_EVERY-th asks once.
    assert asked == [str(tmp_path / "queue.sqlite")] * 2
    engine.dispose()


def test_a_checkpoint_moves_the_wal_into_the_database_file_and_makes_no_new_file(tmp_path):
    path = tmp_path / "ckpt.sqlite"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # only ours
    writer.execute("CREATE TABLE t (x TEXT)")
    writer.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 2000)
    writer.commit()
    before = path.stat().st_size
    checkpointer.checkpoint(str(path))
    assert path.stat().st_size > before + 500_000  # the rows' pages are in the file now
    assert writer.execute("SELECT count(*) FROM t").fetchone() == (2000,)
    writer.close()
    checkpointer.checkpoint(str(tmp_path / "gone.sqlite"))
    assert not (tmp_path / "gone.sqlite").exists()


def test_the_checkpoint_thread_does_what_it_is_asked(tmp_path):
    path = tmp_path / "threaded.sqlite"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x TEXT)")
    writer.executemany("INSERT INTO t VALUES (?)", [("y" * 500,)] * 1000)
    writer.commit()
    before = path.stat().st_size
    _Checkpointer().request(str(path))
    deadline = time.monotonic() + 10
    while path.stat().st_size <= before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert path.stat().st_size > before
    writer.close()
