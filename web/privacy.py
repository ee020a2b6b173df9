"""Privacy: the child-friendly privacy page and the retention, access and erasure commands."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TextIO

import click
from flask import Flask, current_app, render_template, request
from flask.cli import with_appcontext

from storage.privacy import erase_child, export_as_csv, purge, subject_access_export
from surveys import catalogue
from surveys.engine import text as catalogue_text
from web.cli import parse_now


def privacy_page():
    """What happens to what you tell us, in plain words (linked from every channel).

    Every text comes from the message catalogue; ``?lang=cy`` shows the Welsh one, with
    English wherever a text is not translated yet.
    """
    language = request.args.get("lang", "en")
    language = language if language in catalogue.languages() else "en"
    return render_template("privacy.html", lang=language, child=True,
                           t=lambda key, **values: catalogue_text(key, language, **values))


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@click.option("--now", "now_text", help="Run as if it were this moment (ISO date and time).")
@with_appcontext
def purge_command(dry_run: bool, now_text: str | None) -> None:
    """Remove contact details and free text past their retention periods."""
    config = current_app.config["HYS"]
    with current_app.extensions["db"].session() as session:
        result = purge(session, contact_days=config.CONTACT_RETENTION_DAYS,
                       free_text_days=config.FREE_TEXT_RETENTION_DAYS, now=parse_now(now_text), dry_run=dry_run)
    for line in result.lines():
        click.echo(line)


@contextmanager
def open_private(path: str) -> Iterator[TextIO]:
    """Write text to ``path`` that only its owner may read (mode 0600).

    The file is made with that mode (``mkstemp``: O_CREAT | O_EXCL, 0600) beside
    ``path`` and renamed onto it when complete, never chmodded afterwards: a child's
    data is never for a moment in a file others can read, an existing file's wider mode
    is not kept, and a failed export leaves no half-written file.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".haveyoursay-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@click.group("child")
def child_group() -> None:
    """Subject access and erasure for one child (by child_ref)."""


@child_group.command("export")
@click.argument("child_ref")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def child_export(child_ref: str, fmt: str, output: str) -> None:
    """Write everything stored about one child to a file (subject access request)."""
    with current_app.extensions["db"].session() as session:
        export = subject_access_export(session, child_ref)
    rows = sum(len(v) for v in export["tables"].values())
    if not export["tables"]["reviews"]:
        raise click.ClickException(f"nothing is stored for child_ref {child_ref!r}")
    body = json.dumps(export, indent=2, ensure_ascii=False) if fmt == "json" else export_as_csv(export)
    try:
        with open_private(output) as handle:
            handle.write(body)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"wrote {rows} rows about {child_ref} to {output}")


@child_group.command("erase")
@click.argument("child_ref")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@with_appcontext
def child_erase(child_ref: str, yes: bool) -> None:
    """Delete everything stored about one child (right to erasure)."""
    if not yes:
        raise click.ClickException("erasure cannot be undone: add --yes to confirm")
    with current_app.extensions["db"].session() as session:
        counts = erase_child(session, child_ref)
    if not counts["reviews"]:
        raise click.ClickException(f"nothing is stored for child_ref {child_ref!r}")
    click.echo("erased: " + ", ".join(f"{name} {count}" for name, count in counts.items() if count))


def init_app(app: Flask) -> None:
    """Register the privacy page and commands."""
    app.add_url_rule("/privacy", "privacy", privacy_page)
    app.cli.add_command(purge_command)
    app.cli.add_command(child_group)
