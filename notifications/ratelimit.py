"""A token bucket for outgoing SMS (SMS_RATE_PER_SECOND). Clock and sleep are injectable, so
tests drive it with a fake clock instead of waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """`rate_per_second` tokens flow in continuously up to `burst` (default: one second's worth,
    at least 1). Limits are per process: several workers each get their own bucket."""

    def __init__(
        self,
        rate_per_second: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        capacity = burst if burst is not None else max(1.0, rate_per_second)
        if capacity <= 0:
            raise ValueError("burst must be positive")
        self.rate = rate_per_second
        self.capacity = capacity
        self.tokens = capacity  # a fresh bucket is full: the first burst leaves at once
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def _check(self, n: float) -> None:
        if n <= 0 or n > self.capacity:
            raise ValueError(f"cannot take {n} tokens from a bucket of {self.capacity}")

    def try_acquire(self, n: float = 1) -> bool:
        """Take `n` tokens if they are there now; never waits."""
        self._check(n)
        self._refill()
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False

    async def acquire(self, n: float = 1) -> None:
        """Wait until `n` tokens are there and take them. Waiters are served in arrival order."""
        self._check(n)
        async with self._lock:
            while not self.try_acquire(n):
                await self.sleep(max((n - self.tokens) / self.rate, 1e-6))
