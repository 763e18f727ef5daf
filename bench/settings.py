"""Settings for the benchmarks: the production settings with DEBUG off, served over plain HTTP on
the loopback, and bench/urls.py (the application's URLs plus a bare view to compare against).

    DJANGO_SETTINGS_MODULE=bench.settings

Never used in production: the bare view exists only here.
"""

from cecopam.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# The load tool talks plain HTTP to 127.0.0.1: no TLS redirect, cookies without the Secure flag.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Keep the connection between requests, as a production server does.
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
# Only warnings: a log line per request would be part of what is measured.
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# A Redis database of the benchmarks' own: bench/pages.py empties it to time first visits.
CACHES["default"]["LOCATION"] = env("BENCH_CACHE_URL", default="redis://127.0.0.1:6379/3")  # noqa: F405
# The page benchmark times one administrator downloading the same file again and again: the
# per-user download throttle (a product rule, tested in tests/test_downloads.py) would answer 429.
DOWNLOAD_RATE_LIMIT = "100000/m"
DOWNLOAD_CONCURRENCY = 100
# The page benchmark runs no Celery worker: tasks run in-process when queued, so the report pages
# "_computed" time the computation a worker does plus the page (reports/cache.py).
CELERY_TASK_ALWAYS_EAGER = True
