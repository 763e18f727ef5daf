"""Nomination lists (CSV, XLSX, PDF) and the readiness pool (CSV), with the columns DESIGN.md
names; every export is formula-safe (common/spreadsheets.py) and recorded in the export log."""

from django.http import HttpResponse
from django.utils import timezone

from accounts.models import ExportLog
from certifications.documents import render_pdf
from common.downloads import attach_file
from common.spreadsheets import csv_response, xlsx_response

NOMINATION_COLUMNS = [
    "service_number",
    "nationality",
    "name",
    "organization",
    "gender",
    "nomination_status",
    "ready",
    "failing",
    "lapses_on",
]
READINESS_COLUMNS = [column for column in NOMINATION_COLUMNS if column != "nomination_status"]
LAPSES_ON_COLUMN = NOMINATION_COLUMNS.index("lapses_on")


def _person(trainee):
    return [
        trainee.service_number,
        str(trainee.nationality),
        trainee.full_name,
        trainee.organization.name if trainee.organization_id else "",
        trainee.gender,
    ]


def _verdict(result):
    return ["yes" if result.ready else "no", " | ".join(result.failing_codes), result.lapses_on]


def nomination_rows(rows):
    """`rows`: (nomination, readiness) pairs, as the deployment page computes them."""
    for nomination, result in rows:
        yield [*_person(nomination.trainee), nomination.status, *_verdict(result)]


def readiness_rows(results):
    for result in results:
        yield _person(result.trainee) + _verdict(result)


def _log(user, kind, parameters, row_count):
    ExportLog.objects.record(user=user, kind=kind, parameters=parameters, row_count=row_count)


def nominations_response(deployment, rows, export, *, user):
    """The nomination list of `deployment` as csv, xlsx or pdf."""
    _log(user, f"nominations-{export}", {"deployment": deployment.code}, len(rows))
    filename = f"nominations-{deployment.code}.{export}"
    if export == "csv":
        return csv_response(NOMINATION_COLUMNS, nomination_rows(rows), filename)
    if export == "xlsx":
        return xlsx_response(
            NOMINATION_COLUMNS,
            nomination_rows(rows),
            filename,
            title=deployment.code,
            widths=[14, 6, 36, 40, 8, 12, 6, 30, 12],
            date_columns=(LAPSES_ON_COLUMN,),
        )
    pdf = render_pdf(
        "deployments/nominations_pdf.html",
        {"deployment": deployment, "rows": rows, "printed_at": timezone.localtime()},
    )
    return attach_file(HttpResponse(pdf, content_type="application/pdf"), filename)


def readiness_csv_response(results, *, user, parameters):
    """The pool (ready first, then almost ready) as CSV."""
    _log(user, "readiness-csv", parameters, len(results))
    return csv_response(READINESS_COLUMNS, readiness_rows(results), f"readiness-{parameters.get('profile', '')}.csv")
