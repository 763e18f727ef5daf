"""manage.py import_trainees FILE [--dry-run]: import trainees from a CSV or XLSX file, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.imports import error_lines
from trainees.imports import import_trainees


class Command(BaseCommand):
    help = (
        "Import trainees from a CSV or XLSX file (columns as in the trainee list export). "
        "A row whose service_number and nationality match an existing trainee updates it. "
        "A file with any error imports nothing and the exit status is 1."
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
        report = import_trainees(data, filename=path.name, commit=not dry_run)

        self.stdout.write(" · ".join(part for part in (path.name, report.file_format, report.encoding) if part))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))
        for organization in report.new_organizations:
            self.stdout.write(
                _("New organization: %(name)s (%(country)s), row %(row)s")
                % {"name": organization.name, "country": organization.country, "row": organization.row}
            )
        if options["verbosity"] >= 2:
            for planned in report.created:
                self.stdout.write(
                    _("Row %(row)s: create %(number)s (%(country)s) %(name)s")
                    % {
                        "row": planned.row,
                        "number": planned.service_number,
                        "country": planned.nationality,
                        "name": planned.name,
                    }
                )
            for planned in report.updated:
                self.stdout.write(
                    _("Row %(row)s: update %(number)s (%(country)s): %(changes)s")
                    % {
                        "row": planned.row,
                        "number": planned.service_number,
                        "country": planned.nationality,
                        "changes": "; ".join(f"{c.column}: “{c.old}” → “{c.new}”" for c in planned.changes),
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
