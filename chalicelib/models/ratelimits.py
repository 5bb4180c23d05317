"""Windows of counted events (login attempts, password changes, uploads) per key."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class RateLimitWindow(Model):
    """Events counted for ``key`` since ``window_start``; expiry is compared, TTL only tidies up.

    Sign-in throttling also stores ``window_end`` (the window's length grows after each lock-out)
    and ``strikes``, the number of lock-outs in a row that made it grow.
    """

    Meta = table_meta("rate-limits")
    key = UnicodeAttribute(hash_key=True)
    window_start = UTCDateTimeAttribute()
    window_end = UTCDateTimeAttribute(null=True)
    count = NumberAttribute(default=0)
    strikes = NumberAttribute(default=0)
    ttl = TTLAttribute()
