"""The respondent web form /f/<token>: flow, validation, resume, safeguarding, kind refusals."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from storage.models import Alert, Answer, Invitation, InvitationEvent, LoginAttempt
from surveys import catalogue
from tests.bot._helpers import past_review_date
from tests.conftest import csrf_token_from
from tests.web.respondent_data import make_invitation
from web.respondent import long_date


def _html(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def _post(client, url: str, data: dict):  # noqa: ANN001, ANN202
    """Post a page's form the way a browser would: with the CSRF token from the page."""
    page = client.get(url)
    assert page.status_code in (200, 422), (url, page.status_code)
    return client.post(url, data={"csrf_token": csrf_token_from(_html(page)), **data})


def _answers(app, invitation_id: int) -> dict[str, Answer]:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        rows = session.scalars(select(Answer).where(Answer.invitation_id == invitation_id)).all()
        return {row.question_key: row for row in rows}


def _invitation(app, invitation_id: int) -> Invitation:  # noqa: ANN001
    with app.extensions["db"].session() as session:
        return session.get(Invitation, invitation_id)


def test_child_link_shows_intro_privacy_notice_and_marks_opened(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", status="sent")
    response = client.get(f"/f/{token}")
    html = _html(response)
    assert response.status_code == 200
    assert "Your review is on Tuesday 8 December 2026." in html
    assert catalogue.text("privacy_notice").replace("'", "&#39;") in html
    assert f'href="/f/{token}/q/talk_about"' in html  # Start goes to the first question
    assert "<script" not in html and "style=" not in html  # CSP: nothing inline
    assert 'href="/privacy"' in html and catalogue.text("web_privacy_link") in html  # the full notice
    invitation = _invitation(app, invitation_id)
    assert invitation.status == "opened" and invitation.opened_at is not None
    with app.extensions["db"].session() as session:
        events = session.scalars(select(InvitationEvent.event).where(
            InvitationEvent.invitation_id == invitation_id)).all()
    assert events == ["opened"]
    client.get(f"/f/{token}")  # opening again is not a second "opened" event
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(InvitationEvent)) == 1


def test_child_answers_one_question_a_screen_with_progress_and_errors(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", age=11)
    client.get(f"/f/{token}")
    page = client.get(f"/f/{token}/q/talk_about")
    html = _html(page)
    assert re.search(r"Question 1 of \d+", html)
    assert 'type="checkbox"' in html and "<legend" in html
    # Required question: Next without an answer is a friendly error, nothing stored.
    response = _post(client, f"/f/{token}/q/talk_about", {"action": "next"})
    assert response.status_code == 422
    assert catalogue.text("web_error_required") in _html(response)
    assert 'role="alert"' in _html(response)
    assert _answers(app, invitation_id) == {}
    # A value the page never offered is refused, not stored.
    response = _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": "<script>"})
    assert response.status_code == 422
    assert _answers(app, invitation_id) == {}
    response = _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": ["family", "school"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/f/{token}/q/feeling")  # "other" not chosen: skipped
    stored = _answers(app, invitation_id)
    assert stored["talk_about"].value == "family;school" and stored["talk_about"].channel == "web"
    assert _invitation(app, invitation_id).status == "partial"
    feeling = _html(client.get(f"/f/{token}/q/feeling"))
    assert "Question 2 of" in feeling and "\U0001F600" in feeling and "Happy" in feeling
    assert f'href="/f/{token}/q/talk_about"' in feeling  # Back


def test_show_if_follows_answers_and_a_changed_answer_clears_hidden_ones(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", age=11)
    response = _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": ["other"]})
    assert response.headers["Location"].endswith("/q/talk_about_other")
    response = _post(client, f"/f/{token}/q/talk_about_other", {"action": "next",
                                                                 "talk_about_other": "  My dog  "})
    assert response.headers["Location"].endswith("/q/feeling")
    assert _answers(app, invitation_id)["talk_about_other"].free_text == "My dog"
    # Back to the first question, change the answer: the follow-up no longer applies.
    response = _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": ["school"]})
    assert response.headers["Location"].endswith("/q/feeling")
    assert set(_answers(app, invitation_id)) == {"talk_about"}
    assert client.get(f"/f/{token}/q/talk_about_other").status_code == 302  # hidden now


def test_scale_and_text_are_validated_on_the_server(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", age=11)
    _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": ["school"]})
    response = _post(client, f"/f/{token}/q/safe_home_score", {"action": "next", "safe_home_score": "11"})
    assert response.status_code == 422
    assert catalogue.text("web_error_scale", min=1, max=10) in _html(response)
    response = _post(client, f"/f/{token}/q/safe_home_score", {"action": "next", "safe_home_score": "8"})
    assert response.status_code == 302
    assert _answers(app, invitation_id)["safe_home_score"].value_num == 8
    response = _post(client, f"/f/{token}/q/family_to_see", {"action": "next", "family_to_see": "x" * 5000})
    assert response.status_code == 422
    assert "too long" in _html(response)
    assert "family_to_see" not in _answers(app, invitation_id)


def test_skip_is_stored_and_not_offered_on_required_questions(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", age=11)
    assert 'value="skip"' not in _html(client.get(f"/f/{token}/q/talk_about"))
    assert 'value="skip"' in _html(client.get(f"/f/{token}/q/feeling"))
    _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": ["school"]})
    response = _post(client, f"/f/{token}/q/feeling", {"action": "skip"})
    assert response.headers["Location"].endswith("/q/safe_home_score")
    assert _answers(app, invitation_id)["feeling"].skipped is True


def test_reopening_the_link_carries_on_at_the_first_unanswered_question(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", age=11)
    _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": ["school"]})
    _post(client, f"/f/{token}/q/feeling", {"action": "next", "feeling": ["happy", "worried"]})
    other_browser = app.test_client()  # closing the page: nothing kept in the browser
    response = other_browser.get(f"/f/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/f/{token}/q/safe_home_score?resumed=1")
    page = _html(other_browser.get(response.headers["Location"]))
    assert catalogue.text("welcome_back").replace("'", "&#39;") in page
    assert "Question 3 of" in page
    # The stored answer shows when going back.
    assert re.search(r'value="worried"\s+checked', _html(other_browser.get(f"/f/{token}/q/feeling")))
    # Another channel carries on at the same question.
    state = _invitation(app, invitation_id).state
    assert state["current"] == "safe_home_score" and state["answers"]["feeling"] == ["happy", "worried"]


def test_an_answer_that_signals_danger_shows_the_safeguarding_reply_then_carries_on(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child", age=11)
    _post(client, f"/f/{token}/q/talk_about", {"action": "next", "talk_about": ["school"]})
    response = _post(client, f"/f/{token}/q/feeling", {"action": "next", "feeling": ["scared"]})
    assert response.headers["Location"].endswith(f"/f/{token}/help")
    page = client.get(f"/f/{token}/help")
    html = _html(page)
    assert page.status_code == 200
    assert "0800 1111" in html and "999" in html
    assert f'href="/f/{token}/q/safe_home_score"' in html  # Carry on
    with app.extensions["db"].session() as session:
        alerts = session.scalars(select(Alert).where(Alert.invitation_id == invitation_id)).all()
    assert [a.question_key for a in alerts] == ["feeling"]


def test_last_answer_completes_the_form_and_thanks(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "carer_after", "carer")
    from surveys.forms import get_form

    form = get_form("carer_after")
    data = {q.key: "yes" for q in form.questions if q.type == "yes_no"}
    response = _post(client, f"/f/{token}/form", {"action": "send", **data, "comment": "Very helpful IRO."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/f/{token}/thanks")
    thanks = client.get(f"/f/{token}/thanks")
    assert thanks.status_code == 200
    assert form.thanks["en"].split(".")[0].replace("'", "&#39;") in _html(thanks)
    invitation = _invitation(app, invitation_id)
    assert invitation.status == "completed" and invitation.received is True
    stored = _answers(app, invitation_id)
    assert {k: v.value for k, v in stored.items() if k != "comment"} == data
    assert stored["comment"].free_text == "Very helpful IRO." and stored["comment"].channel == "web"
    # Reopening a finished form: a kind "already sent" page, 410.
    again = client.get(f"/f/{token}")
    assert again.status_code == 410
    assert catalogue.text("web_already_sent_title") in _html(again)


def test_adult_form_is_one_page_required_questions_and_save_for_later(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "carer_after", "carer")
    page = _html(client.get(f"/f/{token}/form"))
    assert page.count('class="r-question') == 9  # every question on one page
    assert catalogue.text("web_question_count", total=9).replace("'", "&#39;") in page  # how long it is
    response = _post(client, f"/f/{token}/form", {"action": "send", "understand_role": "no"})
    assert response.status_code == 422
    html = _html(response)
    assert catalogue.text("web_error_title") in html and 'href="#q-spoke_iro"' in html
    assert re.search(r'value="no"\s+checked', html)  # what they gave is kept on the page
    # The valid answer was saved even though the form could not be sent yet.
    assert _answers(app, invitation_id)["understand_role"].value == "no"
    assert _invitation(app, invitation_id).status == "partial"
    response = _post(client, f"/f/{token}/form", {"action": "save", "understand_role": "no",
                                                   "comment": "Will finish later"})
    assert response.headers["Location"].endswith(f"/f/{token}/saved")
    assert client.get(f"/f/{token}/saved").status_code == 200
    resumed = client.get(f"/f/{token}")
    assert resumed.headers["Location"].endswith(f"/f/{token}/form?resumed=1")
    assert "Will finish later" in _html(client.get(resumed.headers["Location"]))
    assert _invitation(app, invitation_id).received is False


def test_language_switch_where_the_form_is_translated(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child")
    intro = _html(client.get(f"/f/{token}"))
    assert 'lang="cy"' in intro and "Cymraeg" in intro
    response = client.post(f"/f/{token}/language", data={"csrf_token": csrf_token_from(intro), "lang": "cy",
                                                        "next": f"/f/{token}"})
    assert response.status_code == 302
    welsh = _html(client.get(f"/f/{token}"))
    assert '<html lang="cy">' in welsh and catalogue.text("privacy_notice", "cy")[:30] in welsh
    assert "Dyddiad eich adolygiad: Dydd Mawrth 8 Rhagfyr 2026." in welsh  # the date in Welsh too
    assert 'href="/privacy?lang=cy"' in welsh  # the full privacy page, in Welsh too
    privacy = _html(client.get("/privacy?lang=cy"))
    assert '<html lang="cy">' in privacy and catalogue.text("privacy_page_title", "cy").replace("'", "&#39;") in privacy
    assert catalogue.text("privacy_page_title") not in privacy
    assert ">English</button>" in welsh  # and the way back
    assert _invitation(app, invitation_id).language == "cy"
    question = _html(client.get(f"/f/{token}/q/talk_about"))
    assert 'id="q-talk_about" lang="cy"' in question and "Cwestiwn 1 o " in question
    bad = client.post(f"/f/{token}/language", data={"csrf_token": csrf_token_from(welsh), "lang": "xx"})
    assert bad.status_code == 400
    back = client.post(f"/f/{token}/language", data={"csrf_token": csrf_token_from(welsh), "lang": "en",
                                                     "next": "//evil.example/"})
    assert back.headers["Location"].endswith(f"/f/{token}/intro")  # never off the site
    assert _invitation(app, invitation_id).language == "en"
    # A form with only English has no switch.
    _, adult = make_invitation(app.extensions["db"], "carer_after", "carer")
    assert "/language" not in _html(client.get(f"/f/{adult}"))


def _english_texts(form) -> list[str]:  # noqa: ANN001
    """Every English text of a form a respondent can see (title, intro, questions, choices)."""
    from surveys.schema import _texts_in

    texts = [form.title["en"], form.intro["en"], form.thanks["en"]]
    for question in form.questions:
        texts += [t["en"] for _, t in _texts_in(question)]
    return texts


def _web_keys() -> set[str]:
    """Catalogue keys the respondent pages can show (named in code, or built from a name)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "web"
    used: set[str] = set()
    for path in [root / "respondent.py", *sorted((root / "templates" / "respondent").glob("*.html"))]:
        used |= set(re.findall(r"\bt\(\s*['\"]([a-z_]+)['\"]\s*[,)]", path.read_text(encoding="utf-8")))
    pages = {f"web_{page}_{part}" for page in ("not_found", "expired", "already_sent", "rate_limited")
             for part in ("title", "body")}
    choices = {f"feeling_{k}" for k in ("happy", "sad", "angry", "scared", "confused", "worried")}
    adult = {f"{k}_adult" for k in ("privacy_notice", "safeguarding_reply", "web_help_footer", "web_help_now",
                                    "web_review_before", "web_review_after")}
    review = {"web_review_before", "web_review_after", "web_call_nspcc", "privacy_notice", "safeguarding_reply"}
    return used | pages | choices | adult | review | {"choice_yes", "choice_no", "choice_not_sure",
                                                      "language_name"}


WELSH_FORMS = ("child_before", "child_after")


@pytest.mark.parametrize("form_id", WELSH_FORMS)
def test_the_childrens_forms_are_wholly_in_welsh(form_id: str):
    """Every text of the form and every catalogue text the pages show has a Welsh version."""
    from surveys.forms import get_form
    from surveys.schema import _texts_in

    form = get_form(form_id)
    assert "cy" in form.title and "cy" in form.intro and "cy" in form.thanks
    for question in form.questions:
        for where, texts in _texts_in(question):
            assert texts.get("cy", "").strip() and texts["cy"] != texts["en"], (question.key, where)
    welsh = catalogue.load("cy")
    untranslated = sorted(k for k in _web_keys() if k not in welsh)
    assert untranslated == []


def _visible_text(html: str) -> str:
    """The words a person sees or hears on a page (tags dropped, entities decoded)."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


# Answers that open the follow-up questions, so the walk sees them too.
OPENING = {"child_before": {"talk_about": ["school", "other"]},
           "child_after": {"spoke_before": "no", "how_attended": "did_not_take_part"}}


@pytest.mark.parametrize("form_id", WELSH_FORMS)
def test_a_welsh_child_sees_no_english_on_any_page(app, client, form_id: str):
    """Walk every screen of the form in Welsh, for an under-8 and an 11-year-old."""
    from surveys.forms import get_form

    form = get_form(form_id)
    english = set(_english_texts(form)) | {catalogue.text(k) for k in _web_keys() if not k.startswith("web_")
                                           or k in ("web_next", "web_back", "web_skip", "web_send")}
    english |= {catalogue.text(k).split("{")[0].strip() for k in _web_keys() if k.startswith("web_")}
    # Words that are the same in both languages, and names.
    same = {text for text in english if catalogue.text("language_name") == text or len(text) < 4}
    english -= same
    scale = next(q for q in form.questions if q.type == "scale")
    for age in (6, 11):
        invitation_id, token = make_invitation(app.extensions["db"], form_id, "child", age=age, language="cy")
        pages = [f"/f/{token}/intro"]
        for key, value in OPENING[form_id].items():
            response = _post(client, f"/f/{token}/q/{key}", {"action": "next", key: value})
            assert response.status_code == 302, (key, _html(response)[-2000:])
        walked = 0
        for url in pages + [f"/f/{token}/q/{q.key}" for q in form.questions]:
            response = client.get(url)
            if response.status_code == 302:  # not asked of this child
                continue
            walked += 1
            html = _html(response)
            assert '<html lang="cy">' in html, url
            assert ' lang="en" class="r-link-button">English</button>' in html, url  # the way back
            html = re.sub(r'<form[^>]*class="r-lang".*?</form>', "", html, flags=re.S)
            assert 'lang="en"' not in html, url
            seen = _visible_text(html)
            leaked = sorted(text for text in english if text in seen)
            assert leaked == [], (url, leaked)
        assert walked >= len(form.questions) - 3, walked  # nearly every question was seen
        # An answer the page cannot accept: the friendly message is Welsh as well.
        low, high = scale.scale.min, scale.scale.max
        page = client.get(f"/f/{token}/q/{scale.key}")
        bad = client.post(f"/f/{token}/q/{scale.key}", data={"csrf_token": csrf_token_from(_html(page)),
                                                             "action": "next", scale.key: str(high + 2)})
        assert bad.status_code == 422
        assert catalogue.text("web_error_scale", "cy", min=low, max=high) in _visible_text(_html(bad))
        assert catalogue.text("web_error_scale", min=low, max=high) not in _visible_text(_html(bad))
        answers = _answers(app, invitation_id)
        for key, value in OPENING[form_id].items():  # stored as keys, whatever the language
            assert answers[key].value == (";".join(value) if isinstance(value, list) else value)


def test_a_question_not_yet_translated_is_marked_as_english(app):
    """On a Welsh page a question the form has only in English says lang="en" (screen readers)."""
    from surveys import engine
    from surveys.forms import get_form
    from web.respondent import Field

    question = get_form("carer_before").questions[0]
    assert "cy" not in question.text
    prompt = engine.prompt_for(question, engine.Respondent("child", "CLA", 11, "cy"), 1, 1)
    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("respondent/_fields.html").module.question_field
        html = str(macro(Field(question, prompt), lambda key, **v: catalogue.text(key, "cy", **v)))
    assert f'id="q-{question.key}" lang="en"' in html


def test_a_welsh_speaker_on_an_english_only_form_gets_one_language(app, client):
    """Welsh buttons around English questions would mix two languages on one page: all English."""
    _, token = make_invitation(app.extensions["db"], "carer_after", "carer", language="cy")
    html = _html(client.get(f"/f/{token}/form"))
    assert '<html lang="en">' in html and catalogue.text("web_send") in html
    assert catalogue.text("web_send", "cy") not in html and "/language" not in html


def test_parents_carers_and_professionals_are_spoken_to_as_adults(app, client):
    """Their form is about a child: not "your review", "your IRO" or Childline."""
    for role, form_id in (("carer", "carer_before"), ("health", "health_before"), ("parent", "parent_after")):
        _, token = make_invitation(app.extensions["db"], form_id, role, review_date=date(2026, 12, 8)
                                   if form_id.endswith("_before") else past_review_date())
        html = _html(client.get(f"/f/{token}")).replace("&#39;", "'")
        review = "web_review_after_adult" if form_id.endswith("_after") else "web_review_before_adult"
        day = long_date(date(2026, 12, 8) if form_id.endswith("_before") else past_review_date(), "en")
        assert catalogue.text(review, date=day) in html, role
        assert catalogue.text("privacy_notice_adult") in html and catalogue.text("web_help_footer_adult") in html
        assert catalogue.text("privacy_notice") not in html and "Childline" not in html
        form_page = _html(client.get(f"/f/{token}/form")).replace("&#39;", "'")
        assert catalogue.text("privacy_notice_adult") in form_page and "Childline" not in form_page
    _, child = make_invitation(app.extensions["db"], "child_before", "child")
    html = _html(client.get(f"/f/{child}")).replace("&#39;", "'")
    assert catalogue.text("privacy_notice") in html and "Childline" in html


def test_control_characters_in_a_post_are_dropped_not_a_500(app, client):
    """A NUL byte would make PostgreSQL refuse the row: it never reaches the database."""
    child_id, child = make_invitation(app.extensions["db"], "child_before", "child")
    assert _post(client, f"/f/{child}/q/talk_about", {"action": "next", "talk_about": ["other"]}).status_code == 302
    response = _post(client, f"/f/{child}/q/talk_about_other",
                     {"action": "next", "talk_about_other": "my\x00 dog\x07\r\nand cat"})
    assert response.status_code == 302
    assert _answers(app, child_id)["talk_about_other"].free_text == "my dog\r\nand cat"
    adult_id, adult = make_invitation(app.extensions["db"], "carer_before", "carer")
    response = _post(client, f"/f/{adult}/form", {"action": "save", "worries": "none\x00", "home_score": "\x00"})
    assert response.status_code == 302
    answers = _answers(app, adult_id)
    assert answers["worries"].free_text == "none" and "home_score" not in answers


def test_closed_link_gets_a_kind_410(app, client):
    _, token = make_invitation(app.extensions["db"], "child_before", "child", status="expired")
    for url in (f"/f/{token}", f"/f/{token}/q/talk_about", f"/f/{token}/form"):
        response = client.get(url)
        assert response.status_code == 410
        assert catalogue.text("web_expired_title") in _html(response)
        assert "0800 1111" in _html(response)


def test_opting_out_of_texts_does_not_close_the_web_form(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "carer_after", "carer", status="opted_out")
    assert client.get(f"/f/{token}").status_code == 200
    response = _post(client, f"/f/{token}/form", {"action": "send", "spoke_iro": "yes"})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert response.headers["Location"].endswith("/thanks")
    assert _invitation(app, invitation_id).status == "completed"


def test_unknown_and_tampered_tokens_get_a_kind_404(app, client):
    _, token = make_invitation(app.extensions["db"], "child_before", "child")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for url in (f"/f/{tampered}", f"/f/{tampered}/q/talk_about", "/f/short", "/f/" + "x" * 70,
                "/f/%3Cscript%3E", f"/f/{tampered}/thanks"):
        response = client.get(url)
        assert response.status_code == 404, url
        html = _html(response)
        assert catalogue.text("web_not_found_title") in html
        assert "Traceback" not in html


def test_token_guessing_is_rate_limited_per_client_address(app, client):
    app.config["FORM_TOKEN_GUESS_LIMIT"] = 3
    _, token = make_invitation(app.extensions["db"], "child_before", "child")
    for n in range(3):
        assert client.get(f"/f/guess{n:012d}abcdefgh").status_code == 404
    response = client.get(f"/f/{token}")  # even a real link waits now
    assert response.status_code == 429
    assert catalogue.text("web_rate_limited_title") in _html(response)
    # Another address is not affected.
    other = app.test_client()
    assert other.get(f"/f/{token}", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    with app.extensions["db"].session() as session:
        keys = session.scalars(select(LoginAttempt.key)).all()
    assert keys == ["form-token:127.0.0.1"] * 3


def test_behind_a_proxy_the_guessing_limit_counts_the_forwarded_address(config, tmp_path, monkeypatch):
    from dataclasses import replace

    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "instance"))
    for hops, expected in ((1, "form-token:203.0.113.9"), (0, "form-token:127.0.0.1")):
        proxied = create_app(replace(config, PROXY_HOPS=hops, DATABASE_URL=f"sqlite:///{tmp_path / f'{hops}.db'}"))
        proxied.extensions["db"].upgrade()
        client = proxied.test_client()
        # The proxy appends the address it saw; without a proxy configured the header is ignored.
        forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        assert client.get("/f/guess000000000abcdefgh", headers=forwarded).status_code == 404
        with proxied.extensions["db"].session() as session:
            assert session.scalars(select(LoginAttempt.key)).all() == [expected]
        proxied.extensions["db"].dispose()


def test_post_without_csrf_is_refused_and_stores_nothing(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "child_before", "child")
    response = client.post(f"/f/{token}/q/talk_about", data={"action": "next", "talk_about": "school"})
    assert response.status_code == 400
    assert _answers(app, invitation_id) == {}


def test_every_catalogue_key_the_web_pages_use_exists():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "web"
    sources = [root / "respondent.py", root / "paper.py", *sorted((root / "templates" / "respondent").glob("*.html")),
               *sorted((root / "templates" / "paper").glob("*.html"))]
    used: set[str] = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\(\s*['\"]([a-z_]+)['\"]\s*[,)]", text))
        # worded_for(invitation, "key"): "key" for children, "key_adult" for everyone else.
        for key in re.findall(r"\bworded_for\([^,]+,\s*['\"]([a-z_]+)['\"]\)", text):
            used |= {key, f"{key}_adult"}
        # A key built in a template: ('a' if x else 'b') ~ ('_adult' if adult else '').
        for first, second in re.findall(r"t\(\('([a-z_]+)' if \w+ else '([a-z_]+)'\) ~ \('_adult'", text):
            used |= {first, second, f"{first}_adult", f"{second}_adult"}
    assert {"privacy_notice", "privacy_notice_adult", "safeguarding_reply", "web_progress", "letter_web",
            "web_review_before_adult", "letter_intro_after_adult"} <= used
    missing = sorted(k for k in used if not catalogue.has(k))
    assert missing == []
    for page in ("not_found", "expired", "already_sent", "rate_limited"):
        assert catalogue.has(f"web_{page}_title") and catalogue.has(f"web_{page}_body")


def test_a_disclosure_on_the_one_page_form_raises_one_alert_however_often_it_is_saved(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "carer_before", "carer")
    words = "My foster child told me someone at school hits him and he is scared to go"
    response = _post(client, f"/f/{token}/form", {"action": "save", "worries": words})
    assert response.headers["Location"].endswith(f"/f/{token}/help")
    help_page = _html(client.get(f"/f/{token}/help"))
    # Told in words for an adult: the child's IRO is told; 999 and the NSPCC, not Childline.
    assert catalogue.text("safeguarding_reply_adult").replace("'", "&#39;") in help_page
    assert 'href="tel:08088005000"' in help_page and "999" in help_page and "Childline" not in help_page
    # The page sends every answer again with each save: unchanged, it is not screened twice.
    response = _post(client, f"/f/{token}/form", {"action": "send", "worries": words, "home_score": "6",
                                                   "going_well": "Settled at school."})
    assert response.headers["Location"].endswith(f"/f/{token}/thanks")
    with app.extensions["db"].session() as session:
        alerts = session.scalars(select(Alert).where(Alert.invitation_id == invitation_id)).all()
    assert [a.question_key for a in alerts] == ["worries"]
    assert _invitation(app, invitation_id).status == "completed"


def test_emptying_an_answer_on_the_one_page_form_takes_it_back(app, client):
    invitation_id, token = make_invitation(app.extensions["db"], "carer_before", "carer")
    _post(client, f"/f/{token}/form", {"action": "save", "shown": ["anything_else"], "anything_else": "Draft"})
    assert _answers(app, invitation_id)["anything_else"].free_text == "Draft"
    _post(client, f"/f/{token}/form", {"action": "save", "shown": ["anything_else"], "anything_else": ""})
    assert "anything_else" not in _answers(app, invitation_id)
    assert _invitation(app, invitation_id).state["answers"] == {}


def test_a_young_child_answering_with_a_carer_gets_simple_wording_and_a_note_for_the_adult(app, client):
    db = app.extensions["db"]
    invitation_id, token = make_invitation(db, "child_before", "child", age=6)
    with db.session() as session:
        session.get(Invitation, invitation_id).via_carer = True
    intro = _html(client.get(f"/f/{token}"))
    assert catalogue.text("web_via_carer") in intro
    question = _html(client.get(f"/f/{token}/q/talk_about"))
    assert "What do you want to talk about at your meeting?" in question  # the under-8 wording
