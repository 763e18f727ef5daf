"""A fixed-window counter per client address in the shared cache, for throttles.

The counter lives in the shared cache (Redis), so every worker process and machine sees the
same count; `add` creates the window's key once and `incr` is atomic.
"""

from django.core.cache import cache
from django.utils import timezone

from .clients import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """Parse a rate such as "30/m" into (30, 60): a count per period (s, m, h or d)."""
    count, _slash, period = str(rate).partition("/")
    return int(count), PERIODS[period.strip().lower()[:1] or "m"]


def over_limit(request, *, scope, rate):
    """Count this request for its client address in `scope`; True when past `rate`."""
    limit, period = parse_rate(rate)
    window = int(timezone.now().timestamp()) // period
    key = f"rate:{scope}:{client_ip(request) or ''}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first request
        cache.add(key, 1, timeout=period + 1)
        count = 1
    return count > limit
