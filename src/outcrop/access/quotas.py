"""Per-key quotas: a request rate (a token bucket refilled per minute) and a number of requests in flight.

A request over either is a ThrottlingException (429) whose `retry_after_s` the HTTP layer sends as Retry-After.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from outcrop.access.keys import ApiKey
from outcrop.errors import ThrottlingError

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class Quotas:
    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, key: ApiKey | None) -> Callable[[], None]:
        """Admit one request of `key` (None: no quota) or raise ThrottlingError; call the result when it ends."""
        if key is None:
            return _nothing
        with self._lock:
            self._check_concurrency(key)
            self._take_token(key)
            self._in_flight[key.digest] = self._in_flight.get(key.digest, 0) + 1
        return lambda: self._release(key.digest)

    def _check_concurrency(self, key: ApiKey) -> None:
        limit = key.max_concurrent
        if limit is not None and self._in_flight.get(key.digest, 0) >= limit:
            raise ThrottlingError(
                f"Key '{key.name}' already has {limit} request(s) in flight, its concurrency quota; "
                "wait for one to finish, or ask for a higher max_concurrent.",
                retry_after_s=1,
            )

    def _take_token(self, key: ApiKey) -> None:
        rate = key.rate_per_minute
        if rate is None:
            return
        now = self._clock()
        bucket = self._buckets.setdefault(key.digest, _Bucket(float(rate), now))
        bucket.tokens = min(float(rate), bucket.tokens + (now - bucket.stamp) * rate / 60.0)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) * 60.0 / rate)
            raise ThrottlingError(
                f"Key '{key.name}' is limited to {rate} request(s) per minute; retry in {wait} s.",
                retry_after_s=wait,
            )
        bucket.tokens -= 1.0

    def _release(self, digest: str) -> None:
        with self._lock:
            self._in_flight[digest] = max(0, self._in_flight.get(digest, 0) - 1)


def _nothing() -> None:
    return None
