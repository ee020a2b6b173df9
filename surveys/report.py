"""Annual-report maths on grouped counts: rates, whole-number percentages, scales, quarters.

Everything here works on counts the database has already grouped (``{value: count}``),
never on one row per answer, so it costs the same whatever the number of respondents.

Rules, as the published IRO annual reports print their figures:

- A **rate** (forms received / forms sent) is a fraction 0..1 rounded half up to 4 places.
- A **percentage** in a table is a whole number rounded half up (12.5 -> 13), not Python's
  banker's rounding (``round(12.5) == 12``).
- **% said yes** (Worcestershire) is ``yes / n`` where ``n`` counts everyone who answered
  the question, "not sure" included: York prints "63% knew their IRO (21% weren't sure)",
  so not-sure answers stay in the base and are shown beside it.
- A figure from fewer than ``SMALL_NUMBER`` respondents is marked suppressed.
- Quarters are financial-year quarters, as the councils report them: Q1 is April to June.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from math import floor

# Groups smaller than this are suppressed in anything published.
SMALL_NUMBER = 5

# How the child took part in their review (York IRO annual report 2016/17, Table 5).
PN_CODES: dict[str, str] = {
    "PN0": "Child under 4 at time of review",
    "PN1": "Attends and speaks for him/herself",
    "PN2": "Attends, views represented by an advocate",
    "PN3": "Attends, views given non-verbally",
    "PN4": "Attends but does not convey views",
    "PN5": "Does not attend but briefs an advocate",
    "PN6": "Does not attend but conveys views",
    "PN7": "Does not attend or convey views",
}

# Default report style by question type when a form question does not name one.
DEFAULT_REPORT = {"yes_no": "yes_pct", "single": "distribution", "multi": "distribution",
                  "feelings": "distribution", "scale": "scale", "text": "quotes"}
YES_NO_VALUES = ("yes", "no", "not_sure")


def round_half_up(value: Fraction | int | float, places: int = 0) -> Fraction:
    """Round half away from zero for non-negative values, exactly (12.5 -> 13, 0.125 -> 0.13)."""
    scale = Fraction(10) ** places
    return Fraction(floor(Fraction(value) * scale + Fraction(1, 2))) / scale


def pct(count: int, n: int) -> int | None:
    """A whole-number percentage of ``count`` in ``n`` (None when ``n`` is 0)."""
    if n <= 0:
        return None
    return int(round_half_up(Fraction(100 * count, n)))


def rate(count: int, n: int) -> float | None:
    """A fraction 0..1 rounded half up to 4 places (None when ``n`` is 0)."""
    if n <= 0:
        return None
    return float(round_half_up(Fraction(count, n), 4))


def suppressed(n: int) -> bool:
    """Whether a figure from ``n`` respondents must be suppressed (fewer than the threshold)."""
    return n < SMALL_NUMBER


def histogram_n(histogram: Mapping[int, int]) -> int:
    """How many answers a histogram holds."""
    return sum(histogram.values())


def mean_from_histogram(histogram: Mapping[int, int], places: int = 1) -> float | None:
    """The mean of the values a ``{value: count}`` histogram stands for, rounded half up."""
    n = histogram_n(histogram)
    if n == 0:
        return None
    total = sum(Fraction(value) * count for value, count in histogram.items())
    return float(round_half_up(total / n, places))


def median_from_histogram(histogram: Mapping[int, int]) -> float | int | None:
    """The median of the expanded data, as ``statistics.median`` gives it, without expanding."""
    n = histogram_n(histogram)
    if n == 0:
        return None
    # 0-based positions of the middle value(s) in the sorted data.
    lower, upper = (n - 1) // 2, n // 2
    found: dict[int, int] = {}
    seen = 0
    for value in sorted(v for v, c in histogram.items() if c > 0):
        count = histogram[value]
        for position in (lower, upper):
            if position not in found and seen <= position < seen + count:
                found[position] = value
        seen += count
        if len(found) == 2 or (lower == upper and found):
            break
    if lower == upper:
        return found[lower]
    return (found[lower] + found[upper]) / 2


def percentages(counts: Mapping[str, int], n: int) -> dict[str, int | None]:
    """Whole-number percentages of each count in ``n``."""
    return {key: pct(count, n) for key, count in counts.items()}


def summarise_question(kind: str, counts: Mapping[str, int], *, n: int | None = None,
                       options: Iterable[str] = (), scale: tuple[int, int] | None = None) -> dict:
    """The figures of one question from its grouped answer counts.

    ``kind`` is the report style (yes_pct | distribution | scale | quotes). For yes/no,
    ``counts`` is ``{"yes": .., "no": .., "not_sure": ..}``; for a distribution it is
    ``{option: count}`` with ``n`` the number of people who answered (a multi or feelings
    question lets one person pick several, so its percentages may add up to more than 100);
    for a scale it is ``{value: count}`` (keys as strings or ints).
    """
    out: dict = {}
    if kind == "yes_pct":
        full = {key: int(counts.get(key, 0)) for key in YES_NO_VALUES}
        n = sum(full.values()) if n is None else n
        out.update(n=n, counts=full, yes_pct=pct(full["yes"], n), no_pct=pct(full["no"], n),
                   not_sure_pct=pct(full["not_sure"], n))
    elif kind == "distribution":
        keys = list(options) + sorted(k for k in counts if k not in set(options))
        distribution = {key: int(counts.get(key, 0)) for key in keys}
        n = sum(distribution.values()) if n is None else n
        out.update(n=n, distribution=distribution, pct=percentages(distribution, n))
    elif kind == "scale":
        low, high = scale or (min((int(k) for k in counts), default=0), max((int(k) for k in counts), default=0))
        histogram = {value: 0 for value in range(low, high + 1)}
        for key, count in counts.items():
            histogram[int(key)] = histogram.get(int(key), 0) + int(count)
        n = histogram_n(histogram)
        out.update(n=n, mean=mean_from_histogram(histogram), median=median_from_histogram(histogram),
                   histogram={str(k): v for k, v in sorted(histogram.items())})
    else:  # quotes / free text: only how many answered; the words come from approved quotes
        n = sum(int(c) for c in counts.values()) if n is None else n
        out.update(n=n)
    out["suppressed"] = suppressed(out["n"])
    return out


def summarise_return_rate(sent: int, received: int) -> dict:
    """Sent, received and the return rate (suppressed when fewer than the threshold were sent)."""
    return {"sent": sent, "received": received, "rate": rate(received, sent), "suppressed": suppressed(sent)}


def summarise_participation(codes: Mapping[str, int], *, attended: tuple[int, int] = (0, 0),
                            chaired: int = 0, co_chaired: int = 0, chair_n: int = 0,
                            seen_before: tuple[int, int] = (0, 0)) -> dict:
    """York's participation table: each PN code's count and % of reviews with a code recorded.

    ``attended`` and ``seen_before`` are (yes count, recorded count); ``chair_n`` is how many
    reviews have the chairing recorded.
    """
    n = sum(int(codes.get(code, 0)) for code in PN_CODES)
    return {
        "n": n,
        "codes": {code: {"label": label, "count": int(codes.get(code, 0)), "pct": pct(int(codes.get(code, 0)), n)}
                  for code, label in PN_CODES.items()},
        "attended": {"count": attended[0], "n": attended[1], "pct": pct(*attended)},
        "chaired": {"count": chaired, "n": chair_n, "pct": pct(chaired, chair_n)},
        "co_chaired": {"count": co_chaired, "n": chair_n, "pct": pct(co_chaired, chair_n)},
        "seen_before_review": {"count": seen_before[0], "n": seen_before[1], "pct": pct(*seen_before)},
        "suppressed": suppressed(n),
    }


# --- financial-year quarters ------------------------------------------------------------

@dataclass(frozen=True)
class Quarter:
    """One financial-year quarter (or the part of it inside a report's period)."""

    year: str  # "2025/26"
    number: int  # 1..4, Q1 = April to June
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"

    def as_dict(self) -> dict:
        return {"quarter": self.label, "year": self.year, "number": self.number,
                "from": self.start.isoformat(), "to": self.end.isoformat()}


def reporting_year(day: date) -> tuple[date, date]:
    """The reporting (financial) year a day falls in: 1 April to 31 March, both included."""
    start = date(day.year if day.month >= 4 else day.year - 1, 4, 1)
    return start, date(start.year + 1, 3, 31)


def financial_year(day: date) -> str:
    """The financial year a day falls in, as councils write it ("2025/26" runs April to March)."""
    start = reporting_year(day)[0].year
    return f"{start}/{(start + 1) % 100:02d}"


def financial_quarter(day: date) -> int:
    """The financial-year quarter of a day: April-June is 1, January-March is 4."""
    return (day.month - 4) % 12 // 3 + 1


def _quarter_start(day: date) -> date:
    # Financial quarters never cross a calendar year: Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar.
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _next_quarter_start(start: date) -> date:
    month = start.month + 3
    return date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def quarters_between(date_from: date, date_to: date) -> list[Quarter]:
    """The financial quarters a period touches, each clipped to the period."""
    out: list[Quarter] = []
    start = _quarter_start(date_from)
    while start <= date_to:
        following = _next_quarter_start(start)
        out.append(Quarter(financial_year(start), financial_quarter(start), max(start, date_from),
                           min(following - timedelta(days=1), date_to)))
        start = following
    return out


def previous_year(date_from: date, date_to: date) -> tuple[date, date]:
    """The same period one year earlier (29 February becomes 28 February)."""

    def back(day: date) -> date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:
            return day.replace(year=day.year - 1, day=28)

    return back(date_from), back(date_to)
