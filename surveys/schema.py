"""The schema every form definition file must satisfy, and its validation.

A form is data (one YAML file per form under ``surveys/forms/``). This module turns a
parsed file into typed objects and reports every problem with the file, the question
and the reason, so that ``haveyoursay surveys check`` can print something a person
can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

QuestionType = Literal["yes_no", "scale", "single", "multi", "feelings", "text"]
AgeBand = Literal["under_8", "8_12", "13_plus"]
ReviewType = Literal["CLA", "PP"]
Phase = Literal["consultation", "feedback"]
Role = Literal["child", "care_leaver", "parent", "carer", "health", "education", "guardian"]

AGE_BANDS: tuple[AgeBand, ...] = ("under_8", "8_12", "13_plus")
ROLES: tuple[str, ...] = ("child", "care_leaver", "parent", "carer", "health", "education", "guardian")
QUESTION_TYPES: tuple[str, ...] = ("yes_no", "scale", "single", "multi", "feelings", "text")

# The six feelings every feelings question offers, with the emoji shown beside each.
FEELINGS: dict[str, str] = {
    "happy": "\U0001F600",
    "sad": "\U0001F622",
    "angry": "\U0001F620",
    "scared": "\U0001F628",
    "confused": "\U0001F615",
    "worried": "\U0001F61F",
}

# A text in several languages: {"en": "...", "cy": "..."}. English is required.
Texts = dict[str, str]


def age_band(age: int | None) -> AgeBand:
    """Return the wording band for an age in years (unknown ages get the 13+ wording)."""
    if age is None:
        return "13_plus"
    if age < 8:
        return "under_8"
    if age <= 12:
        return "8_12"
    return "13_plus"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """One choice of a single or multiple choice question."""

    key: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=32)]
    text: Texts


class ScaleSpec(_Strict):
    """The range of a scale question and the words at each end."""

    min: int = 1
    max: int = 10
    low: Texts | None = None
    high: Texts | None = None


class AnswerCondition(_Strict):
    """Show a question only when an earlier answer is (or is not) one of these values."""

    key: str
    in_: Annotated[list[str | int] | None, Field(alias="in")] = None
    not_in: list[str | int] | None = None
    answered: bool | None = None


class ShowIf(_Strict):
    """Conditions that must all hold for a question to be asked."""

    answer: AnswerCondition | None = None
    age_band: list[AgeBand] | None = None
    review_type: list[ReviewType] | None = None


class SafeguardingSignal(_Strict):
    """Answers to this question that signal danger and must raise an alert."""

    values: list[str] | None = None  # yes_no / single / multi / feelings values
    at_most: int | None = None  # scale values at or below this


class Question(_Strict):
    """One question of a form."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
    type: QuestionType
    text: Texts
    # Wording that differs by age band; falls back to ``text``.
    variants: dict[AgeBand, Texts] | None = None
    help: Texts | None = None
    required: bool = False
    not_sure: bool = False  # yes_no: also offer "not sure"
    scale: ScaleSpec | None = None
    options: list[Option] | None = None
    max_length: int = 2000  # text answers
    show_if: ShowIf | None = None
    safeguarding: SafeguardingSignal | None = None
    # How the annual report shows this question: "yes_pct", "distribution", "scale", "quotes"
    report: Literal["yes_pct", "distribution", "scale", "quotes", "none"] | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        if value not in QUESTION_TYPES:
            raise ValueError(
                f"unknown question type {value!r} (expected one of: {', '.join(QUESTION_TYPES)})"
            )
        return value


class FormDefinition(_Strict):
    """A whole form: who it is for, when it is sent and its questions in order."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    version: int = 1
    title: Texts
    phase: Phase
    roles: list[Role]
    review_types: list[ReviewType]
    # Forms written for one attendance (care leaver feedback: attended / did not attend)
    # are chosen by the engine through show_if on an early question instead.
    intro: Texts
    thanks: Texts
    questions: list[Question]
    source: str | None = None  # where the wording comes from (which published report)


@dataclass(frozen=True)
class SchemaProblem:
    """One problem in one form file, named so a person can find and fix it."""

    file: str
    question: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: question {self.question!r}" if self.question else self.file
        return f"{where}: {self.message}"


class FormError(Exception):
    """Raised when one or more form files do not satisfy the schema."""

    def __init__(self, problems: list[SchemaProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _question_label(raw: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    """Name the question a pydantic error location points into, by key where it has one."""
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        questions = raw.get("questions") or []
        if loc[1] < len(questions) and isinstance(questions[loc[1]], dict):
            return str(questions[loc[1]].get("key") or f"#{loc[1] + 1}")
        return f"#{loc[1] + 1}"
    return None


def _texts_in(question: Question) -> Iterable[tuple[str, Texts]]:
    yield "text", question.text
    for band, texts in (question.variants or {}).items():
        yield f"variants.{band}", texts
    if question.help:
        yield "help", question.help
    if question.scale:
        if question.scale.low:
            yield "scale.low", question.scale.low
        if question.scale.high:
            yield "scale.high", question.scale.high
    for option in question.options or []:
        yield f"option {option.key!r}", option.text


def validate_form(raw: Any, file: str) -> FormDefinition:
    """Validate one parsed form file; raise ``FormError`` listing every problem found."""
    if not isinstance(raw, dict):
        raise FormError([SchemaProblem(file, None, "the file must hold a mapping (id, title, questions ...)")])
    try:
        form = FormDefinition.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            question = _question_label(raw, loc)
            field = ".".join(str(p) for p in (loc[2:] if question else loc))
            message = err["msg"].removeprefix("Value error, ")
            problems.append(SchemaProblem(file, question, f"{field}: {message}" if field else message))
        raise FormError(problems) from None

    problems: list[SchemaProblem] = []
    if "en" not in form.title or "en" not in form.intro or "en" not in form.thanks:
        problems.append(SchemaProblem(file, None, "title, intro and thanks need an English ('en') text"))
    if not form.questions:
        problems.append(SchemaProblem(file, None, "a form needs at least one question"))
    seen: dict[str, int] = {}
    for index, question in enumerate(form.questions):
        label = question.key
        if question.key in seen:
            problems.append(SchemaProblem(file, label, f"duplicate key (also question #{seen[question.key] + 1})"))
        for where, texts in _texts_in(question):
            if not texts.get("en", "").strip():
                problems.append(SchemaProblem(file, label, f"{where}: missing English ('en') text"))
        if question.type in ("single", "multi"):
            if not question.options:
                problems.append(SchemaProblem(file, label, f"a {question.type} question needs a non-empty option list"))
            else:
                keys = [o.key for o in question.options]
                dupes = {k for k in keys if keys.count(k) > 1}
                if dupes:
                    problems.append(SchemaProblem(file, label, f"duplicate option keys: {', '.join(sorted(dupes))}"))
        elif question.options is not None:
            problems.append(SchemaProblem(file, label, f"options are only for single or multi questions, not {question.type}"))
        if question.type == "scale":
            spec = question.scale or ScaleSpec()
            if spec.min >= spec.max or spec.max - spec.min > 10:
                problems.append(SchemaProblem(file, label, f"scale {spec.min}..{spec.max} must rise and span at most 10 steps"))
        if question.show_if and question.show_if.answer:
            target = question.show_if.answer.key
            if target not in seen:
                known = target in {q.key for q in form.questions}
                reason = "a later question" if known else "an unknown question"
                problems.append(SchemaProblem(file, label, f"show_if refers to {reason} {target!r}"))
        seen.setdefault(question.key, index)
    if problems:
        raise FormError(problems)
    return form
