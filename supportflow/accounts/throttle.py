"""Login rate limiting: too many failed logins for one email, or from one client address,
within a window refuses further attempts (HTTP 429) until the oldest failure ages out.

Kept in memory, per process, on purpose: failed logins are counted on every attempt, and
writing each one to the database would add write contention (SQLite takes one writer) exactly
when someone is hammering the login page. The cost: a restart forgets the counts, and N web
processes allow N times the attempts; both still stop online password guessing (a handful of
guesses per window instead of thousands). Deployments with many processes can put the same
limits in their reverse proxy.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from threading import Lock

from supportflow.errors import RateLimitedError

MAX_KEYS = 10_000  # past this many emails and addresses, aged-out ones are dropped


class LoginThrottle:
    """Counts failures per key ("email:..." or "addr:...") in a sliding window."""

    def __init__(
        self,
        *,
        max_per_email: int = 5,
        max_per_address: int = 20,  # an office behind one NAT address has several people
        window_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"email": max_per_email, "addr": max_per_address}
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = Lock()

    def check(self, *, email: str, address: str) -> None:
        """RateLimitedError when either key is over its limit; call before checking a login."""
        with self._lock:
            waits = [
                self._wait(f"{kind}:{value}", limit)
                for kind, value, limit in self._keys(email, address)
            ]
        wait = max(waits)
        if wait > 0:
            raise RateLimitedError(
                f"too many failed logins; try again in {wait} seconds", retry_after=wait
            )

    def record_failure(self, *, email: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                self._forget_aged_out(now)
            for kind, value, _ in self._keys(email, address):
                self._failures.setdefault(f"{kind}:{value}", deque()).append(now)

    def record_success(self, *, email: str) -> None:
        """Forget the email's failures (not the address's: one good account must not reset
        the count of someone guessing others from the same address)."""
        with self._lock:
            self._failures.pop(f"email:{email.strip().lower()}", None)

    def _forget_aged_out(self, now: float) -> None:
        """Drop keys whose newest failure left the window, so memory stays bounded."""
        cutoff = now - self._window
        for key in [k for k, failures in self._failures.items() if failures[-1] <= cutoff]:
            del self._failures[key]

    def _keys(self, email: str, address: str) -> list[tuple[str, str, int]]:
        return [
            ("email", email.strip().lower(), self._limits["email"]),
            ("addr", address, self._limits["addr"]),
        ]

    def _wait(self, key: str, limit: int) -> int:
        """Whole seconds until `key` may try again (0: now); drops aged-out failures."""
        failures = self._failures.get(key)
        if not failures:
            return 0
        cutoff = self._clock() - self._window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0
        if len(failures) < limit:
            return 0
        return max(1, math.ceil(failures[-limit] - cutoff))
