"""The dispatcher on the database directly: routing, rendering per channel, button values."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.base import InboundMessage as Inbound
from bot.dispatcher import dispatch, find_invitation
from bot.optout import opt_out_address
from storage.models import Answer, InboundMessage, Invitation, OptOut, OutboxMessage, utcnow
from surveys import engine
from surveys.forms import get_form
from tests.bot._helpers import make_invitation
from tests.held_transaction import waits_for_held

_counter = iter(range(1, 1_000_000))


def _in(channel: str, sender: str, text: str = "", **kwargs) -> Inbound:
    return Inbound(channel=channel, provider_id=f"t-{next(_counter)}", sender=sender, text=text, **kwargs)


def test_sms_replies_are_plain_text_and_telegram_replies_carry_buttons(db):
    with db.session() as session:
        make_invitation(session, form_id="child_after", contact="+447400100200")
        chat = make_invitation(session, form_id="child_after", channel="telegram", contact=None)
        token = chat.token
    with db.session() as session:
        sms = dispatch(session, _in("sms", "+447400100200", "hi"))
        tg = dispatch(session, _in("telegram", "4242", start_token=token))
    assert sms.outcome == tg.outcome == "started"
    with db.session() as session:  # writing back (or pressing Start) opens the form
        assert {(i.status, i.opened_at is not None) for i in session.scalars(select(Invitation))} == {("opened", True)}
    assert all(not p.choices for p in sms.parts)
    assert sms.parts[-1].text == engine.render_text(engine.start(get_form("child_after"), engine.Respondent(
        "child", "CLA", 12)), "sms")[-1]
    assert [c[0] for c in tg.parts[-1].choices][:2] == ["yes", "no"]
    with db.session() as session:
        row = session.get(OutboxMessage, tg.outbox_ids[-1])
        assert row.channel == "telegram" and row.to == "4242"
        assert row.payload["question_key"] == get_form("child_after").questions[0].key
        assert row.payload["choices"][0] == {"value": "yes", "label": "Yes"}


def test_scale_buttons_and_index_callbacks(db):
    form = get_form("child_after")
    scale = next(q for q in form.questions if q.type == "scale")
    with db.session() as session:
        invitation = make_invitation(session, form_id="child_after", channel="telegram", contact=None,
                                     chat_id="777")
        invitation.state = engine.ConversationState(
            form_id=form.id, form_version=form.version, status="asking", current=scale.key, answers={},
            skipped=[], history=[]).to_dict()
        invitation_id = invitation.id
    with db.session() as session:
        result = dispatch(session, _in("telegram", "777", callback=(scale.key, "#2")))  # the 2nd button
    assert result.recorded == [scale.key]
    with db.session() as session:
        assert session.scalar(select(Answer.value_num).where(Answer.invitation_id == invitation_id)) == 2


def test_telegram_chat_that_was_blocked_and_writes_again_is_opted_back_in(db):
    with db.session() as session:
        make_invitation(session, form_id="child_after", channel="telegram", contact=None, chat_id="999")
        opt_out_address(session, "telegram", "999", source="blocked")
    with db.session() as session:
        dispatch(session, _in("telegram", "999", "hello"))
        assert session.scalar(select(OptOut.id)) is None
        assert session.scalar(select(Invitation.status)) == "opened"  # back in, and writing opens the form


def test_simulator_messages_are_kept_but_never_queued_for_sending(db):
    with db.session() as session:
        invitation = make_invitation(session, form_id="child_after", channel="sms", contact=None, chat_id="sim-1")
        token = invitation.token
    with db.session() as session:
        result = dispatch(session, _in("sim", "sim-1", start_token=token))
    assert result.outbox_ids == [] and result.parts
    assert all(not p.choices for p in result.parts)  # an SMS rehearsal shows numbered text
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {r.status for r in rows} == {"simulated"} and {r.channel for r in rows} == {"sim"}


def test_closed_invitation_says_so(db):
    with db.session() as session:
        make_invitation(session, form_id="child_after", contact="+447400100201", status="completed")
    with db.session() as session:
        result = dispatch(session, _in("sms", "+447400100201", "hello"))
    # A completed invitation is no longer open: nothing is answered, but the sender is told why.
    assert result.outcome == "unmatched" and result.recorded == []
    assert result.parts[0].text == engine.text("already_complete")


def test_find_invitation_prefers_the_latest_open_one(db):
    with db.session() as session:
        old = make_invitation(session, form_id="child_before", contact="+447400100202", status="completed")
        new = make_invitation(session, form_id="child_after", contact="+447400100202", status="sent")
        assert find_invitation(session, _in("sms", "+447400100202")).id == new.id != old.id


def test_inbound_is_stored_once(db):
    with db.session() as session:
        first = dispatch(session, Inbound(channel="sms", provider_id="SMsame", sender="+447400100203", text="x"))
    with db.session() as session:
        again = dispatch(session, Inbound(channel="sms", provider_id="SMsame", sender="+447400100203", text="x"))
        assert session.scalars(select(InboundMessage)).all().__len__() == 1
    assert not first.duplicate and again.duplicate and again.outbox_ids == []


def test_leased_replies_wait_for_their_sender_and_otherwise_for_the_lease(db, channel_config, twilio_fake):
    """A webhook inserts its replies already claimed; if its process dies before sending, a worker
    sends them once the lease has run out, and not before. An opted-out number gets no lease."""
    from datetime import timedelta

    from bot.sender import LEASE, deliver_due, new_lease, send_leased
    from storage.models import utcnow

    with db.session() as session:
        make_invitation(session, form_id="child_after", contact="+447400100201")
        make_invitation(session, form_id="child_after", contact="+447400100202")
    lease = new_lease(now=utcnow())
    with db.session() as session:
        sent_here = dispatch(session, _in("sms", "+447400100201", "hi"), lease=lease)
        orphan = dispatch(session, _in("sms", "+447400100202", "hi"), lease=new_lease(now=utcnow()))
    assert sent_here.leased and not sent_here.outbox_ids and orphan.leased
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {(r.status, r.locked_by is not None) for r in rows} == {("sending", True)}
    # Nobody else may take them while the lease holds.
    assert deliver_due(db, channel_config, now=utcnow())["claimed"] == 0
    assert send_leased(db, channel_config, lease[0], sent_here.leased)["sent"] == len(sent_here.leased)
    assert len(twilio_fake.sent("+447400100201")) == len(sent_here.leased)
    # The other process never sent its replies: the worker does, after the lease.
    assert twilio_fake.sent("+447400100202") == []
    later = utcnow() + LEASE + timedelta(seconds=1)
    assert deliver_due(db, channel_config, now=later)["sent"] == len(orphan.leased)
    assert [m["Body"] for m in twilio_fake.sent("+447400100202")] == [item.message.text for item in orphan.leased]
    # A number that opted out: replies are queued unleased and the claim cancels them.
    with db.session() as session:
        opt_out_address(session, "sms", "+447400100202", source="keyword")
        stray = dispatch(session, _in("sms", "+447400100202", "hello?"), lease=new_lease(now=utcnow()))
    assert stray.leased == [] and stray.outbox_ids
    assert deliver_due(db, channel_config, now=later)["cancelled"] == len(stray.outbox_ids)


def test_help_and_privacy_answer_in_the_senders_language(db):
    with db.session() as session:
        welsh = make_invitation(session, form_id="child_after", contact="+447400100301")
        welsh.language = "cy"
        make_invitation(session, form_id="child_after", contact="+447400100302")
    with db.session() as session:
        privacy_cy = dispatch(session, _in("sms", "+447400100301", "PRIVACY"))
        help_cy = dispatch(session, _in("sms", "+447400100301", "help"))
        privacy_en = dispatch(session, _in("sms", "+447400100302", "privacy"))
        stranger = dispatch(session, _in("sms", "+447400100399", "PRIVACY"))
    assert [p.text for p in privacy_cy.parts] == [engine.text("privacy_reply", "cy")]
    assert privacy_cy.parts[0].text.startswith("Eich preifatrwydd")
    assert [p.text for p in help_cy.parts] == [engine.text("service_help", "cy")]
    assert [p.text for p in privacy_en.parts] == [p.text for p in stranger.parts] == [engine.text("privacy_reply")]
    assert engine.sms_segments(engine.text("privacy_reply", "cy")) <= 3


def test_two_texts_sent_moments_apart_are_answered_in_turn(db):
    """The second text waits for the first to be answered, then answers the next question.

    Without the wait both would read the same conversation state and answer the same
    question (PostgreSQL locks the invitation row; SQLite queues its writers).
    """
    phone = "+447400100909"
    with db.session() as session:
        invitation_id = make_invitation(session, form_id="child_after", contact=phone).id
    with db.session() as session:
        dispatch(session, _in("sms", phone, "hi"))  # asks know_iro, then spoke_before

    def second_text() -> object:
        with db.session() as session:
            return dispatch(session, _in("sms", phone, "no"))

    first, second, waited = waits_for_held(db, lambda session: dispatch(session, _in("sms", phone, "yes")),
                                           second_text)
    assert waited, "the second text did not wait for the first"
    assert first.recorded == ["know_iro"] and second.recorded == ["spoke_before"]
    with db.session() as session:
        answers = dict(session.execute(select(Answer.question_key, Answer.value)
                                       .where(Answer.invitation_id == invitation_id)).all())
    assert answers == {"know_iro": "yes", "spoke_before": "no"}


# Texts a child might send mid-conversation: answers of each kind, commands, nonsense.
_TEXTS = ["hi", "1", "2", "7", "1,7", "3", "8", "yes", "no", "happy", "back", "skip", "help", "???",
          "I like football", "more time with my brother"]


_FEEL_SAFE = [q.key for q in get_form("child_before").questions].index("feel_safe")  # required, near the end


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(st.sampled_from(_TEXTS), st.tuples(st.just("web"), st.integers(0, 30))),
                      min_size=1, max_size=14),
       start_at=st.sampled_from([None, "meeting_wishes", "wishes"]))
@example(steps=["1", ("web", _FEEL_SAFE), "1", "2"], start_at=None)  # received: an answer over SMS keeps it so
@example(steps=["I like football", "back", "my friend Sam", "back", "skip"], start_at="wishes")  # quoted words change
@example(steps=["7", "I like football", "back", "back", "1", ("web", 1)], start_at=None)
def test_received_status_and_quotes_after_each_text_match_the_stored_answers(db, steps, start_at):
    """The conversation works out the answers after a save from those it read with the
    invitation; whatever the texts (and answers saved on another channel in between, which
    the conversation's state does not know of), received and the status are what reading
    the answers back gives, and no quote outlives the words it was made of."""
    from storage.models import Quote, Review
    from storage.quotes import known_names, refresh_candidates
    from storage.responses import answers_of, form_of, respondent_for, save_answers
    from surveys.redaction import redact

    form = get_form("child_before")
    phone = f"+4474009{next(_counter):05d}"
    with db.session() as session:
        invitation = make_invitation(session, form_id="child_before", contact=phone)
        if start_at:  # part way through (where the quotable questions are)
            invitation.state = engine.ConversationState(
                form_id=form.id, form_version=form.version, status="asking", current=start_at).to_dict()
        invitation_id = invitation.id
    for step in ["hi", *steps]:
        with db.session() as session:
            if isinstance(step, tuple):  # a web answer to some question, behind the conversation's back
                invitation = session.get(Invitation, invitation_id)
                question = form.questions[step[1] % len(form.questions)]
                value = {"text": "typed on the web", "scale": 5, "multi": ["other"], "feelings": ["happy"],
                         "yes_no": "no"}.get(question.type) or (question.options[0].key if question.options
                                                                  else "yes")
                if invitation.status not in ("completed", "declined"):
                    save_answers(session, invitation, {question.key: value}, channel="web")
            else:
                dispatch(session, _in("sms", phone, step))
        with db.session() as session:
            invitation = session.get(Invitation, invitation_id)
            current = answers_of(session, invitation)
            assert invitation.received == engine.is_received(form_of(invitation), respondent_for(invitation),
                                                             current), step
            if current and invitation.status not in ("completed", "declined"):
                assert invitation.status == "partial", step
            refresh_candidates(session)
            names = known_names(session, session.get(Review, invitation.review_id))
            for quote in session.scalars(select(Quote).where(Quote.invitation_id == invitation_id)):
                words = session.scalar(select(Answer.free_text).where(Answer.id == quote.answer_id))
                assert quote.redacted_text == redact(words, names).text, step


def test_answers_read_with_the_invitation_are_exactly_those_stored(db):
    """The lookup's JSON aggregate gives back every column as stored: quotes, new lines,
    emoji, backslashes, numbers, skips (SQLite's 0/1 and PostgreSQL's true/false alike)."""
    from bot.dispatcher import _find_invitation
    from storage.responses import save_answers

    words = 'He said "no" \\\\ then\nleft 😀 <b>&amp;</b> \u00e9\u0301 \t end'
    with db.session() as session:
        invitation = make_invitation(session, form_id="child_before", contact="+447400100777")
        save_answers(session, invitation, {"wishes": words, "safe_home_score": 7, "talk_about": ["school", "other"]},
                     channel="web", skipped=["chair"])
    with db.session() as session:
        found, _, stored = _find_invitation(session, _in("sms", "+447400100777", "hi"))
        rows = session.execute(select(Answer.id, Answer.question_key, Answer.value, Answer.value_num,
                                      Answer.free_text, Answer.skipped)
                               .where(Answer.invitation_id == found.id)).all()
    assert sorted((a.id, a.question_key, a.value, a.value_num, a.free_text, a.skipped) for a in stored) == \
        sorted(tuple(row) for row in rows)
    assert {a.question_key: a.free_text for a in stored}["wishes"] == words


def test_a_text_that_waits_for_another_channels_save_counts_its_answers(db):
    """A web or paper save holds the invitation while the child texts: the text waits, and
    "received" counts the answer saved meanwhile. (PostgreSQL reads a waiting statement's
    subqueries as they were when it began, so the lookup must not use answers read then.)"""
    from storage.responses import answers_of, form_of, respondent_for, save_answers

    form = get_form("child_before")
    with db.session() as session:
        invitation = make_invitation(session, form_id="child_before", contact="+447400100888")
        invitation.state = engine.ConversationState(form_id=form.id, form_version=form.version, status="asking",
                                                    current="feel_safe").to_dict()
        invitation_id = invitation.id

    def web_save_in_flight(session) -> None:  # noqa: ANN001
        invitation = session.get(Invitation, invitation_id, with_for_update=True)
        save_answers(session, invitation, {"talk_about": ["school"]}, channel="web")  # required, as feel_safe

    def text() -> object:
        with db.session() as session:
            return dispatch(session, _in("sms", "+447400100888", "yes"))  # answers feel_safe

    _, result, waited = waits_for_held(db, web_save_in_flight, text)
    assert waited and result.recorded == ["feel_safe"]
    with db.session() as session:
        invitation = session.get(Invitation, invitation_id)
        current = answers_of(session, invitation)
        assert set(current) == {"talk_about", "feel_safe"}
        assert invitation.received is True
        assert engine.is_received(form_of(invitation), respondent_for(invitation), current)


def test_a_child_who_texts_before_anything_is_sent_is_in_the_consultation_not_the_feedback(db):
    """Both forms pending (the import makes the feedback one last): the review has not happened."""
    phone = "+447400100977"
    with db.session() as session:
        consultation = make_invitation(session, form_id="child_before", contact=phone, status="pending")
        feedback = Invitation(review_id=consultation.review_id, import_key="feedback-key", phase="feedback",
                              form_id="child_after", role="child", channel="sms", contact=phone,
                              token="feedback-token-977", status="pending", language="en")
        session.add(feedback)
        session.flush()
        consultation_id, feedback_id = consultation.id, feedback.id
    with db.session() as session:
        result = dispatch(session, _in("sms", phone, "hi"))
    assert result.invitation_id == consultation_id
    with db.session() as session:
        assert session.get(Invitation, consultation_id).state["current"] in \
            {q.key for q in get_form("child_before").questions}
        assert session.get(Invitation, feedback_id).state is None
    # Once the feedback survey has gone out (after the review), a text goes to it.
    with db.session() as session:
        sent = session.get(Invitation, feedback_id)
        sent.status, sent.sent_at = "sent", utcnow()
    with db.session() as session:
        assert dispatch(session, _in("sms", phone, "hello")).invitation_id == feedback_id
