"""Pacing: a rate limiter shared by every sender thread of a dispatch run.

SES allows an account a number of messages per second (`SesMaxSendRate`); above it SES answers
`Throttling`. The dispatcher sends from several threads at once (the SES call is ~80 ms of waiting,
so one thread alone reaches ~12 messages a second), and every send first takes a slot here.

The limiter is a virtual-time token bucket with a bucket of one token (GCRA): slot k is granted
no earlier than `start + k / rate`, whatever the number of threads asking, so in any interval of
length T at most `T * rate + 1` sends begin. A thread that asks late gets the next free slot at
once (unused slots are not saved up into a burst beyond one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """At most `rate` grants per second, across threads. Thread-safe; the clock and the sleep
    are injected so a test can drive it with a fake clock."""

    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._gap = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = float("-inf")  # the earliest instant the next slot may be granted
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the next slot; returns the instant (on the limiter's clock) it was granted."""
        with self._lock:  # only the bookkeeping is under the lock, never the wait
            now = self._monotonic()
            slot = max(now, self._next)
            self._next = slot + self._gap
        if slot > now:
            self._sleep(slot - now)
        return slot
