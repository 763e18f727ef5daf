"""`manage.py send_reminder_digest [--today YYYY-MM-DD]`: the administrators' weekly digest of
certifications expiring in the next 30 days and reminders that could not be delivered (the
same function the weekly Celery task runs)."""

from django.core.management.base import BaseCommand

from certifications import reminders

from .send_expiry_reminders import iso_date


class Command(BaseCommand):
    help = "Email administrators what expires in the next 30 days and which reminders were not delivered."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=iso_date, help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, today=None, **options):
        sent = reminders.send_digest(today=today)
        self.stdout.write(f"Digest sent to {sent} administrator(s).")
