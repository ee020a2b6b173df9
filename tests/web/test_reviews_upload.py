"""Schedule upload page and the `reviews import`, `send` and `worker` commands."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from sqlalchemy import func, select

from storage.models import Invitation, OutboxMessage, Review
from tests.conftest import csrf_token_from

PAYLOADS = Path(__file__).parents[1] / "payloads" / "schedules"


def _count(app, model) -> int:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _post(client, data: bytes, name: str = "schedule.csv"):  # noqa: ANN001, ANN202
    token = csrf_token_from(client.get("/dashboard/schedule/").get_data(as_text=True))
    return client.post("/dashboard/schedule/", data={"csrf_token": token, "schedule": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_upload_imports_and_shows_counts(app, client, staff_login):
    staff_login("manager")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "/dashboard/schedule/" in page  # the navigation entry
    response = _post(client, (PAYLOADS / "cycle.csv").read_bytes())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert "Imported 7 row(s)." in html and "Invitations created: 13" in html and "Reviews created: 3" in html
    assert _count(app, Review) == 3 and _count(app, Invitation) == 13
    again = _post(client, (PAYLOADS / "cycle.csv").read_bytes()).get_data(as_text=True)
    assert "Invitations created: 0" in again and "Invitations unchanged: 13" in again
    assert _count(app, Invitation) == 13


def test_a_bad_upload_lists_every_problem_and_stores_nothing(app, client, staff_login):
    staff_login("admin")
    response = _post(client, (PAYLOADS / "bad.csv").read_bytes(), "bad.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "8 problem(s) found in bad.csv; nothing was imported." in html
    assert "line 3, column review_date: &#39;2026-02-30&#39; is not a date (expected YYYY-MM-DD)" in html
    assert "line 6: duplicate of line 2 (same review_ref, role and contact)" in html
    assert _count(app, Review) == 0
    empty = _post(client, b"", "empty.csv")
    assert empty.status_code == 422 and "the file is empty" in empty.get_data(as_text=True)


def test_an_upload_over_the_limit_gets_a_clear_message(config, tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "instance"))
    app = create_app(dataclasses.replace(config, MAX_UPLOAD_MB=1))
    try:
        from storage.staff import add_staff

        with app.extensions["db"].session() as session:
            add_staff(session, "boss@council.example", "manager", "correct-horse-battery")
        client = app.test_client()
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"email": "boss@council.example", "password": "correct-horse-battery",
                                    "csrf_token": token})
        response = _post(client, b"x" * (1024 * 1024 + 10))
        assert response.status_code == 413
        assert "larger than the 1 MB limit" in response.get_data(as_text=True)
        assert _count(app, Review) == 0
    finally:
        app.extensions["db"].dispose()


def test_iros_cannot_upload(client, staff_login):
    staff_login("iro")
    assert client.get("/dashboard/schedule/").status_code == 403


def test_cli_import_send_and_worker(app, tmp_path):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["reviews", "import", str(PAYLOADS / "bad.csv")])
    assert bad.exit_code != 0
    assert "error: line 5, column contact: invalid phone number '+44 7700 900123'" in bad.output
    assert "8 problem(s)" in bad.output and _count(app, Review) == 0

    good = runner.invoke(args=["reviews", "import", str(PAYLOADS / "cycle.csv")])
    assert good.exit_code == 0, good.output
    assert "7 rows: 3 reviews created" in good.stdout
    assert _count(app, Invitation) == 13

    # No channel is configured in this app: messages are queued and wait in the outbox.
    sent = runner.invoke(args=["send", "--now", "2026-12-11T09:00:00"])
    assert sent.exit_code == 0, sent.output
    assert "schedule: queued 3" in sent.stdout and "outbox: claimed 0" in sent.stdout
    assert _count(app, OutboxMessage) == 3
    assert runner.invoke(args=["send", "--now", "2026-12-11T09:00:00"]).stdout.startswith("schedule: queued 0")
    assert runner.invoke(args=["send", "--now", "not a date"]).exit_code != 0

    once = runner.invoke(args=["worker", "--once"])
    assert once.exit_code == 0, once.output
    assert once.stdout.startswith("schedule: ") and "outbox: " in once.stdout

    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)
    too_big = runner.invoke(args=["reviews", "import", str(big)])
    assert too_big.exit_code != 0 and "larger than the 50 MB limit" in too_big.output
