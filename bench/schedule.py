"""Benchmark the review cycle at national scale: import a year's schedule, then compute what is due.

Generates a national year as a schedule CSV (``--scale 1``: 200,000 reviews, 400,000
rows, 600,000 invitations: each review has a child, who gets a consultation and a
feedback invitation, and a health professional, who gets a consultation one), imports it
with ``storage.reviews.import_schedule`` (streaming validation, phone numbers through
``phonenumbers``, chunked inserts, one transaction) and runs
``storage.scheduler.queue_due`` once at a Monday 09:00 of the year, with nothing sent
before (the heaviest catch-up: half a year of invitations is closed or skipped at once),
then on the two following days (a normal day's work once the worker keeps up).

Baseline, measured in the same run on the same file and database: a plain
``csv.reader`` pass plus a bulk INSERT of the same rows into a table of ten text
columns. It prints both times, their ratio, and the peak memory: the process's peak RSS
after each phase (the catch-up must not raise it much: it pages through invitations by
id) and the Python peak (tracemalloc) of a day's ``queue_due``.

    .venv/bin/python bench/schedule.py --scale 0.1            # quick
    .venv/bin/python bench/schedule.py --scale 1              # national year (PostgreSQL)
    .venv/bin/python bench/schedule.py --scale 0.1 --sqlite   # a SQLite file instead
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from config import Config  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Invitation, OutboxMessage  # noqa: E402
from storage.reviews import import_schedule  # noqa: E402
from storage.scheduler import queue_due  # noqa: E402
from surveys.schedule_csv import COLUMNS  # noqa: E402

ADMIN_URL = os.environ.get("HYS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
YEAR_START = date(2026, 4, 1)
NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)  # Monday 5 October 2026, 09:00 BST


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, reviews: int) -> int:
    """A year of reviews on working days, two rows each; the number of rows."""
    days = [YEAR_START + timedelta(days=d) for d in range(365)]
    days = [d for d in days if d.weekday() < 5]
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(reviews):
            ref, child, day = f"R{i:07d}", f"C{i:07d}", days[i % len(days)].isoformat()
            age = 8 + i % 10
            iro = f"iro{i % 400}@council.example"
            writer.writerow((ref, child, age, "CLA", day, iro, "child", "sms", f"07{400000000 + i:09d}", "en"))
            writer.writerow((ref, child, age, "CLA", day, iro, "health", "email", f"nurse{i % 5000}@nhs.example", "en"))
            rows += 2
    return rows


def baseline(db: Database, path: Path) -> float:
    """Seconds for csv.reader over the file plus a bulk INSERT of every row."""
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_rows"))
        conn.execute(text("CREATE TABLE bench_rows (" + ", ".join(f"{c} TEXT" for c in COLUMNS) + ")"))
    insert = text("INSERT INTO bench_rows VALUES (" + ", ".join(f":{c}" for c in COLUMNS) + ")")
    start = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as handle, db.engine.begin() as conn:
        reader = csv.reader(handle)
        next(reader)
        batch: list[dict[str, str]] = []
        for record in reader:
            batch.append(dict(zip(COLUMNS, record, strict=True)))
            if len(batch) == 5000:
                conn.execute(insert, batch)
                batch = []
        if batch:
            conn.execute(insert, batch)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 200,000 reviews (600,000 invitations)")
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    reviews = max(10, int(200_000 * args.scale))
    workdir = Path(tempfile.mkdtemp(prefix="hys-bench-schedule-"))
    admin = None
    if args.sqlite:
        url = f"sqlite:///{workdir / 'bench.sqlite'}"
    else:
        name = f"hys_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        db = Database(url)
        db.upgrade()
        path = workdir / "schedule.csv"
        start = time.perf_counter()
        rows = write_csv(path, reviews)
        print(f"generated {reviews:,} reviews, {rows:,} rows, {path.stat().st_size / 1048576:.1f} MB "
              f"in {time.perf_counter() - start:.1f} s")

        base = baseline(db, path)
        print(f"baseline (csv.reader + bulk INSERT of {rows:,} rows): {base:.2f} s")

        start = time.perf_counter()
        with open(path, "rb") as handle, db.session() as session:
            result = import_schedule(session, handle, max_bytes=1 << 40)
        imported = time.perf_counter() - start
        assert result.ok, result.errors[:5]
        with db.session() as session:
            invitations = session.scalar(select(func.count(Invitation.id)))
        print(f"import: {imported:.2f} s ({result.summary()}); {invitations:,} invitations; "
              f"ratio to baseline {imported / base:.1f}x; peak RSS so far {peak_rss_mb():.0f} MB")

        start = time.perf_counter()
        with open(path, "rb") as handle, db.session() as session:
            again = import_schedule(session, handle, max_bytes=1 << 40)
        print(f"re-import (no change): {time.perf_counter() - start:.2f} s; "
              f"{again.invitations_unchanged:,} unchanged, {again.invitations_created} created")

        config = Config(ENV="testing", DATABASE_URL=url, PUBLIC_BASE_URL="https://hys.example.test")
        # Timed without tracemalloc (it slows Python about twofold); memory is read as the
        # process's peak RSS before and after, which must not grow with the invitations.
        rss_before = peak_rss_mb()
        start = time.perf_counter()
        with db.session() as session:
            counts = queue_due(session, config, NOW)
        due = time.perf_counter() - start
        with db.session() as session:
            queued = session.scalar(select(func.count(OutboxMessage.id)))
        print(f"queue_due at {NOW.isoformat()}: {due:.2f} s; {counts}; outbox {queued:,}; "
              f"peak RSS {rss_before:.0f} MB before, {peak_rss_mb():.0f} MB after; "
              f"ratio to baseline {due / base:.1f}x")
        start = time.perf_counter()
        with db.session() as session:
            counts = queue_due(session, config, NOW)
        print(f"queue_due again (nothing new): {time.perf_counter() - start:.2f} s; queued {counts['queued']}")
        # A normal day after that catch-up: the worker runs every day, so only one day's steps are due.
        for days in (1, 2):
            moment = NOW + timedelta(days=days)
            start = time.perf_counter()
            with db.session() as session:
                counts = queue_due(session, config, moment)
            took = time.perf_counter() - start
            print(f"queue_due on day +{days} ({moment.isoformat()}): {took:.2f} s; {counts}; "
                  f"ratio to baseline {took / base:.2f}x")
        # Python's own peak for a day's run (tracemalloc, untimed): pages of ids, never every row.
        tracemalloc.start()
        with db.session() as session:
            queue_due(session, config, NOW + timedelta(days=3))
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"queue_due on day +3: Python peak {python_peak / 1048576:.1f} MB (tracemalloc)")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
        db.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
        for child in workdir.iterdir():
            child.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
