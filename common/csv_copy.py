"""CSV exports written by PostgreSQL itself: COPY (the export's query) TO STDOUT WITH CSV.

A CSV export that builds each row in Python (model instances, one csv.writer call a row)
reaches about a tenth of the rate at which PostgreSQL writes the same rows as CSV (bench/RESULTS.md:
45,000 against 400,000 rows a second for the national trainee list). Here the query computes
every cell, formula neutralization included, and COPY writes the file: Python only passes the
bytes on.

The file is the same as common.spreadsheets.csv_response() writes, cell for cell: UTF-8 with a
byte order mark, a header row, text starting with = + - @, a tab or a carriage return prefixed
with an apostrophe (safe_cell), numbers and dates as text (dates ISO), empty cells unquoted.
Lines end with a line feed (Excel and LibreOffice read both).

COPY runs on the request's own connection (so inside its transaction, as any query) into an
anonymous temporary file, which the response then streams in blocks: memory stays flat however
many rows, and the first byte leaves when the database has finished writing.
"""

import csv
import io
import tempfile
import time

from django.db import connection
from django.db.models import Func, TextField
from django.http import FileResponse

from .spreadsheets import CSV_CONTENT_TYPE, ESCAPED_SQL, safe_cell

BLOCK_SIZE = 64 * 1024


class SafeCell(Func):
    """The text of a cell as safe_cell() gives it: an apostrophe before a leading = + - @, tab or
    carriage return, or before apostrophes followed by one; NULL for an empty string (so that COPY
    leaves the cell empty, unquoted)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(CASE WHEN {sql} ~ %s THEN '''' || {sql} ELSE NULLIF({sql}, '') END)",
            [*params, ESCAPED_SQL, *params, *params],
        )


def safe_text(expression):
    """SafeCell for a text expression (a field name or any expression giving text)."""
    return SafeCell(expression)


class _CsvFile(FileResponse):
    block_size = BLOCK_SIZE


def copy_sql(queryset):
    """The complete `COPY (query) TO STDOUT WITH (FORMAT csv)` statement for `queryset` (values
    quoted by the driver: COPY takes no parameters)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        select = cursor.mogrify(sql, params).decode()
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv)"


def copy_csv_response(header, queryset, filename):
    """A CSV download of `queryset` (a values_list() whose every text column went through
    safe_text()), written by PostgreSQL, after a header row of `header`."""
    statement = copy_sql(queryset)
    output = tempfile.TemporaryFile()
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow([safe_cell(str(name)) for name in header])
    output.write(("\ufeff" + head.getvalue()).encode())
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(statement, output)
    if connection.queries_logged:  # visible to query counts (CaptureQueriesContext, DEBUG)
        connection.queries_log.append({"sql": statement, "time": f"{time.monotonic() - started:.3f}"})
    output.seek(0)
    return _CsvFile(output, as_attachment=True, filename=filename, content_type=CSV_CONTENT_TYPE)
