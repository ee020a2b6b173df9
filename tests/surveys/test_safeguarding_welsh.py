"""Welsh half of the safeguarding screen: mutations, rules, negation and idioms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.safeguarding import screen
from surveys.safeguarding_welsh import RULES, compiled, mutations, normalise, screen_welsh


@pytest.mark.parametrize(("word", "forms"), [
    ("taro", {"taro", "daro", "nharo", "tharo"}), ("curo", {"curo", "guro", "nghuro", "churo"}),
    ("brifo", {"brifo", "frifo", "mrifo"}), ("bwlio", {"bwlio", "fwlio", "mwlio"}), ("gwthio", {"gwthio", "wthio", "ngwthio"}),
    ("llygad", {"llygad", "lygad"}), ("rhedeg", {"rhedeg", "redeg"}), ("marw", {"marw", "farw"}), ("afal", {"afal"}),
])
def test_mutations(word, forms):
    assert set(mutations(word)) == forms


@pytest.mark.parametrize(("text", "category"), [
    ("Mae fy llystad yn fy nharo", "physical_abuse"), ("mae o'n fy mrifo", "physical_abuse"), ("ces i fy nharo", "physical_abuse"),
    ("mae cariad mam yn ei tharo hi", "domestic_abuse"), ("Dwi eisiau marw", "suicidal_thoughts"), ("dwi isio marw", "suicidal_thoughts"),
    ("dwi ddim yn saff", "unsafe_placement"), ("does dim bwyd yn y ty", "neglect"), ("dwi'n cael fy mwlio", "bullying"),
    ("dwi'n torri fy hun", "self_harm"), ("maen nhw'n fy ngorfodi i briodi", "forced_marriage_honour"),
    ("mae rhywun ar-lein eisiau cwrdd â fi", "online_abuse_grooming"), ("mae o'n cyffwrdd â fi", "sexual_abuse"),
    ("MAE O'N FY NHARO I", "physical_abuse"), ("mae on fy nharo i", "physical_abuse"), ("mae o yn fi nharo", "physical_abuse"),
])
def test_welsh_rules_name_the_category(text, category):
    assert category in screen_welsh(text), (text, screen_welsh(text))
    assert category in screen(text, language="cy").categories


@pytest.mark.parametrize("text", ["mae'r gwaith cartref 'ma'n fy lladd i", "ces i fy lladd ar fortnite", "curodd fy chwaer fi ar fifa",
                                  "bu bron i mi farw o chwerthin", "bydd mam yn fy lladd i os dwi'n hwyr", "mae gen i ofn pryfed cop",
                                  "does neb yn fy nharo i", "mae'r ci wedi rhedeg i ffwrdd", "mae mam yn gwneud cinio i mi"])
def test_welsh_idioms_and_negations_are_not_flagged(text):
    assert not screen(text, language="cy").flagged, (text, screen(text, language="cy").categories)


def test_every_welsh_rule_compiles_and_names_a_known_category():
    from surveys.safeguarding import CATEGORIES

    assert len(compiled()) == len(RULES)
    assert {c for c, _r, _p, _n in RULES} <= set(CATEGORIES)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_welsh_normalise_never_raises(text):
    assert isinstance(normalise(text), str)
    assert isinstance(screen_welsh(text), dict)
