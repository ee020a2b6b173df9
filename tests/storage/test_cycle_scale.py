"""Two workers over 10,000 due invitations: each is invited exactly once.

Two real ``haveyoursay send --now`` processes start together against the same
PostgreSQL database: both queue what is due (``storage.scheduler.queue_due``: keyset
pages locked with SKIP LOCKED, outbox dedupe keys) and both deliver the outbox
(``bot.sender``: leased claims) through the real twilio client to the fake Twilio
server. Every invitation must get exactly one text, with its own link.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import Invitation, OutboxMessage
from storage.reviews import import_schedule
from surveys.schedule_csv import COLUMNS
from tests.conftest import BACKEND

N = 10_000
NOW = "2026-12-11T09:00:00+00:00"  # ten working days before Tuesday 29 December 2026

# In the default run (``make test`` runs the suite on PostgreSQL too, so CI runs it);
# marked slow so that ``-m "not slow"`` can leave it out of a quick local run.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not BACKEND.startswith("postgres"),
                                 reason="two workers sharing the work is a PostgreSQL test "
                                        "(HYS_TEST_DATABASE=postgresql; `make test` runs it)")]


def _schedule(n: int) -> bytes:
    lines = [",".join(COLUMNS)]
    for i in range(n):
        lines.append(f"R{i:05d},C{i:05d},12,CLA,2026-12-29,iro@council.example,child,sms,07400 1{i:05d},en")
    return ("\n".join(lines) + "\n").encode()


def _send_process(database_url: str, channel_config, tmp_path: Path, name: str) -> subprocess.Popen:  # noqa: ANN001
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "TELEGRAM_", "SMTP_"))}
    env.update({
        "ENV": "testing",
        "SECRET_KEY": channel_config.SECRET_KEY,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": channel_config.PUBLIC_BASE_URL,
        "HAVEYOURSAY_INSTANCE": str(tmp_path / name),
        "TWILIO_ACCOUNT_SID": channel_config.TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": channel_config.TWILIO_AUTH_TOKEN,
        "TWILIO_MESSAGING_SERVICE_SID": channel_config.TWILIO_MESSAGING_SERVICE_SID,
        "TWILIO_API_BASE_URL": channel_config.TWILIO_API_BASE_URL,
        "SMS_PER_SECOND": "1000000",
    })
    return subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "send", "--now", NOW],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parents[2])


def _count(output: str, block: str, name: str) -> int:
    line = next(line for line in output.splitlines() if line.startswith(f"{block}: "))
    match = re.search(rf"\b{name} (\d+)", line)
    assert match, line
    return int(match.group(1))


def test_two_send_processes_over_10000_due_invitations_send_each_exactly_once(
        db, database_url, channel_config, twilio_fake, tmp_path):
    with db.session() as session:
        result = import_schedule(session, [_schedule(N)])
    assert result.ok and result.invitations_created == 2 * N  # a consultation and a feedback invitation each
    with db.session() as session:
        tokens = dict(session.execute(select(Invitation.contact, Invitation.token)
                                      .where(Invitation.phase == "consultation")).all())
    assert len(tokens) == N

    workers = [_send_process(database_url, channel_config, tmp_path, f"worker{i}") for i in range(2)]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=900)
        assert worker.returncode == 0, err[-3000:]
        outputs.append(out)

    # What the two processes say they did adds up to one message per invitation.
    assert sum(_count(out, "schedule", "queued") for out in outputs) == N
    assert sum(_count(out, "outbox", "sent") for out in outputs) == N
    assert sum(_count(out, "outbox", "failed") for out in outputs) == 0

    # What the provider received: exactly one text per number, carrying that invitation's own link.
    sent = twilio_fake.sent()
    per_number = Counter(message["To"] for message in sent)
    assert len(sent) == N and set(per_number) == set(tokens) and set(per_number.values()) == {1}
    for message in sent:
        assert message["Body"].count(f"https://hys.example.test/f/{tokens[message['To']]} ") == 1

    with db.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == N
        assert session.scalar(select(func.count(func.distinct(OutboxMessage.provider_id)))
                              .where(OutboxMessage.status == "sent")) == N
        statuses = dict(session.execute(select(Invitation.status, func.count()).where(Invitation.phase == "consultation")
                                        .group_by(Invitation.status)).all())
        assert statuses == {"sent": N}
        assert session.scalar(select(func.count()).where(Invitation.phase == "consultation",
                                                         Invitation.sent_at.is_(None))) == 0
        done = session.scalars(select(Invitation.steps_done).where(Invitation.phase == "consultation")).all()
        assert all(steps == {"invite": NOW} for steps in done)
