"""Tag a free-text answer with the themes annual reports group children's words under.

``themes(text)`` returns, in ``THEMES`` order, the keys whose keywords occur in the
answer. Keywords are data (``THEMES``) so a manager can review them. Each keyword is a
regular-expression fragment matched on whole words after lower-casing, dropping
apostrophes and squeezing letters repeated three or more times; plurals and the common
misspellings children type are written into the fragments ("(?:mum|mam|mom)s?", "skool").
"""

from __future__ import annotations

import re
from functools import lru_cache

THEMES: dict[str, tuple[str, ...]] = {
    "family_contact": (
        r"contacts?", r"(?:mum|mam|mom|mummy|mother)s?", r"(?:dad|daddy|father)s?", r"nan(?:na|nie|s)?",
        r"grandma", r"grandad", r"grandparents?", r"gran", r"(?:big |little |baby )?(?:brother|sister)s?",
        r"bro", r"sis", r"siblings?", r"family", r"families", r"aunt(?:ie|y)?s?", r"uncles?", r"cousins?",
        r"see (?:my|me) (?:mum|dad|family)", r"(?:go|going|went) home", r"visits? (?:with|from)",
        r"birth (?:family|parents?)", r"step ?(?:mum|dad)s?", r"parents?",
    ),
    "school": (
        r"schools?", r"skool", r"schol", r"teachers?", r"techer", r"lessons?", r"class(?:es|mates?)?",
        r"homework", r"exams?", r"gcses?", r"sats", r"college", r"uni(?:versity)?", r"maths?",
        r"english", r"science", r"year \d+", r"detentions?", r"head ?teacher", r"education",
        r"pep", r"tutors?", r"nursery", r"primary", r"secondary", r"academy", r"reading", r"spelling",
    ),
    "meeting": (
        r"meetings?", r"meting", r"meetin", r"reviews?", r"reveiw", r"revew", r"cla review",
        r"looked after review", r"conference", r"too many people", r"boring", r"the room",
        r"(?:lots|loads) of people", r"agenda", r"minutes", r"chair(?:ed|s)?",
    ),
    "iro": (
        r"iros?", r"i r o", r"independent reviewing officers?", r"reviewing officers?",
    ),
    "placement": (
        r"placements?", r"plasement", r"foster(?:ing)?", r"carers?", r"carer", r"kare", r"care home",
        r"childrens home", r"residential", r"staff", r"key ?workers?", r"house", r"home", r"live",
        r"living", r"lives", r"move", r"moving", r"moved", r"my room", r"bedroom", r"supported lodgings",
        r"semi independent", r"flat",
    ),
    "listened_to": (
        r"listen(?:s|ed|ing)?", r"lisen(?:s|ed)?", r"lissen(?:s|ed)?", r"heard", r"hear(?:s)? me",
        r"my (?:views?|voice|opinions?|say|wishes)", r"(?:ask|asks|asked|asking) (?:me|what i)",
        r"(?:what i|how i) (?:want|wanted|think|feel|felt)", r"understand(?:s)?", r"understood",
        r"explain(?:s|ed)?", r"take (?:me|my views) seriously", r"ignored?", r"ignores", r"have a say",
        r"my say", r"talk(?:s|ed)? to me",
    ),
    "health": (
        r"health", r"doctors?", r"gp", r"dentists?", r"hospital", r"nurses?", r"medic(?:al|ine|ation)",
        r"(?:feel|feels|felt|feeling|was|been|am|im|got) (?:ill|sick)", r"poorly", r"asthma", r"camhs", r"counsell?(?:ing|or)", r"therap(?:y|ist)",
        r"mental health", r"anxiety", r"anxious", r"depress(?:ed|ion)", r"sleep(?:ing)?", r"eat(?:ing)?",
        r"weight", r"glasses", r"optician", r"adhd", r"autism", r"autistic", r"jabs?", r"vaccin\w*",
        r"pills?", r"tablets?", r"self harm",
    ),
    "future": (
        r"future", r"when i (?:am|m|grow|leave|turn)", r"when im (?:older|\d+|grown up|an adult)",
        r"(?:grow|grown) up", r"older", r"(?:get|got|want|find|have|a proper|part time) (?:a )?job", r"jobs", r"career", r"apprenticeships?", r"college", r"uni(?:versity)?",
        r"leav(?:e|ing) care", r"pathway plan", r"independen(?:t|ce)", r"my own (?:flat|place|house)",
        r"(?:learn|learning) to drive", r"driving", r"money", r"savings?", r"(?:be|become) an? \w+",
        r"want to be", r"wanna be", r"\d\d(?:th)? birthday", r"turn(?:ing)? (?:16|17|18)", r"plans?",
    ),
    "friends_activities": (
        r"friends?", r"frends?", r"freinds?", r"mates?", r"bestie", r"football", r"footy", r"swim(?:ming)?",
        r"dance", r"dancing", r"boxing", r"karate", r"cadets", r"scouts", r"guides", r"brownies",
        r"clubs?", r"youth club", r"gym", r"games?", r"gaming", r"xbox", r"playstation", r"ps[45]",
        r"fortnite", r"minecraft", r"fifa", r"bikes?", r"park", r"holidays?", r"trips?", r"days? out",
        r"cinema", r"films?", r"sleepovers?", r"hobby", r"hobbies", r"activities", r"activity",
        r"pocket money", r"phones?", r"music", r"drawing", r"art", r"horse ?riding", r"hang(?:ing)? out",
        r"play(?:ing)?", r"sports?", r"rugby", r"netball", r"gymnastics", r"pets?", r"dogs?", r"cats?",
    ),
}

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_REPEATS = re.compile(r"([a-z])\1{2,}")


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((key, re.compile(r"\b(?:" + "|".join(words) + r")\b")) for key, words in THEMES.items())


def normalise(text: str) -> str:
    """Lower case, no apostrophes, letters repeated three or more times squeezed, one space."""
    out = _APOSTROPHES.sub("", (text or "").lower())
    out = _REPEATS.sub(r"\1\1", out)
    out = re.sub(r"[^a-z0-9]+", " ", out)
    return " ".join(out.split())


def themes(text: str) -> list[str]:
    """The theme keys an answer touches, in ``THEMES`` order; never raises."""
    cleaned = normalise(text)
    if not cleaned:
        return []
    return [key for key, pattern in _compiled() if pattern.search(cleaned)]
