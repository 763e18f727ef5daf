"""Session rosters as CSV, XLSX and a printable PDF sign-in sheet.

One module serves the web downloads (/sessions/<id>/roster.csv|xlsx|pdf) and the
`export_roster` command. The CSV is written by PostgreSQL (common/csv_copy.py); the XLSX reads
rows with iterator(); memory stays flat either way. Every export is recorded in accounts.ExportLog.
"""

from django.db.models import Case, CharField, F, FilteredRelation, Func, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ExportLog
from certifications.documents import render_pdf
from common.csv_copy import copy_csv_response, safe_text
from common.spreadsheets import fitting_widths, xlsx_response
from trainees.models import name_order

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
        _("Certificate expires on"),
    ]


EXPIRES_ON_COLUMN = 10  # index of the date column, formatted as a date in the XLSX


def roster_widths(session):
    """XLSX column widths that fit the session's longest values (one query)."""
    longest_label = max(len(str(label)) for label in [*Enrollment.Status.labels, *Enrollment.Result.labels])
    full_name = Concat(
        "trainee__given_names",
        Value(" "),
        "trainee__paternal_surname",
        Value(" "),
        "trainee__maternal_surname",
    )
    return fitting_widths(
        roster_enrollments(session),
        [
            "trainee__service_number",
            "trainee__rank",
            full_name,
            6,
            "trainee__organization__name",
            longest_label + 2,
            longest_label + 2,
            6,
            6,
            "certificate_code",
            12,
        ],
    )


def roster_enrollments(session):
    """The session's enrolments in roster order (enrolled, waitlisted, withdrawn; by surname),
    each with `certificate_code`: the live certificate issued for it, if any."""
    status_order = {Enrollment.Status.ENROLLED: 0, Enrollment.Status.WAITLISTED: 1, Enrollment.Status.WITHDRAWN: 2}
    return (
        session.enrollments.select_related("trainee__organization")
        .annotate(
            live_certificate=FilteredRelation("certifications", condition=Q(certifications__revoked_at__isnull=True)),
            certificate_code=F("live_certificate__code"),
            certificate_expires_on=F("live_certificate__expires_on"),
            status_order=Case(
                *[When(status=status, then=Value(order)) for status, order in status_order.items()],
                output_field=IntegerField(),
            ),
        )
        .order_by("status_order", *name_order("trainee__"))
    )


def roster_rows(session):
    """The rows of the XLSX: the same cells as the CSV (the spreadsheet helper makes text safe)."""
    return roster_enrollments(session).values_list(*roster_cells()).iterator(chunk_size=ROSTER_CHUNK_SIZE)


def _filename(session, extension):
    return f"roster-{session.code}.{extension}"


def _log(user, kind, session, row_count=None):
    ExportLog.objects.record(
        user=user,
        kind=kind,
        parameters={"session": session.code},
        row_count=session.enrollments.count() if row_count is None else row_count,
    )


def _labels(field, choices):
    """The display label of a choice field (get_FOO_display()), in the active language, in SQL."""
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices],
        default=F(field),
        output_field=CharField(),
    )


def roster_cells():
    """Each roster column (roster_header()) as the expression that computes it in the database:
    one definition for the CSV and the XLSX."""
    # Trainee.full_name: the given names and the surnames that are not empty, one space apart.
    full_name = Trim(
        Func(
            Value(" "),
            *[
                NullIf(f"trainee__{name}", Value(""))
                for name in ("given_names", "paternal_surname", "maternal_surname")
            ],
            function="concat_ws",
            output_field=CharField(),
        )
    )
    return [
        F("trainee__service_number"),
        F("trainee__rank"),
        full_name,
        F("trainee__nationality"),
        Coalesce(F("trainee__organization__name"), Value("")),
        _labels("status", Enrollment.Status.choices),
        _labels("result", Enrollment.Result.choices),
        F("score"),
        F("attendance"),
        Coalesce(F("certificate_code"), Value("")),
        F("certificate_expires_on"),
    ]


# Cells the database writes as numbers or dates in the CSV; every other cell is text, made safe.
_NOT_TEXT = {7, 8, EXPIRES_ON_COLUMN}


def roster_csv_cells(session):
    """roster_cells() for the CSV (common/csv_copy.py): text cells neutralized in SQL."""
    return roster_enrollments(session).values_list(
        *[cell if index in _NOT_TEXT else safe_text(cell) for index, cell in enumerate(roster_cells())]
    )


def roster_csv_response(session, *, user=None):
    """The roster as CSV, written by PostgreSQL: the same cells as roster_rows() would give."""
    _log(user, "roster-csv", session)
    return copy_csv_response(roster_header(), roster_csv_cells(session), _filename(session, "csv"))


def roster_xlsx_response(session, *, user=None):
    _log(user, "roster-xlsx", session)
    return xlsx_response(
        roster_header(),
        roster_rows(session),
        _filename(session, "xlsx"),
        title=session.code,
        widths=roster_widths(session),
        date_columns=(EXPIRES_ON_COLUMN,),
    )


def roster_pdf_bytes(session, *, user=None):
    """The printable sign-in sheet: header with course, dates, location and instructors; one
    row per enrolled trainee with an empty signature column; numbered pages."""
    enrollments = list(roster_enrollments(session).filter(status=Enrollment.Status.ENROLLED))
    _log(user, "roster-pdf", session, row_count=len(enrollments))
    context = {
        "session": session,
        "course": session.course,
        "instructors": list(session.instructors.all()),
        "enrollments": enrollments,
        "printed_at": timezone.localtime(),
    }
    return render_pdf("courses/roster_pdf.html", context)
