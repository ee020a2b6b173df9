"""Safeguarding screen, issue 18: plain words, every category, negation both ways, languages, interface."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.safeguarding import CATEGORIES, SCREENED_LANGUAGES, Screening, ensure_ready, screen
from surveys.safeguarding_model import corpus_rows

# --- 1. plain words that were missed --------------------------------------------------------


@pytest.mark.parametrize("text", ["I am being abused", "im being abused", "he abuses me", "abuse",
                                  "someone is grooming me", "Abuse.", "i think im being groomed"])
def test_plain_words_flag(text):
    result = screen(text)
    assert result.flagged, text
    assert result.categories


# --- 2. every category: a plain example is flagged under its own code -----------------------

PLAIN = {
    "physical_abuse": ["my stepdad hits me", "my mum slaps me"],
    "emotional_abuse": ["my dad tells me im worthless", "she says she wishes i was never born"],
    "sexual_abuse": ["he touches me in my private parts", "my uncle touched me where i didnt want"],
    "neglect": ["there is no food at home", "the cupboards are locked so i cant eat", "there is no heating",
                "i get left alone all weekend"],
    "online_abuse_grooming": ["a man online keeps asking for pictures of me", "someone online wants to meet me"],
    "exploitation": ["i get made to carry packages", "older boys give me money to hold stuff", "i do county lines"],
    "domestic_abuse": ["my dad hits my mum", "there is domestic violence at home"],
    "bullying": ["im being bullied at school", "people keep cyberbullying me"],
    "self_harm": ["i cut myself", "i self harm"],
    "suicidal_thoughts": ["i want to kill myself", "no one would notice if i disappeared",
                          "everyone would be better off without me"],
    "fgm": ["my family want me to have fgm", "they want to cut me down there"],
    "forced_marriage_honour": ["they are forcing me to get married", "im being sent abroad to marry my cousin",
                               "they say i brought shame on the family"],
    "radicalisation": ["someone online is trying to radicalise me", "they want me to join isis"],
    "trafficking_modern_slavery": ["i was trafficked here", "they took my passport and make me work for no money"],
    "missing": ["im going to run away", "i went missing for three days"],
    "unsafe_placement": ["i dont feel safe at my foster home", "i feel unsafe where i live"],
}


@pytest.mark.parametrize(("category", "text"), [(c, t) for c, texts in PLAIN.items() for t in texts])
def test_each_category_is_named(category, text):
    result = screen(text)
    assert result.flagged, text
    same = {category, "feels_unsafe"} if category == "unsafe_placement" else {category}
    assert same & set(result.categories), (text, result.categories)


def test_every_code_the_screen_emits_has_a_staff_label():
    codes = set()
    for row in corpus_rows():
        codes.update(screen(row["text"], language=row["language"]).categories)
    assert codes <= set(CATEGORIES), codes - set(CATEGORIES)
    assert all(label and label[0].isupper() for label in CATEGORIES.values())
    assert set(PLAIN) <= set(CATEGORIES)


def test_corpus_covers_every_category_in_both_languages():
    rows = corpus_rows()
    for category in PLAIN:
        english = [r for r in rows if r["label"] == category and r["language"] == "en"]
        welsh = [r for r in rows if r["label"] == category and r["language"] == "cy"]
        assert len(english) >= 150, (category, len(english))
        assert len(welsh) >= 25, (category, len(welsh))
        assert {r["split"] for r in english} == {"train", "dev", "test"}, category


def test_corpus_groups_never_span_splits_and_texts_are_not_repeated():
    rows = corpus_rows()
    split_of: dict[str, str] = {}
    seen: dict[str, str] = {}
    for row in rows:
        assert row["label"] == "none" or row["label"] in CATEGORIES, row
        assert split_of.setdefault(row["group"], row["split"]) == row["split"], row["group"]
        # a text stands once in its language's file ("fgm" may stand in both files)
        key = row["language"] + ":" + row["text"].lower()
        assert key not in seen, row["text"]
        seen[key] = row["split"]


# --- 5. negation that never drops a disclosure --------------------------------------------

@pytest.mark.parametrize("text", [
    "not safe", "im not safe", "i dont feel safe", "he doesnt hit me any more", "he doesnt hit me anymore but he used to",
    "I don't want to kill myself", "i dont want to kill myself but i think about it", "nobody would notice if i died",
    "no one looks after me", "they wont stop hitting me", "i dont like how he touches me", "i still get bullied",
    "does neb yn edrych ar fy ôl i", "dydy o ddim yn fy nharo i rhagor", "dwi ddim eisiau lladd fy hun",
    "dwi ddim yn saff", "i dont want him to hit me again",
])
def test_negation_that_still_flags(text):
    assert screen(text, language="cy").flagged, text


@pytest.mark.parametrize("text", [
    "not unsafe", "I'm not unsafe", "i dont feel unsafe", "I'm not being bullied any more", "im not bullied anymore",
    "nobody hurts me", "no one hits me", "nobody touches me", "i have never been hit", "the bullying stopped",
    "i used to be bullied but its sorted now", "i am not in danger", "i dont want to run away",
    "does neb yn fy nharo i", "dwi ddim yn cael fy mwlio rhagor", "dwi ddim yn anniogel",
])
def test_negation_that_does_not_flag(text):
    assert not screen(text, language="cy").flagged, (text, screen(text).categories)


SELF_HARM = [r["text"] for r in corpus_rows()
             if r["label"] in {"self_harm", "suicidal_thoughts"} and r["language"] == "en"
             and screen(r["text"]).flagged][:400]
FLAGGED = [r["text"] for r in corpus_rows() if r["label"] != "none" and screen(r["text"], language=r["language"]).flagged]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.sampled_from(SELF_HARM), st.sampled_from(["I'm fine but ", "im ok but ", "not really but ", "no. ",
                                                   "nothing much, ", "i dont know but ", "never mind. "]))
def test_a_reassuring_prefix_never_hides_self_harm(text, prefix):
    result = screen(prefix + text)
    assert result.flagged, prefix + text
    assert {"self_harm", "suicidal_thoughts"} & set(result.categories) or result.categories == ["possible_harm"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(FLAGGED), st.sampled_from([" lol", " lmao", " haha", " jk", " x", " :)", " idk", " ngl"]))
def test_appending_laughter_never_unflags(text, suffix):
    assert screen(text + suffix, language="cy").flagged, text + suffix


# --- 4. languages and scripts ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["Mae fy llystad yn fy nharo", "Dwi eisiau marw", "dwi ddim yn saff",
                                  "mae o'n fy mrifo", "mae o'n fy nharo i", "dwi'n cael fy mwlio"])
def test_welsh_disclosures_flag_on_either_form(text):
    for language in ("cy", "en"):
        result = screen(text, language=language)
        assert result.flagged and not result.not_screened, (text, language, result)


def test_welsh_form_screens_english_too():
    assert screen("my stepdad hits me", language="cy").categories == ["physical_abuse"]
    assert screen("dwi'n hapus, my stepdad hits me", language="cy").flagged


@pytest.mark.parametrize("text", ["أبي يضربني", "ኣቦይ ይወቕዓኒ", "отчим меня бьёт", "我的继父打我",
                                  "mon beau-père me frappe tous les soirs", "mój ojczym mnie bije codziennie",
                                  "ich habe angst vor meinem vater"])
def test_text_the_screen_cannot_read_is_not_screened(text):
    result = screen(text)
    assert result.not_screened and result.needs_person, text


def test_other_form_languages_are_not_screened_but_english_in_them_still_is():
    result = screen("bonjour, my stepdad hits me", language="fr")
    assert result.not_screened and result.flagged and "physical_abuse" in result.categories
    assert screen("ça va", language="pl").not_screened
    assert "en" in SCREENED_LANGUAGES and "cy" in SCREENED_LANGUAGES


@pytest.mark.parametrize("text", ["my IRO is nice", "ok", "lol idk", "i like fortnite and roblox", "Dw i'n hapus",
                                  "", "   ", "123", "😀😀"])
def test_ordinary_english_and_welsh_are_screened(text):
    result = screen(text, language="cy")
    assert not result.not_screened and not result.flagged, (text, result)


# --- interface -------------------------------------------------------------------------------

def test_interface_for_callers():
    ensure_ready()  # loads and raises if any part cannot load
    result = screen("my stepdad hits me")
    assert isinstance(result, Screening)
    assert result.flagged and result.reasons and result.categories == ["physical_abuse"]
    assert result.not_screened is False and result.needs_person
    assert screen("hi").needs_person is False


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=400), st.sampled_from(["en", "cy", "fr", "", "EN", "cy-GB", "xx"]))
def test_screen_never_raises_on_any_text_or_language(text, language):
    result = screen(text, language=language)
    assert isinstance(result.flagged, bool) and isinstance(result.not_screened, bool)
    assert all(code in CATEGORIES for code in result.categories)


@pytest.mark.parametrize("word", ["end", "END", "stop", "quit", "cancel", "unsubscribe", "ok", "no", "idk",
                                  "nothing", "fine", "bye", "diolch", "na"])
def test_one_word_replies_and_opt_out_keywords_raise_nothing(word):
    """The learned layer reads no single word ("end", an opt-out keyword, scored as harm once)."""
    for language in ("en", "cy"):
        result = screen(word, language=language)
        assert not result.flagged and not result.not_screened, (word, language, result.categories)
