"""manage.py export_roster SESSION_CODE --format csv|xlsx|pdf --output FILE"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from courses import exports
from courses.models import CourseSession


class Command(BaseCommand):
    help = "Write a session's roster as CSV, XLSX or a PDF sign-in sheet."

    def add_arguments(self, parser):
        parser.add_argument("session_code")
        parser.add_argument("--format", choices=["csv", "xlsx", "pdf"], required=True)
        parser.add_argument("--output", required=True, help="File to write.")

    def handle(self, *args, session_code, format, output, **options):
        session = CourseSession.objects.select_related("course").filter(code=session_code).first()
        if session is None:
            raise CommandError(_("No session has the code %(code)s.") % {"code": session_code})
        path = Path(output)
        if format == "pdf":
            path.write_bytes(exports.roster_pdf_bytes(session))
        else:
            response = (exports.roster_csv_response if format == "csv" else exports.roster_xlsx_response)(session)
            with path.open("wb") as handle:
                for chunk in response.streaming_content:
                    handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            # Not response.close(): that fires request_finished, which closes the database connection.
        self.stdout.write(f"Wrote the roster of {session.code} ({format}) to {path}.")
