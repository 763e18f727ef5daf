"""Celery task for the monthly summary: a thin wrapper around reports/summary.py.

send_monthly_summary (beat, every morning): sends last month's summary on the first working
day of the month, once (the month's row and a conditional UPDATE claim it in the database).
"""

import smtplib
from datetime import date

from celery import shared_task

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
