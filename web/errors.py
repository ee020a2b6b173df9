"""Error pages: JSON for API and webhook clients, a kind page for people, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: "Something in that request was not right.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    410: "This link has expired.",
    413: "That file is too large.",
    429: "Too many tries. Please wait a few minutes and try again.",
    500: "Something went wrong on our side. Nothing you entered has been lost.",
}


def wants_json() -> bool:
    """Whether the client is a program (API, webhook) rather than a person's browser."""
    return request.path.startswith(("/api/", "/webhooks/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, message: str | None = None, **extra):
    """A JSON error for programs or a kind HTML page for people."""
    message = message or MESSAGES.get(status, "Something went wrong.")
    if wants_json():
        return jsonify({"error": {"status": status, "message": message, **extra}}), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(400, "This form has expired. Please go back, reload and try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = exc.description if status in (400, 409, 422) and wants_json() else None
        return error_response(status, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # The exception type only: messages may hold respondents' words.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path,
                  exc_info=app.debug or app.testing)
        return error_response(500)
