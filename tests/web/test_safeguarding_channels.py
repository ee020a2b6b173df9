"""Safeguarding through the real entry points: every labelled disclosure, on every channel.

Disclosures arrive as Twilio would post them (signed), as Telegram would (secret header)
and through the web form; the replies and the IRO's notifications travel through the
real twilio, python-telegram-bot and smtplib clients to the fakes on 127.0.0.1.
"""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.sender import deliver_due
from storage.models import Alert, Invitation, OutboxMessage, Review, utcnow
from storage.staff import add_staff
from surveys import engine
from tests.bot._helpers import make_invitation, past_review_date
from tests.conftest import csrf_token_from
from tests.fakes.fixtures import random_chat_id
from tests.fakes.telegram_fake import message_update, start_update
from tests.fakes.twilio_fake import inbound_sms_form

SMS_PATH = "/webhooks/twilio/sms"
HELPLINE = engine.text("safeguarding_reply")
DATA = Path(__file__).resolve().parents[1] / "data"
SHARED_DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "text_labels_dev.csv"
IRO_EMAIL = "iro.e2e@council.example"
IRO_PHONE = "+447400999001"


def _labelled(everyday_every: int = 4) -> list[tuple[str, bool, str]]:
    """Every labelled disclosure once, every everyday text of the dev set and one in
    ``everyday_every`` of ours: (text, is a disclosure, source file).

    Precision over all of our everyday texts is measured on the screen itself
    (tests/surveys/test_safeguarding.py); here a fixed sample keeps the run short.
    """
    dev = SHARED_DEV if SHARED_DEV.exists() else DATA / "text_labels_dev.csv"
    seen: dict[str, tuple[str, bool, str]] = {}
    for path in (dev, DATA / "safeguarding_examples.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            everyday = 0
            for row in csv.DictReader(handle):
                text, disclosure = row["text"], row["safeguarding"] == "yes"
                if not text.strip() or text in seen:
                    continue
                if not disclosure and path != dev:
                    everyday += 1
                    if everyday % everyday_every:
                        continue
                seen[text] = (text, disclosure, path.name)
    return list(seen.values())


LABELLED = _labelled()


def test_helpline_reply_is_plain_and_names_the_helplines():
    assert "0800 1111" in HELPLINE and "999" in HELPLINE and "Childline" in HELPLINE
    assert "IRO" in HELPLINE and "share" in HELPLINE


def test_a_disclosure_as_the_very_first_message_raises_an_alert(channel_app, twilio_post, twilio_fake):
    """A child may answer the invitation text itself with a disclosure, before any question."""
    phone = "+447400100901"
    with channel_app.extensions["db"].session() as session:
        invitation_id = make_invitation(session, form_id="child_after", contact=phone).id
    response = twilio_post(SMS_PATH, inbound_sms_form(phone, "my dad hits me when he is drunk"))
    assert response.status_code == 200
    with channel_app.extensions["db"].session() as session:
        alerts = session.scalars(select(Alert)).all()
        assert [(a.invitation_id, a.question_key) for a in alerts] == [(invitation_id, None)]
    replies = [m["Body"] for m in twilio_fake.sent(phone)]
    assert replies == [HELPLINE]  # the caring reply alone: the form waits for the child
    twilio_post(SMS_PATH, inbound_sms_form(phone, "ok"))
    opening = [m["Body"] for m in twilio_fake.sent(phone)][1:]
    assert len(opening) >= 2 and HELPLINE not in opening  # writing again opens the form as usual
    with channel_app.extensions["db"].session() as session:
        assert len(session.scalars(select(Alert)).all()) == 1
    # A plain first message starts the conversation without an alert.
    other = "+447400100902"
    with channel_app.extensions["db"].session() as session:
        make_invitation(session, form_id="child_after", contact=other)
    twilio_post(SMS_PATH, inbound_sms_form(other, "Hi"))
    assert HELPLINE not in [m["Body"] for m in twilio_fake.sent(other)]
    with channel_app.extensions["db"].session() as session:
        assert len(session.scalars(select(Alert)).all()) == 1


# -- every labelled text through a real channel ------------------------------------------------

@dataclass
class Sent:
    """One labelled text and where it went."""

    text: str
    disclosure: bool
    channel: str  # sms_first | sms_reply | telegram | web
    invitation_id: int = 0
    address: str = ""
    token: str = ""
    helpline_seen: bool = False
    carried_on: bool = False
    notes: list[str] = field(default_factory=list)


def _channel_for(index: int) -> str:
    return {1: "telegram", 3: "web", 4: "sms_reply"}.get(index % 6, "sms_first")


def _invite_all(db, items: list[Sent]) -> int:  # noqa: ANN001
    """One review and invitation per text, all chaired by one IRO who has a mobile."""
    with db.session() as session:
        iro = add_staff(session, IRO_EMAIL, "iro", "iro-e2e-password", phone=IRO_PHONE)
        for number, item in enumerate(items):
            ref = f"R-E2E-{number:04d}"
            web = item.channel == "web"
            # The texts answer a feedback survey, open once its review has happened.
            review = Review(review_ref=ref, child_ref=f"C-E2E-{number:04d}", child_age=13, review_type="CLA",
                            review_date=date(2026, 12, 8) if web else past_review_date(), iro_email=IRO_EMAIL,
                            iro_id=iro.id)
            session.add(review)
            session.flush()
            telegram = item.channel == "telegram"
            item.address = (str(random_chat_id()) if telegram else "" if web else f"+4474005{number:05d}")
            item.token = secrets.token_urlsafe(24)
            invitation = Invitation(
                review_id=review.id, import_key=secrets.token_hex(16), phase="consultation" if web else "feedback",
                form_id="child_before" if web else "child_after", role="child",
                channel="web" if web else ("telegram" if telegram else "sms"),
                contact=None if web or telegram else item.address, token=item.token, status="sent",
                language="en", sent_at=utcnow())
            session.add(invitation)
            session.flush()
            item.invitation_id = invitation.id
        return iro.id


def _send_sms(twilio_post, twilio_fake, item: Sent) -> None:  # noqa: ANN001
    if item.channel == "sms_reply":
        assert twilio_post(SMS_PATH, inbound_sms_form(item.address, "Hi")).status_code == 200
    before = len(twilio_fake.sent(item.address))
    assert twilio_post(SMS_PATH, inbound_sms_form(item.address, item.text)).status_code == 200
    replies = [m["Body"] for m in twilio_fake.sent(item.address)[before:]]
    _carry_on(item, replies, lambda: _sms_replies(twilio_post, twilio_fake, item.address, "ok"))


def _sms_replies(twilio_post, twilio_fake, address: str, text: str) -> list[str]:  # noqa: ANN001
    before = len(twilio_fake.sent(address))
    assert twilio_post(SMS_PATH, inbound_sms_form(address, text)).status_code == 200
    return [m["Body"] for m in twilio_fake.sent(address)[before:]]


def _carry_on(item: Sent, replies: list[str], write_again) -> None:  # noqa: ANN001
    """A disclosure is answered with the caring reply alone; writing again, the form goes on
    (no re-ask, no second caring reply). An everyday text just gets the conversation."""
    item.helpline_seen = bool(replies) and replies[0] == HELPLINE
    if not item.helpline_seen:
        item.carried_on = bool(replies) and HELPLINE not in replies
        return
    if replies != [HELPLINE]:
        item.notes.append(f"more than the caring reply: {replies[1:]}")
        return
    more = write_again()
    item.carried_on = bool(more) and HELPLINE not in more and not any("didn't get that" in m for m in more)


def _send_telegram(telegram_post, telegram_fake, item: Sent) -> None:  # noqa: ANN001
    chat = int(item.address)
    assert telegram_post(start_update(chat, item.token)).status_code == 200
    before = _telegram_texts(telegram_fake, item.address)
    assert telegram_post(message_update(chat, item.text)).status_code == 200
    replies = _telegram_texts(telegram_fake, item.address)[len(before):]

    def write_again() -> list[str]:
        seen = len(_telegram_texts(telegram_fake, item.address))
        assert telegram_post(message_update(chat, "ok")).status_code == 200
        return _telegram_texts(telegram_fake, item.address)[seen:]

    _carry_on(item, replies, write_again)


def _telegram_texts(telegram_fake, chat: str) -> list[str]:  # noqa: ANN001
    return [m["text"] for (c, _), m in sorted(telegram_fake.sent_messages.items(), key=lambda kv: kv[0][1])
            if c == chat]


def _send_web(client, item: Sent) -> None:  # noqa: ANN001
    def post(key: str, data: dict):  # noqa: ANN202
        url = f"/f/{item.token}/q/{key}"
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        return client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)),
                                      "action": "next", **data})

    client.get(f"/f/{item.token}")
    assert post("talk_about", {"talk_about": ["other"]}).status_code == 302
    response = post("talk_about_other", {"talk_about_other": item.text})
    assert response.status_code == 302
    if response.headers["Location"].endswith(f"/f/{item.token}/help"):
        page = client.get(f"/f/{item.token}/help").get_data(as_text=True)
        item.helpline_seen = "0800 1111" in page and "999" in page
        item.carried_on = f'href="/f/{item.token}/q/feeling"' in page
    else:
        item.carried_on = "/q/feeling" in response.headers["Location"]


@pytest.mark.slow
def test_every_labelled_text_through_the_channels_alerts_the_iro_and_answers_the_child(
        channel_app, channel_config, twilio_post, telegram_post, twilio_fake, telegram_fake, smtp_fake,
        monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", channel_config.PUBLIC_BASE_URL)
    db = channel_app.extensions["db"]
    items = [Sent(text, yes, _channel_for(i)) for i, (text, yes, _source) in enumerate(LABELLED)]
    disclosures = [i for i in items if i.disclosure]
    assert len(disclosures) >= 300 and len(items) - len(disclosures) >= 100
    _invite_all(db, items)
    web_client = channel_app.test_client()
    for item in items:
        if item.channel.startswith("sms"):
            _send_sms(twilio_post, twilio_fake, item)
        elif item.channel == "telegram":
            _send_telegram(telegram_post, telegram_fake, item)
        else:
            _send_web(web_client, item)

    with db.session() as session:
        alerts = session.scalars(select(Alert).order_by(Alert.id)).all()
        by_invitation: dict[int, list[Alert]] = {}
        for alert in alerts:
            by_invitation.setdefault(alert.invitation_id, []).append(alert)
        alert_ids = {a.id for a in alerts}
        alert_rows = [(a.id, a.excerpt, a.review.iro_id) for a in alerts]

    flagged = {i.invitation_id for i in items if by_invitation.get(i.invitation_id)}
    hits = sum(i.invitation_id in flagged for i in disclosures)
    false_alarms = [i.text for i in items if not i.disclosure and i.invitation_id in flagged]
    recall = hits / len(disclosures)
    precision = hits / max(1, hits + len(false_alarms))
    per_channel = {ch: sum(1 for i in disclosures if i.channel == ch) for ch in ("sms_first", "sms_reply",
                                                                                  "telegram", "web")}
    print(f"\nthrough the channels: {len(items)} labelled texts, {len(disclosures)} disclosures {per_channel}; "
          f"recall {recall:.3f}, precision {precision:.3f}, false alarms {len(false_alarms)}")

    missed = [(i.channel, i.text) for i in disclosures if i.invitation_id not in flagged]
    assert missed == [], missed
    assert recall == 1.0
    # One alert per disclosure, holding the child's words for the IRO (and only for them).
    for item in disclosures:
        own = by_invitation[item.invitation_id]
        assert len(own) == 1 and own[0].excerpt == item.text, (item.channel, item.text, own)
    # The child was answered at once with the helpline reply alone; writing again, the conversation carried on.
    no_helpline = [(i.channel, i.text) for i in disclosures if not i.helpline_seen]
    assert no_helpline == []
    assert [(i.channel, i.text, i.notes) for i in disclosures if i.notes] == []
    stuck = [(i.channel, i.text) for i in disclosures if not i.carried_on]
    assert stuck == []
    # Everyday texts get no helpline reply unless they raised an alert.
    assert all(not i.helpline_seen for i in items if not i.disclosure and i.invitation_id not in flagged)

    # The worker sends the IRO's notifications: one email and one SMS per alert.
    later = utcnow() + timedelta(minutes=1)
    for _ in range(20):
        if deliver_due(db, channel_config, now=later, limit=500)["claimed"] == 0:
            break
    with db.session() as session:
        notices = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "alert")).all()
        assert {(n.channel, n.status) for n in notices} == {("email", "sent"), ("sms", "sent")}
    mails = [m for m in smtp_fake.messages if IRO_EMAIL in m.rcpt_tos]
    texts = twilio_fake.sent(IRO_PHONE)
    assert len(mails) == len(alert_ids) and len(texts) == len(alert_ids)
    base = channel_config.PUBLIC_BASE_URL.rstrip("/")
    mail_links = sorted(m.part("text/plain").split("/dashboard/alerts/")[1].split()[0].strip(". ")
                        for m in mails)
    assert mail_links == sorted(str(a) for a in alert_ids)
    assert all(f"{base}/dashboard/alerts/" in t["Body"] for t in texts)
    # Never the child's words in a notification.
    words = [excerpt for _id, excerpt, _iro in alert_rows if excerpt and len(excerpt) > 12]
    bodies = [m.part("text/plain") or "" for m in mails] + [t["Body"] for t in texts]
    leaked = [w for w in words if any(w.lower() in b.lower() for b in bodies)]
    assert leaked == []


# -- the privacy notice on each channel ---------------------------------------------------------

def test_privacy_keyword_on_sms_answers_with_the_notice_and_help_mentions_it(channel_app, twilio_post, twilio_fake):
    phone = "+447400100903"
    with channel_app.extensions["db"].session() as session:
        invitation_id = make_invitation(session, form_id="child_after", contact=phone).id
    twilio_post(SMS_PATH, inbound_sms_form(phone, "Hi"))
    with channel_app.extensions["db"].session() as session:
        current = session.get(Invitation, invitation_id).state["current"]
    twilio_post(SMS_PATH, inbound_sms_form(phone, "Privacy?"))
    notice = twilio_fake.sent(phone)[-1]["Body"]
    assert notice == engine.text("privacy_reply")
    assert "IRO" in notice and "name" in notice and "share" in notice and "delete" in notice
    assert engine.sms_segments(notice) <= 3
    twilio_post(SMS_PATH, inbound_sms_form(phone, "HELP"))
    assert "PRIVACY" in twilio_fake.sent(phone)[-1]["Body"]
    with channel_app.extensions["db"].session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation.state["current"] == current  # neither keyword was taken as an answer
        assert session.scalars(select(Alert)).all() == []
    twilio_post(SMS_PATH, inbound_sms_form("+447400100904", "PRIVACY"))  # unknown numbers get it too
    assert twilio_fake.sent("+447400100904")[-1]["Body"] == notice


def test_privacy_and_help_commands_on_telegram(channel_app, telegram_post, telegram_fake):
    with channel_app.extensions["db"].session() as session:
        token = make_invitation(session, form_id="child_after", channel="telegram", contact=None).token
    chat = random_chat_id()
    telegram_post(start_update(chat, token))
    telegram_post(message_update(chat, "/privacy"))
    assert _telegram_texts(telegram_fake, str(chat))[-1] == engine.text("privacy_reply")
    telegram_post(message_update(chat, "/help@HaveYourSayTestBot"))
    assert _telegram_texts(telegram_fake, str(chat))[-1] == engine.text("service_help")
    # "privacy" typed in a sentence is an answer like any other, not the command.
    telegram_post(message_update(chat, "what about my privacy"))
    assert _telegram_texts(telegram_fake, str(chat))[-1] != engine.text("privacy_reply")


def test_the_iro_is_notified_at_once_without_waiting_for_the_worker(channel_app, twilio_post, twilio_fake,
                                                                      smtp_fake, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hys.example.test")
    phone = "+447400100905"
    with channel_app.extensions["db"].session() as session:
        iro = add_staff(session, "iro.now@council.example", "iro", "iro-now-password", phone="+447400999002")
        invitation = make_invitation(session, form_id="child_after", contact=phone)
        invitation.review.iro_id = iro.id
    twilio_post(SMS_PATH, inbound_sms_form(phone, "Hi"))
    twilio_post(SMS_PATH, inbound_sms_form(phone, "my uncle touches me and says its our secret"))
    # No deliver_due: the webhook's own sending round took the IRO's notices too.
    assert [m for m in smtp_fake.messages if "iro.now@council.example" in m.rcpt_tos]
    assert len(twilio_fake.sent("+447400999002")) == 1
    assert "/dashboard/alerts/" in twilio_fake.sent("+447400999002")[0]["Body"]
    assert HELPLINE in [m["Body"] for m in twilio_fake.sent(phone)]


def test_a_web_form_disclosure_reaches_the_iro_without_waiting_for_the_worker(channel_app, twilio_fake, smtp_fake):
    from bot.sender import background

    with channel_app.extensions["db"].session() as session:
        iro = add_staff(session, "iro.web@council.example", "iro", "iro-web-password", phone="+447400999003")
        invitation = make_invitation(session, form_id="child_before", channel="web", contact=None, age=11)
        invitation.review.iro_id = iro.id
        token = invitation.token
    client = channel_app.test_client()

    def answer(key: str, values: list[str]):  # noqa: ANN202
        page = client.get(f"/f/{token}/q/{key}")
        return client.post(f"/f/{token}/q/{key}", data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)), "action": "next", key: values})

    answer("talk_about", ["school"])
    background.drain()
    assert smtp_fake.messages == [] and twilio_fake.sent() == []  # an everyday answer tells nobody
    response = answer("feeling", ["scared"])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/f/{token}/help")
    background.drain()  # the page has answered; the notices went out beside it, not at the worker's round
    assert [m for m in smtp_fake.messages if "iro.web@council.example" in m.rcpt_tos]
    [text] = twilio_fake.sent("+447400999003")
    assert "/dashboard/alerts/" in text["Body"] and "scared" not in text["Body"]


def test_privacy_page_is_child_friendly_from_the_catalogue_and_linked_from_the_form(channel_app):
    from surveys import catalogue

    client = channel_app.test_client()
    page = client.get("/privacy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for key in ("privacy_page_title", "privacy_page_help_heading", "web_help_footer"):
        assert catalogue.text(key).replace("'", "&#39;") in html, key
    points = [p for p in catalogue.text("privacy_page_points").split("\n") if p.strip()]
    assert html.count("<li>") == len(points) >= 5
    assert "0800 1111" in html and "999" in html
    assert "<script" not in html and "style=" not in html
    assert client.get("/privacy?lang=cy").status_code == 200
    assert client.get("/privacy?lang=xx").status_code == 200  # unknown languages fall back to English
    with channel_app.extensions["db"].session() as session:
        token = make_invitation(session, form_id="child_before", channel="web", contact=None).token
    form_page = client.get(f"/f/{token}").get_data(as_text=True)
    assert 'href="/privacy"' in form_page
