"""Benchmark the Twilio SMS webhook against a one-row baseline in the same run.

    .venv/bin/python bench/webhook.py [--requests 2000] [--clients 8] [--workers 2]

Starts gunicorn (sync workers) on a fresh SQLite database in WAL mode, with a fake
Twilio API on 127.0.0.1 receiving the replies, then posts signed webhooks from
concurrent keep-alive clients to two routes:

- ``/bench/baseline``: inserts one row through SQLAlchemy and answers empty TwiML (the
  floor in NOTES-dependencies.md: about 2,500 requests/s on SQLite on this kind of machine);
- ``/webhooks/twilio/sms``: the real thing: signature check, inbound stored, the
  conversation step, answers saved, reply queued and sent to the fake Twilio.

It prints requests/s and p50/p99 latency for both and the ratio real/baseline. The
senders are respondents with open invitations answering a form, so every request runs
the whole conversation path. Nothing leaves the machine.
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
from pathlib import Path

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


def _seed(database_url: str, phones: list[str]) -> None:
    from datetime import date

    from storage.db import Database
    from storage.models import Invitation, Review

    db = Database(database_url)
    db.upgrade()
    with db.session() as session:
        for index, phone in enumerate(phones):
            review = Review(review_ref=f"B-{index}", child_ref=f"C-{index}", child_age=13, review_type="CLA",
                            review_date=date(2026, 12, 1), iro_email="iro@council.example")
            session.add(review)
            session.flush()
            session.add(Invitation(review_id=review.id, import_key=secrets.token_hex(16), phase="consultation",
                                   form_id="child_before", role="child", channel="sms", contact=phone,
                                   token=secrets.token_urlsafe(24), status="sent", language="en"))
    db.dispose()


def _run_load(port: int, path: str, forms: list[dict[str, str]], auth_token: str, public_base: str,
              clients: int) -> tuple[float, list[float], int]:
    import requests

    from tests.fakes.twilio_fake import sign

    url = f"http://127.0.0.1:{port}{path}"
    public_url = public_base + path
    signed = [(form, sign(auth_token, public_url, form)) for form in forms]
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    chunks = [signed[i::clients] for i in range(clients)]

    def client(chunk: list[tuple[dict[str, str], str]]) -> None:
        nonlocal failures
        session = requests.Session()
        mine: list[float] = []
        bad = 0
        for form, signature in chunk:
            started = time.perf_counter()
            response = session.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
            mine.append(time.perf_counter() - started)
            if response.status_code != 200:
                bad += 1
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, failures


def _report(name: str, elapsed: float, latencies: list[float], failures: int) -> float:
    rate = len(latencies) / elapsed
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"{name:9} {len(latencies):6d} requests in {elapsed:6.2f}s = {rate:8.1f}/s   "
          f"p50 {statistics.median(latencies) * 1000:6.1f} ms   p99 {p99:6.1f} ms   non-200: {failures}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per route")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--respondents", type=int, default=200, help="distinct phone numbers answering")
    args = parser.parse_args()

    from tests.fakes.twilio_fake import TwilioFake, inbound_sms_form, new_sid

    tmp = Path(tempfile.mkdtemp(prefix="hys-bench-"))
    fake = TwilioFake().start()
    server = None
    try:
        database_url = f"sqlite:///{tmp / 'bench.sqlite'}"
        phones = [f"+4474001{n:05d}" for n in range(args.respondents)]
        _seed(database_url, phones)
        public_base = "https://bench.example.test"
        port = _free_port()
        env = {
            **os.environ, "DATABASE_URL": database_url, "HAVEYOURSAY_INSTANCE": str(tmp / "instance"),
            "PUBLIC_BASE_URL": public_base, "SECRET_KEY": secrets.token_hex(16),
            "TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_MESSAGING_SERVICE_SID": new_sid("MG"), "TWILIO_API_BASE_URL": fake.api_base_url,
            # The per-process send spacing would otherwise be what is measured.
            "SMS_PER_SECOND": "100000",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        }
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "bench.webhook:bench_app()"],
            cwd=ROOT, env=env)
        _wait_for(port)

        def forms(n: int) -> list[dict[str, str]]:
            # Each respondent first says hello (starting the form), then answers in turn.
            replies = ["Hi", "1", "happy", "8", "7", "6", "9", "nothing", "1", "no"]
            return [inbound_sms_form(phones[i % len(phones)], replies[(i // len(phones)) % len(replies)],
                                     account_sid=fake.account_sid) for i in range(n)]

        # Warm up both routes (imports, first connections) before measuring.
        _run_load(port, "/bench/baseline", forms(50), fake.auth_token, public_base, args.clients)
        baseline = _report("baseline", *_run_load(port, "/bench/baseline", forms(args.requests), fake.auth_token,
                                                  public_base, args.clients))
        real = _report("webhook", *_run_load(port, "/webhooks/twilio/sms", forms(args.requests), fake.auth_token,
                                             public_base, args.clients))
        print(f"replies received by the fake Twilio: {len(fake.sent())}")
        print(f"ratio webhook/baseline: {real / baseline:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
