"""Benchmark the Twilio SMS webhook against a one-row baseline, in the same run, on SQLite and PostgreSQL.

    .venv/bin/python bench/webhook.py [--database sqlite|postgresql|both] [--requests 1500]
        [--clients 8] [--workers 2] [--respondents 64] [--steps 0.25,0.5,0.75,1.0] [--step-seconds 6]
        [--reply-via twiml|rest]

For each database it starts gunicorn (sync workers, fixed count) on a fresh database
(SQLite file in WAL mode; PostgreSQL: a scratch database created on ``--pg-url`` and
dropped afterwards), with a fake Twilio API on 127.0.0.1 receiving the replies, and
posts signed webhooks to two routes:

- ``/bench/baseline``: inserts one row through SQLAlchemy and answers empty TwiML (the
  floor of what any webhook costs);
- ``/webhooks/twilio/sms``: the real thing: signature check, inbound stored, the
  conversation step, answers saved and screened, reply queued and answered in TwiML
  (``--reply-via rest``: sent to the fake Twilio's REST API instead).

First both routes run flat out from ``--clients`` keep-alive clients (closed loop): that
gives each route's throughput and p50/p99 and the ratio webhook/baseline. Then both are
driven at rising fixed rates (open loop: requests start on a schedule, latency counts
from the scheduled start) at the ``--steps`` fractions of the baseline's throughput,
so the p99 at half the baseline's load can be read off. The senders are ``--respondents``
children with open invitations texting at once, each through a whole consultation (21
texts, from "Hi" to the thank-you) and then the next child; they are staggered so that
every request mix holds each step of a conversation alike (see ``Load``). After the
runs, untimed, the TwiML answers are played to the fake as Twilio would (messages
created, each reported "sent" to its action URL), and the outbox and the invitations
are counted by status. Nothing leaves the machine.

Targets (issue 3): webhook throughput at least 0.60 of the baseline's, and webhook p99
under 25 ms at half the baseline's load.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench_app():  # noqa: ANN201 - gunicorn's app factory
    """The real app plus the baseline route (used by the gunicorn workers)."""
    from flask import Response
    from twilio.twiml.messaging_response import MessagingResponse

    from storage.models import InboundMessage, utcnow
    from web import create_app

    app = create_app()
    db = app.extensions["db"]
    # One INFO line per message would drown the summary; warnings and errors still show.
    logging.getLogger().setLevel(logging.WARNING)

    def bench_baseline():
        from flask import request

        with db.session() as session:
            session.add(InboundMessage(channel="bench", provider_id=request.form.get("MessageSid", "")[:64],
                                       sender=request.form.get("From"), body=None, status="received",
                                       received_at=utcnow()))
        return Response(str(MessagingResponse()), mimetype="application/xml")

    app.extensions["csrf"].exempt(bench_baseline)
    app.add_url_rule("/bench/baseline", "bench_baseline", bench_baseline, methods=["POST"])
    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start on port {port}")


def _seed(database_url: str, phones: list[str], *, upgrade: bool = True) -> None:
    """Open SMS invitations (child consultation form) for these numbers, one review each."""
    from datetime import date

    from storage.db import Database
    from storage.models import Invitation, Review

    db = Database(database_url)
    if upgrade:
        db.upgrade()
    with db.session() as session:
        for phone in phones:
            review = Review(review_ref=f"B-{phone}", child_ref=f"C-{phone}", child_age=13, review_type="CLA",
                            review_date=date(2026, 12, 1), iro_email="iro@council.example")
            session.add(review)
            session.flush()
            session.add(Invitation(review_id=review.id, import_key=secrets.token_hex(16), phase="consultation",
                                   form_id="child_before", role="child", channel="sms", contact=phone,
                                   token=secrets.token_urlsafe(24), status="sent", language="en"))
    db.dispose()


# A whole child consultation by SMS, from the first text to the thank-you (every answer
# valid, none that raises a safeguarding alert): 21 webhooks.
CONVERSATION = ["Hi", "1", "happy", "8", "7", "6", "9", "nothing", "1", "no", "no", "1", "1,2", "1", "2",
                "Mondays are best", "1", "2", "more time with my brother", "no thanks", "yes"]


def _phone(index: int) -> str:
    return f"+44740{index:06d}"


class Load:
    """Signed webhook forms: ``slots`` respondents texting at once, each a whole conversation, then the next.

    Slot s sends message ``(round + s * len / slots) % len`` of ``CONVERSATION``, so once every
    slot has been round once (``warm_up``) the slots stand at every step of a conversation
    alike, as a day's traffic would: starts, answers and thank-yous in their real
    proportions. A slot's messages always fall to the same client (``slots`` is a
    multiple of the clients, and both loops deal requests out round-robin), so one
    respondent's texts arrive in order. Numbers are seeded (``seed``) as they are needed.
    """

    def __init__(self, slots: int, account_sid: str, auth_token: str, public_base: str, seed=None) -> None:  # noqa: ANN001
        from tests.fakes.twilio_fake import inbound_sms_form, sign

        self._form = inbound_sms_form
        self._sign = sign
        self.slots = slots
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.public_base = public_base
        self.seed = seed
        self.seeded = 0
        self.sent = 0

    def _next(self) -> tuple[str, str, int | None]:
        """(phone, text, respondent number or None for a stranger) of the next request."""
        length = len(CONVERSATION)
        slot, turn = self.sent % self.slots, self.sent // self.slots
        offset = slot * length // self.slots
        step = turn + offset
        self.sent += 1
        conversation = step // length
        if conversation == 0 and offset:
            # Joined part way: a number we don't know (answered "who is this?") until the
            # slot's first whole conversation begins; the warm-up passes these.
            return f"+44749{slot:06d}", CONVERSATION[step], None
        respondent = conversation * self.slots + slot
        return _phone(respondent), CONVERSATION[step % length], respondent

    def warm_up(self, path: str) -> list[tuple[dict[str, str], str]]:
        """Enough requests for every slot to start a whole conversation (untimed)."""
        return self.take(path, self.slots * len(CONVERSATION))

    def take(self, path: str, n: int) -> list[tuple[dict[str, str], str]]:
        texts = [self._next() for _ in range(n)]
        needed = max((respondent + 1 for _, _, respondent in texts if respondent is not None), default=0)
        if self.seed is not None and needed > self.seeded:
            self.seed([_phone(i) for i in range(self.seeded, needed)])
            self.seeded = needed
        out = []
        for phone, text, _ in texts:
            form = self._form(phone, text, account_sid=self.account_sid)
            out.append((form, self._sign(self.auth_token, self.public_base + path, form)))
        return out


# (form posted, answer body) of every webhook request: the TwiML replies, played to the fake afterwards.
ANSWERS: list[tuple[dict[str, str], bytes]] = []


def _post(session, url: str, form: dict[str, str], signature: str) -> bool:  # noqa: ANN001
    response = session.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    ANSWERS.append((form, response.content))
    return response.status_code == 200


def play_twilio(port: int, fake, auth_token: str, public_base: str, clients: int) -> int:  # noqa: ANN001
    """Untimed, after the runs: do Twilio's part with each TwiML answer (create its messages on
    the fake, report each "sent" to its action URL, signed); the number of reports."""
    import requests

    from tests.fakes.twilio_fake import sign, status_form

    reports: list[tuple[str, dict[str, str]]] = []
    for form, answer in ANSWERS:
        if b"<Message" in answer:
            for sid, action in fake.accept_twiml(answer, form):
                if action:
                    path = action.removeprefix(public_base)
                    reports.append((path, status_form(sid, "sent", to=form["From"], from_=form["To"])))
    ANSWERS.clear()

    def client(chunk: list[tuple[str, dict[str, str]]]) -> None:
        session = requests.Session()
        for path, report in chunk:
            session.post(f"http://127.0.0.1:{port}{path}", data=report, timeout=30,
                         headers={"X-Twilio-Signature": sign(auth_token, public_base + path, report)})

    threads = [threading.Thread(target=client, args=(reports[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(reports)


def closed_loop(port: int, path: str, signed: list[tuple[dict[str, str], str]], clients: int
                ) -> tuple[float, list[float], int]:
    """Send everything as fast as ``clients`` keep-alive clients can; (seconds, latencies, non-200)."""
    import requests

    url = f"http://127.0.0.1:{port}{path}"
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def client(chunk: list[tuple[dict[str, str], str]]) -> None:
        nonlocal failures
        session = requests.Session()
        mine: list[float] = []
        bad = 0
        for form, signature in chunk:
            started = time.perf_counter()
            ok = _post(session, url, form, signature)
            mine.append(time.perf_counter() - started)
            bad += not ok
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=client, args=(signed[i::clients],)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, failures


def open_loop(port: int, path: str, signed: list[tuple[dict[str, str], str]], rate: float, clients: int
              ) -> tuple[float, list[float], int]:
    """Start request i at i/rate seconds (spread over ``clients`` connections); latency from that moment."""
    import requests

    url = f"http://127.0.0.1:{port}{path}"
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    origin = time.perf_counter() + 0.2

    def client(offset: int) -> None:
        nonlocal failures
        session = requests.Session()
        mine: list[float] = []
        bad = 0
        for i in range(offset, len(signed), clients):
            due = origin + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            form, signature = signed[i]
            ok = _post(session, url, form, signature)
            mine.append(time.perf_counter() - due)  # behind schedule counts as waiting
            bad += not ok
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - origin, latencies, failures


def summary(latencies: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def line(name: str, elapsed: float, latencies: list[float], failures: int, target: float | None = None) -> float:
    rate = len(latencies) / elapsed
    p50, p99 = summary(latencies)
    aim = f" (asked {target:7.1f}/s)" if target is not None else ""
    print(f"  {name:9} {len(latencies):6d} req in {elapsed:6.2f}s = {rate:7.1f}/s{aim}   "
          f"p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   non-200: {failures}", flush=True)
    return rate


def settle(fake, quiet: float = 1.0, limit: float = 120.0) -> None:  # noqa: ANN001
    """Wait until the replies still on the senders' pools have reached the fake (so phases don't overlap)."""
    deadline = time.monotonic() + limit
    seen = -1
    while time.monotonic() < deadline:
        count = len(fake.recorded())
        if count == seen:
            return
        seen = count
        time.sleep(quiet)


def _pg_scratch(admin_url: str) -> tuple[str, Any]:
    """Create a scratch database; (its URL, a function that drops it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hys_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def _by_status(database_url: str, table: str) -> dict[str, int]:
    """Rows of ``table`` (outbox, invitations) counted by status."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {status: count for status, count in
                    conn.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status"))}  # noqa: S608
    finally:
        engine.dispose()


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, float]:
    """Both routes flat out, then at rising rates, on one database; the headline figures."""
    from tests.fakes.twilio_fake import TwilioFake, new_sid

    tmp = Path(tempfile.mkdtemp(prefix="hys-bench-"))
    fake = TwilioFake().start()
    server = None
    drop = None
    try:
        if backend == "sqlite":
            database_url = f"sqlite:///{tmp / 'bench.sqlite'}"
        else:
            database_url, drop = _pg_scratch(args.pg_url)
        _seed(database_url, [])  # the schema; the respondents as the load needs them
        public_base = "https://bench.example.test"
        port = _free_port()
        env = {
            **os.environ, "DATABASE_URL": database_url, "HAVEYOURSAY_INSTANCE": str(tmp / "instance"),
            "PUBLIC_BASE_URL": public_base, "SECRET_KEY": secrets.token_hex(16),
            "TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_MESSAGING_SERVICE_SID": new_sid("MG"), "TWILIO_API_BASE_URL": fake.api_base_url,
            # The per-process send spacing would otherwise be what is measured.
            "SMS_PER_SECOND": "100000", "TWILIO_REPLY_VIA": args.reply_via,
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        }
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "bench.webhook:bench_app()"],
            cwd=ROOT, env=env)
        _wait_for(port)
        slots = -(-args.respondents // args.clients) * args.clients  # a multiple of the clients
        baseline_load = Load(slots, fake.account_sid, fake.auth_token, public_base)
        webhook_load = Load(slots, fake.account_sid, fake.auth_token, public_base,
                            seed=lambda phones: _seed(database_url, phones, upgrade=False))
        base_path, hook_path = "/bench/baseline", "/webhooks/twilio/sms"

        print(f"{backend}: gunicorn with {args.workers} sync workers, {args.clients} clients, "
              f"replies via {args.reply_via}", flush=True)
        # Both routes warm up alike (each worker's first requests load forms and compile statements).
        closed_loop(port, base_path, baseline_load.warm_up(base_path), args.clients)
        closed_loop(port, hook_path, webhook_load.warm_up(hook_path), args.clients)
        print(" flat out:")
        baseline = line("baseline", *closed_loop(port, base_path, baseline_load.take(base_path, args.requests),
                                                 args.clients))
        real = line("webhook", *closed_loop(port, hook_path, webhook_load.take(hook_path, args.requests),
                                            args.clients))
        ratio = real / baseline
        settle(fake)
        print(f"  ratio webhook/baseline: {ratio:.2f} (target 0.60 or more)")

        print(" rising rates (fractions of the baseline's throughput):")
        half_p99 = float("nan")
        for fraction in args.steps:
            rate = baseline * fraction
            n = max(20, int(rate * args.step_seconds))
            line("baseline", *open_loop(port, base_path, baseline_load.take(base_path, n), rate, args.clients),
                 target=rate)
            elapsed, latencies, failures = open_loop(port, hook_path, webhook_load.take(hook_path, n), rate,
                                                     args.clients)
            line("webhook", elapsed, latencies, failures, target=rate)
            settle(fake)
            if abs(fraction - 0.5) < 1e-9:
                half_p99 = summary(latencies)[1]
        if half_p99 == half_p99:
            print(f"  webhook p99 at half the baseline's load: {half_p99:.1f} ms (target under 25 ms)")
        reports = play_twilio(port, fake, fake.auth_token, public_base, args.clients)
        print(f"  replies received by the fake Twilio: {len(fake.sent())} "
              f"({reports} in TwiML answers, reported back as Twilio does, untimed)", flush=True)
        print(f"  outbox rows by status (every reply should be sent): {_by_status(database_url, 'outbox')}")
        print(f"  invitations by status (whole conversations end completed): {_by_status(database_url, 'invitations')}",
              flush=True)
        return {"ratio": ratio, "baseline": baseline, "webhook": real, "half_p99": half_p99}
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        fake.stop()
        if drop is not None:
            drop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("HYS_TEST_PG_URL",
                                                          "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL server where a scratch database may be created")
    parser.add_argument("--requests", type=int, default=1500, help="requests per route, flat out")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--respondents", type=int, default=64,
                        help="respondents texting at once (rounded up to a multiple of the clients), each "
                             "through a whole conversation and then the next")
    parser.add_argument("--steps", type=lambda v: [float(x) for x in v.split(",")], default=[0.25, 0.5, 0.75, 1.0],
                        help="rates to try, as fractions of the baseline's throughput")
    parser.add_argument("--reply-via", choices=("twiml", "rest"), default="twiml",
                        help="how replies go out (TWILIO_REPLY_VIA): in the TwiML answer or through the REST API")
    parser.add_argument("--step-seconds", type=float, default=6.0, help="seconds per rate step")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = {backend: run_backend(backend, args) for backend in backends}
    print("summary:")
    for backend, figures in results.items():
        print(f"  {backend:10} baseline {figures['baseline']:7.1f}/s  webhook {figures['webhook']:7.1f}/s  "
              f"ratio {figures['ratio']:.2f}  webhook p99 at half load {figures['half_p99']:.1f} ms")


if __name__ == "__main__":
    main()
