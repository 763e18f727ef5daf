"""Spreadsheet exports shared by every app: formula-safe cells, streaming CSV and XLSX responses.

Text that starts with = + - @, a tab or a carriage return would be run as a formula by Excel
or LibreOffice (CSV injection); such cells get a leading apostrophe. So that the apostrophe can
be taken off again exactly on import (unescape_cell), text that already starts with apostrophes
followed by one of those characters ("'=x", "''+1") gets one more: every string exports and
imports back unchanged. Numbers and dates stay typed. CSV starts with a UTF-8 byte order mark so that Excel reads accented names correctly.
"""

import csv
import re
import tempfile
from datetime import date, datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What gets an apostrophe on export, and loses one on import: apostrophes (none or more), then a
# formula prefix. The same pattern, in PostgreSQL's syntax, escapes COPY exports (csv_copy.SafeCell).
ESCAPED = re.compile("'*[-=+@\t\r]")  # used with match(): anchored at the start
ESCAPED_SQL = "^'*[-=+@\t\r]"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_BATCH_ROWS = 500


def safe_cell(value):
    """The value to write in a cell: text starting like a formula is prefixed with ' ."""
    if value is None:
        return ""
    if isinstance(value, str) and ESCAPED.match(value):
        return "'" + value
    return value


def unescape_cell(text):
    """The inverse of safe_cell for text read back from a file: "'=x" becomes "=x" again and
    "''=x" becomes "'=x", so that an exported file imports back unchanged (a phone number
    "+52 ..." stays "+52 ...", a remark "'@home" keeps its apostrophe)."""
    if text.startswith("'") and ESCAPED.match(text, 1):
        return text[1:]
    return text


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value):
        return value


def _csv_text(value):
    value = safe_cell(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_response(header, rows, filename):
    """A streaming CSV download (UTF-8 with BOM): `rows` is an iterable of sequences, read lazily."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([_csv_text(cell) for cell in header])
        # Rows go out in batches: one chunk per row would cost a write call per row.
        batch = []
        for row in rows:
            batch.append(writer.writerow([_csv_text(cell) for cell in row]))
            if len(batch) >= CSV_BATCH_ROWS:
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)

    response = StreamingHttpResponse(lines(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Control characters XML 1.0 cannot hold (a vertical tab pasted from a word processor): openpyxl
# refuses the whole workbook for one of them, so they are dropped from XLSX cells.
XML_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value):
    value = safe_cell(value)
    if isinstance(value, str):
        return XML_ILLEGAL_CHARACTERS.sub("", value)
    # openpyxl cannot store time-zone aware datetimes.
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)
    return value


def fitting_widths(queryset, columns, *, minimum=8, maximum=80):
    """Column widths (in characters) that fit each column's longest value, found in one query
    (the XLSX is written in write-only mode: widths must be set before the first row).

    `columns` holds, per column, either an expression giving its text (a field name,
    Concat(...)) or a number: a fixed width."""
    from django.db.models import Max
    from django.db.models.functions import Length

    aggregates = {
        f"w{index}": Max(Length(column)) for index, column in enumerate(columns) if not isinstance(column, int)
    }
    longest = queryset.order_by().aggregate(**aggregates) if aggregates else {}
    widths = []
    for index, column in enumerate(columns):
        width = column if isinstance(column, int) else (longest[f"w{index}"] or 0) + 2
        widths.append(min(max(width, minimum), maximum))
    return widths


def xlsx_response(header, rows, filename, *, title="Sheet", widths=None, date_columns=()):
    """An XLSX download written in openpyxl's write-only mode (memory stays flat whatever the
    number of rows) into a temporary file that is streamed back.

    The header row is bold and frozen; `widths` (characters per column) default to fit the
    header; columns listed in `date_columns` (indexes) get a date format."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header):
        width = widths[index] if widths else 0
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(width, len(str(name)) + 2, 8)
    bold = Font(bold=True)
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(str(name)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = [_xlsx_value(cell) for cell in row]
        for index in date_columns:
            if cells[index] not in ("", None):
                cell = WriteOnlyCell(sheet, value=cells[index])
                cell.number_format = "yyyy-mm-dd"
                cells[index] = cell
        sheet.append(cells)
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
