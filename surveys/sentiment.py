"""Say whether a free-text answer sounds positive, negative or neutral, negation included.

TextBlob's polarity (lexicon shipped in the package, works offline; only ``.sentiment``
is used because ``.words`` and friends need NLTK corpora that are not installed) misses
most negation: it scores "I don't feel safe" at +0.5. vaderSentiment handles "not",
"dont", "never" and friends, so the text is first normalised the way children type
("dont", "im", "no one", "nobody") and scored by VADER with a few words this service
cares about ("listen", "help", "understand", "visit") added to its lexicon; TextBlob is
asked only when VADER finds nothing and the sentence holds no negation. Wish phrases ("I would like
to", "I want to") and shrugs ("ok", "i guess") are neutral here, as a person reading the
answer would take them.

This is a signal for sorting quotes and for the safeguarding screen as a second opinion;
safeguarding never rests on it alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Label = Literal["positive", "negative", "neutral"]

# Below this size of polarity an answer reads as neutral.
NEUTRAL_BAND = 0.1

# Words children use in these forms that VADER's general lexicon lacks or weighs
# differently (VADER scale: -4 .. +4). Reviewable data, not code.
LEXICON_UPDATES: dict[str, float] = {
    "listen": 1.8, "listens": 1.8, "listened": 1.8, "listening": 1.8,
    "understand": 1.5, "understands": 1.5, "understood": 1.5,
    "explained": 1.2, "explains": 1.2, "sorts": 1.0, "sorted": 1.0,
    "visit": 0.8, "visits": 0.8, "visited": 0.8,
    "unsafe": -2.5, "safe": 1.8, "scared": -2.0, "scard": -2.0, "skared": -2.0,
    "boring": -1.5, "borin": -1.5, "rubbish": -2.0, "pointless": -1.8, "annoying": -1.8,
    "hurt": -2.2, "hurts": -2.2, "hits": -2.0, "hit": -2.0, "lonely": -2.0,
    "cutting": -2.0, "touched": -0.8, "lock": -1.0,
    # Shrugs: "it's ok i guess" is not praise.
    "ok": 0.0, "okay": 0.0, "alright": 0.0, "fine": 0.2, "meh": -0.3,
    "makes": 0.0, "forces": -1.5, "forced": -1.5,
    # Slang praise.
    "sound": 0.8, "mint": 1.5, "peng": 1.5, "bare": 0.0, "sick": 0.0, "lol": 0.4,
}

# Spellings without apostrophes and text-speak, rewritten before scoring.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"\bno[\s-]?one\b", "not anyone"),
    (r"\bnobody\b", "not anybody"),
    (r"\bnobdy\b", "not anybody"),
    (r"\bdun(?:no)?\b", "do not know"),
    (r"\bidk\b", "i do not know"),
    (r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should)n'?t\b", r"\1 not"),
    (r"\bcan'?t\b", "can not"),
    (r"\bwon'?t\b", "will not"),
    (r"\baint\b", "is not"),
    (r"\bu\b", "you"),
    (r"\bur\b", "your"),
    (r"\bim\b", "i am"),
    (r"\bcuz\b|\bcos\b|\bbc\b", "because"),
    (r"\bluv\b", "love"),
    (r"\bgr8\b", "great"),
    (r"\bh8\b", "hate"),
    (r"\bgd\b", "good"),
)
_REWRITE_RES = tuple((re.compile(p), r) for p, r in _REWRITES)

# Wishes are not feelings: "I would like to see my nan more" is neutral.
_WISH = re.compile(r"\b(?:would like|'d like|id like|like to|want to|wanna|wish)\b")
_SHRUG = re.compile(r"\bi guess\b|\bi suppose\b|\bnot sure\b")
_NEGATORS = re.compile(
    r"\b(?:not|never|no|none|nothing|nowhere|without|neither|nor|not anyone|not anybody)\b")
_LAUGH = re.compile(r"\b(?:lol+|lmao+|haha\w*|jk|rofl)\b")
# Everyday idioms whose words sound violent but mean nothing of the kind.
_IDIOMS: tuple[tuple[str, str], ...] = (
    (r"\b(?:i'?d|i would|would) kill for\b", "want"),
    (r"\bdying (?:to|for)\b", "eager for"),
    (r"\bkilling it\b", "doing well"),
    (r"\bnothing but\b", "only"),
    # Being made to carry, deliver or keep things is coercion, not a neutral errand.
    (r"\b(?:makes?|made|forces?|forced) me (carry|do|take|keep|hold|sell|deliver|go|hide|send)\b",
     r"forces me \1"),
)
_IDIOM_RES = tuple((re.compile(p), r) for p, r in _IDIOMS)
_REPEATS = re.compile(r"(\w)\1{2,}")


@dataclass(frozen=True)
class Sentiment:
    """How an answer sounds: a label and a polarity from -1 (negative) to +1 (positive)."""

    label: Label
    polarity: float


def normalise(text: str) -> str:
    """Lower-case, straighten apostrophes, squeeze repeated letters, spell out text-speak."""
    out = (text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    out = _REPEATS.sub(r"\1\1", out)
    for pattern, replacement in _REWRITE_RES:
        out = pattern.sub(replacement, out)
    return out


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(LEXICON_UPDATES)
    return analyzer


def _textblob_polarity(text: str) -> float:
    from textblob import TextBlob

    return float(TextBlob(text).sentiment.polarity)


def sentiment(text: str) -> Sentiment:
    """Score one answer; never raises, empty text is neutral."""
    cleaned = normalise(text)
    if not cleaned.strip():
        return Sentiment("neutral", 0.0)
    wish = bool(_WISH.search(cleaned))
    scored = _WISH.sub(" ", cleaned)
    for pattern, replacement in _IDIOM_RES:
        scored = pattern.sub(replacement, scored)
    polarity = float(_vader().polarity_scores(scored)["compound"])
    if polarity == 0.0 and not wish and not _NEGATORS.search(scored):
        # TextBlob knows some words VADER lacks; it is halved because it also scores
        # words like "more" (+0.5) that carry no feeling (and so is not asked about the
        # object of a wish: "see my nan more").
        polarity = _textblob_polarity(scored) / 2
    if _SHRUG.search(cleaned) or _LAUGH.search(cleaned):
        polarity /= 4
    polarity = max(-1.0, min(1.0, round(polarity, 4)))
    if polarity >= NEUTRAL_BAND:
        label: Label = "positive"
    elif polarity <= -NEUTRAL_BAND:
        label = "negative"
    else:
        label = "neutral"
    return Sentiment(label, polarity)
