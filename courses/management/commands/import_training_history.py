"""manage.py import_training_history FILE [--dry-run]: import past training from CSV or XLSX, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.imports import error_lines
from courses.imports import import_training_history


class Command(BaseCommand):
    help = (
        "Import past training from a CSV or XLSX file: one row per person and course taken (service_number, "
        "nationality, course_code, session_code or starts_on + ends_on, result, score, attendance, and "
        "certificate_issued_on, certificate_code, certificate_expires_on, issuer when a certificate was issued). "
        "Missing past sessions are created finalized. A file with any error imports nothing and the exit status "
        "is 1; rows already recorded change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8 or Windows-1252, comma or semicolon) or XLSX file.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(_("Cannot read %(path)s: %(reason)s.") % {"path": path, "reason": error}) from error
        report = import_training_history(data, filename=path.name, commit=not dry_run)

        self.stdout.write(" · ".join(part for part in (path.name, report.file_format, report.encoding) if part))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))
        for session in report.new_sessions:
            self.stdout.write(
                _("New session: %(code)s (%(course)s, %(starts)s – %(ends)s), finalized")
                % {
                    "code": session.code,
                    "course": session.course.code,
                    "starts": session.starts_on,
                    "ends": session.ends_on,
                }
            )
        if not report.ok:
            for line in error_lines(report):
                self.stderr.write(line)
            raise CommandError(
                _("%(count)s error(s) in %(file)s; nothing was imported.")
                % {"count": report.error_count, "file": path.name}
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
