"""Report maths: half-up percentages, rates, medians from histograms, financial quarters."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.report import (
    PN_CODES,
    financial_quarter,
    financial_year,
    mean_from_histogram,
    median_from_histogram,
    pct,
    previous_year,
    quarters_between,
    rate,
    reporting_year,
    round_half_up,
    summarise_participation,
    summarise_question,
    summarise_return_rate,
)


def test_percentages_round_half_up_not_to_even():
    assert round(12.5) == 12  # what Python would print
    assert pct(1, 8) == 13  # 12.5% -> 13, as the published reports print it
    assert pct(5, 40) == 13
    assert pct(1, 40) == 3  # 2.5 -> 3
    assert pct(3, 8) == 38  # 37.5 -> 38
    assert pct(1, 3) == 33
    assert pct(2, 3) == 67
    assert pct(0, 0) is None


def test_rates_are_fractions_rounded_half_up_to_four_places():
    assert rate(36, 288) == 0.125
    assert rate(1, 3) == 0.3333
    assert rate(2, 3) == 0.6667
    assert rate(1, 16) == 0.0625
    assert rate(1, 32) == 0.0313  # 0.03125 -> 0.0313 (half up)
    assert rate(0, 0) is None
    assert float(round_half_up(0.125, 2)) == 0.13


def test_cheshire_east_table_4_rates():
    # Cared for child / care leaver: 288 sent, 36 received (13%); parents 238 / 15 (6%).
    assert pct(36, 288) == 13 and pct(15, 238) == 6
    assert pct(90, 256) == 35 and pct(54, 185) == 29
    row = summarise_return_rate(288, 36)
    assert row == {"sent": 288, "received": 36, "rate": 0.125, "suppressed": False}
    assert summarise_return_rate(4, 1)["suppressed"] is True


def test_yes_pct_keeps_not_sure_in_the_base():
    out = summarise_question("yes_pct", {"yes": 63, "no": 16, "not_sure": 21})
    assert out["n"] == 100
    assert (out["yes_pct"], out["no_pct"], out["not_sure_pct"]) == (63, 16, 21)
    assert out["suppressed"] is False
    small = summarise_question("yes_pct", {"yes": 3, "no": 1})
    assert small["n"] == 4 and small["suppressed"] is True


def test_distribution_and_scale_summaries():
    out = summarise_question("distribution", {"in_person": 25, "virtually": 36, "separate": 11},
                             options=["in_person", "virtually", "separate", "did_not_attend"])
    assert list(out["distribution"]) == ["in_person", "virtually", "separate", "did_not_attend"]
    assert out["distribution"]["did_not_attend"] == 0
    assert out["n"] == 72 and out["pct"]["virtually"] == 50
    scale = summarise_question("scale", {"3": 1, "8": 2, "10": 1}, scale=(1, 10))
    assert scale["n"] == 4 and scale["median"] == 8 and scale["mean"] == 7.3
    assert list(scale["histogram"]) == [str(v) for v in range(1, 11)]
    assert scale["suppressed"] is True


def test_participation_uses_york_codes():
    out = summarise_participation({"PN0": 174, "PN1": 395, "PN2": 13, "PN3": 6, "PN4": 4, "PN5": 100,
                                    "PN6": 213, "PN7": 95}, attended=(3, 4), chaired=1, co_chaired=2, chair_n=10)
    assert out["n"] == 1000
    assert out["codes"]["PN1"] == {"label": PN_CODES["PN1"], "count": 395, "pct": 40}  # 39.5 -> 40
    assert out["codes"]["PN4"]["pct"] == 0 and out["codes"]["PN2"]["pct"] == 1
    assert out["attended"] == {"count": 3, "n": 4, "pct": 75}
    assert out["co_chaired"]["pct"] == 20
    assert "Attends" in PN_CODES["PN1"] and "under 4" in PN_CODES["PN0"]


def test_financial_quarters_start_in_april():
    assert financial_quarter(date(2025, 4, 1)) == 1
    assert financial_quarter(date(2025, 6, 30)) == 1
    assert financial_quarter(date(2025, 7, 1)) == 2
    assert financial_quarter(date(2025, 12, 31)) == 3
    assert financial_quarter(date(2026, 1, 1)) == 4
    assert financial_quarter(date(2026, 3, 31)) == 4
    assert financial_year(date(2026, 3, 31)) == "2025/26"
    assert financial_year(date(2026, 4, 1)) == "2026/27"
    assert reporting_year(date(2026, 3, 31)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert reporting_year(date(2026, 4, 1)) == (date(2026, 4, 1), date(2027, 3, 31))
    labels = [q.label for q in quarters_between(date(2025, 4, 1), date(2026, 3, 31))]
    assert labels == ["2025/26 Q1", "2025/26 Q2", "2025/26 Q3", "2025/26 Q4"]
    clipped = quarters_between(date(2025, 5, 10), date(2025, 7, 2))
    assert [(q.label, q.start, q.end) for q in clipped] == [
        ("2025/26 Q1", date(2025, 5, 10), date(2025, 6, 30)), ("2025/26 Q2", date(2025, 7, 1), date(2025, 7, 2))]
    assert previous_year(date(2024, 2, 29), date(2025, 3, 31)) == (date(2023, 2, 28), date(2024, 3, 31))


histograms = st.dictionaries(st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=60),
                             min_size=1, max_size=11).filter(lambda h: sum(h.values()) > 0)


@settings(max_examples=200, deadline=None)
@given(histograms)
def test_median_and_mean_from_histogram_match_the_expanded_data(histogram):
    data = [value for value, count in sorted(histogram.items()) for _ in range(count)]
    assert median_from_histogram(histogram) == statistics.median(data)
    assert min(data) <= median_from_histogram(histogram) <= max(data)
    mean = mean_from_histogram(histogram)
    assert min(data) <= mean <= max(data)
    assert abs(mean - statistics.mean(data)) <= 0.05 + 1e-9


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(min_value=0, max_value=10_000),
                       min_size=1))
def test_percentages_of_a_distribution_stay_in_0_to_100(counts):
    n = sum(counts.values())
    out = summarise_question("distribution", counts)
    for value in out["pct"].values():
        assert value is None if n == 0 else 0 <= value <= 100
    if n:
        # Rounding each share moves the total by at most half a point per option.
        assert abs(sum(out["pct"].values()) - 100) <= len(counts) / 2


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_rates_stay_in_0_to_1(received, sent):
    received = min(received, sent)
    value = rate(received, sent)
    assert 0 <= value <= 1
    assert abs(value - received / sent) <= 0.00005 + 1e-12
    assert 0 <= pct(received, sent) <= 100


@settings(deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(min_value=0, max_value=800))
def test_quarters_cover_the_period_without_gaps(start, days):
    end = start + timedelta(days=days)
    quarters = quarters_between(start, end)
    assert quarters[0].start == start and quarters[-1].end == end
    for before, after in zip(quarters, quarters[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    for q in quarters:
        assert financial_quarter(q.start) == financial_quarter(q.end) == q.number
