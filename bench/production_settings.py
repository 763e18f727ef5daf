"""The production settings (cecopam/settings.py, configured by the environment as the README's
Production section says) plus bench/urls.py's bare view: what bench/load.py serves.

    DJANGO_SETTINGS_MODULE=bench.production_settings DEBUG=false SECRET_KEY=... gunicorn -c gunicorn.conf.py

Nothing else is changed: the bare view is measured behind exactly the production middleware.
Never used in production.
"""

from cecopam.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Each of the load test's virtual users downloads about 12 files a minute, a stress mix well past a
# person's pace; the per-user download throttle (8 a minute by default, tests/test_downloads.py)
# would answer most of them 429. The throttle's own cost (one Redis round trip) is still paid.
DOWNLOAD_RATE_LIMIT = "100000/m"
DOWNLOAD_CONCURRENCY = 100
