"""The conversation engine: a form, who is answering, their state and a reply -> the next turn.

Pure functions over plain data. A channel (SMS, Telegram, the web simulator) keeps a
:class:`ConversationState` (as JSON on the invitation), calls :func:`start` when a
conversation begins or resumes and :func:`reply` for every inbound text, stores
``turn.recorded`` / deletes ``turn.cleared`` and sends ``turn.messages`` plus
``turn.prompt`` (:func:`render_text` shapes them as SMS text).

Which questions a respondent sees follows each question's ``show_if`` (an earlier
answer, the respondent's age band, the review type); wording follows the language
(falling back to English) and the age band (``variants``).
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from surveys import catalogue
from surveys.parsing import AnswerValue, Parsed, parse_answer, parse_command
from surveys.schema import FEELINGS, FormDefinition, Question, ScaleSpec, Texts, age_band

__all__ = [
    "AnswerValue", "Choice", "ConversationState", "Parsed", "Prompt", "Respondent", "Turn",
    "answer_signals", "call_for_help", "conversation_language", "is_received", "next_question", "parse_answer",
    "parse_command",
    "prompt_for", "render_sms", "render_text", "reply", "sms_segments", "split_sms", "start",
    "text", "visible_questions",
]

MAX_SMS_SEGMENTS = 3
REASKS_BEFORE_HINT = 2

# Catalogue keys the conversation itself sends (besides the re-asks in surveys.parsing).
ENGINE_KEYS: tuple[str, ...] = (
    "privacy_notice", "welcome_back", "already_complete", "stopped", "cannot_skip", "going_back",
    "back_at_start", "help_general", "hint_skip", "hint_help", "progress", "scale_hint",
    "scale_hint_words", "multi_hint", "feelings_hint", "text_hint", "skip_hint",
    "choice_yes", "choice_no", "choice_not_sure", *(f"feeling_{key}" for key in FEELINGS),
)


@dataclass(frozen=True)
class Respondent:
    """Who is answering: what decides which questions and which wording they get."""

    role: str
    review_type: str
    age: int | None
    language: str = "en"


def _copy_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """A copy of answers deep enough for them (values are strings, numbers or lists of strings).

    Not ``copy.deepcopy``: on every message it cost more than the rest of the engine's turn.
    """
    return {key: (copy.deepcopy(value) if isinstance(value, (list, dict)) else value)
            for key, value in answers.items()}


@dataclass
class ConversationState:
    """Where a conversation is; stored as JSON on the invitation between messages."""

    form_id: str
    form_version: int
    status: str  # "new" | "asking" | "complete" | "stopped"
    current: str | None = None  # key of the question awaiting a reply
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # answered or skipped keys, in order, for "back"
    attempts: int = 0  # replies to ``current`` that could not be understood
    # After a possible disclosure the child got the caring reply and nothing else: the
    # question waits until they write again (``reply`` then asks it, taking nothing as an answer).
    paused: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        data = {
            "form_id": self.form_id, "form_version": self.form_version, "status": self.status,
            "current": self.current, "answers": _copy_answers(self.answers),
            "skipped": list(self.skipped), "history": list(self.history), "attempts": self.attempts,
        }
        if self.paused:
            data["paused"] = True  # only when set: a state that never paused keeps its shape
        return data

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ConversationState:
        """Rebuild a state from ``to_dict`` output; damaged parts fall back to a fresh start."""
        d = d if isinstance(d, dict) else {}

        def keys(value: Any) -> list[str]:
            return [str(k) for k in value] if isinstance(value, list) else []

        def number(value: Any, default: int) -> int:
            return value if isinstance(value, int) and not isinstance(value, bool) else default

        answers = d.get("answers")
        status = d.get("status")
        current = d.get("current")
        return cls(
            form_id=str(d.get("form_id") or ""), form_version=number(d.get("form_version"), 1),
            status=status if status in ("new", "asking", "complete", "stopped") else "new",
            current=current if isinstance(current, str) else None,
            answers=_copy_answers({str(k): v for k, v in answers.items()}) if isinstance(answers, dict) else {},
            skipped=keys(d.get("skipped")), history=keys(d.get("history")),
            attempts=number(d.get("attempts"), 0), paused=d.get("paused") is True,
        )

    def copy(self) -> ConversationState:
        """An independent copy (what a turn changes leaves the caller's state alone)."""
        return replace(self, answers=_copy_answers(self.answers), skipped=list(self.skipped),
                       history=list(self.history))

    @classmethod
    def new(cls, form: FormDefinition) -> ConversationState:
        """The state of a conversation that has not started."""
        return cls(form_id=form.id, form_version=form.version, status="new")


@dataclass(frozen=True)
class Choice:
    """One answer a respondent can pick: the value stored, the words shown, an emoji."""

    value: str
    label: str
    emoji: str | None = None


@dataclass(frozen=True)
class Prompt:
    """One question as this respondent sees it, ready for any channel to show."""

    key: str
    type: str
    text: str
    choices: tuple[Choice, ...]
    required: bool
    help: str | None
    scale_min: int | None
    scale_max: int | None
    low: str | None
    high: str | None
    number: int  # position among the questions this respondent will be asked
    total: int
    language: str = "en"


@dataclass
class Turn:
    """What one step of a conversation produced."""

    state: ConversationState
    messages: list[str] = field(default_factory=list)  # sent before the prompt
    prompt: Prompt | None = None
    recorded: dict[str, AnswerValue] = field(default_factory=dict)  # answers to store now
    cleared: list[str] = field(default_factory=list)  # stored answers to delete
    complete: bool = False
    command: str | None = None  # "stop" | "skip" | "back" | "help"
    error: str | None = None  # catalogue key of the re-ask
    signals: list[str] = field(default_factory=list)  # recorded keys whose answer signals danger
    language: str = "en"


# --- a call for help ---------------------------------------------------------------

# Words that ask a person for help, not for instructions ("help" alone is the SMS keyword,
# "what do I do" the engine's HELP): from a child each may be a cry for help, so it is
# answered with the helplines and raises an alert even when the screen finds nothing else.
_CALLS_FOR_HELP = frozenset({
    "help me", "help me please", "please help me", "please help", "pls help", "pls help me", "plz help",
    "plz help me", "i need help", "i need some help", "i need help please", "i need your help", "need help",
    "need help please", "somebody help me", "someone help me", "somebody help", "someone help",
    "can you help me", "can someone help me", "can anyone help me", "can somebody help me", "i want help",
    "i need someone", "help help", "help me now", "i need help now", "helpme", "sos",
    "helpwch fi", "help fi", "dwi angen help", "rwy angen help", "mae angen help arna i", "dwi angen cymorth",
})


def call_for_help(text: str | None) -> bool:
    """Whether a message asks a person for help ("help me", "I need help", "helpwch fi")."""
    words = " ".join(re.findall(r"[^\W_]+", (text or "").lower().replace("'", "").replace("\u2019", "")))
    return words in _CALLS_FOR_HELP


# --- catalogue and wording ---------------------------------------------------------


def text(key: str, language: str = "en", **values: object) -> str:
    """A catalogue text in a language (falling back to English); ``KeyError`` if unknown."""
    return catalogue.text(key, language, **values)


def written_date(day: date, language: str = "en", *, year: bool = True) -> str:
    """A date as people write it ("Tuesday 8 December 2026"; without the year "Tuesday 8
    December"), the day and month names from the catalogue."""
    days = text("date_days", language).split(",")
    months = text("date_months", language).split(",")
    words = f"{days[day.weekday()].strip()} {day.day} {months[day.month - 1].strip()}"
    return f"{words} {day.year}" if year else words


def _pick(texts: Texts | None, language: str) -> str | None:
    if not texts:
        return None
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), None)


def conversation_language(form: FormDefinition, respondent: Respondent) -> str:
    """The language a conversation runs in: the respondent's when the form has it, else English.

    Mixing a Welsh "Ie / Na" into an English question confuses more than it helps, so
    catalogue texts follow the language the form itself can speak.
    """
    language = respondent.language or "en"
    return language if language in form.intro else "en"


def _has_language(question: Question, respondent: Respondent) -> bool:
    variant = (question.variants or {}).get(age_band(respondent.age))
    return bool(question.text.get(respondent.language) or (variant and variant.get(respondent.language)))


def _question_text(question: Question, respondent: Respondent) -> str:
    band = age_band(respondent.age)
    variant = (question.variants or {}).get(band)
    lang = respondent.language
    for texts in (variant, question.text):  # the respondent's language first, then age wording
        if texts and texts.get(lang):
            return texts[lang]
    return _pick(variant, lang) or _pick(question.text, lang) or question.key


# --- which questions ---------------------------------------------------------------


def _matches(value: AnswerValue, wanted: list[str | int]) -> bool:
    wanted_str = {str(w) for w in wanted}
    items = value if isinstance(value, list) else [value]
    return any(str(item) in wanted_str for item in items)


def _shown(question: Question, respondent: Respondent, answers: dict[str, AnswerValue]) -> bool:
    rule = question.show_if
    if rule is None:
        return True
    if rule.age_band is not None and age_band(respondent.age) not in rule.age_band:
        return False
    if rule.review_type is not None and respondent.review_type not in rule.review_type:
        return False
    if rule.answer is not None:
        cond = rule.answer
        has = cond.key in answers
        value = answers.get(cond.key)
        if cond.answered is not None and has != cond.answered:
            return False
        if cond.in_ is not None and not (has and _matches(value, cond.in_)):
            return False
        if cond.not_in is not None and has and _matches(value, cond.not_in):
            return False
    return True


# (id(form), age band, review type, the answers the form's conditions read) -> (form, questions).
_VISIBLE: dict[tuple[Any, ...], tuple[FormDefinition, tuple[Question, ...]]] = {}
_RULE_KEYS: dict[int, tuple[FormDefinition, tuple[str, ...]]] = {}


def _rule_keys(form: FormDefinition) -> tuple[str, ...]:
    """The keys of the answers this form's show-if conditions read."""
    known = _RULE_KEYS.get(id(form))
    if known is None or known[0] is not form:
        keys = tuple(dict.fromkeys(q.show_if.answer.key for q in form.questions
                                   if q.show_if is not None and q.show_if.answer is not None))
        if len(_RULE_KEYS) > 256:
            _RULE_KEYS.clear()
        known = _RULE_KEYS[id(form)] = (form, keys)
    return known[1]


def visible_questions(form: FormDefinition, respondent: Respondent,
                      answers: dict[str, AnswerValue]) -> list[Question]:
    """The questions this respondent is asked, given the answers so far, in form order.

    A condition only sees answers to questions that are themselves shown, so hiding a
    question also hides the questions that depend on it. Remembered per form, age band,
    review type and the answers the conditions read: a turn asks several times over.
    """
    try:
        key = (id(form), age_band(respondent.age), respondent.review_type,
               *((k, k in answers, tuple(v) if isinstance(v := answers.get(k), list) else v)
                 for k in _rule_keys(form)))
        hash(key)
    except TypeError:  # a damaged stored state's answer: work it out
        return _visible_questions(form, respondent, answers)
    known = _VISIBLE.get(key)
    if known is None or known[0] is not form:
        if len(_VISIBLE) > 4096:
            _VISIBLE.clear()
        known = _VISIBLE[key] = (form, tuple(_visible_questions(form, respondent, answers)))
    return list(known[1])


def _visible_questions(form: FormDefinition, respondent: Respondent,
                       answers: dict[str, AnswerValue]) -> list[Question]:
    shown: list[Question] = []
    seen: dict[str, AnswerValue] = {}
    for question in form.questions:
        if _shown(question, respondent, seen):
            shown.append(question)
            if question.key in answers:
                seen[question.key] = answers[question.key]
    return shown


def next_question(form: FormDefinition, respondent: Respondent, answers: dict[str, AnswerValue],
                  skipped: list[str] | tuple[str, ...] | set[str]) -> Question | None:
    """The first shown question not yet answered or skipped (None when there is none)."""
    done = set(skipped)
    for question in visible_questions(form, respondent, answers):
        if question.key not in answers and question.key not in done:
            return question
    return None


def is_received(form: FormDefinition, respondent: Respondent, answers: dict[str, AnswerValue]) -> bool:
    """Whether a response counts as received (for return rates).

    Every shown required question is answered; a form without required questions needs
    at least one answer to a shown question.
    """
    visible = visible_questions(form, respondent, answers)
    required = [q for q in visible if q.required]
    if required:
        return all(q.key in answers for q in required)
    return any(q.key in answers for q in visible)


def answer_signals(question: Question, value: AnswerValue | None) -> bool:
    """Whether this answer is one the form marks as signalling danger."""
    signal = question.safeguarding
    if signal is None or value is None:
        return False
    if signal.values:
        items = value if isinstance(value, list) else [value]
        if any(str(item) in signal.values for item in items):
            return True
    if signal.at_most is not None and question.type == "scale" and not isinstance(value, list):
        try:
            return int(value) <= signal.at_most
        except (TypeError, ValueError):
            return False
    return False


# --- prompts -----------------------------------------------------------------------


def _choices(question: Question, language: str) -> tuple[Choice, ...]:
    if question.type == "yes_no":
        keys = ["yes", "no"] + (["not_sure"] if question.not_sure else [])
        return tuple(Choice(k, text(f"choice_{k}", language)) for k in keys)
    if question.type in ("single", "multi"):
        return tuple(Choice(o.key, _pick(o.text, language) or o.key) for o in question.options or [])
    if question.type == "feelings":
        return tuple(Choice(k, text(f"feeling_{k}", language), emoji) for k, emoji in FEELINGS.items())
    if question.type == "scale":
        spec = question.scale or ScaleSpec()
        return tuple(Choice(str(n), str(n)) for n in range(spec.min, spec.max + 1))
    return ()


def prompt_for(question: Question, respondent: Respondent, number: int, total: int) -> Prompt:
    """A question in the respondent's language and age wording, with its choices.

    A question not yet translated into the respondent's language is shown wholly in
    English (its choices and hints too).
    """
    language = respondent.language or "en"
    if language != "en" and not _has_language(question, respondent):
        language = "en"
    spec = (question.scale or ScaleSpec()) if question.type == "scale" else None
    return Prompt(
        key=question.key, type=question.type, text=_question_text(question, respondent),
        choices=_choices(question, language), required=question.required,
        help=_pick(question.help, language),
        scale_min=spec.min if spec else None, scale_max=spec.max if spec else None,
        low=_pick(spec.low, language) if spec else None, high=_pick(spec.high, language) if spec else None,
        number=number, total=total, language=language,
    )


def _prompt(form: FormDefinition, respondent: Respondent, state: ConversationState) -> Prompt | None:
    if state.current is None:
        return None
    visible = visible_questions(form, respondent, state.answers)
    for index, question in enumerate(visible):
        if question.key == state.current:
            return prompt_for(question, respondent, index + 1, len(visible))
    return None


def _question(form: FormDefinition, key: str | None) -> Question | None:
    for question in form.questions:
        if question.key == key:
            return question
    return None


# --- turns -------------------------------------------------------------------------


def _hidden_keys(form: FormDefinition, respondent: Respondent, state: ConversationState) -> list[str]:
    """Answered or skipped keys whose question is no longer shown (an earlier answer changed)."""
    visible = {q.key for q in visible_questions(form, respondent, state.answers)}
    return [k for k in [*state.answers, *state.skipped] if k not in visible]


def _drop(state: ConversationState, keys: list[str]) -> None:
    for key in keys:
        state.answers.pop(key, None)
    state.skipped = [k for k in state.skipped if k not in keys]
    state.history = [k for k in state.history if k not in keys]


def _advance(form: FormDefinition, respondent: Respondent, turn: Turn) -> Turn:
    """Point the state at the next question, or finish with the thanks message."""
    state = turn.state
    question = next_question(form, respondent, state.answers, state.skipped)
    state.attempts = 0
    if question is None:
        state.status = "complete"
        state.current = None
        turn.prompt = None
        turn.complete = True
        turn.messages.append(_pick(form.thanks, turn.language) or "")
        return turn
    state.status = "asking"
    state.current = question.key
    turn.prompt = _prompt(form, respondent, state)
    return turn


def start(form: FormDefinition, respondent: Respondent, state: ConversationState | None = None) -> Turn:
    """Begin (intro, privacy notice, first question) or resume ("welcome back") a conversation."""
    language = conversation_language(form, respondent)
    state = state.copy() if state is not None else ConversationState.new(form)
    state.form_id, state.form_version = form.id, form.version
    state.paused = False  # starting again shows the question: nothing waits any more
    turn = Turn(state=state, language=language)
    if state.status == "complete":
        turn.messages.append(text("already_complete", language))
        return turn
    hidden = _hidden_keys(form, respondent, state)
    _drop(state, hidden)
    turn.cleared = hidden
    if state.answers or state.skipped:
        turn.messages.append(text("welcome_back", language))
    else:
        turn.messages.append(_pick(form.intro, language) or "")
        turn.messages.append(text("privacy_notice", language))
    # Resuming on the question that was awaiting a reply keeps "back" history intact.
    current = _question(form, state.current)
    if current is not None and current.key not in state.answers and current.key not in state.skipped and \
            any(q.key == current.key for q in visible_questions(form, respondent, state.answers)):
        state.status = "asking"
        state.attempts = 0
        turn.prompt = _prompt(form, respondent, state)
        return turn
    return _advance(form, respondent, turn)


def reply(form: FormDefinition, respondent: Respondent, state: ConversationState, text: str) -> Turn:
    """Handle one inbound text: a command (skip, back, help, stop) or an answer to ``current``."""
    language = conversation_language(form, respondent)
    if state is None or state.status in ("new", "stopped") or state.current is None:
        if state is not None and state.status == "complete":
            return Turn(state=state.copy(), messages=[catalogue.text("already_complete", language)],
                        language=language)
        return start(form, respondent, state)
    state = state.copy()
    paused, state.paused = state.paused, False
    turn = Turn(state=state, language=language)
    hidden = _hidden_keys(form, respondent, state)
    _drop(state, hidden)
    turn.cleared = list(hidden)
    question = _question(form, state.current)
    visible = {q.key for q in visible_questions(form, respondent, state.answers)}
    if question is None or question.key not in visible or question.key in state.answers:
        return _advance(form, respondent, turn)  # the form or earlier answers changed

    command = parse_command(text)
    if paused and command is None:
        # Writing again after the caring reply: ask the question that waited. What they wrote
        # is not taken as its answer (they have not seen it since); a command still counts.
        turn.prompt = _prompt(form, respondent, state)
        return turn
    if command == "stop":
        state.status = "stopped"
        turn.command = "stop"
        turn.messages.append(catalogue.text("stopped", language))
        return turn
    if command == "help":
        turn.command = "help"
        turn.messages.append(_pick(question.help, language) or catalogue.text("help_general", language))
        turn.prompt = _prompt(form, respondent, state)
        return turn
    if command == "skip":
        turn.command = "skip"
        if question.required:
            turn.messages.append(catalogue.text("cannot_skip", language))
            turn.error = "cannot_skip"
            turn.prompt = _prompt(form, respondent, state)
            return turn
        state.skipped.append(question.key)
        state.history.append(question.key)
        return _advance(form, respondent, turn)
    if command == "back":
        turn.command = "back"
        while state.history and state.history[-1] not in visible:
            state.history.pop()
        if not state.history:
            turn.messages.append(catalogue.text("back_at_start", language))
            turn.prompt = _prompt(form, respondent, state)
            return turn
        previous = state.history.pop()
        state.answers.pop(previous, None)
        state.skipped = [k for k in state.skipped if k != previous]
        turn.cleared.append(previous)
        # Answers that only showed because of the one being changed go too.
        more = _hidden_keys(form, respondent, state)
        _drop(state, more)
        turn.cleared.extend(k for k in more if k not in turn.cleared)
        state.current = previous
        state.attempts = 0
        turn.messages.append(catalogue.text("going_back", language))
        turn.prompt = _prompt(form, respondent, state)
        return turn

    if not (text or "").strip():
        # An empty reply (a button from an older question): show the question again.
        turn.prompt = _prompt(form, respondent, state)
        return turn
    parsed = parse_answer(question, text, respondent.language or "en", respondent)
    if not parsed.ok:
        state.attempts += 1
        turn.error = parsed.error
        turn.messages.append(_error_text(question, parsed.error or "", language))
        if state.attempts >= REASKS_BEFORE_HINT:
            turn.messages.append(catalogue.text("hint_help" if question.required else "hint_skip", language))
        turn.prompt = _prompt(form, respondent, state)
        return turn

    value = parsed.value
    state.answers[question.key] = value
    state.skipped = [k for k in state.skipped if k != question.key]
    state.history = [k for k in state.history if k != question.key] + [question.key]
    turn.recorded[question.key] = value
    if answer_signals(question, value):
        turn.signals.append(question.key)
    hidden = _hidden_keys(form, respondent, state)
    _drop(state, hidden)
    turn.cleared.extend(k for k in hidden if k not in turn.cleared)
    return _advance(form, respondent, turn)


def _error_text(question: Question, key: str, language: str) -> str:
    spec = question.scale or ScaleSpec()
    return text(key, language, min=spec.min, max=spec.max if question.type == "scale" else question.max_length,
                count=len(question.options or []))


# --- SMS -----------------------------------------------------------------------------

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def sms_segments(message: str) -> int:
    """How many SMS segments a text takes (GSM-7: 160 / 153 per part; else UCS-2: 70 / 67)."""
    used = set(message)  # by the set of characters: a loop per character cost more than the turn
    if used <= GSM7_ALL:
        units = len(message) + sum(message.count(ch) for ch in used & GSM7_EXTENSION)
        single, multi = 160, 153
    else:
        # surrogatepass: a lone surrogate (which no provider sends, but a string may hold)
        # counts as the one UCS-2 unit it is, instead of raising.
        units = len(message.encode("utf-16-le", "surrogatepass")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return math.ceil(units / multi)


def split_sms(message: str, max_segments: int = MAX_SMS_SEGMENTS) -> list[str]:
    """Cut a text into messages of at most ``max_segments`` segments, at line, sentence or word ends."""
    if sms_segments(message) <= max_segments:
        return [message]
    for pattern in (r"\n\s*\n", r"\n", r"(?<=[.!?])\s+", r" "):
        pieces = [p for p in re.split(pattern, message) if p.strip()]
        if len(pieces) < 2:
            continue
        joiner = "\n\n" if pattern == r"\n\s*\n" else ("\n" if pattern == r"\n" else " ")
        chunks: list[str] = []
        for piece in pieces:
            candidate = f"{chunks[-1]}{joiner}{piece}" if chunks else piece
            if chunks and sms_segments(candidate) <= max_segments:
                chunks[-1] = candidate
            else:
                chunks.append(piece)
        return [part for chunk in chunks for part in split_sms(chunk, max_segments)]
    # One unbroken run of characters: cut it where the next character would not fit.
    parts = [""]
    for ch in message:
        if parts[-1] and sms_segments(parts[-1] + ch) > max_segments:
            parts.append("")
        parts[-1] += ch
    return parts


def render_sms(prompt: Prompt, language: str = "en") -> str:
    """A prompt as one plain text: question, numbered choices or how to answer, SKIP hint."""
    if not language or (language == "en" and prompt.language):
        language = prompt.language or "en"  # the prompt knows its respondent's language
    lines = [f"{prompt.text} {text('progress', language, number=prompt.number, total=prompt.total)}"
             if prompt.total > 1 else prompt.text]
    if prompt.type == "scale":
        if prompt.low and prompt.high:
            lines.append(text("scale_hint_words", language, min=prompt.scale_min, max=prompt.scale_max,
                              low=prompt.low, high=prompt.high))
        else:
            lines.append(text("scale_hint", language, min=prompt.scale_min, max=prompt.scale_max))
    elif prompt.type == "text":
        lines.append(text("text_hint", language))
    elif prompt.choices:
        numbered = "  ".join(
            f"{i} {c.emoji + ' ' if c.emoji else ''}{c.label}" for i, c in enumerate(prompt.choices, start=1)
        )
        lines.append(numbered)
        if prompt.type == "multi":
            lines.append(text("multi_hint", language))
        elif prompt.type == "feelings":
            lines.append(text("feelings_hint", language))
    if not prompt.required:
        lines.append(text("skip_hint", language))
    return "\n".join(lines)


def render_text(turn: Turn, channel: str) -> list[str]:
    """The texts one turn sends on a text-only channel: its messages, then the prompt.

    On ``"sms"`` every text is kept within three segments (longer ones are split).
    """
    texts = [m for m in turn.messages if m and m.strip()]
    if turn.prompt is not None:
        texts.append(render_sms(turn.prompt, turn.prompt.language))
    if channel != "sms":
        return texts
    return [part for message in texts for part in split_sms(message)]
