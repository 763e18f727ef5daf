"""The production settings (cecopam/settings.py, configured by the environment as the README's
Production section says) plus bench/urls.py's bare view: what bench/load.py serves.

    DJANGO_SETTINGS_MODULE=bench.production_settings DEBUG=false SECRET_KEY=... gunicorn -c gunicorn.conf.py

Nothing else is changed: the bare view is measured behind exactly the production middleware.
Never used in production.
"""

from cecopam.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
