"""The staff JSON API: the annual-report figures, safeguarding alerts and an OpenAPI description.

Every endpoint but the description needs a staff API token (``haveyoursay staff token
EMAIL``). An IRO's token sees only the reviews they chair (``Review.iro_id``); managers and
admins see every review. Bad query parameters get a 400 JSON error naming the parameter.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Flask, g, jsonify, request
from sqlalchemy import or_, select

from storage.audit import record
from storage.models import Alert, Invitation, Review, utcnow
from storage.reports import build_report
from surveys.report import reporting_year
from surveys.schema import ROLES
from web.auth import token_required
from web.database import get_session
from web.errors import error_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_PERIOD_DAYS = 3660  # ten years: the quarter breakdown stays a readable size
REVIEW_TYPES = ("CLA", "PP")
ALERT_STATUSES = ("open", "acknowledged", "closed")
ALERT_KINDS = ("disclosure", "not_screened")


class BadParameter(ValueError):
    """A query parameter that cannot be used; the message names it."""

    status = 400

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


class ForbiddenParameter(BadParameter):
    """A parameter asking for more than the caller's role may see."""

    status = 403


def _date_param(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not DATE_RE.match(raw):
        raise BadParameter(name, f"'{name}' must be a date as YYYY-MM-DD")
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(name, f"'{name}' is not a real date") from None
    if not 1900 <= value.year <= 2999:
        raise BadParameter(name, f"'{name}' must be a date between 1900 and 2999")
    return value


def period_from_request() -> tuple[date, date]:
    """The ``from`` / ``to`` query parameters (default: this financial year to date)."""
    today = utcnow().date()
    date_to = _date_param("to", today)
    date_from = _date_param("from", reporting_year(date_to)[0])
    if date_from > date_to:
        raise BadParameter("from", "'from' must not be after 'to'")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise BadParameter("from", "the period from 'from' to 'to' may span at most ten years")
    return date_from, date_to


def _choice_param(name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise BadParameter(name, f"'{name}' must be one of: {', '.join(choices)}")
    return raw


def _int_param(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,10}", raw) or not low <= int(raw) <= high:
        raise BadParameter(name, f"'{name}' must be a whole number from {low} to {high}")
    return int(raw)


def _bad(exc: BadParameter):
    return error_response(exc.status, str(exc), parameter=exc.parameter)


def _scoped_iro_id() -> int | None:
    """Which IRO's reviews the caller may see: their own for an IRO, any (or a chosen one) otherwise."""
    staff = g.staff
    wanted = _int_param("iro_id", None, 1, 2**31 - 1)
    if staff.role == "iro":
        if wanted is not None and wanted != staff.id:
            raise ForbiddenParameter("iro_id", "an IRO's token sees only that IRO's own reviews")
        return staff.id
    return wanted


@bp.route("/report")
@token_required("admin", "manager", "iro")
def report():
    """The annual-report figures for reviews held in the period (same as ``report --format json``)."""
    try:
        date_from, date_to = period_from_request()
        role = _choice_param("role", ROLES)
        review_type = _choice_param("review_type", REVIEW_TYPES)
        iro_id = _scoped_iro_id()
    except BadParameter as exc:
        return _bad(exc)
    session = get_session()
    data = build_report(session, date_from, date_to, role=role, review_type=review_type, iro_id=iro_id)
    record(session, g.staff.id, "api_report", "report", None, date_from=date_from.isoformat(),
           date_to=date_to.isoformat(), role=role, review_type=review_type, iro_id=iro_id)
    session.commit()
    return jsonify(data)


def alert_rows(session, staff, date_from: date, date_to: date, *, status: str | None = None,  # noqa: ANN001
               limit: int = 500, offset: int = 0) -> list[dict[str, Any]]:
    """Alerts raised in the period that this staff member may see, newest first.

    The words that raised an alert (``excerpt``) go only to the child's own IRO; for
    everyone else the field is left out, not blanked. An alert from a sender who matched
    no invitation has no review (``review_ref``, ``invitation_id`` and ``role`` null): an
    IRO never sees it, managers and admins do. A rehearsal's alert is never listed.
    """
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    stmt = (select(Alert, Review.review_ref, Review.iro_id, Invitation.role)
            .outerjoin(Review, Alert.review_id == Review.id)
            .outerjoin(Invitation, Alert.invitation_id == Invitation.id)
            .where(Alert.raised_at >= start, Alert.raised_at < end,
                   or_(Review.id.is_(None), Review.simulated.is_(None), Review.simulated.is_(False)))
            .order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit).offset(offset))
    if staff.role == "iro":
        stmt = stmt.where(Review.iro_id == staff.id)
    if status:
        stmt = stmt.where(Alert.status == status)
    rows = []
    for alert, review_ref, iro_id, role in session.execute(stmt):
        row = {"id": alert.id, "invitation_id": alert.invitation_id, "review_ref": review_ref, "role": role,
               "kind": alert.kind or "disclosure", "channel": alert.channel,
               "question_key": alert.question_key, "reason": alert.reason, "categories": alert.categories,
               "status": alert.status, "created_at": alert.raised_at.isoformat(),
               "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
               "closed_at": alert.closed_at.isoformat() if alert.closed_at else None}
        if staff.role == "iro" and iro_id is not None and iro_id == staff.id:
            row["excerpt"] = alert.excerpt
        rows.append(row)
    return rows


@bp.route("/alerts")
@token_required("admin", "manager", "iro")
def alerts():
    """Safeguarding alerts raised in the period, as far as the caller's role may see them."""
    try:
        date_from, date_to = period_from_request()
        status = _choice_param("status", ALERT_STATUSES)
        limit = _int_param("limit", 500, 1, 5000)
        offset = _int_param("offset", 0, 0, 10**9)
    except BadParameter as exc:
        return _bad(exc)
    session = get_session()
    rows = alert_rows(session, g.staff, date_from, date_to, status=status, limit=limit, offset=offset)
    record(session, g.staff.id, "api_alerts", "alert", None, date_from=date_from.isoformat(),
           date_to=date_to.isoformat(), count=len(rows))
    session.commit()
    return jsonify({"period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
                    "count": len(rows), "alerts": rows})


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_spec())


# --- OpenAPI -----------------------------------------------------------------------------

def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


_INT = {"type": "integer", "minimum": 0}
_PCT = _nullable({"type": "integer", "minimum": 0, "maximum": 100})
_COUNT_PCT = {"type": "object", "required": ["count", "n", "pct"],
              "properties": {"count": _INT, "n": _INT, "pct": _PCT}}


def _schemas() -> dict[str, Any]:
    period = {"type": "object", "required": ["from", "to"],
              "properties": {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}}
    return_rate = {
        "type": "object", "required": ["role", "review_type", "phase", "sent", "received", "rate", "suppressed"],
        "properties": {"role": {"type": "string"}, "review_type": {"type": "string"}, "phase": {"type": "string"},
                       "sent": _INT, "received": _INT,
                       "rate": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
                       "suppressed": {"type": "boolean"}}}
    question = {
        "type": "object", "required": ["survey", "key", "text", "type", "report", "n", "suppressed"],
        "properties": {
            "survey": {"type": "string"}, "key": {"type": "string"}, "text": {"type": "string"},
            "type": {"type": "string"},
            "report": {"type": "string", "enum": ["yes_pct", "distribution", "scale", "quotes"]},
            "n": _INT, "suppressed": {"type": "boolean"},
            "counts": {"type": "object", "additionalProperties": _INT},
            "yes_pct": _PCT, "no_pct": _PCT, "not_sure_pct": _PCT,
            "distribution": {"type": "object", "additionalProperties": _INT},
            "pct": {"type": "object", "additionalProperties": _PCT},
            "mean": _nullable({"type": "number"}), "median": _nullable({"type": "number"}),
            "histogram": {"type": "object", "additionalProperties": _INT}}}
    participation = {
        "type": "object",
        "required": ["n", "codes", "attended", "chaired", "co_chaired", "seen_before_review", "suppressed"],
        "properties": {
            "n": _INT, "suppressed": {"type": "boolean"},
            "codes": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["label", "count", "pct"],
                "properties": {"label": {"type": "string"}, "count": _INT, "pct": _PCT}}},
            "attended": _COUNT_PCT, "chaired": _COUNT_PCT, "co_chaired": _COUNT_PCT,
            "seen_before_review": _COUNT_PCT}}
    quote = {"type": "object",
             "required": ["id", "text", "role", "age", "survey", "question", "themes", "sentiment", "attribution"],
             "properties": {"id": {"type": "integer"}, "text": {"type": "string"}, "role": {"type": "string"},
                            "age": _nullable({"type": "integer"}), "survey": {"type": "string"},
                            "question": {"type": "string"},
                            "themes": {"type": "array", "items": {"type": "string"}},
                            "sentiment": _nullable({"type": "string", "enum": ["positive", "neutral", "negative"]}),
                            "attribution": {"type": "string", "description": "How a report signs it: role and "
                                            "age only, e.g. '(14)' or 'Foster carer'"}},
             "additionalProperties": False}
    ref = "#/components/schemas/"
    blocks = {"return_rates": {"type": "array", "items": {"$ref": ref + "ReturnRate"}},
              "questions": {"type": "array", "items": {"$ref": ref + "Question"}},
              "participation": {"$ref": ref + "Participation"},
              "quotes": {"type": "array", "items": {"$ref": ref + "Quote"}},
              "you_said_we_did": {"type": "object", "required": ["count"], "properties": {"count": _INT}}}
    quarter = {"type": "object", "required": ["quarter", "year", "number", "from", "to", *blocks],
               "properties": {"quarter": {"type": "string"}, "year": {"type": "string"},
                              "number": {"type": "integer", "minimum": 1, "maximum": 4},
                              "from": {"type": "string", "format": "date"},
                              "to": {"type": "string", "format": "date"}, **blocks}}
    report = {"type": "object",
              "required": ["period", "filters", "small_number_threshold", *blocks, "by_quarter", "previous_year"],
              "properties": {
                  "period": {"$ref": ref + "Period"},
                  "filters": {"type": "object", "properties": {
                      "role": _nullable({"type": "string"}), "review_type": _nullable({"type": "string"}),
                      "iro_id": _nullable({"type": "integer"})}},
                  "small_number_threshold": {"type": "integer"}, "counting": {"type": "string"}, **blocks,
                  "by_quarter": {"type": "array", "items": {"$ref": ref + "Quarter"}},
                  "previous_year": {"type": "object", "required": ["period", "return_rates"], "properties": {
                      "period": {"$ref": ref + "Period"}, "return_rates": blocks["return_rates"]}}}}
    alert = {"type": "object",
             "required": ["id", "invitation_id", "review_ref", "kind", "reason", "status", "created_at"],
             "properties": {"id": {"type": "integer"},
                            "invitation_id": _nullable({"type": "integer",
                                                        "description": "null: the sender matched no invitation"}),
                            "review_ref": _nullable({"type": "string",
                                                     "description": "null: the sender matched no invitation"}),
                            "role": _nullable({"type": "string"}),
                            "kind": {"type": "string", "enum": list(ALERT_KINDS),
                                     "description": "not_screened: a language or script the screen cannot "
                                                    "read, needs reading by a person"},
                            "channel": _nullable({"type": "string",
                                                  "description": "sms, telegram, web or paper"}),
                            "question_key": _nullable({"type": "string"}), "reason": {"type": "string"},
                            "categories": _nullable({"type": "string"}),
                            "status": {"type": "string", "enum": list(ALERT_STATUSES)},
                            "created_at": {"type": "string", "format": "date-time"},
                            "acknowledged_at": _nullable({"type": "string", "format": "date-time"}),
                            "closed_at": _nullable({"type": "string", "format": "date-time"}),
                            "excerpt": _nullable({"type": "string",
                                                  "description": "only for the child's own IRO"})}}
    alerts = {"type": "object", "required": ["period", "count", "alerts"],
              "properties": {"period": {"$ref": ref + "Period"}, "count": _INT,
                             "alerts": {"type": "array", "items": {"$ref": ref + "Alert"}}}}
    error = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["status", "message"],
        "properties": {"status": {"type": "integer"}, "message": {"type": "string"},
                       "parameter": {"type": "string"}}}}}
    return {"Period": period, "ReturnRate": return_rate, "Question": question, "Participation": participation,
            "Quote": quote, "Quarter": quarter, "Report": report, "Alert": alert, "Alerts": alerts,
            "Error": error}


def _param(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document (kept beside the code it describes)."""
    date_schema = {"type": "string", "format": "date"}
    period_params = [_param("from", "First review date (default: 1 April of the financial year of 'to')",
                            date_schema),
                     _param("to", "Last review date, included (default: today)", date_schema)]
    errors = {status: {"description": text, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
        for status, text in (("400", "a query parameter is wrong (named in error.parameter)"),
                             ("401", "no valid staff API token"), ("403", "the token may not see this"))}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Have Your Say staff API", "version": "1.0.0",
                 "description": "Annual-report figures and safeguarding alerts for IRO services."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/v1/report": {"get": {
                "summary": "Report figures for reviews held in a period",
                "operationId": "getReport",
                "parameters": [*period_params,
                               _param("role", "Only this respondent role", {"type": "string", "enum": list(ROLES)}),
                               _param("review_type", "Only CLA or Pathway Plan reviews",
                                      {"type": "string", "enum": list(REVIEW_TYPES)}),
                               _param("iro_id", "Only this IRO's reviews (an IRO token: their own only)",
                                      {"type": "integer", "minimum": 1})],
                "responses": {"200": {"description": "the report", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Report"}}}}, **errors}}},
            "/api/v1/alerts": {"get": {
                "summary": "Safeguarding alerts raised in a period",
                "operationId": "getAlerts",
                "parameters": [*period_params,
                               _param("status", "Only alerts in this state",
                                      {"type": "string", "enum": list(ALERT_STATUSES)}),
                               _param("limit", "At most this many", {"type": "integer", "minimum": 1,
                                                                     "maximum": 5000}),
                               _param("offset", "Skip this many", {"type": "integer", "minimum": 0})],
                "responses": {"200": {"description": "the alerts", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Alerts"}}}}, **errors}}},
            "/api/v1/openapi.json": {"get": {
                "summary": "This description", "operationId": "getOpenApi", "security": [],
                "responses": {"200": {"description": "the OpenAPI document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "haveyoursay staff token EMAIL"}},
            "schemas": _schemas(),
        },
    }


def init_app(app: Flask) -> None:
    """Register the API blueprint (token-authenticated, so exempt from the form CSRF check)."""
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
