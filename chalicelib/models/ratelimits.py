"""Fixed windows of counted events (login failures, password changes, uploads) per key."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class RateLimitWindow(Model):
    """Events counted for ``key`` since ``window_start``; expiry is compared, TTL only tidies up."""

    Meta = table_meta("rate-limits")
    key = UnicodeAttribute(hash_key=True)
    window_start = UTCDateTimeAttribute()
    count = NumberAttribute(default=0)
    ttl = TTLAttribute()
