"""Report figures kept between requests, under the version of the data they count.

Aggregating a nation's enrolments takes the database seconds, while the rows behind them change
a few times a day. Every row a report counts is written with a history event (django-pghistory
records each insert and update of trainees, sessions, enrolments and certifications, bulk and
raw SQL included, in append-only tables), so the highest event id of those four tables is a
version of the data: any write changes it, and a report computed under one version is served
again only while it holds. Reading the version is one statement of four index lookups.

The key also holds the day (a certification's standing), the language (labels are translated
when computed) and the database. Catalogue edits that write no event (a course's UGPS category,
an organization's or a certification type's name) show once the entry expires: REPORT_CACHE_SECONDS.
Figures are kept in each server process (CACHES["reports"]), like the record renderings.
"""

import hashlib

from django.apps import apps
from django.core.cache import caches
from django.db import connection
from django.utils import translation

REPORT_CACHE_SECONDS = 10 * 60
EVENT_MODELS = (
    ("trainees", "TraineeEvent"),
    ("courses", "CourseSessionEvent"),
    ("courses", "EnrollmentEvent"),
    ("certifications", "CertificationEvent"),
)


def data_version():
    """The highest history event id of each table the reports count, in one statement."""
    quote = connection.ops.quote_name
    parts = []
    for app_label, model_name in EVENT_MODELS:
        meta = apps.get_model(app_label, model_name)._meta
        # Identifiers from the models' metadata only.
        parts.append(f"(SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return cursor.fetchone()


def cached(name, parts, compute):
    """compute(), or what it returned before for the same `name`, `parts` and data version."""
    raw = repr((name, parts, data_version(), translation.get_language(), connection.settings_dict["NAME"]))
    key = "report:" + hashlib.sha256(raw.encode()).hexdigest()
    cache = caches["reports"]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, REPORT_CACHE_SECONDS)
    return value
