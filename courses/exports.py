"""Session rosters as CSV, XLSX and a printable PDF sign-in sheet.

One module serves the web downloads (/sessions/<id>/roster.csv|xlsx|pdf) and the
`export_roster` command. Rows are read with iterator() so memory stays flat; every export
is recorded in accounts.ExportLog.
"""

from django.db.models import F, FilteredRelation, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ExportLog
from cecopam.spreadsheets import csv_response, xlsx_response
from certifications.documents import render_pdf

from .models import Enrollment

ROSTER_CHUNK_SIZE = 2000


def roster_header():
    return [
        _("Service number"),
        _("Rank"),
        _("Full name"),
        _("Nationality"),
        _("Organization"),
        _("Enrolment status"),
        _("Result"),
        _("Score"),
        _("Attendance (%)"),
        _("Certificate code"),
    ]


ROSTER_WIDTHS = [16, 18, 38, 12, 34, 16, 14, 8, 14, 22]


def roster_enrollments(session):
    """The session's enrolments in roster order (enrolled, waitlisted, withdrawn; by surname),
    each with `certificate_code`: the live certificate issued for it, if any."""
    status_order = {Enrollment.Status.ENROLLED: 0, Enrollment.Status.WAITLISTED: 1, Enrollment.Status.WITHDRAWN: 2}
    from django.db.models import Case, IntegerField, Value, When

    return (
        session.enrollments.select_related("trainee__organization")
        .annotate(
            live_certificate=FilteredRelation("certifications", condition=Q(certifications__revoked_at__isnull=True)),
            certificate_code=F("live_certificate__code"),
            status_order=Case(
                *[When(status=status, then=Value(order)) for status, order in status_order.items()],
                output_field=IntegerField(),
            ),
        )
        .order_by(
            "status_order", "trainee__paternal_surname", "trainee__maternal_surname", "trainee__given_names", "pk"
        )
    )


def roster_rows(session):
    for enrollment in roster_enrollments(session).iterator(chunk_size=ROSTER_CHUNK_SIZE):
        trainee = enrollment.trainee
        yield [
            trainee.service_number,
            trainee.rank,
            trainee.full_name,
            trainee.nationality.code,
            trainee.organization.name if trainee.organization else "",
            enrollment.get_status_display(),
            enrollment.get_result_display(),
            enrollment.score,
            enrollment.attendance,
            enrollment.certificate_code or "",
        ]


def _filename(session, extension):
    return f"roster-{session.code}.{extension}"


def _log(user, kind, session):
    ExportLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        kind=kind,
        parameters={"session": session.code},
        row_count=session.enrollments.count(),
    )


def roster_csv_response(session, *, user=None):
    _log(user, "roster-csv", session)
    return csv_response(roster_header(), roster_rows(session), _filename(session, "csv"))


def roster_xlsx_response(session, *, user=None):
    _log(user, "roster-xlsx", session)
    return xlsx_response(
        roster_header(), roster_rows(session), _filename(session, "xlsx"), title=session.code, widths=ROSTER_WIDTHS
    )


def roster_pdf_bytes(session, *, user=None):
    """The printable sign-in sheet: header with course, dates, location and instructors; one
    row per enrolled trainee with an empty signature column; numbered pages."""
    _log(user, "roster-pdf", session)
    enrollments = [e for e in roster_enrollments(session) if e.status == Enrollment.Status.ENROLLED]
    context = {
        "session": session,
        "course": session.course,
        "instructors": list(session.instructors.all()),
        "enrollments": enrollments,
        "printed_at": timezone.localtime(),
    }
    return render_pdf("courses/roster_pdf.html", context)
