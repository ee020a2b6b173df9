"""Parsing replies the way children and adults actually type them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import catalogue
from surveys.parsing import ERROR_KEYS, FEELING_KEYS, Parsed, parse_answer, parse_command
from surveys.schema import Question, validate_form


def _form(questions: list[dict]) -> list[Question]:
    return validate_form({
        "id": "parse_test", "title": {"en": "Test"}, "phase": "consultation", "roles": ["child"],
        "review_types": ["CLA"], "intro": {"en": "Hi"}, "thanks": {"en": "Thanks"},
        "questions": questions,
    }, "parse_test.yaml").questions


YES_NO, YES_NO_SURE, SCALE, SCALE_0_5, SINGLE, MULTI, FEELINGS_Q, TEXT, SHORT_TEXT = _form([
    {"key": "yn", "type": "yes_no", "text": {"en": "Do you know who your IRO is?"}},
    {"key": "yns", "type": "yes_no", "not_sure": True, "text": {"en": "Did you help plan your review?"}},
    {"key": "sc", "type": "scale", "text": {"en": "How safe do you feel?"}},
    {"key": "sc5", "type": "scale", "scale": {"min": 0, "max": 5}, "text": {"en": "Rate your meeting"}},
    {"key": "attend", "type": "single", "text": {"en": "How did you take part?"}, "options": [
        {"key": "in_person", "text": {"en": "I went to the meeting", "cy": "Es i i'r cyfarfod"}},
        {"key": "video", "text": {"en": "On a video call"}},
        {"key": "iro_visit", "text": {"en": "My IRO came to see me before"}},
        {"key": "someone_else", "text": {"en": "Someone spoke for me"}},
        {"key": "not_at_all", "text": {"en": "I did not take part"}},
    ]},
    {"key": "topics", "type": "multi", "text": {"en": "What do you want to talk about?"}, "options": [
        {"key": "school", "text": {"en": "School"}},
        {"key": "family", "text": {"en": "Seeing my family"}},
        {"key": "home", "text": {"en": "Where I live"}},
        {"key": "health", "text": {"en": "My health"}},
        {"key": "friends_family", "text": {"en": "Friends and pets"}},
    ]},
    {"key": "feel", "type": "feelings", "text": {"en": "How do you feel about your review?"}},
    {"key": "words", "type": "text", "text": {"en": "Anything else?"}},
    {"key": "short", "type": "text", "max_length": 20, "text": {"en": "One word for your IRO"}},
])
ALL_QUESTIONS = (YES_NO, YES_NO_SURE, SCALE, SCALE_0_5, SINGLE, MULTI, FEELINGS_Q, TEXT, SHORT_TEXT)


def _ok(question: Question, text: str, language: str = "en") -> object:
    parsed = parse_answer(question, text, language)
    assert parsed.ok, f"{text!r} was not understood: {parsed}"
    return parsed.value


@pytest.mark.parametrize("text,expected", [
    ("yes", "yes"), ("Y", "yes"), ("yeah", "yes"), ("Yea", "yes"), ("yep", "yes"), ("ya", "yes"),
    ("yh", "yes"), ("ye", "yes"), ("yess", "yes"), ("YESSS!!", "yes"), ("sure", "yes"), ("ok", "yes"),
    ("\U0001F44D", "yes"), ("\U0001F44D\U0001F3FD", "yes"), ("1", "yes"), ("yeah i think so", "yes"),
    ("Yes.", "yes"), ("  yup ", "yes"), ("yeah she came to see me", "yes"), ("Ie", "yes"),
    ("no", "no"), ("n", "no"), ("nah", "no"), ("nope", "no"), ("no way", "no"), ("naw", "no"),
    ("\U0001F44E", "no"), ("2", "no"), ("NOOO", "no"), ("not really", "no"), ("no i'm ok", "no"),
    ("Nah not really", "no"), ("no.", "no"), ("i don't think so", "no"), ("never", "no"),
    ("defo", "yes"), ("obvs", "yes"), ("think so", "yes"), ("fine", "yes"), ("prob not", "no"),
    ("not rlly", "no"), ("of course not", "no"), ("not yet", "no"), ("dont feel safe", "no"),
    ("not safe", "no"), ("nobody listens", "no"), ("never ever", "no"),
])
def test_yes_no_understands_how_people_type(text: str, expected: str) -> None:
    assert _ok(YES_NO, text) == expected
    assert _ok(YES_NO_SURE, text) == expected


@pytest.mark.parametrize("text", [
    "not sure", "Not Sure", "dunno", "idk", "IDK!!", "maybe", "don't know", "dont know", "3",
    "i don't know", "i dunno", "kind of", "sort of", "no idea", "\U0001F937", "yes and no",
    "not sure tbh", "Maybe?", "i dont no", "not always", "hmm", "not bad",
])
def test_not_sure_only_where_the_question_offers_it(text: str) -> None:
    assert _ok(YES_NO_SURE, text) == "not_sure"
    parsed = parse_answer(YES_NO, text)
    assert parsed == Parsed(False, error="reask_yes_no")


@pytest.mark.parametrize("text,expected", [
    ("Ydw", "yes"), ("ydy", "yes"), ("Oes", "yes"), ("Do", "yes"), ("Ie", "yes"), ("ydw, dw i'n hapus", "yes"),
    ("wrth gwrs", "yes"), ("Nac ydw", "no"), ("nag ydw", "no"), ("Nac oes", "no"), ("naddo", "no"),
    ("Na", "no"), ("nage", "no"), ("nac ydw, dim o gwbl", "no"), ("Nac ydy wir", "no"),
    ("Dwn i ddim", "not_sure"), ("Ddim yn siŵr", "not_sure"), ("ddim yn siwr", "not_sure"),
    ("efallai", "not_sure"), ("Dw i ddim yn gwybod", "not_sure"),
])
def test_yes_no_understands_welsh_answers(text: str, expected: str) -> None:
    assert _ok(YES_NO_SURE, text, "cy") == expected


@pytest.mark.parametrize("text", ["", "   ", "banana", "4", "what?", "yes no", "\U0001F431", "0", "ok no"])
def test_yes_no_reasks_what_it_cannot_read(text: str) -> None:
    assert parse_answer(YES_NO_SURE, text) == Parsed(False, error="reask_yes_no_sure")


@pytest.mark.parametrize("text,expected", [
    ("7", 7), ("7/10", 7), ("seven", 7), ("about 6", 6), ("10!!", 10), ("a 3", 3), ("1", 1),
    (" 8 ", 8), ("Ten", 10), ("9 out of 10", 9), ("prob a 5", 5), ("I'd say 8", 8),
    ("8 because school is ok", 8), ("2.", 2), ("seven out of ten", 7), ("7.0", 7), ("4\uFE0F\u20E3", 4), ("\U0001F51F", 10), ("5/10 i guess", 5),
])
def test_scale_understands_numbers_in_words_and_fractions(text: str, expected: int) -> None:
    assert _ok(SCALE, text) == expected


@pytest.mark.parametrize("text,error", [
    ("6 or 7", "reask_scale_one"), ("6-7", "reask_scale_one"), ("6.5", "reask_scale_one"),
    ("11", "reask_scale_range"), ("0", "reask_scale_range"), ("100", "reask_scale_range"),
    ("99999999", "reask_scale_range"), ("good", "reask_scale"), ("", "reask_scale"),
    ("\U0001F600", "reask_scale"), ("twelve", "reask_scale_range"), ("-3", "reask_scale_range"),
    ("no one listens", "reask_scale"),
])
def test_scale_reasks_naming_the_range(text: str, error: str) -> None:
    parsed = parse_answer(SCALE, text)
    assert parsed == Parsed(False, error=error)
    if error != "reask_scale_one":
        assert "{min}" in catalogue.text(error) or error == "reask_scale"


def test_welsh_number_words_only_for_welsh_speakers() -> None:
    assert parse_answer(SCALE, "naw").ok is False  # "naw" is "no" in English text-speak
    assert parse_answer(SCALE, "naw", "cy").value == 9
    assert parse_answer(SCALE, "saith", "cy").value == 7


def test_scale_respects_its_own_range() -> None:
    assert _ok(SCALE_0_5, "0") == 0
    assert _ok(SCALE_0_5, "none") == 0
    assert _ok(SCALE_0_5, "5/5") == 5
    assert parse_answer(SCALE_0_5, "6").error == "reask_scale_range"


@pytest.mark.parametrize("text,expected", [
    ("1", "in_person"), ("2", "video"), ("5", "not_at_all"), ("video", "video"),
    ("VIDEO CALL", "video"), ("on a video call", "video"), ("in_person", "in_person"),
    ("i went to the meeting", "in_person"), ("I went", "in_person"), ("someone spoke for me", "someone_else"),
    ("my iro came", "iro_visit"), ("option 3", "iro_visit"), ("3.", "iro_visit"),
    ("i did not take part", "not_at_all"), ("meeting", "in_person"), ("Es i i'r cyfarfod", "in_person"),
    ("not at all", "not_at_all"),
])
def test_single_matches_number_key_label_prefix_and_word(text: str, expected: str) -> None:
    assert _ok(SINGLE, text) == expected


@pytest.mark.parametrize("text", ["0", "6", "99", "", "banana", "me", "the"])
def test_single_reasks_when_nothing_or_several_match(text: str) -> None:
    assert parse_answer(SINGLE, text) == Parsed(False, error="reask_single")


@pytest.mark.parametrize("text,expected", [
    ("1,3", ["school", "home"]), ("1 and 3", ["school", "home"]), ("1 3", ["school", "home"]),
    ("school, family", ["school", "family"]), ("3,1", ["home", "school"]), ("1,1,3", ["school", "home"]),
    ("2", ["family"]), ("School", ["school"]), ("13", ["school", "home"]), ("1, 2 & 4", ["school", "family", "health"]),
    ("friends and pets", ["friends_family"]), ("school and my health", ["school", "health"]),
    ("all", ["school", "family", "home", "health", "friends_family"]), ("1;4", ["school", "health"]),
    ("where i live / school", ["home", "school"]), ("family n school", ["family", "school"]), ("1,3.", ["school", "home"]), ("seeing my family", ["family"]),
])
def test_multi_returns_keys_in_order_without_duplicates(text: str, expected: list[str]) -> None:
    assert _ok(MULTI, text) == expected


@pytest.mark.parametrize("text", ["", "9", "1,9", "banana", ",,,", "0"])
def test_multi_reasks(text: str) -> None:
    assert parse_answer(MULTI, text) == Parsed(False, error="reask_multi")


@pytest.mark.parametrize("text,expected", [
    ("\U0001F600", ["happy"]), ("happy", ["happy"]), ("1", ["happy"]), ("2,4", ["sad", "scared"]),
    ("good", ["happy"]), ("great", ["happy"]), ("fine", ["happy"]), ("upset", ["sad"]), ("mad", ["angry"]),
    ("frightened", ["scared"]), ("afraid", ["scared"]), ("nervous", ["worried"]), ("anxious", ["worried"]),
    ("i dont know what i feel", ["confused"]), ("\U0001F622\U0001F620", ["sad", "angry"]),
    ("a bit scared and worried", ["scared", "worried"]), ("not happy", ["sad"]), ("Sad!!", ["sad"]),
    ("\U0001F62D", ["sad"]), ("happy and sad", ["happy", "sad"]), ("5", ["confused"]), ("worried", ["worried"]),
    ("idk", ["confused"]), ("all of them", list(FEELING_KEYS)),
])
def test_feelings_from_emoji_words_numbers_and_synonyms(text: str, expected: list[str]) -> None:
    value = _ok(FEELINGS_Q, text)
    assert value == expected
    assert all(v in FEELING_KEYS for v in value)


@pytest.mark.parametrize("text", ["", "ok", "7", "meh", "\U0001F355", "not scared"])
def test_feelings_reasks(text: str) -> None:
    assert parse_answer(FEELINGS_Q, text) == Parsed(False, error="reask_feelings")


@pytest.mark.parametrize("text,expected", [
    ("  I want to see my mum more  ", "I want to see my mum more"), ("no", "no"), ("\U0001F600", "\U0001F600"),
    ("school is ok\nbut i miss my friends", "school is ok\nbut i miss my friends"), ("a" * 2000, "a" * 2000),
    ("x", "x"), ("12", "12"), ("idk", "idk"), ("More time with my IRO pls", "More time with my IRO pls"),
    ("mum", "mum"), ("Nope.", "Nope."), ("yes", "yes"), ("lol", "lol"), ("?!", "?!"), ("\tok\t", "ok"),
])
def test_text_is_stripped(text: str, expected: str) -> None:
    assert _ok(TEXT, text) == expected


def test_text_reasks_when_empty_or_too_long() -> None:
    assert parse_answer(TEXT, "   ") == Parsed(False, error="reask_text_empty")
    assert parse_answer(TEXT, "a" * 2001) == Parsed(False, error="reask_text_long")
    assert parse_answer(SHORT_TEXT, "this is far more than twenty letters") == Parsed(False, error="reask_text_long")
    assert _ok(SHORT_TEXT, "kind") == "kind"


@pytest.mark.parametrize("text,expected", [
    ("skip", "skip"), ("SKIP", "skip"), ("Skip!", "skip"), ("pass", "skip"), ("next", "skip"), ("/skip", "skip"),
    ("back", "back"), ("Go back", "back"), ("previous", "back"), ("/back", "back"),
    ("help", "help"), ("?", "help"), ("HELP!", "help"), ("/help", "help"), ("help me", None), ("i need help", None),
    ("stop", "stop"), ("STOP", "stop"), ("quit", "stop"), ("/stop", "stop"), ("/stop@HaveYourSayBot", "stop"),
    ("yes", None), ("skip school", None), ("", None), ("7", None), ("backwards", None), ("stop bullying", None),
])
def test_commands(text: str, expected: str | None) -> None:
    assert parse_command(text) == expected


def test_every_error_key_is_in_the_catalogue() -> None:
    for key in ERROR_KEYS:
        assert catalogue.has(key), key


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None, derandomize=True,
          database=None)
@given(index=st.integers(min_value=0, max_value=len(ALL_QUESTIONS) - 1), text=st.text(),
       language=st.sampled_from(["en", "cy", "xx"]))
def test_parse_answer_never_raises_and_returns_a_valid_value_or_known_error(index: int, text: str,
                                                                             language: str) -> None:
    question = ALL_QUESTIONS[index]
    parsed = parse_answer(question, text, language)
    if not parsed.ok:
        assert parsed.value is None
        assert parsed.error is not None and catalogue.has(parsed.error)
        return
    value = parsed.value
    if question.type == "yes_no":
        assert value in (("yes", "no", "not_sure") if question.not_sure else ("yes", "no"))
    elif question.type == "scale":
        spec_min, spec_max = (question.scale.min, question.scale.max) if question.scale else (1, 10)
        assert isinstance(value, int) and spec_min <= value <= spec_max
    elif question.type == "single":
        assert value in {o.key for o in question.options}
    elif question.type == "multi":
        keys = [o.key for o in question.options]
        assert isinstance(value, list) and value and all(v in keys for v in value)
        assert len(set(value)) == len(value)
    elif question.type == "feelings":
        assert isinstance(value, list) and value and all(v in FEELING_KEYS for v in value)
        assert len(set(value)) == len(value)
    else:
        assert isinstance(value, str) and value == value.strip() and value
        assert len(value) <= question.max_length


CHAIR, ATTENDANCE = _form([
    {"key": "chair", "type": "single", "text": {"en": "Would you like to chair your meeting?"}, "options": [
        {"key": "chair", "text": {"en": "Yes, I want to chair it"}},
        {"key": "co_chair", "text": {"en": "Yes, with my IRO (co-chair)"}},
        {"key": "not_sure", "text": {"en": "Not sure, tell me more"}},
        {"key": "no", "text": {"en": "No thanks"}}]},
    {"key": "attendance", "type": "single", "text": {"en": "School attendance this year"}, "options": [
        {"key": "pct_95_plus", "text": {"en": "95% or more"}},
        {"key": "pct_90_94", "text": {"en": "90% to 94%"}},
        {"key": "below_80", "text": {"en": "Below 80%"}},
        {"key": "unknown", "text": {"en": "Not known"}}]},
])


@pytest.mark.parametrize("question,text,expected", [
    (CHAIR, "no", "no"), (CHAIR, "nah", "no"), (CHAIR, "nope", "no"), (CHAIR, "not sure", "not_sure"),
    (CHAIR, "dunno", "not_sure"), (CHAIR, "co-chair", "co_chair"), (CHAIR, "with my iro", "co_chair"),
    (CHAIR, "4", "no"), (ATTENDANCE, "95%", "pct_95_plus"), (ATTENDANCE, "95", "pct_95_plus"),
    (ATTENDANCE, "90% to 94%", "pct_90_94"), (ATTENDANCE, "below 80", "below_80"), (ATTENDANCE, "2", "pct_90_94"),
    (ATTENDANCE, "not known", "unknown"),
])
def test_single_understands_yes_no_words_and_numbers_inside_labels(question: Question, text: str,
                                                                   expected: str) -> None:
    assert _ok(question, text) == expected


@pytest.mark.parametrize("question,text", [(CHAIR, "yes"), (CHAIR, "yeah"), (ATTENDANCE, "50")])
def test_single_reasks_when_a_reply_fits_several_options(question: Question, text: str) -> None:
    assert parse_answer(question, text) == Parsed(False, error="reask_single")


def _shipped_choice_questions() -> list[Question]:
    from surveys.forms import FORMS_DIR, all_forms
    from surveys.schema import FormError

    if not any(FORMS_DIR.glob("*.yaml")):
        return []
    try:
        forms = all_forms().values()
    except FormError:
        return []  # invalid files are reported by `haveyoursay surveys check` and its tests
    return [q for form in forms for q in form.questions if q.type in ("single", "multi")]


def test_every_shipped_option_can_be_chosen_by_number_key_and_label() -> None:
    questions = _shipped_choice_questions()
    if not questions:
        pytest.skip("no shipped forms yet")
    for question in questions:
        for number, option in enumerate(question.options, start=1):
            for language, label in option.text.items():
                for reply in (str(number), option.key, label, label.upper()):
                    value = parse_answer(question, reply, language).value
                    expected = [option.key] if question.type == "multi" else option.key
                    assert value == expected, (question.key, reply, value)
