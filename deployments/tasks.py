"""Celery tasks for deployment reminders: thin wrappers around deployments/reminders.py.

- send_deployment_reminders (beat, daily): the sweep; each claimed reminder gets its own task.
- send_deployment_reminder: one message, acknowledged late and retried with back-off; delivery
  claims the send in the database, so a redelivered task sends nothing twice.
- requeue_stalled_deployment_reminders (beat): claimed reminders whose send never finished.
"""

import smtplib
from datetime import date

from celery import shared_task

from . import reminders


def enqueue(reminder_ids):
    for reminder_id in reminder_ids:
        send_deployment_reminder.delay(reminder_id)


@shared_task(name="deployments.tasks.send_deployment_reminders")
def send_deployment_reminders(today=None):
    day = date.fromisoformat(today) if today else None
    return len(reminders.sweep(today=day, dispatch=enqueue))


@shared_task(
    bind=True,
    name="deployments.tasks.send_deployment_reminder",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=240,
    time_limit=300,
)
def send_deployment_reminder(self, reminder_id):
    return reminders.deliver(reminder_id)


@shared_task(name="deployments.tasks.requeue_stalled_deployment_reminders")
def requeue_stalled_deployment_reminders():
    return len(reminders.requeue_stalled(dispatch=enqueue))
