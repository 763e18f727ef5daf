"""Fixed-window counters in the shared cache, for throttles: per client address (the public
verification page, sign-in) or per user (downloads, common/downloads.py).

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


def count_in_window(key, period):
    """Count one more event for `key` in the current window of `period` seconds; return the
    window's count so far and the seconds until the window ends."""
    now = timezone.now().timestamp()
    window = int(now) // period
    window_key = f"{key}:{window}"
    cache.add(window_key, 0, timeout=period + 1)
    try:
        count = cache.incr(window_key)
    except ValueError:  # expired between add and incr: this is the window's first event
        cache.add(window_key, 1, timeout=period + 1)
        count = 1
    return count, max(1, int((window + 1) * period - now) + 1)


def uncount(key, period):
    """Take back one event counted for `key` in the current window (one that turned out not to
    count, e.g. a "being prepared" answer that asks again by itself)."""
    try:
        cache.decr(f"{key}:{int(timezone.now().timestamp()) // period}")
    except ValueError:  # the window has passed: nothing to take back
        pass


def over_limit(request, *, scope, rate):
    """Count this request for its client address in `scope`; True when past `rate`."""
    limit, period = parse_rate(rate)
    count, _retry_after = count_in_window(f"rate:{scope}:{client_ip(request) or ''}", period)
    return count > limit
