"""Counters in DynamoDB: a key may see at most N events per window, then 429.

``attempt`` takes a slot atomically (one conditional update: "count < limit in a live window" → add 1),
so N parallel callers can never get more than ``limit`` slots; a window that filled up makes the next
one longer (doubling up to a cap), which is how a repeatedly throttled sign-in waits longer each time.
``hit`` only counts (for limits that are checked after the fact).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.errors import TooManyRequests
from chalicelib.models.base import condition_failed, utcnow
from chalicelib.models.ratelimits import RateLimitWindow
from chalicelib.settings import get_settings

MAX_ROUNDS = 6  # conditional-write rounds before a contended attempt is refused (fails closed)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _next_length(current: RateLimitWindow | None, limit: int, window: int, cap: int, now: datetime) -> int:
    """The length of a new window: doubled after a full one (a lock-out), back to ``window`` after quiet."""
    if current is None or current.window_end is None or int(current.count) < limit:
        return window
    previous = current.window_end - current.window_start
    if now >= current.window_end + previous:
        return window  # quiet for a whole window: forgiven
    return min(cap, max(window, int(previous.total_seconds()) * 2))


def attempt(
    key: str,
    limit: int,
    window_seconds: int,
    *,
    max_window_seconds: int | None = None,
    now: datetime | None = None,
) -> int:
    """Take one of ``limit`` slots of ``key``'s window atomically: 0 when taken, else seconds to wait.

    After a window that filled up, the next one is twice as long (up to ``max_window_seconds``).
    """
    if not get_settings().rate_limit_enabled:
        return 0
    now = now or utcnow()
    cap = max(window_seconds, max_window_seconds or window_seconds)
    for _ in range(MAX_ROUNDS):
        try:
            RateLimitWindow(key).update(
                actions=[RateLimitWindow.count.add(1)],
                condition=(RateLimitWindow.window_end > now) & (RateLimitWindow.count < limit),
            )
            return 0
        except UpdateError as error:
            if not condition_failed(error):
                raise
        try:
            current: RateLimitWindow | None = RateLimitWindow.get(key, consistent_read=True)
        except DoesNotExist:
            current = None
        if current is not None and current.window_end is not None and current.window_end > now:
            if int(current.count) >= limit:
                return _seconds_until(current.window_end, now)
            continue  # another caller opened this window meanwhile: take a slot in it
        length = _next_length(current, limit, window_seconds, cap, now)
        strikes = int(current.strikes or 0) + 1 if length > window_seconds else 0
        end = now + timedelta(seconds=length)
        fresh = RateLimitWindow(
            key,
            window_start=now,
            window_end=end,
            count=1,
            strikes=strikes,
            ttl=end + timedelta(seconds=length),
        )
        if current is None:
            unchanged = RateLimitWindow.key.does_not_exist()
        elif current.window_end is None:
            unchanged = RateLimitWindow.window_end.does_not_exist()
        else:
            unchanged = RateLimitWindow.window_end == current.window_end
        try:
            fresh.save(condition=unchanged)
            return 0
        except PutError as error:
            if not condition_failed(error):
                raise
    return window_seconds  # still contended after several rounds: refuse rather than let it through


def consume(key: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one event, atomically, or raise 429 when ``key`` used up its window (uploads, imports…)."""
    wait = attempt(key, limit, window_seconds)
    if wait:
        raise TooManyRequests(message, retry_after=wait)


def retry_after(key: str, limit: int, window_seconds: int, now: datetime | None = None) -> int:
    """Seconds until a ``hit``-counted ``key`` may act again, or 0 when under ``limit`` in its window."""
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
    return _seconds_until(ends, now)


def hit(key: str, window_seconds: int, now: datetime | None = None) -> int:
    """Count one event for ``key`` atomically (no limit); returns the count in the current window."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    for _ in range(MAX_ROUNDS):
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
        fresh = RateLimitWindow(
            key, window_start=now, count=1, ttl=now + timedelta(seconds=window_seconds * 2)
        )
        try:
            expired = RateLimitWindow.window_start <= cutoff
            fresh.save(condition=RateLimitWindow.key.does_not_exist() | expired)
            return 1
        except PutError as error:
            if not condition_failed(error):
                raise  # another request opened the window first: count in it
    return 1


def reset(key: str) -> None:
    """Forget ``key``'s window (a successful sign-in clears its account's failures)."""
    RateLimitWindow(key).delete()
