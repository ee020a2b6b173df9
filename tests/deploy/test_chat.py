"""``make chat``: a person texts the bot as a child's phone; replies come back through the real webhook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.models import Alert, Answer, InboundMessage, Invitation, OptOut
from surveys.engine import Respondent, visible_questions
from surveys.forms import get_form

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+447400900123"
DISCLOSURE = "i dont feel safe at home, he hits me when mum is out"


def test_a_child_texts_hi_an_answer_words_of_harm_and_stop(database_url):
    result = subprocess.run([sys.executable, "scripts/chat.py", "--database", database_url, "--age", "12"],
                            input=f"Hi\n1, 3\n{DISCLOSURE}\nSTOP\n", capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    before, hi, answer, disclosure, stop = result.stdout.split("you> ")
    form = get_form("child_before")
    child = Respondent(role="child", review_type="CLA", age=12)
    first = visible_questions(form, child, {})[0]
    # What the form asks next once "1, 3" (family, where I live) is the first answer.
    second = visible_questions(form, child, {first.key: ["family", "home"]})[1]
    # The invitation came through the scheduler and the sender, with its web link.
    assert "Have Your Say: your review is on" in before and "Reply STOP to stop." in before and "/f/" in before
    # "Hi" starts the conversation: the form's intro, then its first question with the choices.
    assert hi.startswith("Hi\n") and form.intro["en"] in hi and first.text["en"] in hi
    assert "1 My family and seeing them" in hi
    # The answer is taken and the next question asked.
    assert answer.startswith("1, 3\n") and second.text["en"] in answer and first.text["en"] not in answer
    # Words that may mean harm: the child is told who will see it and where to get help now.
    assert disclosure.startswith(DISCLOSURE) and "Childline" in disclosure and "0800 1111" in disclosure
    assert "[a safeguarding alert was raised for the child's IRO]" in disclosure
    assert stop.startswith("STOP\n") and "Done: invitation opted_out, 1 answer(s) stored." in stop

    db = Database(database_url)
    try:
        with db.session() as session:
            invitation = session.scalars(select(Invitation).where(Invitation.contact == PHONE,
                                                                 Invitation.phase == "consultation")).one()
            [stored] = session.scalars(select(Answer).where(Answer.invitation_id == invitation.id)).all()
            inbound = session.scalars(select(InboundMessage).where(InboundMessage.sender == PHONE)).all()
            opted_out = session.scalars(select(OptOut).where(OptOut.address == PHONE)).all()
            alerts = session.scalars(select(Alert)).all()
        assert (stored.question_key, stored.value) == (first.key, "family;home")
        assert [m.body for m in inbound] == ["Hi", "1, 3", DISCLOSURE, "STOP"]
        assert len(alerts) == 1
        assert invitation.status == "opted_out" and len(opted_out) == 1
    finally:
        db.dispose()
