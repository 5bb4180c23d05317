"""Fixed-window counters in DynamoDB: a key may see at most N events per window, then 429."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.errors import TooManyRequests
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.ratelimits import RateLimitWindow
from chalicelib.settings import get_settings


def retry_after(key: str, limit: int, window_seconds: int, now: datetime | None = None) -> int:
    """Seconds until ``key`` may act again, or 0 when it is under ``limit`` in its current window."""
    if not get_settings().rate_limit_enabled:
        return 0
    now = now or utcnow()
    try:
        window = RateLimitWindow.get(key, consistent_read=True)
    except DoesNotExist:
        return 0
    ends = window.window_start + timedelta(seconds=window_seconds)
    if ends <= now or window.count < limit:
        return 0
    return max(1, math.ceil((ends - now).total_seconds()))


def check(key: str, limit: int, window_seconds: int, message: str) -> None:
    """Raise 429 with ``Retry-After`` when ``key`` has used up its window."""
    wait = retry_after(key, limit, window_seconds)
    if wait:
        raise TooManyRequests(message, retry_after=wait)


def hit(key: str, window_seconds: int, now: datetime | None = None) -> int:
    """Count one event for ``key`` atomically; returns the count in the current window."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    window = RateLimitWindow(key)
    try:
        window.update(
            actions=[RateLimitWindow.count.add(1)],
            condition=RateLimitWindow.window_start > cutoff,
        )
        return int(window.count)
    except UpdateError as error:
        if not condition_failed(error):
            raise
    fresh = RateLimitWindow(key, window_start=now, count=1, ttl=now + timedelta(seconds=window_seconds * 2))
    try:
        fresh.save(condition=RateLimitWindow.key.does_not_exist() | (RateLimitWindow.window_start <= cutoff))
        return 1
    except PutError as error:
        if not condition_failed(error):
            raise
        return hit(key, window_seconds, now)  # another request opened the window first


def consume(key: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one event and raise 429 if it goes past ``limit`` (for uploads, imports, exports…)."""
    check(key, limit, window_seconds, message)
    if get_settings().rate_limit_enabled:
        hit(key, window_seconds)


def reset(key: str) -> None:
    """Forget ``key``'s window (a successful login clears its account's failures)."""
    RateLimitWindow(key).delete()
