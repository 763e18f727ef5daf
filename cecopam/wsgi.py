"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cecopam.settings")

application = get_wsgi_application()

# Garbage collection tuned for serving requests (see cecopam/runtime.py).
from cecopam.runtime import tune_garbage_collector  # noqa: E402

tune_garbage_collector()
