"""Wire storage into Flask: one Database per app, one session per request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from storage.db import Database


def init_app(app: Flask) -> None:
    """Create the app's Database and close the request's session at teardown."""
    url = app.config["SQLALCHEMY_URL"]
    app.extensions["db"] = Database(url, settings=app.config.get("HYS"))
    app.teardown_appcontext(_close_session)


def get_db() -> Database:
    """The current app's Database."""
    return current_app.extensions["db"]


def get_session() -> Session:
    """The request's session (created on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = get_db().Session()
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
