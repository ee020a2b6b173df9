"""The wall clock is read in one place (storage.models.utcnow), so tests can set "now" everywhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Reading the clock or today's date anywhere but storage.models.utcnow makes a rule that a
# test cannot move to 23:30 on a Sunday (the suite failed at night for this reason).
WALL_CLOCK = re.compile(r"\b(?:datetime\.(?:now|utcnow|today)\(|date\.today\(|time\.time\(\))")


def test_the_wall_clock_is_read_only_by_utcnow():
    offenders = []
    for package in ("surveys", "storage", "bot", "web", "config"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if WALL_CLOCK.search(line.split("#", 1)[0]):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    allowed = {"storage/models.py"}
    assert [o for o in offenders if o.split(":", 1)[0] not in allowed] == []
    # ... and utcnow itself is still the one reader (the check above would pass on an empty tree).
    assert any(o.startswith("storage/models.py:") for o in offenders)
