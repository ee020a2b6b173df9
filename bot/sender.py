"""Deliver the outbox: claim due messages, send them, retry with backoff, record the outcome.

Every outbound message is a row in ``outbox`` (``storage.outbox.enqueue``). A worker
claims due rows under a lease (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``;
SQLite: one atomic ``UPDATE ... WHERE id IN (...) AND lease free``, then reads back what
it owns), so two workers never send the same row. Temporary failures (5xx, 429,
network) are retried with exponential backoff or after the provider's Retry-After;
permanent ones are marked failed with the provider's code; an address the provider
says opted out is opted out everywhere. Sends are spaced per channel
(``SMS_PER_SECOND`` ...) within the process.

Only channels that are configured are claimed: a message for an unconfigured channel
waits in the queue until its settings exist.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot.base import OutboundMessage, PermanentSendError, SendResult, TransientSendError
from bot.channels import configured_channels, get_channel, rate_per_second
from bot.optout import is_opted_out, opt_out_address
from storage.db import Database
from storage.lifecycle import set_status
from storage.models import Invitation, OutboxMessage, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF_BASE = 30.0  # seconds before the first retry; doubles each attempt
BACKOFF_CAP = 3600.0
MAX_RETRY_AFTER = 6 * 3600.0
# A successful send of these moves the invitation to "sent" (the scheduler relies on it).
SENT_PURPOSES = frozenset({"invite", "feedback_invite", "reminder", "feedback_reminder"})
FAIL_PURPOSES = frozenset({"invite", "feedback_invite"})
STATUS_ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}
# Messages we start (not replies to a respondent who just wrote, not alerts to staff) go
# out only inside the send window: a retry or a backlog after an outage waits for it.
WINDOWED_PURPOSES = frozenset({"invite", "feedback_invite", "reminder", "feedback_reminder", "you_said_we_did"})


def default_worker_id() -> str:
    """host:pid:thread, so two workers (or two threads) never share a lease name."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{threading.get_ident() % 100000}"


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try after ``attempts`` failed tries."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), MAX_RETRY_AFTER)
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


class _RateLimiter:
    """Spaces sends per channel across the threads of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, channel: str, per_second: float) -> None:
        if per_second <= 0:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(channel, 0.0))
            self._next[channel] = slot + 1.0 / per_second
        if slot > now:
            time.sleep(slot - now)


rate_limiter = _RateLimiter()


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of one leased row (see ``leased_item``)."""

    id: int
    channel: str
    message: OutboundMessage
    attempts: int
    # Set (to when the row was queued) when an earlier lease on the row ran out with no
    # outcome: the provider may have it already (a webhook's TwiML answer that carried it).
    unconfirmed_since: datetime | None = None


def held_purposes(config: Any, now: datetime) -> frozenset[str]:
    """The purposes that must wait at ``now``: all of WINDOWED_PURPOSES outside the send window."""
    from storage.scheduler import rules_from
    from surveys.schedule import in_send_window

    return frozenset() if in_send_window(now, rules_from(config)) else WINDOWED_PURPOSES


def new_lease(worker_id: str | None = None, now: datetime | None = None) -> tuple[str, datetime]:
    """A fresh lease (token, until), for a claim or for a webhook's replies inserted already claimed."""
    return f"{worker_id or default_worker_id()}:{uuid.uuid4().hex[:8]}"[-64:], (now or utcnow()) + LEASE


def leased_item(row_id: int, channel: str, to: str, body: str, payload: dict[str, Any] | None,
                attempts: int = 0, unconfirmed_since: datetime | None = None) -> Claimed:
    """One leased row to send: read by a claim, or known to the webhook that inserted it."""
    message = OutboundMessage.from_outbox(to, body, payload)
    # The row's id travels with the message (Twilio's status callback URL carries it back).
    return Claimed(row_id, channel, replace(message, meta={**message.meta, "outbox_id": row_id}), attempts,
                   unconfirmed_since)


def send_leased(db: Database, config: Any, token: str, items: list[Claimed]) -> dict[str, int]:
    """Send rows this process inserted under lease ``token`` (no claiming round trip needed)."""
    return _deliver(db, config, token, items, 0, utcnow())


def _claim(db: Database, now: datetime, worker_id: str, limit: int, channels: Iterable[str],
           only_ids: Iterable[int] | None = None, held: frozenset[str] = frozenset(),
           ) -> tuple[str, list[Claimed], int]:
    """Lease due rows to this worker; (lease token, rows to send, rows cancelled as opted out).

    Rows whose purpose is in ``held`` are left queued (outside the send window).
    """
    channels = list(channels)
    token, until = new_lease(worker_id, now)
    if not channels or limit <= 0:
        return token, [], 0
    free = or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)
    due = (select(OutboxMessage.id, OutboxMessage.status)
           .where(OutboxMessage.status.in_(("queued", "sending")), OutboxMessage.next_attempt_at <= now,
                  OutboxMessage.channel.in_(channels), free)
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if only_ids is not None:
        due = due.where(OutboxMessage.id.in_(list(only_ids)))
    if held:
        due = due.where(OutboxMessage.purpose.not_in(sorted(held)))
    lease = {"locked_by": token, "locked_until": until, "status": "sending"}
    claimed: list[Claimed] = []
    cancelled = 0
    # One transaction claims and reads: with SQLite every extra write transaction queues
    # behind the webhook's, so the sender keeps to one here and one per sent message.
    with db.session() as session:
        # PostgreSQL skips rows another worker is claiming; SQLite has no FOR UPDATE and
        # needs none (BEGIN IMMEDIATE, storage.db, holds the write lock until the commit).
        # The lease test is repeated in the UPDATE all the same.
        found = session.execute(due.with_for_update(skip_locked=True)).all()
        # A row still "sending" when its lease ran out never had an outcome recorded.
        unconfirmed = {row.id for row in found if row.status == "sending"}
        rows = []
        if found:
            session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([row.id for row in found]), free)
                            .values(**lease).execution_options(synchronize_session=False))
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.locked_by == token)
                                   .order_by(OutboxMessage.id)).all()
        for row in rows:
            if not row.to or is_opted_out(session, row.channel, row.to):
                _release(row, "cancelled", now, error="opted out" if row.to else "no address")
                cancelled += 1
                continue
            claimed.append(leased_item(row.id, row.channel, row.to, row.body or "", row.payload, row.attempts,
                                       row.created_at if row.id in unconfirmed else None))
    return token, claimed, cancelled


def _deliver(db: Database, config: Any, token: str, claimed: list[Claimed], cancelled: int,
             now: datetime) -> dict[str, int]:
    counts = {"claimed": len(claimed) + cancelled, "sent": 0, "retry": 0, "failed": 0, "cancelled": cancelled}
    max_attempts = int(getattr(config, "OUTBOX_MAX_ATTEMPTS", 8) or 8)
    taken: set[str] = set()  # provider ids matched to rows in this batch
    for item in claimed:
        row_id, name, message, attempts = item.id, item.channel, item.message, item.attempts
        channel = get_channel(config, name)
        if channel is None:  # settings changed under us: leave it queued
            with db.session() as session:
                row = session.get(OutboxMessage, row_id)
                if row is not None and row.locked_by == token:
                    _release(row, "queued", now)
            continue
        rate_limiter.wait(name, rate_per_second(config, name))
        outcome: Any
        # A send never confirmed may have reached the provider: ask before sending again.
        checking = item.unconfirmed_since is not None
        try:
            held = _held_by_provider(db, channel, item, taken) if checking else None
            checking = False
            if held is not None:
                taken.add(held)
                log.info("outbox %s on %s: the provider has it already", row_id, name)
            outcome = SendResult(provider_id=held, status="sent") if held is not None else channel.send(message)
        except (TransientSendError, PermanentSendError) as exc:
            outcome = exc
        except Exception as exc:  # noqa: BLE001 - a bug in one send must not stop the queue
            log.error("outbox %s: unexpected %s sending on %s", row_id, type(exc).__name__, name)
            outcome = TransientSendError(f"unexpected {type(exc).__name__}")
        with db.session() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.locked_by != token:
                log.warning("outbox %s: lease lost while sending", row_id)
                continue
            row.attempts = attempts + 1
            if isinstance(outcome, TransientSendError):
                if row.attempts >= max_attempts:
                    _release(row, "failed", now, error=outcome.reason, code="retries")
                    _invitation_failed(session, row, now)
                    counts["failed"] += 1
                else:
                    row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, outcome.retry_after))
                    # Still unconfirmed if the provider could not be asked: ask again next time.
                    _release(row, "sending" if checking else "queued", now, error=outcome.reason)
                    counts["retry"] += 1
                log.info("outbox %s on %s: %s (attempt %d)", row_id, name, outcome.reason, row.attempts)
            elif isinstance(outcome, PermanentSendError):
                _release(row, "failed", now, error=outcome.reason, code=outcome.code)
                counts["failed"] += 1
                if outcome.opted_out:
                    source = "provider_21610" if name == "sms" else "blocked"
                    opt_out_address(session, name, row.to, source=source, now=now)
                else:
                    _invitation_failed(session, row, now)
                log.info("outbox %s on %s failed: %s", row_id, name, outcome.reason)
            else:
                _mark_sent(session, row, outcome.provider_id, now)
                counts["sent"] += 1
    return counts


def _held_by_provider(db: Database, channel: Any, item: Claimed, taken: set[str]) -> str | None:
    """The provider's id of an unconfirmed row's message if the provider has it, else None.

    The provider matches by address and words, so a question asked twice has two
    matches: the oldest not already recorded against another row (or matched in this
    batch) is this row's.
    """
    candidates = [sid for sid in channel.already_sent(item.message, item.unconfirmed_since) if sid not in taken]
    if not candidates:
        return None
    with db.session() as session:
        recorded = set(session.scalars(select(OutboxMessage.provider_id)
                                       .where(OutboxMessage.provider_id.in_(candidates))))
    return next((sid for sid in candidates if sid not in recorded), None)


def _mark_sent(session: Any, row: OutboxMessage, provider_id: str, now: datetime) -> None:
    """The provider accepted the row: keep its id, release the lease, move the invitation to "sent"."""
    row.provider_id = provider_id[:64]
    row.sent_at = now
    _release(row, "sent", now)
    row.last_error = None
    if row.purpose in SENT_PURPOSES and row.invitation_id:
        invitation = session.get(Invitation, row.invitation_id)
        if invitation is not None:
            set_status(session, invitation, "sent", now=now, detail=f"{row.purpose} via {row.channel}")


def _release(row: OutboxMessage, status: str, now: datetime, *, error: str | None = None,
             code: str | None = None) -> None:
    row.status = status
    row.status_at = now
    row.locked_by = None
    row.locked_until = None
    if error is not None:
        row.last_error = error[:300]
    if code is not None:
        row.error_code = str(code)[:16]


def _invitation_failed(session: Any, row: OutboxMessage, now: datetime) -> None:
    if row.purpose in FAIL_PURPOSES and row.invitation_id:
        invitation = session.get(Invitation, row.invitation_id)
        if invitation is not None:
            set_status(session, invitation, "failed", now=now, detail=f"{row.purpose} not delivered")


def deliver_due(db: Database, config: Any, *, now: datetime | None = None, worker_id: str | None = None,
                limit: int = 200) -> dict[str, int]:
    """Claim and send up to ``limit`` due messages; counts of claimed/sent/retry/failed/cancelled."""
    now = now or utcnow()
    token, claimed, cancelled = _claim(db, now, worker_id or default_worker_id(), limit,
                                       configured_channels(config), held=held_purposes(config, now))
    return _deliver(db, config, token, claimed, cancelled, now)


def send_now(db: Database, config: Any, outbox_ids: Iterable[int], *, now: datetime | None = None,
             worker_id: str | None = None) -> dict[str, int]:
    """Send these queued messages straight away (a webhook's replies); what fails is retried later."""
    outbox_ids = list(outbox_ids)
    if not outbox_ids:
        return {"claimed": 0, "sent": 0, "retry": 0, "failed": 0, "cancelled": 0}
    now = now or utcnow()
    token, claimed, cancelled = _claim(db, now, worker_id or default_worker_id(), len(outbox_ids),
                                       configured_channels(config), only_ids=outbox_ids,
                                       held=held_purposes(config, now))
    return _deliver(db, config, token, claimed, cancelled, now)


class BackgroundSender:
    """Sends a webhook's replies on a small thread pool, so the webhook answers without waiting.

    One pool per process, created lazily (after gunicorn forks). What fails to send here
    stays in the outbox for the worker. ``drain`` waits for everything submitted so far.
    """

    def __init__(self, threads: int = 4) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid: int | None = None
        self._pending: set[Future[Any]] = set()

    def submit(self, db: Database, config: Any, outbox_ids: Iterable[int],
               leased: tuple[str, list[Claimed]] | None = None) -> None:
        """Send these outbox rows soon, on the pool (``leased``: rows already claimed under a token)."""
        ids = list(outbox_ids)
        if not ids and not (leased and leased[1]):
            return
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="outbox-send")
                self._pid = os.getpid()
                self._pending = set()
            future = self._executor.submit(self._send, db, config, ids, leased)
            self._pending.add(future)
        future.add_done_callback(self._done)

    @staticmethod
    def _send(db: Database, config: Any, ids: list[int], leased: tuple[str, list[Claimed]] | None
              ) -> dict[str, int]:
        try:
            counts = send_leased(db, config, *leased) if leased and leased[1] else {}
            for key, value in (send_now(db, config, ids) if ids else {}).items():
                counts[key] = counts.get(key, 0) + value
            return counts
        except Exception as exc:  # noqa: BLE001 - the worker retries what is still queued
            log.warning("immediate send failed (%s); the worker will retry", type(exc).__name__)
            return {}

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until everything submitted so far has been tried."""
        with self._lock:
            pending = list(self._pending)
        if pending:
            wait(pending, timeout=timeout)


background = BackgroundSender()


def run_worker(db: Database, config: Any, stop: threading.Event, interval: float = 5.0,
               worker_id: str | None = None) -> dict[str, int]:
    """Deliver due messages every ``interval`` seconds until ``stop`` is set; the totals."""
    worker_id = worker_id or default_worker_id()
    totals = {"claimed": 0, "sent": 0, "retry": 0, "failed": 0, "cancelled": 0}
    while not stop.is_set():
        try:
            counts = deliver_due(db, config, worker_id=worker_id)
        except Exception:  # noqa: BLE001 - the database may be briefly away; try again next round
            log.exception("outbox worker round failed")
            counts = {}
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if counts.get("claimed", 0) == 0:
            stop.wait(interval)
    return totals


def record_status(session: Any, provider_id: str, status: str, *, error_code: str | None = None,
                  now: datetime | None = None, outbox_id: int | None = None) -> OutboxMessage | None:
    """Apply a provider's delivery report: the status only moves forward; failures keep their code.

    ``outbox_id`` (from the status callback URL) finds a row whose sender never learnt the
    provider's id, because it died (or timed out) after the provider accepted the message:
    the row is marked sent with that id, so the worker that reclaims it does not send it again.
    """
    now = now or utcnow()
    status = {"accepted": "queued", "scheduled": "queued", "read": "delivered"}.get(status, status)
    if status not in STATUS_ORDER:
        return None
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == provider_id).limit(1))
    if row is None and outbox_id is not None:
        orphan = session.get(OutboxMessage, outbox_id)
        if orphan is not None and orphan.provider_id is None and orphan.status in ("queued", "sending"):
            _mark_sent(session, orphan, provider_id, now)
            log.info("outbox %s: accepted by the provider before its sender recorded it", orphan.id)
            row = orphan
    if row is None:
        return None
    if STATUS_ORDER[status] > STATUS_ORDER.get(row.status, -1):
        row.status = status
        row.status_at = now
        if error_code and status in ("failed", "undelivered"):
            row.error_code = str(error_code)[:16]
    return row
