"""Turn what a respondent typed into a canonical answer, the way children actually type.

``parse_answer`` never raises: it returns ``Parsed(ok=True, value=...)`` or
``Parsed(ok=False, error=<catalogue key of a friendly re-ask>)``. Canonical values:
yes_no -> "yes" | "no" | "not_sure"; scale -> int; single -> option key; multi and
feelings -> list of keys (no duplicates, in the order typed); text -> stripped text.
Replies pressed on a button (the stored value itself: "yes", "7", an option key) parse
the same way as typed ones.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from surveys.schema import FEELINGS, Question, ScaleSpec

AnswerValue = str | int | list[str]

# Catalogue keys of the re-asks (tests check each exists in en.yaml).
ERROR_KEYS: tuple[str, ...] = (
    "reask_yes_no", "reask_yes_no_sure", "reask_scale", "reask_scale_range", "reask_scale_one",
    "reask_single", "reask_multi", "reask_feelings", "reask_text_empty", "reask_text_long",
)


@dataclass(frozen=True)
class Parsed:
    """The result of parsing one reply: a value, or the catalogue key of a re-ask."""

    ok: bool
    value: AnswerValue | None = None
    error: str | None = None


# --- normalising -----------------------------------------------------------------

_SKIN_TONES = re.compile("[\U0001F3FB-\U0001F3FF]")
_INVISIBLE = re.compile("[\uFE0E\uFE0F\u200D\u20E3]")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, no emoji modifiers, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = _SKIN_TONES.sub("", _INVISIBLE.sub("", text))
    return " ".join(text.lower().split())


def _words(text: str) -> list[str]:
    """Words and numbers (apostrophes dropped: "don't" -> "dont")."""
    return re.findall(r"[^\W_]+", text.replace("'", ""))


def _plain(text: str) -> str:
    """Only words and numbers, single spaces (for matching phrases and labels)."""
    return " ".join(_words(normalise(text)))


# --- commands --------------------------------------------------------------------

_COMMANDS: dict[str, str] = {}
for _command, _phrases in {
    "skip": ("skip", "pass", "next", "skip it", "skip this", "skip this one", "skip question",
             "skip please", "pass please", "next question", "next one", "hepgor"),
    "back": ("back", "previous", "prev", "go back", "back please", "undo", "last question",
             "previous question", "nol", "yn ol"),
    # Not "help me" / "I need help": from a child those may be a cry for help, so they are
    # kept as answers (and screened) instead of being read as a request for instructions.
    "help": ("help", "help please", "what do i do", "helpp", "cymorth", "how do i answer"),
    "stop": ("stop", "quit", "exit", "stop it", "stop please", "please stop", "end",
             "cancel", "unsubscribe", "stopall", "stop all", "stop messaging me", "stop texting me",
             "i want to stop", "stopio"),
}.items():
    for _phrase in _phrases:
        _COMMANDS[_phrase] = _command


def parse_command(text: str) -> str | None:
    """The command a reply gives ("skip", "back", "help", "stop") or None for an answer."""
    norm = normalise(text)
    if not norm:
        return None
    if norm.strip("?!. ") == "" and "?" in norm:
        return "help"
    if norm.startswith("/"):  # Telegram: /stop, /stop@HaveYourSayBot
        norm = norm[1:].split("@", 1)[0]
    words = " ".join(_words(norm))
    return _COMMANDS.get(words)


# --- yes / no --------------------------------------------------------------------

_YES_EXACT = {
    "yes", "y", "yeah", "yea", "yep", "ya", "yh", "ye", "yess", "yup", "yas", "yah", "aye",
    "sure", "ok", "okay", "k", "kk", "okey", "oki", "definitely", "of course", "ofc", "correct",
    "true", "yes please", "i did", "i do", "i was", "it was", "always", "totally", "absolutely",
    "yeh", "yus", "ja", "si", "ie", "do", "oedd", "yes i did", "yes i do", "mostly", "1",
    "defo", "deffo", "def", "obvs", "obviously", "probably", "probs", "prob", "yez", "think so",
    "i think so", "i guess", "i guess so", "i suppose", "i suppose so", "alright", "fine", "yes mostly",
    "\U0001F44D", "\u2705", "\u2714", "\U0001F44C", "\u2611",
}
_NO_EXACT = {
    "no", "n", "nah", "nope", "no way", "naw", "nay", "never", "not really", "not at all",
    "no thanks", "no thank you", "na", "nae", "noo", "i didnt", "i dont", "it wasnt", "i wasnt",
    "no i didnt", "no i dont", "nop", "nup", "nö", "probably not", "prob not", "probs not",
    "of course not", "not yet", "no chance", "hell no", "2", "\U0001F44E", "\u274C", "\u2716", "\u274E",
}
_NOT_SURE_EXACT = {
    "not sure", "dunno", "idk", "maybe", "dont know", "i dont know", "i dunno", "unsure",
    "not really sure", "kind of", "kinda", "sort of", "sorta", "a bit", "possibly", "perhaps",
    "dk", "dno", "donno", "im not sure", "i am not sure", "no idea", "not sure really",
    "sometimes", "a little", "idek", "ddim yn siwr", "not always", "dont no", "i dont no", "dont kno",
    "not shure", "not sur", "idc", "i dont mind", "hmm", "hmmm", "3", "\U0001F937",
}
_NOT_SURE_PHRASES = ("not sure", "dont know", "dunno", "idk", "maybe", "unsure", "no idea",
                     "kind of", "sort of", "ddim yn siwr", "dont no", "not always", "not bad",
                     "not too bad")
# A reply opening with one of these says no ("not safe", "dont feel listened to").
_NEGATIVE_OPENERS = {"not", "dont", "didnt", "doesnt", "never", "nobody", "nothing", "cant", "wasnt",
                     "isnt", "havent", "aint", "wont", "nt"}
_YES_CORE = {"yes", "y", "yeah", "yea", "yep", "ya", "yh", "ye", "yess", "yup", "yas", "yah",
             "aye", "yeh", "ie", "\U0001F44D"}
# Words that mean yes when they open a reply ("ok I think so") but not inside one ("no I'm ok").
_YES_LEAD = _YES_CORE | {"sure", "ok", "okay", "definitely", "course", "totally", "always"}
_NO_WORDS = {"no", "n", "nah", "nope", "naw", "nay", "never", "na", "noo", "\U0001F44E"}
_YES_RE = re.compile(r"y+e+s+|ye+a+h*|ye+p+|ya+s+|ye+s+h*")
_NO_RE = re.compile(r"no+|na+h+|no+pe+")

# Welsh answers yes and no with the verb of the question ("Ydw" I am, "Nac ydw" I am not,
# "Do"/"Naddo" for the past, "Oes"/"Nac oes" there is); none of these is an English word.
_YES_EXACT |= {"ydw", "ydy", "ydi", "ydyn", "ydan", "yndw", "yndi", "oes", "oedd", "ydw i", "ia", "wrth gwrs",
               "ydw wir", "ie wir", "do wir"}
_NO_EXACT |= {"naddo", "nage", "nac ydw", "nag ydw", "nac ydy", "nag ydy", "nac ydi", "nac ydyn", "nac oes",
              "nag oes", "nac oedd", "nag oedd", "dim o gwbl", "ddim o gwbl", "na dim"}
_NOT_SURE_EXACT |= {"dwn i ddim", "dwnim", "dw i ddim yn gwybod", "dwi ddim yn gwybod", "ddim yn gwybod",
                    "efallai", "falle", "weithiau", "dim yn siwr", "ychydig bach"}
_NOT_SURE_PHRASES += ("dwn i ddim", "ddim yn gwybod", "dim yn siwr")
_YES_CORE |= {"ydw", "ydy", "ydi", "yndw", "oes"}
_YES_LEAD |= {"ydw", "ydy", "ydi", "yndw", "oes"}
_NO_WORDS |= {"naddo", "nage"}
# "nac ydw" / "nag oes": the verb after nac/nag is negated, so it must not count as a yes.
_WELSH_NEGATED = re.compile(r"(^|[^\w'])na[cg]\s+(ydw|ydy|ydi|ydyn|ydan|oes|oedd)(?![\w'])")


def _fold(text: str) -> str:
    """Accents off (siŵr -> siwr): phones and children type Welsh with or without them."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _yes_no_class(norm: str) -> str | None:
    norm = _WELSH_NEGATED.sub(r"\1na", _fold(norm))
    plain = " ".join(_words(norm))
    symbols = "".join(ch for ch in norm if not ch.isalnum() and not ch.isspace() and ch not in "!.?,'")
    candidates = [plain, norm, symbols] if not plain else [plain, norm]
    for candidate in candidates:
        if not candidate:
            continue
        if candidate in _NOT_SURE_EXACT:
            return "not_sure"
        if candidate in _YES_EXACT or _YES_RE.fullmatch(candidate):
            return "yes"
        if candidate in _NO_EXACT or _NO_RE.fullmatch(candidate):
            return "no"
    if any(re.search(rf"(^| ){re.escape(p)}( |$)", plain) for p in _NOT_SURE_PHRASES):
        return "not_sure"
    if re.search(r"(^| )((not|nt|nah|no) (really|rlly|rly|realy)|no way|not at all|dont think so|i didnt|i dont"
                 r"|probably not|prob not|course not)( |$)", plain):
        return "no"
    if re.search(r"(^| )(i think so|i did|i do)( |$)", plain) and not re.search(r"(^| )(no|not)( |$)", plain):
        return "yes"
    tokens = _words(norm) + [ch for ch in norm if ch in ("\U0001F44D", "\U0001F44E")]
    has_yes = any(t in _YES_CORE or _YES_RE.fullmatch(t) for t in tokens)
    has_no = any(t in _NO_WORDS or _NO_RE.fullmatch(t) for t in tokens)
    if has_yes and has_no:
        return "not_sure" if re.search(r"(^| )yes (and|or) no( |$)", plain) else None
    if not tokens:
        return None
    first = tokens[0]
    if first in _NEGATIVE_OPENERS:
        return "no"
    if has_no:
        # "no I'm ok" is no; "ok no" says both, so ask again rather than guess.
        return None if first in _YES_LEAD and first not in _YES_CORE else "no"
    if first in _YES_LEAD or _YES_RE.fullmatch(first) or has_yes:
        return "yes"
    return None


def _parse_yes_no(question: Question, text: str) -> Parsed:
    error = "reask_yes_no_sure" if question.not_sure else "reask_yes_no"
    found = _yes_no_class(normalise(text))
    if found is None or (found == "not_sure" and not question.not_sure):
        return Parsed(False, error=error)
    return Parsed(True, found)


# --- scale -----------------------------------------------------------------------

_NUMBER_WORDS = {
    "zero": 0, "none": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "twenty": 20, "fifty": 50, "hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9,
}
# Only for Welsh speakers: in English "naw" means no, and must never read as 9.
_NUMBER_WORDS_CY = {"un": 1, "dau": 2, "tri": 3, "pedwar": 4, "pump": 5, "chwech": 6, "saith": 7,
                    "wyth": 8, "naw": 9, "deg": 10}
_KEYCAP_TEN = "\U0001F51F"


def _parse_scale(question: Question, text: str, language: str = "en") -> Parsed:
    spec = question.scale or ScaleSpec()
    words = {**_NUMBER_WORDS, **_NUMBER_WORDS_CY} if language == "cy" else _NUMBER_WORDS
    norm = normalise(text).replace(_KEYCAP_TEN, " 10 ")
    norm = re.sub(r"\b(no|any|some|every) one\b", r"\1body", norm)  # "no one listens" holds no number
    norm = re.sub(r"[^\W\d_]+", lambda m: str(words.get(m.group(), m.group())), norm)
    norm = re.sub(r"(\d+)\.0+(?!\d)", r"\1", norm)  # "7.0"
    if re.search(r"(^|\s)-\s*\d", norm):
        return Parsed(False, error="reask_scale_range")  # "-3": below any scale
    # "7/10", "7 out of 10", "7 of 10": keep the first number only.
    norm = re.sub(r"(\d+)\s*(?:/|out of|outta|of)\s*\d+", r"\1", norm)
    if re.search(r"\d\s*[.,]\s*\d", norm):
        return Parsed(False, error="reask_scale_one")  # 6.5: ask for one whole number
    numbers = [int(n) if len(n) <= 4 else 10**4 for n in re.findall(r"\d+", norm)]
    distinct = list(dict.fromkeys(numbers))
    if not distinct:
        return Parsed(False, error="reask_scale")
    if len(distinct) > 1:
        return Parsed(False, error="reask_scale_one")
    value = distinct[0]
    if not spec.min <= value <= spec.max:
        return Parsed(False, error="reask_scale_range")
    return Parsed(True, value)


# --- single / multi --------------------------------------------------------------

_STOPWORDS = {"a", "an", "the", "i", "to", "of", "and", "or", "in", "on", "at", "it", "my", "me",
              "is", "was", "with", "for", "by", "be", "do", "did", "not", "no", "yes", "we", "you",
              "your", "they", "some", "all", "about", "like", "would", "want", "just", "very"}


def _option_labels(question: Question, language: str) -> list[tuple[str, list[str]]]:
    """Each option's key with its labels (respondent's language first, then English)."""
    result = []
    for option in question.options or []:
        labels = [option.text.get(language), option.text.get("en"), *option.text.values()]
        result.append((option.key, list(dict.fromkeys(_plain(t) for t in labels if t))))
    return result


def _match_option(part: str, options: list[tuple[str, list[str]]]) -> str | None:
    """The one option a piece of a reply means (number, key, label, prefix, word), or None."""
    plain = _plain(part)
    if not plain:
        return None
    numbered = re.fullmatch(r"(?:(?:option|number|num|no|answer)\s*)?(\d{1,3})", plain)
    if numbered and 1 <= int(numbered.group(1)) <= len(options):
        return options[int(numbered.group(1)) - 1][0]
    if plain.isdigit() and not any(lb.startswith(plain) for _, labels in options for lb in labels):
        return None  # a number that is neither an option nor the start of a label ("95%")
    for key, labels in options:
        if plain == key.replace("_", " ") or plain == key or plain in labels:
            return key
    padded = f" {plain} "
    inside = {key: [lb for lb in labels if f" {lb} " in padded] for key, labels in options}
    inside = {key: found for key, found in inside.items() if found}
    if inside:
        # "not at school" holds both "school" and "not at school": a label inside another
        # matched label does not count.
        every = [lb for found in inside.values() for lb in found]
        kept = [key for key, found in inside.items()
                if any(not any(lb != other and lb in other for other in every) for lb in found)]
        return kept[0] if len(kept) == 1 else None
    if len(plain) >= 2:
        # Whole words first ("no" -> "No thanks", not "Not sure"), then any start ("vid").
        for starts in (lambda lb: lb.startswith(plain + " "), lambda lb: lb.startswith(plain)):
            prefixed = [key for key, labels in options if any(starts(lb) for lb in labels)]
            if len(prefixed) == 1:
                return prefixed[0]
            if prefixed:
                break
    words = [w for w in plain.split() if w not in _STOPWORDS and len(w) >= 3]
    if words:
        hits = {key for key, labels in options for lb in labels for w in words if w in lb.split()}
        if len(hits) == 1:
            return hits.pop()
    return None


_YES_NO_LABELS = {"yes": ("yes", "ie"), "no": ("no", "na"), "not_sure": ("not sure", "ddim yn siwr")}


def _yes_no_option(text: str, options: list[tuple[str, list[str]]]) -> str | None:
    """The one option a yes / no / not sure reply means ("nah" -> "No thanks"), if any."""
    found = _yes_no_class(normalise(text))
    if found is None:
        return None
    words = _YES_NO_LABELS[found]
    keys = [key for key, labels in options if key == found
            or any(lb == w or lb.startswith(w + " ") for lb in labels for w in words)]
    return keys[0] if len(keys) == 1 else None


def _parse_single(question: Question, text: str, language: str) -> Parsed:
    options = _option_labels(question, language)
    key = _match_option(text, options) or _yes_no_option(text, options)
    if key is None:
        return Parsed(False, error="reask_single")
    return Parsed(True, key)


_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\n|\band\b|\bor\b|\bplus\b|\balso\b|\bn\b)\s*")


def _split_parts(norm: str, count: int) -> list[str]:
    parts = []
    for part in _SPLIT.split(norm):
        part = part.strip(" .!-")
        if not part:
            continue
        pieces = part.split()
        if len(pieces) > 1 and all(p.isdigit() for p in pieces):
            parts.extend(pieces)  # "1 3"
        elif part.isdigit() and int(part) > count and count < 10 and "0" not in part:
            parts.extend(part)  # "13" with five options: 1 and 3
        else:
            parts.append(part)
    return parts


def _parse_multi(question: Question, text: str, language: str) -> Parsed:
    options = _option_labels(question, language)
    norm = normalise(text)
    plain = _plain(norm)
    for key, labels in options:  # a label that itself holds "and" ("Friends and family")
        if plain and (plain == key.replace("_", " ") or plain in labels):
            return Parsed(True, [key])
    if plain in ("all", "all of them", "all of it", "everything", "them all", "all of the above"):
        return Parsed(True, [key for key, _ in options])
    chosen: list[str] = []
    parts = _split_parts(norm, len(options))
    for part in parts:
        key = _match_option(part, options)
        if key is None:
            chosen = []
            break
        if key not in chosen:
            chosen.append(key)
    if chosen:
        return Parsed(True, chosen)
    whole = _match_option(norm, options)
    if whole is not None:
        return Parsed(True, [whole])
    return Parsed(False, error="reask_multi")


# --- feelings --------------------------------------------------------------------

FEELING_KEYS: tuple[str, ...] = tuple(FEELINGS)
_FEELING_EMOJI: dict[str, str] = {emoji: key for key, emoji in FEELINGS.items()}
_FEELING_EMOJI.update({
    "\U0001F60A": "happy", "\U0001F642": "happy", "\U0001F603": "happy", "\U0001F604": "happy",
    "\U0001F601": "happy", "\U0001F60D": "happy", "\u263A": "happy", "\U0001F970": "happy",
    "\U0001F62D": "sad", "\U0001F641": "sad", "\u2639": "sad", "\U0001F61E": "sad",
    "\U0001F614": "sad", "\U0001F494": "sad", "\U0001F625": "sad",
    "\U0001F621": "angry", "\U0001F92C": "angry", "\U0001F624": "angry", "\U0001F47F": "angry",
    "\U0001F631": "scared", "\U0001F630": "scared", "\U0001F627": "worried", "\U0001F613": "worried",
    "\U0001F62C": "worried", "\U0001F914": "confused", "\U0001F616": "confused",
    "\U0001F635": "confused", "\u2753": "confused",
})
_FEELING_WORDS: dict[str, str] = {
    "happy": "happy", "good": "happy", "great": "happy", "fine": "happy", "glad": "happy",
    "excited": "happy", "amazing": "happy", "brilliant": "happy", "hapus": "happy",
    "sad": "sad", "upset": "sad", "unhappy": "sad", "down": "sad", "crying": "sad", "low": "sad",
    "lonely": "sad", "miserable": "sad", "trist": "sad",
    "angry": "angry", "mad": "angry", "cross": "angry", "annoyed": "angry", "furious": "angry",
    "fuming": "angry", "raging": "angry", "livid": "angry", "grac": "angry", "crac": "angry",
    "scared": "scared", "frightened": "scared", "afraid": "scared", "terrified": "scared",
    "scary": "scared", "ofn": "scared",
    "confused": "confused", "confusing": "confused", "mixed": "confused", "muddled": "confused",
    "worried": "worried", "nervous": "worried", "anxious": "worried", "stressed": "worried",
    "worry": "worried", "worrying": "worried", "poeni": "worried",
}
_FEELING_PHRASES: tuple[tuple[str, str], ...] = (
    ("dont know what", "confused"), ("dont know how", "confused"), ("not sure how", "confused"),
    ("mixed up", "confused"), ("all over the place", "confused"), ("fed up", "sad"),
    ("wedi drysu", "confused"), ("not sure", "confused"), ("dont know", "confused"), ("idk", "confused"),
    ("dunno", "confused"), ("no idea", "confused"),
)
_NEGATIONS = {"not", "dont", "never", "isnt", "aint", "nt", "arent", "wasnt", "didnt"}
_HAPPY_WORDS = {w for w, k in _FEELING_WORDS.items() if k == "happy"}


def _feeling_labels(language: str) -> dict[str, str]:
    """Feeling labels in the respondent's language (from the catalogue when present)."""
    from surveys import catalogue  # local import: catalogue is optional for parsing

    labels = {}
    for key in FEELING_KEYS:
        for lang in (language, "en"):
            value = catalogue.load(lang).get(f"feeling_{key}")
            if value:
                labels[_plain(value)] = key
    return labels


def _parse_feelings(question: Question, text: str, language: str) -> Parsed:
    norm = normalise(text)
    found: list[tuple[int, str]] = []  # (position, key): order as typed
    for position, ch in enumerate(norm):
        if ch in _FEELING_EMOJI:
            found.append((position, _FEELING_EMOJI[ch]))
    spaced = norm.replace("'", "")
    for phrase, key in _FEELING_PHRASES:
        for match in re.finditer(rf"\b{phrase}\b", spaced):
            found.append((match.start(), key))
    words = [(m.start(), m.group()) for m in re.finditer(r"[^\W_]+", spaced)]
    labels = _feeling_labels(language)
    understood_words = 0
    for index, (position, word) in enumerate(words):
        previous = words[index - 1][1] if index else ""
        before = words[index - 2][1] if index > 1 else ""
        negated = previous in _NEGATIONS or (before in _NEGATIONS and previous in ("very", "that", "so", "feel", "feeling"))
        key = _FEELING_WORDS.get(word) or labels.get(word)
        if word.isdigit():
            for digits in ([word] if len(word) == 1 or int(word) <= len(FEELING_KEYS) else list(word)):
                number = int(digits)
                if 1 <= number <= len(FEELING_KEYS):
                    found.append((position, FEELING_KEYS[number - 1]))
                    understood_words += 1
                else:
                    return Parsed(False, error="reask_feelings")
            continue
        if key is None:
            continue
        understood_words += 1
        if negated:
            if word in _HAPPY_WORDS:
                found.append((position, "sad"))  # "not happy", "not good"
            continue
        found.append((position, key))
    keys = list(dict.fromkeys(key for _, key in sorted(found)))
    if not keys and " ".join(_words(spaced)) in ("all", "all of them", "all of it", "everything"):
        keys = list(FEELING_KEYS)
    if not keys:
        return Parsed(False, error="reask_feelings")
    return Parsed(True, keys)


# --- text ------------------------------------------------------------------------


def _parse_text(question: Question, text: str) -> Parsed:
    value = (text or "").strip()
    if not value:
        return Parsed(False, error="reask_text_empty")
    if len(value) > question.max_length:
        return Parsed(False, error="reask_text_long")
    return Parsed(True, value)


def parse_answer(question: Question, text: str, language: str = "en", respondent: Any = None) -> Parsed:
    """Parse one reply to one question; never raises (a bad reply gets a re-ask key)."""
    if respondent is not None and getattr(respondent, "language", None):
        language = language or respondent.language
    text = text if isinstance(text, str) else ""
    try:
        if question.type == "yes_no":
            return _parse_yes_no(question, text)
        if question.type == "scale":
            return _parse_scale(question, text, language)
        if question.type == "single":
            return _parse_single(question, text, language)
        if question.type == "multi":
            return _parse_multi(question, text, language)
        if question.type == "feelings":
            return _parse_feelings(question, text, language)
        return _parse_text(question, text)
    except (ValueError, IndexError, KeyError, re.error):
        # A reply shape no rule foresaw: ask again rather than fail the conversation.
        return Parsed(False, error=GENERIC_ERRORS.get(question.type, "reask_text_empty"))


GENERIC_ERRORS: dict[str, str] = {
    "yes_no": "reask_yes_no", "scale": "reask_scale", "single": "reask_single",
    "multi": "reask_multi", "feelings": "reask_feelings", "text": "reask_text_empty",
}
