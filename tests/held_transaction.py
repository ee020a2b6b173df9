"""Run one piece of work while another's transaction is held open: does it wait its turn?"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def waits_for_held(db: Any, first: Callable[[Any], Any], second: Callable[[], Any],
                   patience: float = 0.5) -> tuple[Any, Any, bool]:
    """Run ``first(session)`` and keep its transaction open; meanwhile start ``second()``.

    After ``patience`` seconds the first commits. Returns (first's result, second's
    result, whether the second was still waiting when the first committed).
    """
    done, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def hold() -> None:
        with db.session() as session:
            results["first"] = first(session)
            done.set()
            release.wait(10)  # still in its transaction

    def then() -> None:
        results["second"] = second()

    holder = threading.Thread(target=hold)
    holder.start()
    assert done.wait(10), "the first piece of work did not finish"
    waiter = threading.Thread(target=then)
    waiter.start()
    waiter.join(patience)
    waited = waiter.is_alive()
    release.set()
    holder.join(10)
    waiter.join(10)
    return results.get("first"), results.get("second"), waited
