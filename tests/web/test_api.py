"""The staff JSON API: report and alerts by token, IRO scoping, parameter errors, OpenAPI conformance."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from storage.reports import build_report
from storage.staff import new_api_token
from tests.storage.report_data import EXCERPT, PERIOD, seed_year

QUERY = "from=2025-04-01&to=2026-03-31"
# Fixed examples in CI (deterministic); HYS_API_FUZZ=N explores N random examples per operation.
MAX_EXAMPLES = int(os.environ.get("HYS_API_FUZZ", "15"))
DERANDOMIZE = "HYS_API_FUZZ" not in os.environ


@pytest.fixture
def seeded(app):  # noqa: ANN001
    """The report year in the app's database, with a token for each staff member."""
    with app.extensions["db"].session() as session:
        year = seed_year(session)
        tokens = {name: new_api_token(session, email) for name, email in (
            ("manager", "manager@council.example"), ("iro_a", "iro.a@council.example"),
            ("iro_b", "iro.b@council.example"))}
    return year, tokens


def _get(client, path: str, token: str | None):  # noqa: ANN001
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers)


def test_report_needs_a_token(client, seeded):  # noqa: ANN001
    response = _get(client, f"/api/v1/report?{QUERY}", None)
    assert response.status_code == 401 and response.is_json
    assert _get(client, f"/api/v1/report?{QUERY}", "not-a-real-token").status_code == 401


def test_manager_report_is_the_built_report(app, client, seeded):  # noqa: ANN001
    _, tokens = seeded
    response = _get(client, f"/api/v1/report?{QUERY}", tokens["manager"])
    assert response.status_code == 200
    with app.extensions["db"].session() as session:
        expected = build_report(session, *PERIOD)
    assert response.get_json() == expected
    rates = {(r["role"], r["review_type"]): (r["sent"], r["received"], r["rate"])
             for r in response.get_json()["return_rates"]}
    assert rates[("child", "CLA")] == (10, 8, 0.8)


def test_iro_token_sees_only_their_own_reviews(client, seeded):  # noqa: ANN001
    year, tokens = seeded
    mine = _get(client, f"/api/v1/report?{QUERY}", tokens["iro_b"]).get_json()
    assert mine["filters"]["iro_id"] == year.iro_b
    assert {(r["role"], r["sent"], r["received"]) for r in mine["return_rates"]} == {("child", 2, 2), ("carer", 1, 0)}
    other = _get(client, f"/api/v1/report?{QUERY}&iro_id={year.iro_a}", tokens["iro_b"])
    assert other.status_code == 403 and other.get_json()["error"]["parameter"] == "iro_id"
    chosen = _get(client, f"/api/v1/report?{QUERY}&iro_id={year.iro_b}", tokens["manager"]).get_json()
    assert chosen["return_rates"] == mine["return_rates"]


@pytest.mark.parametrize(("query", "parameter"), [
    ("from=2025-13-01&to=2026-03-31", "from"),
    ("from=yesterday", "from"),
    ("from=2025-04-01&to=31/03/2026", "to"),
    ("from=2026-04-01&to=2025-04-01", "from"),
    ("from=2025-04-01&to=2026-03-31&role=uncle", "role"),
    ("from=2025-04-01&to=2026-03-31&review_type=CP", "review_type"),
    ("from=2025-04-01&to=2026-03-31&iro_id=abc", "iro_id"),
    ("from=1990-01-01&to=2026-03-31", "from"),
])
def test_bad_parameters_get_a_json_400_naming_them(client, seeded, query, parameter):  # noqa: ANN001
    _, tokens = seeded
    response = _get(client, f"/api/v1/report?{query}", tokens["manager"])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter and parameter in error["message"]


def test_alerts_scoped_and_excerpt_only_for_the_childs_iro(client, seeded):  # noqa: ANN001
    year, tokens = seeded
    manager = _get(client, f"/api/v1/alerts?{QUERY}", tokens["manager"]).get_json()
    assert manager["count"] == 2
    assert {a["id"] for a in manager["alerts"]} == {year.alerts["A"], year.alerts["B"]}
    assert all("excerpt" not in a for a in manager["alerts"])
    first = next(a for a in manager["alerts"] if a["id"] == year.alerts["A"])
    assert (first["review_ref"], first["reason"], first["status"]) == ("R1", "harm words", "open")
    assert first["created_at"].startswith("2025-05-21T09:00:00")
    iro_a = _get(client, f"/api/v1/alerts?{QUERY}", tokens["iro_a"]).get_json()
    assert [(a["id"], a["excerpt"]) for a in iro_a["alerts"]] == [(year.alerts["A"], EXCERPT)]
    iro_b = _get(client, f"/api/v1/alerts?{QUERY}", tokens["iro_b"]).get_json()
    assert [a["id"] for a in iro_b["alerts"]] == [year.alerts["B"]]
    only_q1 = _get(client, "/api/v1/alerts?from=2025-04-01&to=2025-06-30", tokens["manager"]).get_json()
    assert [a["id"] for a in only_q1["alerts"]] == [year.alerts["A"]]
    assert _get(client, f"/api/v1/alerts?{QUERY}&status=closed", tokens["manager"]).get_json()["count"] == 0
    assert EXCERPT not in _get(client, f"/api/v1/alerts?{QUERY}", tokens["manager"]).get_data(as_text=True)


def test_openapi_document_is_served_without_a_token(client):  # noqa: ANN001
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/api/v1/report", "/api/v1/alerts", "/api/v1/openapi.json"}


def test_the_years_report_matches_its_schema_quotes_included(client, seeded):  # noqa: ANN001
    import jsonschema

    _, tokens = seeded
    spec = client.get("/api/v1/openapi.json").get_json()
    report = _get(client, f"/api/v1/report?{QUERY}", tokens["manager"]).get_json()
    assert report["quotes"], "the seeded year has an approved quote"
    # The whole document as the schema's store, so its $refs resolve.
    validator = jsonschema.Draft202012Validator({**spec["components"]["schemas"]["Report"],
                                                 "components": spec["components"]})
    assert list(validator.iter_errors(report)) == []
    quote = report["quotes"][0]
    assert set(quote) == set(spec["components"]["schemas"]["Quote"]["properties"])


def test_api_conforms_to_its_openapi_description(app, seeded):  # noqa: ANN001
    """schemathesis drives every operation; responses must match the documented schemas."""
    _, tokens = seeded
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert {"GET /api/v1/report", "GET /api/v1/alerts"} <= {op.label for op in operations}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
                  suppress_health_check=list(HealthCheck))
        def check(case):  # noqa: ANN001
            # A schema cannot say "from <= to", so schema-valid data may still be a 400.
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens['manager']}"},
                                   excluded_checks=[positive_data_acceptance])

        check()
