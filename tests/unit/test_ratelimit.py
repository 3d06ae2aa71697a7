"""The token bucket, driven by a fake clock: no real waiting, no timing assertions."""

from __future__ import annotations

import asyncio

import pytest

from notifications.ratelimit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let other waiters run, as a real sleep would


def bucket(rate: float, burst: float | None = None) -> tuple[TokenBucket, FakeClock]:
    clock = FakeClock()
    return TokenBucket(rate, burst=burst, clock=clock, sleep=clock.sleep), clock


async def test_bucket_paces_sends_at_the_configured_rate():
    b, clock = bucket(5, burst=5)
    for _ in range(25):
        await b.acquire()
    # 5 at once from the full bucket, then 20 more at 5/s
    assert clock.now == pytest.approx(4.0)


async def test_a_full_bucket_does_not_sleep():
    b, clock = bucket(10)
    for _ in range(10):  # burst defaults to one second's worth
        await b.acquire()
    assert clock.sleeps == []
    await b.acquire()
    assert clock.sleeps == [pytest.approx(0.1)]


async def test_slow_rates_space_messages_evenly():
    b, clock = bucket(0.5)  # burst is at least one token
    stamps = []
    for _ in range(3):
        await b.acquire()
        stamps.append(clock.now)
    assert stamps == [pytest.approx(0.0), pytest.approx(2.0), pytest.approx(4.0)]


def test_try_acquire_refuses_when_empty_and_refills():
    b, clock = bucket(2, burst=1)
    assert b.try_acquire() and not b.try_acquire()
    clock.now += 0.25
    assert not b.try_acquire()
    clock.now += 0.25
    assert b.try_acquire()


def test_an_idle_bucket_fills_only_up_to_its_burst():
    b, clock = bucket(1, burst=3)
    assert all(b.try_acquire() for _ in range(3))
    clock.now += 3600
    assert [b.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_a_clock_that_steps_back_adds_no_tokens():
    b, clock = bucket(1, burst=1)
    clock.now = 10.0
    b.try_acquire()
    b.try_acquire()
    clock.now = 5.0
    assert not b.try_acquire()


async def test_waiters_are_served_in_arrival_order():
    b, clock = bucket(1, burst=1)
    b.try_acquire()
    served: list[int] = []

    async def waiter(i: int) -> None:
        await b.acquire()
        served.append(i)

    await asyncio.gather(*(waiter(i) for i in range(5)))
    assert served == [0, 1, 2, 3, 4]
    assert clock.now == pytest.approx(5.0)


async def test_several_tokens_at_once():
    b, clock = bucket(2, burst=4)
    await b.acquire(4)
    await b.acquire(3)
    assert clock.now == pytest.approx(1.5)


@pytest.mark.parametrize(("rate", "burst"), [(0, None), (-1, None), (1, 0)])
def test_rate_and_burst_must_be_positive(rate, burst):
    with pytest.raises(ValueError):
        TokenBucket(rate, burst=burst)


async def test_asking_for_more_than_the_burst_fails_instead_of_waiting_forever():
    b, _ = bucket(1, burst=2)
    with pytest.raises(ValueError):
        await b.acquire(3)
    with pytest.raises(ValueError):
        b.try_acquire(0)
