"""`manage.py send_deployment_reminders [--today YYYY-MM-DD] [--dry-run]`: the deployment reminder
sweep from the command line (the same code as the Celery job), sending in this process."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from certifications.management.commands.send_expiry_reminders import iso_date
from certifications.models import Certification
from deployments import reminders
from deployments.models import DeploymentReminder, Nomination


class Command(BaseCommand):
    help = "Tell nominees whose certificate lapses before their deployment ends (once per certificate)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=iso_date, help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent; send and record nothing.")

    def handle(self, *args, today=None, dry_run=False, **options):
        today = today or timezone.localdate()
        if dry_run:
            pairs = list(reminders.due(today))
            nominations = Nomination.objects.in_bulk([n for n, _ in pairs])
            certificates = Certification.objects.select_related("type", "trainee").in_bulk([c for _, c in pairs])
            for nomination_id, certification_id in pairs:
                certificate = certificates[certification_id]
                self.stdout.write(
                    f"would send: {certificate.trainee.display_name} ({certificate.trainee.service_number}) · "
                    f"{certificate.type.code} expires {certificate.expires_on.isoformat()} · "
                    f"deployment {nominations[nomination_id].deployment_id}"
                )
            self.stdout.write(f"{today.isoformat()}: dry run, {len(pairs)} reminder(s) due; nothing sent or recorded.")
            return
        claims = reminders.sweep(today=today)
        retried = reminders.requeue_stalled(dispatch=lambda ids: None)
        ids = list(dict.fromkeys([c.reminder_id for c in claims] + retried))
        for reminder_id in ids:
            try:
                reminders.deliver(reminder_id, today=today)
            except Exception as exc:  # noqa: BLE001  recorded on the reminder as failing; the next run retries it
                self.stderr.write(f"failing: reminder {reminder_id}: {exc}")
        rows = DeploymentReminder.objects.filter(pk__in=ids).select_related(
            "nomination__deployment", "certification__type", "certification__trainee"
        )
        for reminder in rows.order_by("pk"):
            certificate = reminder.certification
            self.stdout.write(
                f"{reminder.state}: {certificate.trainee.display_name} ({certificate.trainee.service_number}) · "
                f"{certificate.type.code} expires {certificate.expires_on.isoformat()} · "
                f"{reminder.nomination.deployment.code} ends {reminder.nomination.deployment.ends_on.isoformat()}"
                + (f" · {', '.join(reminder.recipients)}" if reminder.state == DeploymentReminder.State.SENT else "")
            )
        self.stdout.write(f"{today.isoformat()}: {len(claims)} claimed, {len(ids) - len(claims)} retried.")
