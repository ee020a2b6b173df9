"""The conversation engine: starting, answering, commands, conditions, wording and SMS text."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import catalogue, engine
from surveys.engine import ConversationState, Respondent
from surveys.forms import all_forms
from surveys.schema import FEELINGS, FormDefinition, FormError, validate_form

CHILD_10 = Respondent(role="child", review_type="CLA", age=10)


def make_form(**overrides) -> FormDefinition:
    raw = {
        "id": "engine_test", "version": 2, "title": {"en": "Before your review"}, "phase": "consultation",
        "roles": ["child"], "review_types": ["CLA", "PP"],
        "intro": {"en": "Hi! Your review is soon. A few quick questions.", "cy": "Helo! Ychydig o gwestiynau."},
        "thanks": {"en": "Thank you! Your IRO will read this before your review."},
        "questions": [
            {"key": "know_iro", "type": "yes_no", "not_sure": True, "required": True,
             "text": {"en": "Do you know who your IRO is?", "cy": "Ydych chi'n gwybod pwy yw eich IRO?"},
             "variants": {"under_8": {"en": "Do you know your IRO?"}},
             "help": {"en": "Your IRO is the person who runs your review meetings."}},
            {"key": "safe", "type": "scale", "text": {"en": "How safe do you feel where you live?"},
             "scale": {"min": 1, "max": 10, "low": {"en": "not safe"}, "high": {"en": "very safe"}},
             "safeguarding": {"at_most": 3}},
            {"key": "safe_why", "type": "text", "text": {"en": "What would help you feel safer?"},
             "show_if": {"answer": {"key": "safe", "in": [1, 2, 3, 4, 5]}}},
            {"key": "feelings", "type": "feelings", "text": {"en": "How do you feel about your review?"},
             "safeguarding": {"values": ["scared"]}},
            {"key": "topics", "type": "multi", "text": {"en": "What do you want to talk about?"},
             "options": [{"key": "school", "text": {"en": "School"}},
                         {"key": "family", "text": {"en": "Seeing my family"}},
                         {"key": "home", "text": {"en": "Where I live"}}]},
            {"key": "school_more", "type": "text", "text": {"en": "Tell us about school"},
             "show_if": {"answer": {"key": "topics", "in": ["school"]}, "age_band": ["8_12", "13_plus"]}},
            {"key": "plan", "type": "yes_no", "text": {"en": "Do you know about your pathway plan?"},
             "show_if": {"review_type": ["PP"]}},
            {"key": "attend", "type": "single", "required": True, "text": {"en": "Will you go to your review?"},
             "options": [{"key": "yes", "text": {"en": "Yes, I will go"}},
                         {"key": "part", "text": {"en": "For part of it"}},
                         {"key": "no", "text": {"en": "No"}}]},
            {"key": "anything", "type": "text", "max_length": 200, "text": {"en": "Anything else?"}},
        ],
    }
    raw.update(overrides)
    return validate_form(raw, "engine_test.yaml")


FORM = make_form()


def walk(form: FormDefinition, respondent: Respondent, replies: list[str]) -> list[engine.Turn]:
    turns = [engine.start(form, respondent)]
    for text in replies:
        turns.append(engine.reply(form, respondent, turns[-1].state, text))
    return turns


def test_start_sends_intro_privacy_notice_and_the_first_question() -> None:
    turn = engine.start(FORM, CHILD_10)
    assert turn.messages == [FORM.intro["en"], catalogue.text("privacy_notice")]
    assert turn.prompt is not None and turn.prompt.key == "know_iro"
    assert (turn.prompt.number, turn.prompt.total) == (1, 6)
    assert [c.value for c in turn.prompt.choices] == ["yes", "no", "not_sure"]
    assert turn.state.status == "asking" and turn.state.current == "know_iro"
    assert (turn.state.form_id, turn.state.form_version) == ("engine_test", 2)
    assert not turn.complete and not turn.recorded


def test_a_whole_conversation_records_each_answer_and_finishes_with_thanks() -> None:
    replies = ["yeah", "8", "\U0001F600 happy", "1 and 3", "it's ok", "1", "no thanks"]
    turns = walk(FORM, CHILD_10, replies)
    recorded = {k: v for t in turns for k, v in t.recorded.items()}
    assert recorded == {"know_iro": "yes", "safe": 8, "feelings": ["happy"], "topics": ["school", "home"],
                        "school_more": "it's ok", "attend": "yes", "anything": "no thanks"}
    last = turns[-1]
    assert last.complete and last.prompt is None
    assert last.messages == [FORM.thanks["en"]]
    assert last.state.status == "complete" and last.state.current is None
    assert last.state.answers == recorded
    assert last.state.history == list(recorded)
    assert engine.is_received(FORM, CHILD_10, last.state.answers)
    assert [t.prompt.key for t in turns[:-1]] == list(recorded)


def test_a_low_scale_answer_shows_the_follow_up_and_signals_danger() -> None:
    turns = walk(FORM, CHILD_10, ["yes", "2"])
    assert turns[-1].recorded == {"safe": 2}
    assert turns[-1].signals == ["safe"]
    assert turns[-1].prompt.key == "safe_why"
    assert turns[-1].prompt.total == 7  # the follow-up now counts
    assert walk(FORM, CHILD_10, ["yes", "9"])[-1].prompt.key == "feelings"


def test_going_back_and_changing_an_answer_clears_the_questions_it_hides() -> None:
    turns = walk(FORM, CHILD_10, ["yes", "2", "more visits", "back"])
    back = turns[-1]
    assert back.command == "back"
    assert back.cleared == ["safe_why"]
    assert back.prompt.key == "safe_why"
    assert "safe_why" not in back.state.answers
    back2 = engine.reply(FORM, CHILD_10, back.state, "back")
    assert back2.prompt.key == "safe" and back2.cleared == ["safe"]
    assert back2.state.answers == {"know_iro": "yes"}
    changed = engine.reply(FORM, CHILD_10, back2.state, "9")
    assert changed.recorded == {"safe": 9} and changed.signals == []
    assert changed.prompt.key == "feelings"


def test_changing_an_answer_after_going_back_clears_dependent_answers() -> None:
    turns = walk(FORM, CHILD_10, ["yes", "9", "happy", "school", "teachers are nice"])
    state = turns[-1].state
    assert state.answers["school_more"] == "teachers are nice"
    # Back over school_more and topics, then choose something that hides school_more.
    turn = engine.reply(FORM, CHILD_10, state, "back")
    assert turn.prompt.key == "school_more" and turn.cleared == ["school_more"]
    turn = engine.reply(FORM, CHILD_10, turn.state, "back")
    assert turn.prompt.key == "topics" and turn.cleared == ["topics"]
    state = ConversationState.from_dict(json.loads(json.dumps(turn.state.to_dict())))
    state.answers["school_more"] = "stale"  # as if it had survived: a new answer must clear it
    turn = engine.reply(FORM, CHILD_10, state, "family")
    assert turn.recorded == {"topics": ["family"]}
    assert "school_more" in turn.cleared and "school_more" not in turn.state.answers
    assert turn.prompt.key == "attend"


def test_back_on_the_first_question_says_so() -> None:
    turn = walk(FORM, CHILD_10, ["back"])[-1]
    assert turn.messages == [catalogue.text("back_at_start")]
    assert turn.prompt.key == "know_iro" and turn.command == "back" and not turn.cleared


def test_conditions_on_age_band_and_review_type() -> None:
    def keys(respondent: Respondent, answers: dict) -> list[str]:
        return [q.key for q in engine.visible_questions(FORM, respondent, answers)]

    answers = {"topics": ["school"], "safe": 9}
    assert "school_more" in keys(CHILD_10, answers)
    assert "school_more" not in keys(Respondent("child", "CLA", 6), answers)
    assert "school_more" in keys(Respondent("child", "CLA", None), answers)  # unknown age: 13+ wording
    assert "plan" not in keys(CHILD_10, answers)
    assert "plan" in keys(Respondent("care_leaver", "PP", 17), answers)
    assert "safe_why" not in keys(CHILD_10, answers)
    assert "safe_why" in keys(CHILD_10, {"safe": 5})


def test_not_in_and_answered_conditions() -> None:
    form = make_form(questions=[
        {"key": "went", "type": "yes_no", "text": {"en": "Did you go?"}},
        {"key": "why_not", "type": "text", "text": {"en": "Why not?"},
         "show_if": {"answer": {"key": "went", "not_in": ["yes"]}}},
        {"key": "liked", "type": "text", "text": {"en": "What was good?"},
         "show_if": {"answer": {"key": "went", "answered": True, "not_in": ["no"]}}},
    ])
    def keys(answers: dict) -> list[str]:
        return [q.key for q in engine.visible_questions(form, CHILD_10, answers)]

    assert keys({}) == ["went", "why_not"]
    assert keys({"went": "yes"}) == ["went", "liked"]
    assert keys({"went": "no"}) == ["went", "why_not"]


def test_wording_follows_age_band_and_language_with_english_fallback() -> None:
    question = FORM.questions[0]
    assert engine.prompt_for(question, Respondent("child", "CLA", 6), 1, 5).text == "Do you know your IRO?"
    assert engine.prompt_for(question, CHILD_10, 1, 5).text == "Do you know who your IRO is?"
    welsh = engine.prompt_for(question, Respondent("child", "CLA", 10, "cy"), 1, 5)
    assert welsh.text == "Ydych chi'n gwybod pwy yw eich IRO?"
    assert [c.label for c in welsh.choices] == [catalogue.text(f"choice_{k}", "cy") for k in ("yes", "no", "not_sure")]
    assert welsh.choices[0].label != engine.prompt_for(question, CHILD_10, 1, 5).choices[0].label
    # No Welsh text for this one: English, and the help in English too.
    scale = engine.prompt_for(FORM.questions[1], Respondent("child", "CLA", 10, "cy"), 2, 5)
    assert scale.text == "How safe do you feel where you live?" and scale.language == "en"
    assert (scale.scale_min, scale.scale_max, scale.low, scale.high) == (1, 10, "not safe", "very safe")
    start = engine.start(FORM, Respondent("child", "CLA", 10, "cy"))
    assert start.messages == [FORM.intro["cy"], catalogue.text("privacy_notice", "cy")]
    assert start.prompt.language == "cy" and start.language == "cy"
    # A form with no Welsh at all runs in English for a Welsh speaker, catalogue texts too.
    english_only = make_form(intro={"en": "Hello"})
    start = engine.start(english_only, Respondent("child", "CLA", 10, "cy"))
    assert start.messages == ["Hello", catalogue.text("privacy_notice")] and start.language == "en"


def test_feelings_prompt_offers_the_six_feelings_with_emoji() -> None:
    prompt = engine.prompt_for(FORM.questions[3], CHILD_10, 3, 7)
    assert [(c.value, c.emoji) for c in prompt.choices] == list(FEELINGS.items())
    assert prompt.choices[0].label == "Happy"


def test_unreadable_replies_reask_then_offer_skip_or_help() -> None:
    # "loads" to a scale question: the friendly re-ask and the same question again.
    turns = walk(FORM, CHILD_10, ["yes", "loads", "twenty"])
    assert turns[2].error == "reask_scale"
    assert turns[2].messages == [catalogue.text("reask_scale", min=1, max=10)]
    assert turns[2].prompt.key == "safe" and turns[2].state.attempts == 1 and not turns[2].recorded
    assert turns[3].error == "reask_scale_range"
    assert turns[3].messages == [catalogue.text("reask_scale_range", min=1, max=10), catalogue.text("hint_skip")]
    assert "1" in turns[3].messages[0] and "10" in turns[3].messages[0]
    assert turns[3].state.attempts == 2
    ok = engine.reply(FORM, CHILD_10, turns[3].state, "6")
    assert ok.recorded == {"safe": 6} and ok.state.attempts == 0 and ok.error is None


def test_required_question_offers_help_not_skip_after_two_misses() -> None:
    turns = walk(FORM, CHILD_10, ["purple", "banana"])
    assert turns[1].messages == [catalogue.text("reask_yes_no_sure")]
    assert turns[2].messages == [catalogue.text("reask_yes_no_sure"), catalogue.text("hint_help")]


def test_skip_moves_on_but_not_past_a_required_question() -> None:
    refused = walk(FORM, CHILD_10, ["skip"])[-1]
    assert refused.command == "skip" and refused.error == "cannot_skip"
    assert refused.messages == [catalogue.text("cannot_skip")] and refused.prompt.key == "know_iro"
    assert refused.state.skipped == []
    skipped = walk(FORM, CHILD_10, ["yes", "SKIP"])[-1]
    assert skipped.command == "skip" and skipped.state.skipped == ["safe"]
    assert skipped.prompt.key == "feelings" and not skipped.recorded
    back = engine.reply(FORM, CHILD_10, skipped.state, "back")
    assert back.prompt.key == "safe" and back.state.skipped == [] and back.cleared == ["safe"]


def test_help_gives_the_question_help_or_general_help() -> None:
    turn = walk(FORM, CHILD_10, ["help"])[-1]
    assert turn.command == "help" and turn.messages == [FORM.questions[0].help["en"]]
    assert turn.prompt.key == "know_iro"
    general = walk(FORM, CHILD_10, ["yes", "?"])[-1]
    assert general.messages == [catalogue.text("help_general")] and general.prompt.key == "safe"


def test_stop_ends_kindly_and_does_not_change_the_callers_state() -> None:
    before = walk(FORM, CHILD_10, ["yes"])[-1].state
    snapshot = before.to_dict()
    turn = engine.reply(FORM, CHILD_10, before, "/stop")
    assert turn.command == "stop" and turn.state.status == "stopped"
    assert turn.messages == [catalogue.text("stopped")] and turn.prompt is None and not turn.complete
    assert before.to_dict() == snapshot


def test_resuming_says_welcome_back_and_asks_the_waiting_question() -> None:
    state = walk(FORM, CHILD_10, ["yes", "7"])[-1].state
    stored = json.loads(json.dumps(state.to_dict()))
    turn = engine.start(FORM, CHILD_10, ConversationState.from_dict(stored))
    assert turn.messages == [catalogue.text("welcome_back")]
    assert turn.prompt.key == "feelings" and turn.state.answers == {"know_iro": "yes", "safe": 7}
    stopped = engine.reply(FORM, CHILD_10, state, "stop").state
    again = engine.reply(FORM, CHILD_10, stopped, "hello")
    assert again.state.status == "asking" and again.prompt.key == "feelings" and not again.recorded


def test_a_finished_conversation_says_so() -> None:
    state = walk(FORM, CHILD_10, ["yes", "8", "1", "2", "1", "skip"])[-1].state
    assert state.status == "complete"
    for turn in (engine.reply(FORM, CHILD_10, state, "yes"), engine.start(FORM, CHILD_10, state)):
        assert turn.messages == [catalogue.text("already_complete")] and not turn.recorded


def test_state_round_trips_through_json() -> None:
    state = walk(FORM, CHILD_10, ["yes", "2", "skip", "2,4"])[-1].state
    again = ConversationState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    assert again.answers == {"know_iro": "yes", "safe": 2, "feelings": ["sad", "scared"]}
    assert again.skipped == ["safe_why"] and again.current == "topics"


@pytest.mark.parametrize("damaged", [
    {}, {"answers": [1, 2], "skipped": "x", "attempts": "2"}, {"status": "weird", "current": 5}, [],
    {"form_id": "engine_test", "status": "asking", "current": "no_such_question", "answers": {"gone": "yes"}},
])
def test_a_damaged_stored_state_restarts_or_carries_on_without_error(damaged) -> None:
    state = ConversationState.from_dict(damaged)
    turn = engine.reply(FORM, CHILD_10, state, "yes")
    assert turn.prompt is not None and turn.state.status == "asking"
    assert set(turn.state.answers) <= {q.key for q in FORM.questions}
    assert "gone" not in turn.state.answers


def test_is_received_needs_every_shown_required_question() -> None:
    assert not engine.is_received(FORM, CHILD_10, {})
    assert not engine.is_received(FORM, CHILD_10, {"know_iro": "yes", "safe": 9})
    assert engine.is_received(FORM, CHILD_10, {"know_iro": "no", "attend": "no"})
    optional = make_form(questions=[{"key": "a", "type": "text", "text": {"en": "A?"}},
                                    {"key": "b", "type": "yes_no", "text": {"en": "B?"}}])
    assert not engine.is_received(optional, CHILD_10, {})
    assert engine.is_received(optional, CHILD_10, {"b": "no"})


def test_answer_signals() -> None:
    safe, feelings = FORM.questions[1], FORM.questions[3]
    assert engine.answer_signals(safe, 3) and engine.answer_signals(safe, 1)
    assert not engine.answer_signals(safe, 4)
    assert engine.answer_signals(feelings, ["happy", "scared"])
    assert engine.answer_signals(feelings, "scared")
    assert not engine.answer_signals(feelings, ["happy", "sad"])
    assert not engine.answer_signals(FORM.questions[0], "no")  # no safeguarding rule
    assert not engine.answer_signals(safe, None)


def test_render_sms_numbers_choices_and_explains_scales() -> None:
    turns = walk(FORM, CHILD_10, ["yes", "8"])
    yes_no = engine.render_sms(engine.start(FORM, CHILD_10).prompt)
    assert yes_no == "Do you know who your IRO is? (1/6)\n1 Yes  2 No  3 Not sure"
    scale = engine.render_sms(turns[1].prompt)
    assert "Reply a number 1-10 (1 = not safe, 10 = very safe)" in scale
    assert scale.endswith(catalogue.text("skip_hint"))
    feelings = engine.render_sms(turns[2].prompt)
    assert "1 \U0001F600 Happy  2 \U0001F622 Sad" in feelings and "6 \U0001F61F Worried" in feelings
    texts = engine.render_text(turns[2], "sms")
    assert texts == [feelings]
    bad = engine.reply(FORM, CHILD_10, turns[2].state, "purple")
    assert engine.render_text(bad, "sms") == [catalogue.text("reask_feelings"), feelings]
    welsh_child = Respondent("child", "CLA", 10, "cy")
    welsh = engine.render_sms(engine.prompt_for(FORM.questions[0], welsh_child, 1, 6))
    assert welsh.endswith(f"1 Ie  2 Na  3 {catalogue.text('choice_not_sure', 'cy')}")
    # A question without Welsh is shown wholly in English, hints included.
    untranslated = engine.prompt_for(FORM.questions[1], welsh_child, 2, 6)
    assert untranslated.language == "en"
    assert engine.render_sms(untranslated).endswith(catalogue.text("skip_hint"))
    assert catalogue.text("skip_hint", "cy") != catalogue.text("skip_hint")


@pytest.mark.parametrize("message,segments", [
    ("", 1), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("a" * 459, 3), ("a" * 460, 4),
    ("\u20ac" * 80, 1), ("\u20ac" * 81, 2), ("a" * 159 + "\u20ac", 2), ("{}", 1),
    ("\U0001F600", 1), ("\U0001F600" + "a" * 68, 1), ("\U0001F600" + "a" * 69, 2),
    ("\u2019" + "a" * 69, 1), ("\u2019" + "a" * 70, 2), ("\u0175" * 134, 2), ("\u0175" * 135, 3),
    ("éèùìò" * 32, 1),
])
def test_sms_segments(message: str, segments: int) -> None:
    assert engine.sms_segments(message) == segments


def test_long_messages_are_split_to_fit_three_segments() -> None:
    sentence = "This sentence is here to make a long message that needs more than one text. "
    long = sentence * 12
    parts = engine.split_sms(long.strip())
    assert len(parts) > 1 and all(engine.sms_segments(p) <= 3 for p in parts)
    assert " ".join(parts) == long.strip()
    emoji = "\U0001F600" * 200
    parts = engine.split_sms(emoji)
    assert "".join(parts) == emoji and all(engine.sms_segments(p) <= 3 for p in parts)
    assert engine.split_sms("short") == ["short"]


def test_render_text_splits_a_long_intro() -> None:
    form = make_form(intro={"en": "Hello there. " * 60})
    texts = engine.render_text(engine.start(form, CHILD_10), "sms")
    assert len(texts) >= 4 and all(engine.sms_segments(t) <= 3 for t in texts)
    assert engine.render_text(engine.start(form, CHILD_10), "telegram")[0] == form.intro["en"]


REPLIES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["yes", "no", "not sure", "7", "1", "2", "13", "skip", "back", "help", "stop", "?",
                     "school", "happy", "0", "11", "", "1,3", "/back", "\U0001F600"]),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None, derandomize=True,
          database=None)
@given(replies=st.lists(REPLIES, max_size=14), age=st.sampled_from([None, 5, 10, 15]),
       review_type=st.sampled_from(["CLA", "PP"]))
def test_any_replies_keep_the_conversation_consistent(replies: list[str], age: int | None,
                                                      review_type: str) -> None:
    respondent = Respondent("child", review_type, age)
    turn = engine.start(FORM, respondent)
    stored: dict = {}
    for text in replies:
        turn = engine.reply(FORM, respondent, turn.state, text)
        for key in turn.cleared:
            stored.pop(key, None)
        stored.update(turn.recorded)
        state = turn.state
        visible = [q.key for q in engine.visible_questions(FORM, respondent, state.answers)]
        if state.status == "asking":
            assert state.current in visible and state.current not in state.answers
            assert turn.prompt is not None and turn.prompt.key == state.current
        else:
            assert state.status in ("complete", "stopped")
        assert set(state.answers) <= set(visible) and set(state.skipped) <= set(visible)
        assert stored == state.answers  # what a channel stored matches the state
        for message in engine.render_text(turn, "sms"):
            assert engine.sms_segments(message) <= 3


def _shipped_forms() -> list[FormDefinition]:
    from surveys.forms import FORMS_DIR, all_forms

    if not any(FORMS_DIR.glob("*.yaml")):
        return []
    try:
        return list(all_forms().values())
    except FormError:
        return []  # invalid files are reported by `haveyoursay surveys check` and its tests


def _good_reply(question) -> str:
    if question.type == "yes_no":
        return "yes"
    if question.type == "scale":
        spec = question.scale
        return str(spec.max if spec else 10)
    if question.type in ("single", "multi"):
        return "1"
    if question.type == "feelings":
        return "happy"
    return "It was fine"


def test_every_shipped_form_runs_over_sms_within_three_segments() -> None:
    forms = _shipped_forms()
    if not forms:
        pytest.skip("no shipped forms yet")
    for form in forms:
        for role in form.roles:
            for review_type in form.review_types:
                for age in (6, 10, 15):
                    for skipping in (False, True):
                        respondent = Respondent(role, review_type, age)
                        turn = engine.start(form, respondent)
                        for _ in range(len(form.questions) * 3):
                            for message in engine.render_text(turn, "sms"):
                                assert engine.sms_segments(message) <= 3, (form.id, message)
                            if turn.complete:
                                break
                            question = next(q for q in form.questions if q.key == turn.state.current)
                            for bad in ("purple", "purple"):  # a re-ask must fit as well
                                if question.type != "text":
                                    wrong = engine.reply(form, respondent, turn.state, bad)
                                    assert all(engine.sms_segments(m) <= 3
                                               for m in engine.render_text(wrong, "sms"))
                            text = "skip" if skipping and not question.required else _good_reply(question)
                            turn = engine.reply(form, respondent, turn.state, text)
                            assert turn.error is None, (form.id, question.key, turn.error)
                        assert turn.complete, (form.id, role, review_type, age)


SHIPPED = _shipped_forms()


@pytest.mark.skipif(not SHIPPED, reason="no shipped forms yet")
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None, derandomize=True,
          database=None)
@given(data=st.data(), replies=st.lists(REPLIES, max_size=12), age=st.sampled_from([None, 6, 11, 17]))
def test_any_replies_to_any_shipped_form_never_break_the_conversation(data, replies: list[str],
                                                                      age: int | None) -> None:
    form = data.draw(st.sampled_from(SHIPPED or [FORM]))
    respondent = Respondent(data.draw(st.sampled_from(form.roles)), data.draw(st.sampled_from(form.review_types)),
                            age, data.draw(st.sampled_from(["en", "cy"])))
    turn = engine.start(form, respondent)
    for text in replies:
        turn = engine.reply(form, respondent, turn.state, text)
        state = turn.state
        visible = [q.key for q in engine.visible_questions(form, respondent, state.answers)]
        assert state.current is None or state.current in visible
        assert set(state.answers) <= set(visible)
        for message in engine.render_text(turn, "sms"):
            assert message.strip() and engine.sms_segments(message) <= 3


def test_every_button_value_of_every_prompt_parses_back_to_itself() -> None:
    """Telegram buttons send a choice's value as the reply: it must record that very choice."""
    for form in [FORM, *SHIPPED]:
        for question in form.questions:
            for language in ("en", "cy"):
                prompt = engine.prompt_for(question, Respondent("child", "CLA", 10, language), 1, 1)
                for choice in prompt.choices:
                    parsed = engine.parse_answer(question, choice.value, language)
                    expected: object = choice.value
                    if question.type == "scale":
                        expected = int(choice.value)
                    elif question.type in ("multi", "feelings"):
                        expected = [choice.value]
                    assert parsed.value == expected, (form.id, question.key, choice.value, parsed)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), form_id=st.sampled_from(sorted(all_forms())), age=st.sampled_from([None, 5, 10, 15]),
       review_type=st.sampled_from(["CLA", "PATHWAY", "CP"]))
def test_remembered_visible_questions_are_what_working_them_out_gives(data, form_id, age, review_type):
    """visible_questions remembers its answer; the same dict changed between calls must not fool it."""
    from surveys.engine import _visible_questions

    form = all_forms()[form_id]
    respondent = engine.Respondent("child", review_type, age)
    answers: dict = {}
    for _ in range(data.draw(st.integers(1, 6))):
        question = data.draw(st.sampled_from(form.questions))
        choices = [o.key for o in question.options or []] or ["yes", "no", "not_sure", "happy", "5"]
        if data.draw(st.booleans()):
            answers[question.key] = data.draw(st.sampled_from(choices))
        elif data.draw(st.booleans()):
            answers[question.key] = data.draw(st.lists(st.sampled_from(choices), max_size=3))
        else:
            answers.pop(question.key, None)
        assert engine.visible_questions(form, respondent, answers) == _visible_questions(form, respondent, answers)


@given(st.text(alphabet=st.sampled_from(sorted(engine.GSM7_ALL)) | st.characters(), max_size=500))
def test_sms_segments_counts_gsm7_units_and_falls_back_to_ucs2(message):
    """Extension characters (€, [, ...) take two GSM-7 units; any other character makes it UCS-2."""
    if all(ch in engine.GSM7_BASIC or ch in engine.GSM7_EXTENSION for ch in message):
        units = sum(2 if ch in engine.GSM7_EXTENSION else 1 for ch in message)
        single, multi = 160, 153
    else:
        units = len(message.encode("utf-16-le", "surrogatepass")) // 2
        single, multi = 70, 67
    expected = 1 if units <= single else -(-units // multi)
    assert engine.sms_segments(message) == expected
