"""Safeguarding screen: recall on labelled disclosures, precision on everyday sentences, robustness."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.safeguarding import CATEGORIES, RULES, Screening, screen
from surveys.safeguarding_welsh import RULES as WELSH_RULES

DATA = Path(__file__).resolve().parents[1] / "data"
DEV_SET = DATA / "text_labels_dev.csv"  # the project's labelled dev texts (sentiment, safeguarding)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _dev_rows() -> list[dict[str, str]]:
    return _rows(DEV_SET)


EXAMPLES = _rows(DATA / "safeguarding_examples.csv")
FLAGGED_EXAMPLES = [r["text"] for r in EXAMPLES if r["safeguarding"] == "yes"]


def _scores(rows: list[dict[str, str]]) -> tuple[float, float, list[str], list[str]]:
    missed, false_alarms, hits = [], [], 0
    for row in rows:
        flagged = screen(row["text"]).flagged
        if row["safeguarding"] == "yes":
            if flagged:
                hits += 1
            else:
                missed.append(row["text"])
        elif flagged:
            false_alarms.append(row["text"])
    recall = hits / max(1, hits + len(missed))
    precision = hits / max(1, hits + len(false_alarms))
    return recall, precision, missed, false_alarms


def test_every_labelled_dev_disclosure_is_flagged():
    rows = _dev_rows()
    recall, precision, missed, false_alarms = _scores(rows)
    print(f"dev set ({len(rows)} rows): recall {recall:.3f}, precision {precision:.3f}; "
          f"missed {len(missed)}, false alarms {len(false_alarms)}")
    assert any(r["safeguarding"] == "yes" for r in rows)
    assert recall == 1.0, missed


def test_recall_and_precision_on_our_examples():
    yes = sum(r["safeguarding"] == "yes" for r in EXAMPLES)
    assert yes >= 150 and len(EXAMPLES) - yes >= 150
    recall, precision, missed, false_alarms = _scores(EXAMPLES)
    print(f"own set ({yes} disclosures, {len(EXAMPLES) - yes} safe): recall {recall:.3f}, "
          f"precision {precision:.3f}; missed {missed}; false alarms {false_alarms}")
    assert recall >= 0.98, missed
    assert precision >= 0.85, false_alarms


def test_disclosures_carry_their_category():
    """A rule names the labelled category; only the risk-word fallback may flag without one."""
    rows = [r for r in EXAMPLES if r["safeguarding"] == "yes" and r["category"] != "low_mood"]
    named = fallback = 0
    wrong = []
    for row in rows:
        result = screen(row["text"])
        if row["category"] in result.categories:
            named += 1
        elif result.categories == ["possible_harm"]:
            fallback += 1
        else:
            wrong.append((row["text"], row["category"], result.categories))
    print(f"categories: {named} named by a rule, {fallback} by the risk-word fallback only")
    assert not wrong, wrong
    assert named / len(rows) >= 0.9


@pytest.mark.parametrize("text", ["nobody hurts me", "no one hits me", "i am not scared", "im not scared",
                                  "noone hurts me here", "i have never been hit", "nobody bullies me"])
def test_negated_harm_is_not_flagged(text):
    assert not screen(text).flagged


@pytest.mark.parametrize("text", ["i dont feel safe", "i don't feel safe", "I do not feel safe",
                                  "he doesnt hit me anymore", "nobody believes me when he hits me"])
def test_negated_safety_and_past_harm_are_flagged(text):
    assert screen(text).flagged


def test_reasons_and_categories_never_repeat_the_childs_words():
    known_categories = set(CATEGORIES)
    known_reasons = ({r for _c, r, _p, _n in RULES} | {r for _c, r, _p, _n in WELSH_RULES}
                     | {"strongly negative with a risk word", "several risk words", "risk words in a negative answer",
                        "learned model"})
    for text in FLAGGED_EXAMPLES:
        result = screen(text)
        assert result.flagged and 0 < result.score <= 1
        assert set(result.categories) <= known_categories
        assert set(result.reasons) <= known_reasons
        assert all(text.lower() not in reason.lower() for reason in result.reasons)


def test_unflagged_answer_is_empty():
    assert screen("") == Screening(flagged=False, reasons=[], categories=[], score=0.0)
    assert screen("my IRO is one of the best") == Screening(flagged=False)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=300))
def test_screen_never_raises(text):
    result = screen(text)
    assert isinstance(result, Screening)
    assert isinstance(result.flagged, bool)


_NOISE = st.sampled_from([" ", "  ", "\t", "\n", ".", ",", "!", "?", "!!!", "...", " - ", ";", ":"])


@st.composite
def _noisy(draw):
    text = draw(st.sampled_from(FLAGGED_EXAMPLES))
    words = text.split(" ")
    out = [draw(_NOISE) if draw(st.booleans()) else ""]
    for i, word in enumerate(words):
        cased = "".join(ch.upper() if draw(st.booleans()) else ch.lower() for ch in word)
        out.append(cased)
        if i < len(words) - 1:
            # Punctuation only between whole words (never splitting "k i l l" style spelling).
            between_words = len(word) > 1 and len(words[i + 1]) > 1
            out.append(" " + draw(_NOISE) + " " if between_words and draw(st.booleans()) else " ")
    out.append(draw(_NOISE) if draw(st.booleans()) else "")
    return text, "".join(out)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_noisy())
def test_flagging_is_stable_under_case_punctuation_and_whitespace(pair):
    original, noisy = pair
    assert screen(original).flagged
    assert screen(noisy).flagged, noisy
