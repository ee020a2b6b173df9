"""Take names, phone numbers, emails, addresses, postcodes and schools out of an answer.

``redact(text, known_names)`` returns ``Redacted(text, removed)``: the text with each
personal detail replaced by a placeholder ("[name]", "[phone]", "[email]", "[address]",
"[postcode]", "[school]") and ``removed`` listing ``(kind, original)`` pairs in order
of appearance, for the person approving a quote (never for logs).

What counts as a name:
- the known names (child, carers, IRO from the record): case-insensitive, whole word,
  each part of a full name too, so "Sam's" becomes "[name]'s";
- a title and the word after it ("Mr Smith" -> "Mr [name]"; "miss" only before a
  capitalised word or a known first name, so "i miss my mum" stays);
- the word after "called" / "named" / "my friend" / "my mate" ... when it is capitalised
  or is a first name that is not an English word;
- any word in the first-name list (gender-guesser's name dictionary: names used in
  Great Britain, Ireland or the USA, or common elsewhere, plus ``EXTRA_NAMES``) when it
  is capitalised inside a sentence, when it starts a sentence and is not a common English
  word, or when it is typed in lower case and is not an English word (TextBlob's
  lexicon decides what is English).
Words that matter in this service are never names (``KEEP``: mum, nan, IRO, Childline ...),
and public helpline numbers (Childline 0800 1111) are not personal details.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import phonenumbers

PLACEHOLDERS: dict[str, str] = {
    "name": "[name]", "phone": "[phone]", "email": "[email]", "address": "[address]",
    "postcode": "[postcode]", "school": "[school]",
}

# Never taken out, whatever the name list says.
KEEP: frozenset[str] = frozenset({
    "i", "im", "me", "my", "mum", "mam", "mom", "mummy", "dad", "daddy", "nan", "nana", "nanna", "nanny",
    "gran", "granny", "grandad", "grandma", "grandpa", "bro", "sis", "iro", "iros", "childline",
    "sw", "ok", "okay", "lol", "xbox", "fifa", "snap", "snapchat", "insta", "tiktok", "carer", "carers",
    "foster", "school", "college", "review", "god", "jesus", "christmas", "easter", "eid", "diwali",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "english", "british", "england", "scotland", "wales", "ireland",
    "uk", "nhs", "camhs", "pe", "it", "tv", "yes", "no", "hi", "hey", "thanks", "thank", "please",
    "miss", "sir", "mr", "mrs", "ms", "dr", "teacher", "brother", "sister", "aunty", "auntie", "uncle",
    "cousin", "friend", "mate", "mates", "dog", "cat", "lady", "man", "boy", "girl", "sorry", "idk",
    "dunno", "cos", "cuz", "bc", "u", "ur", "ya", "gonna", "wanna", "nothing", "everything",
    "everyone", "someone", "anyone", "nobody", "social", "worker", "key",
    # apostrophe-less spellings that the name list happens to hold
    "theres", "thats", "whats", "wheres", "heres", "lets", "its", "dont", "didnt", "doesnt", "cant",
    "wont", "isnt", "wasnt", "arent", "werent", "couldnt", "shouldnt", "wouldnt", "havent", "hasnt",
    "ive", "id", "ill", "youre", "youve", "theyre", "hes", "shes", "were", "gunna", "kinda", "sorta",
})

# Names children here use that the dictionary lacks.
EXTRA_NAMES: frozenset[str] = frozenset({
    "alfie", "kayden", "jayden", "kaiden", "brayden", "mckenzie", "tyler", "kacey", "kacie", "lacey",
    "ellie", "evie", "maisie", "millie", "tilly", "poppy", "lexi", "lexie", "macey", "kenzie",
    "demi", "jaxon", "jaxson", "leyton", "rhys", "reece", "kian", "keiran", "kieran", "cody", "codey",
})

_TITLE_STRICT = r"(?:mr|mrs|ms|mx|dr|prof)"
_RELATIONS = (r"(?:best |little |big |older |younger |baby |step |foster |old |new )?(?:friend|mate|bestie|"
              r"brother|sister|cousin|boyfriend|girlfriend|bf|gf|carer|social worker|sw|teacher|keyworker|"
              r"key worker|uncle|aunt|auntie|aunty|dog|cat|puppy|hamster|worker|iro|support worker|"
              r"personal adviser|pa|mentor|sibling|son|daughter|baby|partner)s?")
_NAME_WORD = r"[A-Za-z][A-Za-z'\u2019-]*"
_STREET = (r"(?:road|rd|street|st|avenue|ave|close|lane|ln|drive|dr|way|crescent|cres|court|ct|place|pl"
           r"|grove|gardens|gdns|terrace|park|hill|view|walk|mews|square|sq|row|green|rise|parade|"
           r"boulevard|estate)")
_NOT_STREET_WORD = (r"(?!(?:the|to|a|an|and|in|at|of|my|on|for|with|or|is|was|times|hours|days|weeks|months"
                    r"|years|minutes|people|friends|brothers|sisters|kids|children|of|i|we|you|he|she|they"
                    r"|go|went|going|it|its|our|your|their|his|her|this|that)\b)")

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_LOOSE_PHONE = re.compile(r"(?<![\w+])(?:\+\s?44\s?\(?0?\)?|\(?0)\s?\d(?:[\s-]?\(?\d\)?){8,9}(?!\d)")
_POSTCODE = re.compile(r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\b")
_ADDRESS_NUMBERED = re.compile(
    rf"\b\d{{1,4}}[a-z]?,?\s+(?:{_NOT_STREET_WORD}[A-Za-z'\u2019-]+\s+){{1,3}}{_STREET}\b", re.IGNORECASE)
_ADDRESS_NAMED = re.compile(
    r"\b(?:(?!(?:My|The|A|An|I|In|At|On|To|Our|Their|His|Her)\b)[A-Z][a-z'\u2019-]+\s+){1,3}"
    r"(?:Road|Street|Avenue|Close|Lane|Drive|Way|Crescent|Court|Grove|Gardens|Terrace|Mews|Rise|Parade)\b")
_ADDRESS_AFTER_LIVE = re.compile(
    rf"\b(?:live|lives|lived|living|stay|stays|stayed|staying|moved)\s+(?:on|at|in|to)\s+"
    rf"((?:{_NOT_STREET_WORD}[a-z'\u2019-]+\s+){{1,3}}{_STREET})\b", re.IGNORECASE)
_SCHOOL_WORDS = (r"(?:primary school|primary academy|primary|infant school|infants|junior school|juniors"
                 r"|high school|secondary school|grammar school|community school|academy|college"
                 r"|sixth form|school|free school)")
_SCHOOL_CAPITALISED = re.compile(
    r"\b(?:(?:St\.?|Saint)\s+)?(?:(?!(?:My|The|A|An|I|In|At|To|Our|Their|His|Her|Your|This|That|New|Old"
    r"|Big|Little|Next|Last|Secondary|Primary|High|Sixth|Special|Local|Boarding|Private|Catholic)\b)"
    r"[A-Z][\w'\u2019&-]*\s+){1,4}(?:C of E |CE |RC )?"
    r"(?:Primary School|Primary Academy|Primary|Infant School|Infants|Junior School|Juniors|High School"
    r"|Secondary School|Grammar School|Community School|Academy|College|Sixth Form|School|Free School)\b")
_SCHOOL_LOWER = re.compile(
    rf"\b((?:st\s+)?(?:[a-z'\u2019-]+\s+){{1,2}}?)({_SCHOOL_WORDS})\b")
_TITLED = re.compile(rf"\b((?i:{_TITLE_STRICT}))\.?\s+({_NAME_WORD})(?:\s+([A-Z][a-z'\u2019-]+))?")
_MISS = re.compile(rf"\b(miss|sir)\s+({_NAME_WORD})", re.IGNORECASE)
_AFTER_CUE = re.compile(
    rf"\b(?:called|named|name is|my\s+{_RELATIONS}|me and)\s+({_NAME_WORD})",
    re.IGNORECASE)
_AFTER_MY = re.compile(r"\bmy\s+([A-Z][a-z'\u2019-]+)")
_SURNAME_AFTER = re.compile(r"[ \t]+([A-Z][a-z'\u2019]+(?:-[A-Z][a-z]+)?)\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z\u2019'-]*[A-Za-z]|[A-Za-z]")

# Public numbers that are help, not personal details (digits only).
HELPLINES: frozenset[str] = frozenset({"08001111", "116123", "08088005000", "111", "999", "08000121700"})


@dataclass(frozen=True)
class Redacted:
    """An answer with personal details replaced, and what was taken out."""

    text: str
    removed: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Lower-case first names: used in GB, Ireland or the USA, or common anywhere (gender-guesser)."""
    names: set[str] = set(EXTRA_NAMES)
    try:
        data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
        with data.open(encoding="utf-8") as handle:
            for line in handle:
                if not line or line[0] in "#=":
                    continue
                parts = line.split()
                if len(parts) < 2:
                    continue
                values = [int(c, 16) if c in "0123456789ABCDEF" else 0 for c in line[30:-1]]
                name = parts[1].replace("+", "").lower()
                if name.isalpha() and (max(values[:3], default=0) > 0 or max(values, default=0) >= 5):
                    names.add(name)
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - dependency missing
        pass
    return frozenset(names - KEEP)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case English words from TextBlob's bundled lexicon (what is not a name in lower case)."""
    words: set[str] = set()
    data = resources.files("textblob").joinpath("en/en-lexicon.txt")
    with data.open(encoding="utf-8") as handle:
        for line in handle:
            word = line.split(" ", 1)[0]
            if word.islower() and word.isalpha():
                words.add(word)
    return frozenset(words)


@lru_cache(maxsize=1)
def _word_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    data = resources.files("textblob").joinpath("en/en-spelling.txt")
    with data.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
    return counts


@lru_cache(maxsize=1)
def _text_speak() -> frozenset[str]:
    # Misspellings and text-speak the safeguarding screen knows ("kil", "scard") are words, not names.
    from surveys.safeguarding import SPELLINGS

    return frozenset(SPELLINGS)


def _is_common(word: str) -> bool:
    return word.lower() in english_words() or word.lower() in KEEP


def _looks_like_name(word: str, *, capitalised_context: bool) -> bool:
    low = word.lower().replace("\u2019", "'")
    if low.endswith("'s"):
        low = low[:-2]
    if not low or low in KEEP:
        return False
    if word[:1].isupper():
        return low in first_names() or not _is_common(low) if capitalised_context else low in first_names()
    return low in first_names() and not _is_common(low) and low not in _text_speak()


class _Spans:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[tuple[int, int, str]] = []

    def add(self, start: int, end: int, kind: str) -> None:
        if start >= end:
            return
        if any(start < e and s < end for s, e, _k in self.spans):
            return
        self.spans.append((start, end, kind))

    def extend_surnames(self) -> None:
        """A capitalised word right after a redacted name is its surname ("Fred Whiston")."""
        for index, (start, end, kind) in enumerate(list(self.spans)):
            if kind != "name":
                continue
            match = _SURNAME_AFTER.match(self.text, end)
            if match and not _is_common(match.group(1)) and match.group(1).lower() not in KEEP:
                new_end = match.end(1)
                if not any(end < e and s < new_end for s, e, _k in self.spans):
                    self.spans[index] = (start, new_end, kind)

    def render(self) -> Redacted:
        out: list[str] = []
        removed: list[tuple[str, str]] = []
        last = 0
        for start, end, kind in sorted(self.spans):
            out.append(self.text[last:start])
            out.append(PLACEHOLDERS[kind])
            removed.append((kind, self.text[start:end]))
            last = end
        out.append(self.text[last:])
        return Redacted("".join(out), removed)


def _phones(text: str, spans: _Spans) -> None:
    try:
        for match in phonenumbers.PhoneNumberMatcher(text, "GB"):
            digits = re.sub(r"\D", "", match.raw_string)
            if digits not in HELPLINES:
                spans.add(match.start, match.end, "phone")
    except Exception:  # noqa: BLE001 - the loose pattern below still runs
        pass
    for match in _LOOSE_PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if digits not in HELPLINES:
            spans.add(match.start(), match.end(), "phone")


def _known(text: str, known_names: Iterable[str], spans: _Spans) -> None:
    wanted: set[str] = set()
    for full in known_names:
        full = " ".join(str(full or "").split())
        if not full or full.lower() in KEEP:  # "Iro" from iro@council.gov.uk is not a name
            continue
        wanted.add(full)
        for part in re.split(r"[\s-]+", full):
            part = part.strip(".,'\u2019")
            if len(part) >= 2 and part.lower() not in KEEP:
                wanted.add(part)
    for name in sorted(wanted, key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])", re.IGNORECASE)
        for match in pattern.finditer(text):
            spans.add(match.start(), match.end(), "name")


def _names(text: str, spans: _Spans) -> None:
    for match in _TITLED.finditer(text):
        if not _is_stop(match.group(2)):
            end = match.end(3) if match.group(3) else match.end(2)
            spans.add(match.start(2), end, "name")
    for match in _MISS.finditer(text):
        word = match.group(2)
        if word[:1].isupper() and match.group(1)[:1].isupper() or _looks_like_name(word, capitalised_context=False):
            spans.add(match.start(2), match.end(2), "name")
    for match in _AFTER_CUE.finditer(text):
        word = match.group(1)
        if word[:1].isupper() and not _is_stop(word) and word.lower() not in KEEP:
            spans.add(match.start(1), match.end(1), "name")
        elif _looks_like_name(word, capitalised_context=False):
            spans.add(match.start(1), match.end(1), "name")
    for match in _AFTER_MY.finditer(text):
        word = match.group(1)
        if word.lower() not in KEEP and not _is_common(word):
            spans.add(match.start(1), match.end(1), "name")
    for match in _WORD.finditer(text):
        word = match.group(0)
        j = match.start() - 1
        while j >= 0 and text[j].isspace():
            j -= 1
        sentence_start = j < 0 or text[j] in ".!?\n"
        low = word.lower().replace("\u2019", "'")
        base = low[:-2] if low.endswith("'s") else low
        if base in KEEP or len(base) < 2:
            continue
        if word[:1].isupper() and not word.isupper():
            if base not in first_names():
                continue
            if sentence_start and _word_counts().get(base, 0) >= 100:
                continue
            end = match.end() - (2 if low.endswith("'s") else 0)
            spans.add(match.start(), end, "name")
        elif word.islower() and base in first_names() and not _is_common(base) and base not in _text_speak():
            end = match.end() - (2 if low.endswith("'s") else 0)
            spans.add(match.start(), end, "name")


def _is_stop(word: str) -> bool:
    return word.lower() in {"my", "the", "a", "an", "and", "is", "was", "he", "she", "they", "me", "i", "it",
                            "to", "at", "in", "on", "of", "so", "but", "or", "you", "we", "her", "him", "his"}


def _schools(text: str, spans: _Spans) -> None:
    for match in _SCHOOL_CAPITALISED.finditer(text):
        spans.add(match.start(), match.end(), "school")
    for match in _SCHOOL_LOWER.finditer(text):
        words = match.group(1).split()
        # Keep only the words just before the school word that are not English words.
        keep_from = len(words)
        while keep_from > 0 and (not _is_common(words[keep_from - 1]) or words[keep_from - 1] == "st"):
            keep_from -= 1
        if keep_from < len(words):
            if keep_from > 0 and words[keep_from - 1] == "st":
                keep_from -= 1
            prefix = " ".join(words[keep_from:])
            start = match.start(1) + match.group(1).rfind(prefix) if prefix else match.start(2)
            spans.add(start, match.end(), "school")


def redact(text: str, known_names: Iterable[str] = ()) -> Redacted:
    """Replace personal details with placeholders; never raises on any text."""
    text = text or ""
    if not text.strip():
        return Redacted(text, [])
    spans = _Spans(text)
    for match in _EMAIL.finditer(text):
        spans.add(match.start(), match.end(), "email")
    _phones(text, spans)
    for match in _POSTCODE.finditer(text):
        if any(c.isdigit() for c in match.group(0)) and not match.group(0).lower().startswith(("pn", "cla")):
            spans.add(match.start(), match.end(), "postcode")
    for pattern in (_ADDRESS_NUMBERED, _ADDRESS_NAMED):
        for match in pattern.finditer(text):
            spans.add(match.start(), match.end(), "address")
    for match in _ADDRESS_AFTER_LIVE.finditer(text):
        spans.add(match.start(1), match.end(1), "address")
    _schools(text, spans)
    _known(text, known_names, spans)
    _names(text, spans)
    spans.extend_surnames()
    return spans.render()
