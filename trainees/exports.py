"""The trainee list as CSV or XLSX, filtered like the list page, in the import's columns.

The columns are trainees.imports.COLUMNS with stored values (choice values, ISO country codes,
organizations by name), so an exported file imports back unchanged. The CSV is written by
PostgreSQL (common/csv_copy.py); the XLSX reads rows with iterator() in openpyxl's write-only
mode; memory stays flat whatever the number of trainees. Every export is recorded in
accounts.ExportLog.
"""

from django.db.models import F
from django.utils import timezone

from accounts.models import ExportLog
from common.csv_copy import copy_csv_response, safe_text
from common.spreadsheets import fitting_widths, xlsx_response

from .filters import TraineeFilter, filtered_trainees
from .imports import COLUMNS

EXPORT_CHUNK_SIZE = 2000
# Fixed widths for short coded columns; the others fit their longest value.
FIXED_WIDTHS = {"category": 10, "nationality": 12, "gender": 8, "status": 10}
# Where a column is read from when it is not a field of the same name.
SOURCES = {"organization": "organization__name"}


def _cells():
    """Each column of COLUMNS as the expression that reads it: one definition for both files."""
    return [F(SOURCES.get(name, name)) for name in COLUMNS]


def trainee_rows(queryset):
    """The rows of the XLSX: the same cells as the CSV (the spreadsheet helper makes text safe)."""
    return queryset.values_list(*_cells()).iterator(chunk_size=EXPORT_CHUNK_SIZE)


def _filename(extension):
    return f"trainees-{timezone.localdate():%Y-%m-%d}.{extension}"


def _filters(params):
    """The list's filters as given in the query string (what the export log records)."""
    return {name: params.get(name) for name in TraineeFilter.base_filters if params.get(name)}


def _export(params, user, kind):
    queryset = filtered_trainees(params, user).qs
    ExportLog.objects.record(
        user=user,
        kind=kind,
        parameters=_filters(params),
        row_count=queryset.count(),
    )
    return queryset


def trainees_csv_response(params, *, user):
    """The trainees `user` may see, filtered by `params` (the list's query string), as CSV.

    The database writes the file (COPY of the same rows, cells computed by the query, formulas
    neutralized): the same cells as trainee_rows() through csv_response(), several times faster
    (bench/RESULTS.md)."""
    queryset = _export(params, user, "trainees-csv")
    cells = [safe_text(cell) for cell in _cells()]
    return copy_csv_response(list(COLUMNS), queryset.values_list(*cells), _filename("csv"))


def trainees_xlsx_response(params, *, user):
    """The same rows as trainees_csv_response, as an XLSX workbook."""
    queryset = _export(params, user, "trainees-xlsx")
    widths = fitting_widths(
        queryset,
        [FIXED_WIDTHS.get(name, SOURCES.get(name, name)) for name in COLUMNS],
    )
    return xlsx_response(list(COLUMNS), trainee_rows(queryset), _filename("xlsx"), title="trainees", widths=widths)
