"""Health checks for load balancers and process managers: ``/healthz`` and ``/readyz``.

Both answer without login, CSRF or throttling, carry no personal data and are never
cached. ``/healthz`` says only that the process answers (a liveness probe: restart me
if this fails). ``/readyz`` says whether requests can be served: the database answers
and its schema is at the migrations' head (a readiness probe: send me traffic).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from storage.health import database_state
from web.database import get_db

bp = Blueprint("health", __name__)


def _answer(body: dict[str, object], status: int) -> tuple[Response, int]:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """The process answers; nothing else is checked."""
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database is reachable and migrated to the head; otherwise 503 saying which failed."""
    state = database_state(get_db().engine)
    body: dict[str, object] = {
        "status": "ready" if not state.problems() else "not ready",
        "database": "ok" if state.reachable else "unreachable",
        "migrations": state.migrations,
    }
    if state.problems():
        body["problems"] = state.problems()
        return _answer(body, 503)
    return _answer(body, 200)


def init_app(app: Flask) -> None:
    """Register the two routes; they take no form, so CSRF has nothing to guard."""
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
