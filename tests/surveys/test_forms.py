"""The shipped form files: they validate, cover every respondent, keep the published wording,
and a broken file is reported with its file, question and reason.

Routing decision (documented here and in the form files): for young people the review type
picks the form, not the word on the schedule. A child or care leaver with a CLA review gets
child_before / child_after; with a Pathway Plan (PP) review, care_leaver_before /
care_leaver_after (Cheshire East counts "cared for child / care leaver" on one row for both
review types). Health, education and guardian have no feedback form, and a guardian has no
form for a PP review (guardians act in care proceedings): ``form_for`` returns None there,
meaning "send nothing".
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from surveys.forms import FORMS_DIR, all_forms, check_forms, form_for
from surveys.schema import AGE_BANDS, FEELINGS, ROLES, FormDefinition, Question

# The Worcestershire IRO annual report 2021/22, as published, kept with the tests; its
# SHA-256 is the published text's, so an edit to the copy fails the test below.
WORCESTERSHIRE = Path(__file__).with_name("reports") / "worcestershire_iro_2021_22.txt"
PUBLISHED_SHA256 = "7176a68026e9af77faa531539a0ecc0f7f00c3f25b9e185fb430b071691f4139"

IDS = ("child_before", "care_leaver_before", "parent_before", "carer_before", "health_before",
       "education_before", "guardian_before", "child_after", "carer_after", "care_leaver_after",
       "parent_after")

# (phase, role) -> form id for a CLA review and for a PP review.
ROUTING: dict[tuple[str, str], tuple[str | None, str | None]] = {
    ("consultation", "child"): ("child_before", "care_leaver_before"),
    ("consultation", "care_leaver"): ("child_before", "care_leaver_before"),
    ("consultation", "parent"): ("parent_before", "parent_before"),
    ("consultation", "carer"): ("carer_before", "carer_before"),
    ("consultation", "health"): ("health_before", "health_before"),
    ("consultation", "education"): ("education_before", "education_before"),
    ("consultation", "guardian"): ("guardian_before", None),
    ("feedback", "child"): ("child_after", "care_leaver_after"),
    ("feedback", "care_leaver"): ("child_after", "care_leaver_after"),
    ("feedback", "parent"): ("parent_after", "parent_after"),
    ("feedback", "carer"): ("carer_after", "carer_after"),
    ("feedback", "health"): (None, None),
    ("feedback", "education"): (None, None),
    ("feedback", "guardian"): (None, None),
}

# Worcestershire's foster carer survey, as the report prints it (question 1 to 8).
CARER_KEYS = ("spoke_iro", "understand_role", "understand_recommendations", "going_well_recognised",
              "supported_attend", "child_views_heard", "share_views", "notes_accurate")
# Worcestershire's children's survey questions that child_after asks word for word.
CHILD_WORCESTERSHIRE_KEYS = ("spoke_before", "understand_role", "explain_review", "understand_plan",
                             "going_well_recognised", "supported_attend", "how_attended",
                             "share_views", "views_heard")

# Characters of the GSM 03.38 alphabet (basic set and extension): a text outside it (a
# curly apostrophe, an en dash) turns the whole SMS into UCS-2 and shrinks a segment from
# 153 to 67 characters.
GSM_7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
            "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")


def _question(form: FormDefinition, key: str) -> Question:
    return next(q for q in form.questions if q.key == key)


def _answer_values(question: Question) -> set[str]:
    """Every value an answer to this question can be stored as (for choice-like types)."""
    if question.type == "yes_no":
        return {"yes", "no"} | ({"not_sure"} if question.not_sure else set())
    if question.type == "feelings":
        return set(FEELINGS)
    if question.type in ("single", "multi"):
        return {o.key for o in question.options or []}
    return set()


def _english_texts(form: FormDefinition):
    yield "title", form.title["en"]
    yield "intro", form.intro["en"]
    yield "thanks", form.thanks["en"]
    for q in form.questions:
        for where, texts in [("text", q.text), *((f"variant {b}", t) for b, t in (q.variants or {}).items())]:
            yield f"{q.key} {where}", texts["en"]
        if q.help:
            yield f"{q.key} help", q.help["en"]
        for option in q.options or []:
            yield f"{q.key} option {option.key}", option.text["en"]
        if q.scale:
            for end in (q.scale.low, q.scale.high):
                if end:
                    yield f"{q.key} scale end", end["en"]


# -- the shipped files ------------------------------------------------------------------------

def test_every_shipped_file_validates():
    forms, problems = check_forms()
    assert [str(p) for p in problems] == []
    assert sorted(f.id for f in forms) == sorted(IDS)
    assert len(list(FORMS_DIR.glob("*.yaml"))) == len(IDS)
    for form in forms:  # one file per form, named after its id
        assert (FORMS_DIR / f"{form.id}.yaml").exists()


@pytest.mark.parametrize(("phase", "role"), list(ROUTING))
def test_form_for_picks_the_form_for_every_role_and_review_type(phase: str, role: str):
    expected_cla, expected_pp = ROUTING[(phase, role)]
    for review_type, expected in (("CLA", expected_cla), ("PP", expected_pp)):
        form = form_for(phase, role, review_type)
        assert (form.id if form else None) == expected, (phase, role, review_type)
        if form is not None:
            assert form.phase == phase and role in form.roles and review_type in form.review_types


def test_routing_table_covers_every_role_and_each_pair_has_one_form():
    assert {role for _, role in ROUTING} == set(ROLES)
    for phase in ("consultation", "feedback"):
        for role in ROLES:
            for review_type in ("CLA", "PP"):
                matching = [f.id for f in all_forms().values()
                            if f.phase == phase and role in f.roles and review_type in f.review_types]
                assert len(matching) <= 1, (phase, role, review_type, matching)


def test_every_form_has_sources_required_questions_and_reporting():
    for form in all_forms().values():
        assert form.source and form.title["en"] and form.intro["en"] and form.thanks["en"]
        required = [q.key for q in form.questions if q.required]
        assert 1 <= len(required) <= 3, (form.id, required)
        for q in form.questions:
            # Every question says how the report shows it; a free-text question left
            # without "report" would become a quote candidate by default.
            assert q.report is not None, (form.id, q.key)
            if q.type == "text":
                assert q.report in ("quotes", "none"), (form.id, q.key)
            if q.type == "yes_no":
                assert q.report == "yes_pct", (form.id, q.key)
            if q.type == "scale":
                assert q.report == "scale", (form.id, q.key)


def test_safeguarding_values_and_show_if_values_are_real_answers():
    for form in all_forms().values():
        by_key = {q.key: q for q in form.questions}
        for q in form.questions:
            if q.safeguarding and q.safeguarding.values:
                assert set(q.safeguarding.values) <= _answer_values(q), (form.id, q.key)
            if q.safeguarding and q.safeguarding.at_most is not None:
                spec = q.scale
                assert q.type == "scale" and spec.min <= q.safeguarding.at_most < spec.max, (form.id, q.key)
            if q.show_if and q.show_if.answer:
                target = by_key[q.show_if.answer.key]
                wanted = {str(v) for v in (q.show_if.answer.in_ or []) + (q.show_if.answer.not_in or [])}
                assert wanted <= _answer_values(target), (form.id, q.key, wanted)


def test_young_peoples_consultation_raises_alerts_on_danger_signals():
    child = all_forms()["child_before"]
    assert _question(child, "feeling").safeguarding.values == ["scared"]
    assert _question(child, "feel_safe").safeguarding.values == ["no"]
    assert _question(child, "feel_safe").required
    assert _question(child, "safe_home_score").safeguarding.at_most == 3
    leaver = all_forms()["care_leaver_before"]
    assert _question(leaver, "feel_safe").safeguarding.values == ["no"]


def test_child_forms_have_simple_wording_for_under_8s_and_hide_chairing():
    child = all_forms()["child_before"]
    chair = _question(child, "chair")
    assert "under_8" not in chair.show_if.age_band
    assert set(chair.show_if.age_band) == set(AGE_BANDS) - {"under_8"}
    for form_id in ("child_before", "child_after"):
        form = all_forms()[form_id]
        with_variant = [q for q in form.questions if q.variants and "under_8" in q.variants]
        assert len(with_variant) >= 8, form_id
        for q in with_variant:  # a real rewording, and short
            assert q.variants["under_8"]["en"] != q.text["en"], (form_id, q.key)
            assert len(q.variants["under_8"]["en"]) <= 100, (form_id, q.key)


def test_welsh_is_offered_for_the_childs_consultation():
    child = all_forms()["child_before"]
    for texts in (child.title, child.intro, child.thanks):
        assert texts["cy"].strip() and texts["cy"] != texts["en"]


def test_texts_fit_a_short_sms_in_the_gsm_alphabet():
    for form in all_forms().values():
        for where, text in _english_texts(form):
            assert set(text) <= GSM_7, (form.id, where, set(text) - GSM_7)
        for q in form.questions:
            for texts in [q.text, *(q.variants or {}).values()]:
                choices = "".join(f"\n{i} {o.text['en']}" for i, o in enumerate(q.options or [], 1))
                assert len(texts["en"]) + len(choices) <= 300, (form.id, q.key)


# -- the published wording --------------------------------------------------------------------

def _report_text() -> str:
    return WORCESTERSHIRE.read_text(encoding="utf-8")


def test_kept_report_copy_is_the_published_one():
    assert hashlib.sha256(WORCESTERSHIRE.read_bytes()).hexdigest() == PUBLISHED_SHA256


def test_the_eight_foster_carer_questions_are_word_for_word_the_reports():
    report = _report_text()
    carer = all_forms()["carer_after"]
    yes_no = [q for q in carer.questions if q.type == "yes_no"]
    assert [q.key for q in yes_no] == list(CARER_KEYS)
    for number, question in enumerate(yes_no, 1):
        assert question.report == "yes_pct"
        # The report's table row: "<n>.\t<question>\t<n>% said yes".
        assert f"{number}.\t{question.text['en']}\t" in report, question.key
    comment = carer.questions[-1]
    assert comment.type == "text" and comment.report == "quotes"


def test_childrens_feedback_asks_worcestershires_questions_as_printed():
    report = _report_text()
    child = all_forms()["child_after"]
    for key in CHILD_WORCESTERSHIRE_KEYS:
        assert _question(child, key).text["en"] in report, key
    attended = _question(child, "how_attended")
    assert attended.type == "single" and attended.report == "distribution"
    assert [o.key for o in attended.options] == ["in_person", "video", "phone", "saw_iro_before",
                                                  "views_shared", "did_not_take_part"]
    assert _question(child, "rate_meeting").scale.max == 5
    assert _question(child, "know_iro").not_sure  # York: "yes / not sure"


def test_care_leaver_feedback_branches_on_attendance():
    form = all_forms()["care_leaver_after"]
    first = form.questions[0]
    assert first.key == "attended" and first.type == "yes_no" and first.required
    branches: dict[str, list[str]] = {"yes": [], "no": []}
    for q in form.questions[1:]:
        if q.show_if and q.show_if.answer:
            assert q.show_if.answer.key == "attended"
            (value,) = q.show_if.answer.in_
            branches[value].append(q.key)
    assert len(branches["yes"]) >= 3 and len(branches["no"]) >= 3
    assert not set(branches["yes"]) & set(branches["no"])


# -- broken files -----------------------------------------------------------------------------

HEADER = """\
id: {id}
title: {{en: "A form"}}
phase: consultation
roles: [child]
review_types: [CLA]
intro: {{en: "Hello"}}
thanks: {{en: "Thanks"}}
questions:
"""


def _write(folder: Path, name: str, questions: str, form_id: str | None = None) -> None:
    body = HEADER.format(id=form_id or name.removesuffix(".yaml")) + questions
    (folder / name).write_text(body, encoding="utf-8")


BROKEN_CASES = {
    "unknown_type": ("""\
  - key: mood
    type: slider
    text: {en: "How are you?"}
""", "mood", "unknown question type 'slider'"),
    "missing_english": ("""\
  - key: mood
    type: feelings
    text: {cy: "Sut wyt ti?"}
""", "mood", "text: missing English ('en') text"),
    "show_if_later": ("""\
  - key: why
    type: text
    text: {en: "Why?"}
    show_if: {answer: {key: safe, in: ["no"]}}
  - key: safe
    type: yes_no
    text: {en: "Do you feel safe?"}
""", "why", "show_if refers to a later question 'safe'"),
    "duplicate_keys": ("""\
  - key: safe
    type: yes_no
    text: {en: "Do you feel safe?"}
  - key: safe
    type: yes_no
    text: {en: "Do you feel safe at school?"}
""", "safe", "duplicate key (also question #1)"),
    "options_on_scale": ("""\
  - key: score
    type: scale
    text: {en: "Score it"}
    options:
      - {key: low, text: {en: "Low"}}
""", "score", "options are only for single or multi questions, not scale"),
    "unquoted_age_band": ("""\
  - key: chair
    type: yes_no
    text: {en: "Chair it?"}
    show_if: {age_band: [8_12]}
""", "chair", "show_if.age_band.0"),
}


@pytest.mark.parametrize("case", list(BROKEN_CASES))
def test_a_broken_file_is_named_with_its_question_and_reason(tmp_path: Path, case: str):
    questions, question_key, reason = BROKEN_CASES[case]
    _write(tmp_path, f"{case}.yaml", questions)
    _write(tmp_path, "fine.yaml", '  - key: ok\n    type: yes_no\n    text: {en: "OK?"}\n')
    forms, problems = check_forms(tmp_path)
    assert [f.id for f in forms] == ["fine"]
    assert problems, case
    assert all(p.file == f"{case}.yaml" for p in problems)
    matching = [p for p in problems if p.question == question_key and reason in p.message]
    assert matching, [str(p) for p in problems]
    assert str(matching[0]).startswith(f"{case}.yaml: question '{question_key}': ")


def test_invalid_yaml_is_named_by_file(tmp_path: Path):
    (tmp_path / "broken.yaml").write_text('id: child\nquestions: [{key: "unclosed}\n', encoding="utf-8")
    forms, problems = check_forms(tmp_path)
    assert forms == []
    assert len(problems) == 1
    assert problems[0].file == "broken.yaml" and problems[0].question is None
    assert problems[0].message.startswith("not valid YAML")


def test_missing_english_title_and_duplicate_form_ids_are_reported(tmp_path: Path):
    _write(tmp_path, "a.yaml", '  - key: ok\n    type: yes_no\n    text: {en: "OK?"}\n', form_id="same")
    _write(tmp_path, "b.yaml", '  - key: ok\n    type: yes_no\n    text: {en: "OK?"}\n', form_id="same")
    (tmp_path / "c.yaml").write_text(
        (tmp_path / "a.yaml").read_text().replace('title: {en: "A form"}', 'title: {cy: "Ffurflen"}')
        .replace("id: same", "id: welsh_only"), encoding="utf-8")
    forms, problems = check_forms(tmp_path)
    assert [f.id for f in forms] == ["same"]
    messages = {(p.file, p.message) for p in problems}
    assert ("b.yaml", "form id 'same' is also used by a.yaml") in messages
    assert ("c.yaml", "title, intro and thanks need an English ('en') text") in messages
