"""The login throttle: failures per email and per address in a sliding window."""

from __future__ import annotations

import pytest

from supportflow.accounts.throttle import LoginThrottle
from supportflow.errors import RateLimitedError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, times: int, email: str = "a@x", address: str = "10.0.0.1"):
    for _ in range(times):
        throttle.record_failure(email=email, address=address)


def test_the_fifth_failure_blocks_the_email_until_the_oldest_ages_out() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_per_email=5, window_seconds=300, clock=clock)
    fail(throttle, 4)
    throttle.check(email="A@X", address="10.0.0.2")  # four: still allowed
    clock.now += 10
    fail(throttle, 1)
    with pytest.raises(RateLimitedError) as refused:
        throttle.check(email="a@x", address="10.0.0.2")
    assert refused.value.retry_after == 290
    clock.now += 290
    throttle.check(email="a@x", address="10.0.0.2")


def test_an_address_guessing_many_emails_is_blocked() -> None:
    throttle = LoginThrottle(max_per_email=5, max_per_address=3, clock=Clock())
    for i in range(3):
        fail(throttle, 1, email=f"user{i}@x")
    with pytest.raises(RateLimitedError):
        throttle.check(email="someone-new@x", address="10.0.0.1")
    throttle.check(email="someone-new@x", address="10.0.0.9")


def test_success_forgets_the_email_but_not_the_address() -> None:
    throttle = LoginThrottle(max_per_email=2, max_per_address=3, clock=Clock())
    fail(throttle, 2)
    throttle.record_success(email="a@x")
    throttle.check(email="a@x", address="10.0.0.2")
    fail(throttle, 1)
    with pytest.raises(RateLimitedError):
        throttle.check(email="b@x", address="10.0.0.1")
