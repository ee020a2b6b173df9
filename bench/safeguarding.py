"""Benchmark the safeguarding screen: time per message against a bare regex baseline, and quality.

    .venv/bin/python bench/safeguarding.py [--rounds 3] [--quality] [--split test]

Timing: every text of the labelled corpus (surveys/data/safeguarding/examples_*.csv, about
10,500 English and Welsh messages as children type them) is screened ``--rounds`` times
with ``surveys.safeguarding.screen`` and, in the same run and over the same texts, with a
baseline: one ``re.search`` of a compiled pattern of twenty risk words over the lower-cased
text (the least any screen costs). It prints p50, p99 and the slowest time per message for
each, and the ratio screen/baseline. Target (issue 18): screen p99 under 5 ms on this
machine. Everything is loaded first (``ensure_ready``), so the first-use cost is not timed;
it is printed on its own.

``--quality``: recall and precision per category on the ``--split`` rows (default
``test``, the held-out split never used to choose anything), for the rules alone, the
learned model alone and the screen as shipped (either flags), and the false alarms on the
split's negatives. "recall" counts a disclosure flagged in any category (a person reads
it); "named" counts it flagged with its own category; a category's precision is the share
of rows the screen put in that category that carry that label.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveys import safeguarding  # noqa: E402
from surveys.safeguarding_model import corpus_rows  # noqa: E402

BASELINE = re.compile(r"\b(?:hit|hits|hurt|hurts|kill|die|abuse|abused|touch|touched|scared|unsafe|bully|bullied"
                      r"|cut|cutting|suicide|groom|food|alone|run away)\b")

# Codes that name the same concern for scoring "named": the general "feels unsafe" rule and
# the "unsafe where they live" rule; the old secret-keeping code and online grooming.
SAME = {"unsafe_placement": {"unsafe_placement", "feels_unsafe"},
        "feels_unsafe": {"feels_unsafe", "unsafe_placement"},
        "online_abuse_grooming": {"online_abuse_grooming", "grooming"},
        "grooming": {"grooming", "online_abuse_grooming"}}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timing(rounds: int) -> None:
    rows = corpus_rows()
    texts = [(r["text"], r["language"]) for r in rows]
    started = time.perf_counter()
    safeguarding.ensure_ready()
    print(f"first use (ensure_ready: rules, word lists, model): {(time.perf_counter() - started) * 1000:.0f} ms")
    screen_times: list[float] = []
    base_times: list[float] = []
    screen_cpu: list[float] = []
    base_cpu: list[float] = []
    clock = time.thread_time_ns
    for _ in range(rounds):
        for text, language in texts:
            c0, t0 = clock(), time.perf_counter()
            BASELINE.search(text.lower())
            c1, t1 = clock(), time.perf_counter()
            safeguarding.screen(text, language=language)
            c2, t2 = clock(), time.perf_counter()
            base_times.append((t1 - t0) * 1000)
            screen_times.append((t2 - t1) * 1000)
            base_cpu.append((c1 - c0) / 1e6)
            screen_cpu.append((c2 - c1) / 1e6)
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(wall time includes waiting for a CPU; CPU time is this thread's own)")
    for name, values in (("baseline wall", base_times), ("screen wall", screen_times),
                         ("baseline CPU", base_cpu), ("screen CPU", screen_cpu)):
        print(f"{name:15s} n={len(values)}  p50 {_percentile(values, 0.50):.3f} ms  p99 {_percentile(values, 0.99):.3f} ms"
              f"  max {max(values):.3f} ms  mean {statistics.fmean(values):.3f} ms")
    for kind, screen_v, base_v in (("wall", screen_times, base_times), ("CPU", screen_cpu, base_cpu)):
        print(f"ratio screen/baseline ({kind}): p50 {_percentile(screen_v, 0.5) / max(1e-6, _percentile(base_v, 0.5)):.0f}x, "
              f"p99 {_percentile(screen_v, 0.99) / max(1e-6, _percentile(base_v, 0.99)):.0f}x")
        print(f"target p99 < 5 ms ({kind}): {'met' if _percentile(screen_v, 0.99) < 5 else 'NOT met'}")


def quality(split: str) -> None:
    rows = [r for r in corpus_rows() if r["split"] == split]
    model = safeguarding._model()
    layers = {
        "rules": lambda r: safeguarding._screen(r["text"], r["language"], use_model=False),
        "model": None,
        "shipped": lambda r: safeguarding.screen(r["text"], language=r["language"]),
    }
    print(f"split {split!r}: {len(rows)} rows ({sum(r['label'] != 'none' for r in rows)} disclosures, "
          f"{sum(r['label'] == 'none' for r in rows)} negatives), English and Welsh")
    results = {}
    for layer, fn in layers.items():
        out = []
        for r in rows:
            if fn is None:
                flagged = model.flags(safeguarding.normalise(r["text"]))
                cats = ["possible_harm"] if flagged else []
            else:
                s = fn(r)
                flagged, cats = s.flagged, s.categories
            out.append((flagged, cats))
        results[layer] = out
    labels = sorted({r["label"] for r in rows} - {"none"})
    print(f"{'category':28s} {'n':>4s} | {'rules':>6s} {'model':>6s} {'shipped':>7s} | {'named':>6s} {'precision':>9s}")
    for label in labels:
        idx = [i for i, r in enumerate(rows) if r["label"] == label]
        rec = {k: sum(results[k][i][0] for i in idx) / len(idx) for k in results}
        same = SAME.get(label, {label})
        named = sum(bool(same & set(results["shipped"][i][1])) for i in idx) / len(idx)
        put = [i for i, (f, cats) in enumerate(results["shipped"]) if same & set(cats)]
        precision = sum(rows[i]["label"] == label for i in put) / len(put) if put else float("nan")
        print(f"{label:28s} {len(idx):4d} | {rec['rules']:6.3f} {rec['model']:6.3f} {rec['shipped']:7.3f} | "
              f"{named:6.3f} {precision:9.3f}")
    negatives = [i for i, r in enumerate(rows) if r["label"] == "none"]
    positives = [i for i, r in enumerate(rows) if r["label"] != "none"]
    for layer in results:
        fa = sum(results[layer][i][0] for i in negatives)
        tp = sum(results[layer][i][0] for i in positives)
        print(f"{layer:8s} recall {tp / len(positives):.3f}  false alarms {fa}/{len(negatives)} "
              f"({fa / len(negatives):.1%})  precision {tp / max(1, tp + fa):.3f}")
    kinds = Counter(rows[i]["kind"] for i in negatives if results["shipped"][i][0])
    print("shipped false alarms by kind of negative:", dict(kinds) or "none")
    missed = [rows[i]["text"] for i in positives if not results["shipped"][i][0]]
    print(f"shipped misses ({len(missed)}):", missed[:200])
    alarms = [rows[i]["text"] for i in negatives if results["shipped"][i][0]]
    print(f"shipped false alarms ({len(alarms)}):", alarms[:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quality", action="store_true", help="print recall/precision per category, not timing")
    parser.add_argument("--split", default="test", help="train, dev or test (the held-out split)")
    args = parser.parse_args()
    if args.quality:
        quality(args.split)
    else:
        timing(args.rounds)


if __name__ == "__main__":
    main()
