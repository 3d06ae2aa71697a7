from __future__ import annotations

from notifications.ratelimit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_bucket_paces_sends_at_the_configured_rate():
    clock = FakeClock()
    bucket = TokenBucket(5, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(25):
        await bucket.acquire()
    # 5 at once from the full bucket, then 20 more at 5/s
    assert abs(clock.now - 4.0) < 1e-9


def test_try_acquire_refuses_when_empty_and_refills():
    clock = FakeClock()
    bucket = TokenBucket(2, burst=1, clock=clock, sleep=clock.sleep)
    assert bucket.try_acquire() and not bucket.try_acquire()
    clock.now += 0.5
    assert bucket.try_acquire()
