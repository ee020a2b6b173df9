"""Who may open what: every child-level URL, enumerated from the app's URL map.

An IRO must not reach another IRO's child by changing an id in any URL (404 or 403),
a manager reaches them all, and a logged-out visitor is sent to the login page.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from storage.models import Invitation, Quote
from tests.conftest import csrf_token_from
from tests.web.dashboard_data import PASSWORD, build_world

# URL arguments that name something belonging to one child.
CHILD_ARGS = ("review_id", "alert_id", "invitation_id", "answer_id", "quote_id")
# Token-authenticated or respondent-facing: covered by their own tests.
OTHER_AUTH = ("/api/", "/webhooks/", "/f/", "/static/")
# Pages that open only staff rehearsals (Review.simulated), never a real child's records:
# a real child's id is 404 there for every role, the manager too.
REHEARSAL_ONLY = ("/dashboard/simulator/",)


@pytest.fixture
def world(app):  # noqa: ANN001, ANN201
    with app.extensions["db"].session() as session:
        world = build_world(session)
        invitation = session.get(Invitation, world.invitations["R-B1:carer"])
        quote = Quote(invitation_id=invitation.id, form_id=invitation.form_id, question_key="going_well",
                      role="carer", redacted_text="Settled well", status="candidate")
        session.add(quote)
        session.flush()
        world.invitations["quote"] = quote.id
    return world


def child_rules(app) -> list[Rule]:  # noqa: ANN001
    """Every rule whose URL carries a child-level id and that staff reach with their login."""
    return [rule for rule in app.url_map.iter_rules()
            if set(rule.arguments) & set(CHILD_ARGS) and not rule.rule.startswith(OTHER_AUTH)]


def urls_for(app, world) -> list[tuple[str, str]]:  # noqa: ANN001
    """(method, url) for every child-level rule, pointing at iro_b's child (review R-B1)."""
    ids = {"review_id": world.reviews["R-B1"], "alert_id": world.alerts["R-B1"],
           "invitation_id": world.invitations["R-B1:child"], "answer_id": 1,
           "quote_id": world.invitations["quote"]}
    result = []
    with app.test_request_context():
        for rule in child_rules(app):
            values = {name: ids[name] for name in rule.arguments if name in ids}
            if set(rule.arguments) - set(values):
                raise AssertionError(f"{rule.rule}: add an id for {set(rule.arguments) - set(values)}")
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                result.append((method, url))
    return result


def login(client, email: str) -> str:  # noqa: ANN001
    """Log in and return a CSRF token valid for this session."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return csrf_token_from(client.get("/dashboard/").get_data(as_text=True))


def test_the_child_level_routes_are_found(app) -> None:  # noqa: ANN001
    endpoints = {rule.endpoint for rule in child_rules(app)}
    assert {"dashboard.review_detail", "dashboard.record_participation", "alerts.detail",
            "alerts.acknowledge_view", "alerts.action_view", "alerts.close_view"} <= endpoints


def test_another_iro_gets_404_or_403_everywhere(app, client, world) -> None:  # noqa: ANN001
    token = login(client, world.emails["iro_a"])
    for method, url in urls_for(app, world):
        response = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
        assert response.status_code in (403, 404), f"{method} {url} gave {response.status_code} to another IRO"
        assert "C-BRAVO" not in response.get_data(as_text=True)
    # The IRO's own child opens.
    assert client.get(f"/dashboard/reviews/{world.reviews['R-A1']}").status_code == 200
    assert client.get(f"/dashboard/alerts/{world.alerts['R-A1']}").status_code == 200


def test_logged_out_is_sent_to_login(app, client, world) -> None:  # noqa: ANN001
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    for method, url in urls_for(app, world):
        response = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
        assert response.status_code == 302, f"{method} {url} gave {response.status_code} when logged out"
        assert response.headers["Location"].startswith("/login"), f"{method} {url}"


def test_manager_reaches_every_child(app, client, world) -> None:  # noqa: ANN001
    token = login(client, world.emails["manager"])
    urls = urls_for(app, world)
    for _method, url in [u for u in urls if u[0] == "GET"]:
        response = client.get(url)
        expected = 404 if url.startswith(REHEARSAL_ONLY) else 200
        assert response.status_code == expected, f"GET {url} gave {response.status_code} to a manager"
    for method, url in [u for u in urls if u[0] != "GET"]:
        response = client.open(url, method=method, data={"csrf_token": token})
        if url.startswith(REHEARSAL_ONLY):
            assert response.status_code == 404, f"{method} {url} gave {response.status_code}"
        else:
            assert response.status_code not in (403, 404, 500), f"{method} {url} gave {response.status_code}"


def test_role_pages(client, world) -> None:  # noqa: ANN001
    login(client, world.emails["iro_a"])
    assert client.get("/dashboard/figures").status_code == 403
    assert client.get("/dashboard/users").status_code == 403
    assert client.get("/dashboard/reviews").status_code == 200
