"""Make Python's sleeps work under libfaketime, for running the suite at a faked hour.

The suite is checked at 23:30 on a Sunday and at 07:00 on a weekday with ``faketime``
(see CONTRIBUTING.md). libfaketime 0.9.10 (Debian 12) and Python 3.11 disagree about the
monotonic clock: when libfaketime fakes it, timed lock waits (``Event.wait(0.3)``,
``Thread.join(0.5)``) never return; when told not to (``FAKETIME_DONT_FAKE_MONOTONIC=1``),
``time.sleep`` fails with EINVAL, because libfaketime rewrites the absolute monotonic
deadline that ``clock_nanosleep`` is given. So under faketime the tests run with the
monotonic clock real and ``time.sleep`` done as a timed wait, which libfaketime leaves alone.
Only the wall clock (``datetime.now``, ``time.time``) is faked, which is what the suite checks.

tests/conftest.py loads this in the test process and puts this folder on PYTHONPATH, so
the servers and commands the tests start (gunicorn, the worker) load it too.
"""

from __future__ import annotations

import os
import threading
import time

_real_sleep = time.sleep


def _sleep_as_timed_wait(seconds: float) -> None:
    """time.sleep, done as a wait on an event that nothing sets."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


def under_faketime() -> bool:
    """Whether libfaketime is preloaded into this process."""
    return "faketime" in os.environ.get("LD_PRELOAD", "")


if under_faketime() and getattr(time.sleep, "__name__", "") != _sleep_as_timed_wait.__name__:
    time.sleep = _sleep_as_timed_wait
