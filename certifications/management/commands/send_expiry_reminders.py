"""`manage.py send_expiry_reminders [--today YYYY-MM-DD] [--dry-run]`: the reminder sweep from the
command line. It runs the same code as the Celery job, but sends each claimed reminder in this
process, so it works without a worker; it also retries claimed reminders whose send never
finished. It prints what it sent, or with --dry-run what it would send (recording nothing)."""

import argparse
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from certifications import reminders
from certifications.models import ExpiryReminder


def iso_date(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def describe(certification, today):
    trainee = certification.trainee
    days = certification.days_left(today)
    return (
        f"{certification.code} · {trainee.display_name} ({trainee.service_number}) · {certification.type.name}"
        f" · expires {certification.expires_on.isoformat()} ({days:+d} d)"
    )


class Command(BaseCommand):
    help = "Send the certification expiry reminders due today (the same code the Celery job runs)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=iso_date, help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent; send and record nothing.")

    def handle(self, *args, today=None, dry_run=False, **options):
        today = today or timezone.localdate()
        if dry_run:
            self.dry_run(today)
            return
        claims = reminders.sweep(today=today)
        retried = reminders.requeue_stalled(dispatch=lambda ids: None)
        claimed_ids = [claim.reminder_id for claim in claims]
        ids = claimed_ids + [pk for pk in retried if pk not in set(claimed_ids)]
        position = {pk: index for index, pk in enumerate(ids)}
        errors = {}
        for reminder_id in ids:
            try:
                reminders.deliver(reminder_id, today=today)
            except Exception as exc:  # noqa: BLE001  recorded on the reminder as failing; the next run retries it
                errors[reminder_id] = exc
        rows = ExpiryReminder.objects.filter(pk__in=ids).select_related(
            "certification__trainee__organization", "certification__type"
        )
        counts = {}
        for reminder in sorted(rows, key=lambda r: position[r.pk]):
            counts[reminder.state] = counts.get(reminder.state, 0) + 1
            detail = (
                ", ".join(reminder.recipients) if reminder.state == ExpiryReminder.State.SENT else reminder.last_error
            )
            self.stdout.write(
                f"{reminder.state}: {reminder.stage}-day reminder · {describe(reminder.certification, today)}"
                + (f" · {detail}" if detail else "")
            )
        summary = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"{today.isoformat()}: {len(claims)} claimed, {len(ids) - len(claims)} retried; {summary}.")

    def dry_run(self, today):
        due = list(reminders.due_on(today))
        for certification in due:
            to, cc = reminders.recipients_for(certification)
            recipients = ", ".join(to + cc) or "no address: would be recorded as undeliverable"
            self.stdout.write(
                f"would send: {certification.reminder_stage}-day reminder · {describe(certification, today)} · {recipients}"
            )
        stalled = reminders.stalled().select_related("certification__trainee__organization", "certification__type")
        for reminder in stalled:
            self.stdout.write(
                f"would retry: {reminder.stage}-day reminder ({reminder.state}) · {describe(reminder.certification, today)}"
            )
        self.stdout.write(f"{today.isoformat()}: dry run, {len(due)} reminder(s) due; nothing sent or recorded.")
