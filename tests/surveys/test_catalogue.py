"""The message catalogue: every key the code uses exists, texts fit in SMS, languages fall back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveys import catalogue, engine
from surveys.parsing import ERROR_KEYS, FEELING_KEYS

ROOT = Path(__file__).resolve().parents[2]

# Keys other parts of the system use, with the placeholders each must take.
REQUIRED: dict[str, set[str]] = {
    "privacy_notice": set(), "welcome_back": set(), "opted_in": set(), "unknown_link": set(),
    "unknown_sender": set(), "service_help": set(), "already_complete": set(), "form_closed": set(),
    "safeguarding_reply": set(), "stopped": set(),
    "invite_sms": {"title", "review_date", "link"}, "invite_telegram_link": {"link"},
    "reminder_sms": {"title", "review_date", "link"}, "feedback_invite_sms": {"title", "review_date", "link"},
    "feedback_reminder_sms": {"title", "review_date", "link"}, "invite_via_carer": {"link"},
    "invite_email_subject": {"title", "review_date"}, "invite_email_body": {"title", "review_date", "link"},
    "you_said_we_did": {"message"}, "alert_sms_to_iro": {"review_ref", "link"},
    "alert_email_subject": {"review_ref"}, "alert_email_body": {"review_ref", "link"},
}
SAMPLE_VALUES = {
    "title": "Before your review", "review_date": "Monday 14 December", "message": "x" * 200,
    "link": "https://haveyoursay.example-council.gov.uk/f/" + "A" * 43, "review_ref": "R-2026-000123",
}
SMS_KEYS = [k for k in REQUIRED if not k.startswith(("invite_email", "alert_email"))]


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_required_keys_exist_with_their_placeholders(key: str) -> None:
    english = catalogue.load("en")
    assert key in english
    assert catalogue.placeholders(english[key]) == REQUIRED[key]


def test_safety_texts_say_what_children_need_to_know() -> None:
    notice = catalogue.text("privacy_notice")
    assert "IRO" in notice and "safe" in notice and "name" in notice
    reply = catalogue.text("safeguarding_reply")
    assert "0800 1111" in reply and "Childline" in reply and "999" in reply and "IRO" in reply
    assert "STOP" in catalogue.text("service_help") and "Have Your Say" in catalogue.text("service_help")
    for key in ("alert_sms_to_iro", "alert_email_subject", "alert_email_body"):
        assert "{review_ref}" in catalogue.load("en")[key]


def _used_keys() -> set[str]:
    """Catalogue keys the code names literally (engine.text / catalogue.text / text in surveys)."""
    found: set[str] = set()
    call = re.compile(r"""\b(?:engine\.text|catalogue\.text|catalogue_text)\(\s*["']([a-z0-9_]+)["']""")
    for folder in ("surveys", "bot", "web", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            found.update(call.findall(source))
            if path.name in ("engine.py", "parsing.py"):
                found.update(re.findall(r"""\btext\(\s*["']([a-z0-9_]+)["']""", source))
    return found


def test_every_key_the_code_uses_exists_in_english() -> None:
    used = _used_keys()
    assert {"privacy_notice", "stopped", "skip_hint", "welcome_back", "going_back"} <= used  # the scan works
    used |= set(ERROR_KEYS) | set(engine.ENGINE_KEYS)
    assert {f"feeling_{k}" for k in FEELING_KEYS} <= set(engine.ENGINE_KEYS)
    missing = sorted(k for k in used if not catalogue.has(k))
    assert missing == []


def test_text_falls_back_to_english_and_rejects_unknown_keys() -> None:
    assert catalogue.text("choice_yes", "cy") == "Ie"
    assert catalogue.text("going_back", "cy") == catalogue.text("going_back", "en")
    assert catalogue.text("going_back", "zz") == catalogue.text("going_back")
    assert catalogue.text("going_back", "../en") == catalogue.text("going_back")
    assert engine.text("privacy_notice", "cy") != engine.text("privacy_notice")
    with pytest.raises(KeyError):
        engine.text("no_such_key")
    with pytest.raises(KeyError):
        catalogue.text("no_such_key", "cy")


def test_placeholders_are_filled_and_missing_ones_left_visible() -> None:
    text = catalogue.text("invite_sms", review_date="Monday", title="Before your review", link="https://x/f/t")
    assert "Monday" in text and "https://x/f/t" in text and "{" not in text
    assert "{link}" in catalogue.text("invite_telegram_link")


def test_other_languages_only_use_english_keys_and_the_same_placeholders() -> None:
    english = catalogue.load("en")
    assert "cy" in catalogue.languages()
    for language in catalogue.languages():
        for key, value in catalogue.load(language).items():
            assert key in english, (language, key)
            assert catalogue.placeholders(value) == catalogue.placeholders(english[key]), (language, key)


def test_sms_texts_are_plain_gsm_and_fit_three_segments() -> None:
    english = catalogue.load("en")
    conversation = set(engine.ENGINE_KEYS) | set(ERROR_KEYS)
    for key in [*SMS_KEYS, *conversation]:
        # One curly apostrophe or emoji would make the whole text UCS-2 (70 characters a part).
        assert all(ch in engine.GSM7_BASIC or ch in engine.GSM7_EXTENSION for ch in english[key]), key
    for key in SMS_KEYS:
        filled = catalogue.text(key, **SAMPLE_VALUES)
        assert engine.sms_segments(filled) <= 3, key
    for key in conversation:
        filled = catalogue.text(key, min=0, max=2000, count=12, number=12, total=12, low="not at all",
                                high="very much")
        assert engine.sms_segments(filled) <= 2, key
