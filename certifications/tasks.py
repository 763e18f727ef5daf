"""Celery tasks for expiry reminders: thin wrappers around certifications/reminders.py.

- send_expiry_reminders (beat, daily): the sweep; each claimed reminder gets its own task.
- send_expiry_reminder: one message, acknowledged late and retried with exponential back-off;
  delivery claims the send in the database, so a redelivered task sends nothing twice.
- requeue_stalled_reminders (beat, every few minutes): claimed reminders whose send never
  finished (a killed worker, a lost message) are enqueued again.
- send_reminder_digest (beat, weekly): the administrators' digest.
- render_transcript (certifications/transcripts.py), render_certificate (stored_documents.py):
  the PDFs, off the request path.
"""

import smtplib
from datetime import date
from functools import partial

from celery import shared_task
from django.utils import timezone

from . import reminders
from .stored_documents import render_certificate_task  # noqa: F401 - registered with the worker
from .transcripts import render_transcript_task  # noqa: F401 - registered with the worker


def enqueue_reminders(reminder_ids, today=None):
    """One send task per reminder; ids only, never model instances. `today` (ISO date) is
    passed on only when the sweep ran for a chosen day, so that the message counts the days
    left from that day."""
    extra = {"today": today} if today else {}
    for reminder_id in reminder_ids:
        send_expiry_reminder.delay(reminder_id, **extra)


@shared_task(name="certifications.tasks.send_expiry_reminders")
def send_expiry_reminders(today=None):
    """The daily sweep. `today` (ISO date) replaces the local date, to catch up or to test."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    claims = reminders.sweep(today=day, dispatch=partial(enqueue_reminders, today=today))
    return len(claims)


@shared_task(
    bind=True,
    name="certifications.tasks.send_expiry_reminder",
    # Safe to acknowledge late: delivery claims the send, so a redelivery after a crash
    # either finds it sent (and does nothing) or takes it over once its lease has run out.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=1800,  # below the broker visibility timeout (3600 s)
    retry_jitter=True,
    max_retries=8,
    # Well below reminders.SEND_LEASE: a send still running never loses its claim.
    soft_time_limit=240,
    time_limit=300,
)
def send_expiry_reminder(self, reminder_id, today=None):
    return reminders.deliver(reminder_id, today=date.fromisoformat(today) if today else None)


@shared_task(name="certifications.tasks.requeue_stalled_reminders")
def requeue_stalled_reminders():
    return len(reminders.requeue_stalled(dispatch=enqueue_reminders))


@shared_task(name="certifications.tasks.send_reminder_digest")
def send_reminder_digest(today=None):
    day = date.fromisoformat(today) if today else None
    return reminders.send_digest(today=day)
