"""The Celery application: `celery -A cecopam worker` / `celery -A cecopam beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cecopam.settings")

app = Celery("cecopam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
