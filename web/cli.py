"""The ``haveyoursay`` console command: a Flask CLI group over the app factory."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from storage.staff import StaffError, add_staff, new_api_token


def _db():
    return current_app.extensions["db"]


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations."""
    _db().upgrade(revision)
    click.echo(f"database at {revision}: {_db().engine.url.render_as_string(hide_password=True)}")


@click.group("surveys")
def surveys_group() -> None:
    """Form definitions."""


@surveys_group.command("check")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--dir", "dir_option", type=click.Path(exists=True, file_okay=False),
              help="Folder of form files to check (default: the shipped surveys/forms).")
def surveys_check(directory: str | None, dir_option: str | None) -> None:
    """Validate every form file; print each problem with its file and question."""
    from pathlib import Path

    from surveys.forms import FORMS_DIR, check_forms

    directory = dir_option or directory
    forms, problems = check_forms(Path(directory) if directory else FORMS_DIR)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the form files")
    for form in forms:
        click.echo(f"ok  {form.id} v{form.version}: {len(form.questions)} questions ({form.phase}; "
                   f"{', '.join(form.roles)}; {', '.join(form.review_types)})")


@click.group("staff")
def staff_group() -> None:
    """Staff accounts."""


@staff_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "manager", "iro"]), required=True)
@click.option("--password", help="Set this password (prompted for when omitted and interactive).")
@click.option("--name", "display_name")
@click.option("--phone", help="Mobile for safeguarding alert texts.")
@with_appcontext
def staff_add(email: str, role: str, password: str | None, display_name: str | None, phone: str | None) -> None:
    """Create a staff account or change its role."""
    if password is None and sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _db().session() as session:
            staff = add_staff(session, email, role, password, display_name, phone)
            click.echo(f"{staff.email}: {staff.role}")
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None


@staff_group.command("list")
@with_appcontext
def staff_list() -> None:
    """Print every staff account: id, role, email (the id is what --iro-id takes)."""
    from sqlalchemy import select

    from storage.models import Staff

    with _db().session() as session:
        for staff in session.scalars(select(Staff).order_by(Staff.id)):
            state = "" if staff.active else "  (inactive)"
            click.echo(f"{staff.id:>6}  {staff.role:<8} {staff.email}{state}")


@staff_group.command("token")
@click.argument("email")
@with_appcontext
def staff_token(email: str) -> None:
    """Print a new API token for that account (shown once; only its hash is kept)."""
    try:
        with _db().session() as session:
            click.echo(new_api_token(session, email))
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("alerts")
def alerts_group() -> None:
    """Safeguarding alerts."""


@alerts_group.command("escalate")
@click.option("--now", "now_text", help="Act as if it were this moment (ISO date-time, UTC if no zone).")
@with_appcontext
def alerts_escalate(now_text: str | None) -> None:
    """Escalate to managers every alert not acknowledged within the working-hours limit."""
    from storage.alert_workflow import escalate_due

    now = parse_now(now_text) if now_text else None
    with _db().session() as session:
        escalated = escalate_due(session, current_app.config["HYS"], now)
        click.echo(f"escalated {len(escalated)} alert(s)")


@click.group("reviews")
def reviews_group() -> None:
    """The review schedule."""


@reviews_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def reviews_import(csv_file: str) -> None:
    """Import a review schedule CSV; every bad row is listed and nothing is stored if any is bad."""
    import os

    from sqlalchemy.exc import IntegrityError, OperationalError

    from storage.reviews import file_too_large, format_error, import_schedule

    config = current_app.config["HYS"]
    max_bytes = config.MAX_UPLOAD_MB * 1024 * 1024
    too_large = file_too_large(csv_file, max_bytes)
    if too_large is not None:  # refused without reading it
        click.echo(f"error: {format_error(too_large)}", err=True)
        raise click.ClickException(f"1 problem(s) in {csv_file}; nothing was imported")
    size = os.stat(csv_file).st_size
    storing: list = []  # the second bar, opened once the row count is known

    def stored(done: int, total: int) -> None:
        if not storing:
            storing.append(click.progressbar(length=total, label="importing", file=sys.stderr).__enter__())
        storing[0].update(done - storing[0].pos)

    with open(csv_file, "rb") as handle, _db().session() as session:
        with click.progressbar(length=size, label="checking", file=sys.stderr) as bar:
            def chunks():  # noqa: ANN202
                while chunk := handle.read(256 * 1024):
                    bar.update(len(chunk))
                    yield chunk
            try:
                result = import_schedule(session, chunks(), max_bytes=max_bytes, progress=stored)
            except (IntegrityError, OperationalError) as exc:
                session.rollback()
                cause = ("the database was busy" if isinstance(exc, OperationalError)
                         else "another import was saving the same reviews at the same time")
                raise click.ClickException(f"{cause}; nothing from {csv_file} was imported. Run the "
                                           "import again: rows that are already stored are not imported twice.") \
                    from None
            finally:
                if storing:
                    storing[0].__exit__(None, None, None)
    if result.errors:
        for error in result.errors:
            click.echo(f"error: {format_error(error)}", err=True)
        raise click.ClickException(f"{len(result.errors)} problem(s) in {csv_file}; nothing was imported")
    click.echo(result.summary())


def parse_now(now_text: str | None):  # noqa: ANN201
    """A command's ``--now`` as an aware date-time (UTC when no zone is given); the real time if unset."""
    from datetime import UTC, datetime

    from storage.models import utcnow

    if not now_text:
        return utcnow()
    try:
        now = datetime.fromisoformat(now_text)
    except ValueError:
        raise click.ClickException(f"--now must be an ISO date-time (e.g. 2026-11-23T09:00), "
                                   f"not {now_text!r}") from None
    return now if now.tzinfo else now.replace(tzinfo=UTC)


# A round stops after this many outbox batches (of 200) even if more keep coming due.
MAX_DELIVERY_BATCHES = 1000


def _send_round(now) -> tuple[dict[str, int], dict[str, int]]:  # noqa: ANN001
    from storage.alert_workflow import escalate_due
    from storage.scheduler import queue_due

    config = current_app.config["HYS"]
    with _db().session() as session:
        queued = queue_due(session, config, now)
    # Safeguarding alerts nobody acknowledged in time go to the managers in this same round.
    with _db().session() as session:
        queued = {**queued, "escalated": len(escalate_due(session, config, now))}
    from bot.sender import deliver_due  # the channel engineer's sender

    # Everything due, not one batch: a round claims batches until none is left. A message
    # that fails is retried later (backoff), so it is not claimed again in this round.
    delivered: dict[str, int] = {}
    for _ in range(MAX_DELIVERY_BATCHES):
        counts = deliver_due(_db(), config, now=now)
        for key, value in counts.items():
            delivered[key] = delivered.get(key, 0) + value
        if not counts.get("claimed"):
            break
    return queued, delivered


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items())


@click.command("send")
@click.option("--now", "now_text", help="Act as if it were this moment (ISO date-time, UTC if no zone).")
@with_appcontext
def send_command(now_text: str | None) -> None:
    """Queue what is due (invitations, reminders, closes) and deliver the outbox once."""
    queued, delivered = _send_round(parse_now(now_text))
    click.echo(f"schedule: {_counts(queued)}")
    click.echo(f"outbox: {_counts(delivered)}")


@click.command("worker")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Run one round and stop.")
@with_appcontext
def worker_command(interval: float, once: bool) -> None:
    """Keep queuing what is due and delivering the outbox until interrupted."""
    import logging
    import threading

    log = logging.getLogger("haveyoursay.worker")
    stop = threading.Event()
    rounds = 0
    try:
        while not stop.is_set():
            try:
                queued, delivered = _send_round(parse_now(None))
                rounds += 1
                if once:
                    click.echo(f"schedule: {_counts(queued)}")
                    click.echo(f"outbox: {_counts(delivered)}")
            except Exception:  # noqa: BLE001 - the database may be briefly away; try again next round
                if once:
                    raise
                log.exception("worker round failed")
            if once:
                break
            stop.wait(interval)
    except KeyboardInterrupt:
        click.echo(f"worker stopped after {rounds} round(s)", err=True)


@click.command("report")
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First review date (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last review date, included (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx", "docx"]), default="json",
              show_default=True)
@click.option("-o", "--output", default="-", show_default=True,
              help="File to write ('-' for standard output; xlsx and docx need a file).")
@click.option("--role", type=click.Choice(["child", "care_leaver", "parent", "carer", "health", "education",
                                           "guardian"]))
@click.option("--review-type", type=click.Choice(["CLA", "PP"]))
@click.option("--iro-id", type=int, help="Only this IRO's reviews (staff id).")
@with_appcontext
def report_command(date_from, date_to, fmt: str, output: str, role: str | None,  # noqa: ANN001
                   review_type: str | None, iro_id: int | None) -> None:
    """Write the annual-report figures for reviews held in a period (same data as the API)."""
    from storage.models import Staff
    from storage.reports import build_report
    from web.exports import BINARY_FORMATS, export_report

    if date_from > date_to:
        raise click.ClickException("--from must not be after --to")
    if fmt in BINARY_FORMATS and output == "-":
        raise click.ClickException(f"--format {fmt} needs an output file: -o FILE")
    from sqlalchemy.exc import SQLAlchemyError

    from web.exports import export_steps

    # A progress bar on standard error while a file is written (never mixed into a report on stdout).
    quiet = output == "-"
    try:
        if not quiet:
            click.echo("Counting the figures in the database...", err=True)
        with _db().session() as session:
            iro = session.get(Staff, iro_id) if iro_id is not None else None
            if iro_id is not None and (iro is None or iro.role != "iro"):
                raise click.ClickException(f"--iro-id {iro_id}: no IRO has that staff id "
                                           "(see 'haveyoursay staff list')")
            data = build_report(session, date_from.date(), date_to.date(), role=role, review_type=review_type,
                                iro_id=iro_id)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot read the database ({type(exc).__name__}); "
                                   "has 'haveyoursay db upgrade' been run?") from None
    try:
        if quiet:
            export_report(data, fmt, output)
        else:
            with click.progressbar(length=max(1, export_steps(data, fmt)), label=f"Writing the {fmt} report",
                                   file=sys.stderr, show_pos=True,
                                   item_show_func=lambda step: step) as bar:
                export_report(data, fmt, output, progress=lambda step: bar.update(1, step))
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    if output != "-":
        click.echo(f"wrote {fmt} report for {data['period']['from']} to {data['period']['to']} to {output}",
                   err=True)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up the database and sample data, then exit.")
@with_appcontext
def demo(host: str, port: int, no_serve: bool) -> None:
    """Create the database, load a sample year, start the server and print the URLs."""
    from config import Config
    from storage.demo import DEMO_LOGINS, load_demo

    app = current_app._get_current_object()
    if app.config["HYS"].ENV == "production":
        # The demo logins and their passwords are printed here and published in the README.
        raise click.ClickException("'haveyoursay demo' does not run with ENV=production: it creates logins "
                                   "whose passwords are public. Use a development database for the demo.")
    base = f"http://{host}:{port}"
    if not os.environ.get("PUBLIC_BASE_URL") and app.config["HYS"].PUBLIC_BASE_URL == Config.PUBLIC_BASE_URL:
        # Left at its default: the letters, form links and alert emails the demo makes name
        # where it really serves (before, another --port still printed :5000 in them).
        app.config["HYS"].PUBLIC_BASE_URL = base
    _db().upgrade()
    with _db().session() as session:
        real = _non_demo_staff(session)
        if real:
            raise click.ClickException(f"this database has {real} staff account(s) that are not demo accounts, so "
                                       "it is not a demo database; the demo logins (public passwords) were not "
                                       "added. Point DATABASE_URL at an empty database for the demo.")
        summary = load_demo(session, app.config["HYS"])
    click.echo("Sample data: " + ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in summary.items()
                                           if name != "links"))
    click.echo(f"Dashboard:  {base}/dashboard/")
    click.echo(f"Login:      {base}/login")
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {role:8} {email} / {password}")
    for label, path in summary.get("links", []):
        click.echo(f"{label}: {base}{path}")
    if no_serve:
        return
    click.echo(f"Serving on {base} (Ctrl+C to stop)", err=False)
    sys.stdout.flush()
    # Flask's app.run() does nothing inside a `flask`-style CLI command, so serve with Werkzeug directly.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def database_probe(url: str) -> list[str]:
    """What is wrong with the database at ``url`` (cannot connect, migrations not current), for doctor."""
    from sqlalchemy import make_url
    from sqlalchemy.pool import NullPool

    from storage.db import make_engine
    from storage.health import database_state

    # Give up after a few seconds rather than the operating system's minutes on a dropped packet.
    extra = {"connect_args": {"connect_timeout": 5}} if make_url(url).get_backend_name() == "postgresql" else {}
    try:
        engine = make_engine(url, poolclass=NullPool, **extra)
    except Exception as exc:  # noqa: BLE001 - a URL the driver cannot use is the answer here
        return [f"cannot be used ({type(exc).__name__})"]
    try:
        state = database_state(engine)
    finally:
        engine.dispose()
    problems = state.problems()
    if not state.reachable and state.detail:
        # An operator's terminal, not a web answer: the driver's words say why (refused, password, name).
        problems = [f"{problems[0]}: {state.detail}"]
    return problems


@click.command("doctor")
@click.option("--no-database", is_flag=True, help="Check the settings only; do not connect to the database.")
def doctor_command(no_database: bool) -> None:
    """Check the production settings in the environment; print each problem; exit 1 if there are any."""
    from config.doctor import diagnose

    problems = diagnose(os.environ, None if no_database else database_probe)
    for problem in problems:
        click.echo(f"- {problem}")
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo("All checks passed")


def _non_demo_staff(session) -> int:  # noqa: ANN001
    """How many staff accounts are not the demo's own (a real service's database has some)."""
    from sqlalchemy import func, select

    from storage.demo import DEMO_LOGINS, EXTRA_IROS
    from storage.models import Staff

    demo_emails = [email for email, _, _ in DEMO_LOGINS] + list(EXTRA_IROS)
    return session.scalar(select(func.count()).select_from(Staff).where(Staff.email.not_in(demo_emails))) or 0


def init_app(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    for command in (db_group, surveys_group, staff_group, alerts_group, demo):
        app.cli.add_command(command)
    app.cli.add_command(report_command)
    for command in (reviews_group, send_command, worker_command):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from web import create_app

    return create_app()


cli = FlaskGroup(create_app=_create_app, add_default_commands=True, load_dotenv=False,
                 help="Have Your Say: consultation and feedback for IRO services.")
# On the group itself, not the app's CLI: doctor must run when the settings are too wrong to build the app.
cli.add_command(doctor_command)


def main() -> None:
    """Entry point of the ``haveyoursay`` console script."""
    from config import ConfigError

    try:
        cli.main(prog_name="haveyoursay")
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
