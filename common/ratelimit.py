"""Fixed-window counters in the shared cache (Redis): every worker process sees the same count;
`add` creates a window's key once and `incr` is atomic. Used by the public verification page
(per client address) and by downloads (per user)."""

from django.core.cache import cache
from django.utils import timezone

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
