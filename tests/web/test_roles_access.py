"""Who may open what: every child-level URL, enumerated from the app's URL map.

An IRO must not reach another IRO's child by changing an id in any URL (404 or 403),
a manager reaches them all, and a logged-out visitor is sent to the login page.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from storage.models import Invitation, Quote, Review
from tests.conftest import csrf_token_from
from tests.web.dashboard_data import PASSWORD, add_invitation, build_world

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
        # The paper pages open only open paper invitations (any other is 404 for everyone).
        paper = add_invitation(session, session.get(Review, world.reviews["R-B1"]), "parent", channel="paper",
                               status="sent", form_id="parent_before", contact=None)
        world.invitations["R-B1:paper"] = paper.id
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
            if rule.endpoint.startswith("paper.") and "invitation_id" in values:
                values["invitation_id"] = world.invitations["R-B1:paper"]
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


# --- every id a URL can carry is accounted for -----------------------------------------

# URL arguments that name a staff account (admin pages) or are not ids at all.
STAFF_ARGS = ("staff_id",)
NOT_IDS = ("fmt", "filename", "token", "key")


def test_every_url_argument_is_classified(app) -> None:  # noqa: ANN001
    """A new route with an id this file does not know fails here, until it is added above and tested."""
    known = set(CHILD_ARGS) | set(STAFF_ARGS) | set(NOT_IDS)
    unknown = {rule.rule: sorted(set(rule.arguments) - known) for rule in app.url_map.iter_rules()
               if set(rule.arguments) - known}
    assert unknown == {}, f"classify these URL arguments in tests/web/test_roles_access.py: {unknown}"
    # Respondent pages are reached by an unguessable token, never by a number.
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/f/"):
            assert not set(rule.arguments) & set(CHILD_ARGS), rule.rule


def test_staff_account_pages_are_for_admins_only(app, client, world) -> None:  # noqa: ANN001
    rules = [rule for rule in app.url_map.iter_rules() if set(rule.arguments) & set(STAFF_ARGS)]
    assert rules, "the staff account routes were not found"
    with app.test_request_context():
        urls = [(method, app.url_map.bind("localhost").build(rule.endpoint, {"staff_id": world.iro_b}))
                for rule in rules for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    for who in ("iro_a", "manager"):
        token = login(client, world.emails[who])
        for method, url in urls:
            response = client.open(url, method=method, data={"csrf_token": token, "password": "x" * 20,
                                                             "active": "0"})
            assert response.status_code == 403, f"{method} {url} gave {response.status_code} to {who}"
        client.post("/logout", data={"csrf_token": token})
    with app.extensions["db"].session() as session:
        from storage.models import Staff

        assert session.get(Staff, world.iro_b).active is True


def test_ids_in_query_strings_and_api_calls(app, client, world) -> None:  # noqa: ANN001
    """An IRO cannot ask for another IRO's figures or alerts by naming them in a query string."""
    from storage.staff import new_api_token

    with app.extensions["db"].session() as session:
        tokens = {who: new_api_token(session, world.emails[who]) for who in ("iro_a", "manager")}
    period = "from=2026-01-01&to=2027-03-31"

    def api(path: str, who: str | None):  # noqa: ANN202
        return client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"} if who else {})

    # The API: no token is a JSON 401 (an API has no login page); another IRO's id is a 403.
    for path in (f"/api/v1/report?{period}", f"/api/v1/alerts?{period}"):
        response = api(path, None)
        assert response.status_code == 401 and response.is_json and "C-BRAVO" not in response.get_data(as_text=True)
    response = api(f"/api/v1/report?{period}&iro_id={world.iro_b}", "iro_a")
    assert response.status_code == 403 and response.get_json()["error"]["parameter"] == "iro_id"
    mine = api(f"/api/v1/report?{period}", "iro_a").get_json()
    assert mine["filters"]["iro_id"] == world.iro_a
    alerts = api(f"/api/v1/alerts?{period}", "iro_a").get_json()["alerts"]
    assert [a["review_ref"] for a in alerts] == ["R-A1"]
    assert "secret words for C-BRAVO" not in api(f"/api/v1/alerts?{period}", "iro_a").get_data(as_text=True)
    everyone = api(f"/api/v1/alerts?{period}", "manager").get_json()["alerts"]
    assert sorted(a["review_ref"] for a in everyone) == ["R-A1", "R-B1"]
    assert all("excerpt" not in a for a in everyone)  # the words go only to the child's own IRO
    assert api(f"/api/v1/report?{period}&iro_id={world.iro_b}", "manager").get_json()["filters"]["iro_id"] == (
        world.iro_b)
    # The dashboard's figures (and their downloads) take an IRO id too: managers and admins only.
    login(client, world.emails["iro_a"])
    for path in (f"/dashboard/figures?iro={world.iro_b}", f"/dashboard/figures/download.csv?iro={world.iro_b}",
                 f"/dashboard/figures/download.json?iro={world.iro_b}"):
        response = client.get(path)
        assert response.status_code in (403, 404), f"{path} gave {response.status_code} to an IRO"


# --- every view of a child's answers is in the audit log ----------------------------------

CHILD_WORDS = "the bus to school is always late"
# Pages that show a child's answers and have no id in their URL.
ANSWER_LISTS = ("/dashboard/quotes?status=candidate",)


def _audit_count(app, staff_id: int) -> int:  # noqa: ANN001
    from sqlalchemy import func, select

    from storage.models import AuditEvent

    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.staff_id == staff_id))


def test_every_view_of_a_childs_answers_is_audited(app, client, world) -> None:  # noqa: ANN001
    from storage.models import Answer

    with app.extensions["db"].session() as session:
        # The child has said something, so every page about them has answers to show.
        session.add(Answer(invitation_id=world.invitations["R-B1:child"], question_key="wishes",
                           free_text=CHILD_WORDS, channel="telegram"))
        session.commit()
    unaudited: set[str] = set()
    shown: set[str] = set()
    views = [(url, rule.endpoint) for rule in child_rules(app) if "GET" in (rule.methods or set())
             for method, url in urls_for(app, world)
             if method == "GET" and app.url_map.bind("localhost").match(url)[0] == rule.endpoint]
    views += [(url, app.url_map.bind("localhost").match(url.split("?")[0])[0]) for url in ANSWER_LISTS]
    assert {"dashboard.review_detail", "alerts.detail"} <= {endpoint for _, endpoint in views}
    for who, staff_id in (("manager", world.manager), ("iro_b", world.iro_b)):
        login(client, world.emails[who])
        for url, endpoint in views:
            before = _audit_count(app, staff_id)
            response = client.get(url)
            if response.status_code != 200:
                continue  # not this role's page (the IRO has no paper or quote pages), or a rehearsal only
            html = response.get_data(as_text=True)
            if not any(words in html for words in (CHILD_WORDS, "secret words for C-BRAVO", "Settled well")):
                continue  # shows nothing a respondent said
            shown.add(endpoint)
            if _audit_count(app, staff_id) <= before:
                unaudited.add(endpoint)
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/dashboard/").get_data(as_text=True))})
    assert {"dashboard.review_detail", "alerts.detail", "quotes.index"} <= shown
    assert unaudited == set(), f"views of a child's answers with no audit event: {unaudited}"
    # Both reviews pages and alerts were audited for both roles (checked above); the API too:
    from storage.staff import new_api_token

    with app.extensions["db"].session() as session:
        token = new_api_token(session, world.emails["iro_b"])
    before = _audit_count(app, world.iro_b)
    assert client.get("/api/v1/alerts?from=2026-01-01&to=2027-03-31",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert _audit_count(app, world.iro_b) == before + 1
