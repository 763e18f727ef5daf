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

Pages (the dashboard, the parity report) never compute on the request: at national scale the
figures take the database 5–15 s, and in a working day the data changes every few minutes. `kept()`
serves the figures of the current data version when a worker has computed them. After a change,
one Celery task (a lock in the cache) computes the new ones and the page waits REPORT_WAIT_SECONDS
for them; if they take longer, it shows the last ones computed, dated and marked as being
updated, or, with none at all, says they are being prepared and asks again by itself. These
figures live in the shared cache (CACHES["default"]: every server process and the worker see them). Downloads (`cached()`) compute
what is missing here and now, in each server process (CACHES["reports"]): a file must count
the data as it is.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache import caches
from django.db import connection
from django.utils import timezone, translation

REPORT_CACHE_SECONDS = 10 * 60
KEPT_SECONDS = 24 * 60 * 60  # the last figures computed, served (dated) while newer ones are computed
LOCK_SECONDS = 10 * 60
POLL_SECONDS = 0.1
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


def _key(prefix, *parts):
    raw = repr((*parts, translation.get_language(), connection.settings_dict["NAME"]))
    return prefix + hashlib.sha256(raw.encode()).hexdigest()


def cached(name, parts, compute):
    """compute(), or what it returned before for the same `name`, `parts` and data version."""
    key = _key("report:", name, parts, data_version())
    cache = caches["reports"]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, REPORT_CACHE_SECONDS)
    return value


@dataclass(frozen=True)
class Kept:
    value: object
    computed_at: datetime
    stale: bool  # the data changed since: newer figures are being computed


def kept_key(name, query, today):
    return _key("report-kept:", name, sorted(query.items()), today.isoformat())


def store(name, query, today, version, value):
    """Keep `value`, computed under data `version`, for kept() (called by reports.tasks)."""
    entry = {"version": version, "computed_at": timezone.now(), "value": value}
    shared_cache.set(kept_key(name, query, today), entry, KEPT_SECONDS)


def kept(name, query, today, wait_seconds=None):
    """The figures of report `name` for the filters `query` (a dict of the query string's
    values) on `today`, computed by a worker (reports.tasks.compute_report): a Kept, or None while
    the first ones are being computed. See the module's docstring."""
    from .tasks import compute_report

    wait_seconds = settings.REPORT_WAIT_SECONDS if wait_seconds is None else wait_seconds
    version = data_version()
    key = kept_key(name, query, today)
    entry = shared_cache.get(key)
    if entry is not None and entry["version"] == version:
        return Kept(entry["value"], entry["computed_at"], stale=False)
    lock = key + ":lock"
    if shared_cache.add(lock, 1, LOCK_SECONDS):
        compute_report.delay(name, query, today.isoformat(), translation.get_language(), lock)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        fresh = shared_cache.get(key)
        if fresh is not None and fresh["version"] == version:
            return Kept(fresh["value"], fresh["computed_at"], stale=False)
    entry = shared_cache.get(key) or entry
    if entry is None:
        return None
    return Kept(entry["value"], entry["computed_at"], stale=entry["version"] != version)
