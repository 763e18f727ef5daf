"""Celery tasks of the reports, thin wrappers around the modules that do the work.

send_monthly_summary (beat, every morning): sends last month's summary on the first working
day of the month, once (the month's row and a conditional UPDATE claim it in the database).
compute_report: the figures of the dashboard or the parity report, computed off the request
path and kept for the pages (reports/cache.py, kept()).
"""

import datetime
import smtplib
from datetime import date

from celery import shared_task
from django.core.cache import cache
from django.http import QueryDict
from django.utils import translation

from . import cache as report_cache
from . import summary


@shared_task(
    name="reports.tasks.send_monthly_summary",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=300,
    retry_backoff_max=3600,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def send_monthly_summary(today=None):
    """`today` (ISO date) replaces the local date, to catch up or to test."""
    return summary.send_monthly_summary(today=date.fromisoformat(today) if today else None)


def _dashboard(query, today):
    from . import statistics
    from .filters import read_filters

    _form, filters = read_filters(_query_dict(query), today=today)
    return statistics.dashboard_tables(filters, today), statistics.trained_total(filters)


def _parity(query, today):
    from .parity import ParityFilterForm, parity_rows

    form = ParityFilterForm(_query_dict(query))
    form.is_valid()  # validated by the view that asked
    return parity_rows(form.cleaned_data)


def _query_dict(query):
    params = QueryDict(mutable=True)
    params.update(query)
    return params


REPORTS = {"dashboard": _dashboard, "parity": _parity}


@shared_task(name="reports.tasks.compute_report", ignore_result=True)
def compute_report(name, query, today, language, lock=None):
    """Compute report `name` for the filters `query` and keep it under the data version read
    before computing (a write meanwhile makes the next request compute again)."""
    try:
        today = datetime.date.fromisoformat(today)
        with translation.override(language):
            version = report_cache.data_version()
            report_cache.store(name, query, today, version, REPORTS[name](query, today))
    finally:
        if lock:
            cache.delete(lock)
