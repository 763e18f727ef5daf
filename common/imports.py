"""Reading the files of two-phase imports: CSV or XLSX to rows of text, with limits, and the errors.

Shared by every importer (trainees.imports, courses.imports). What is decided here, once:

- the encoding of a CSV file (`decode_text`): UTF-8 (with or without a byte order mark) or
  Windows-1252 (what Excel writes in Spanish), and only when the WHOLE file is cleanly that
  encoding; a file that mixes them is refused, naming the line, the byte and its column;
- the limits (`Limits`, from the IMPORT_MAX_* settings): rows, columns and cell length for both
  formats, and for XLSX the uncompressed size and compression ratio of the zip archive, checked
  from the archive's directory and the sheet's declared dimension BEFORE the workbook is parsed;
- the header (`open_table`): column names in any order and case, required ones, unknown ones
  reported as warnings;
- the errors (`ErrorLog`): every error is counted per column and reason, only the first ones are
  kept to be shown, so that a file with every row bad costs no more than a good one to report.
"""

import codecs
import csv
import datetime
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .spreadsheets import unescape_cell

# Leading bytes of files that people upload by mistake (images, PDF, old Excel).
BINARY_SIGNATURES = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"\x7fELF", b"MZ")
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
ZIP_SIGNATURE = b"PK\x03\x04"  # XLSX is a zip archive
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A well-formed UTF-8 sequence of two to four bytes (RFC 3629): in a file that is not valid UTF-8
# as a whole, one of these means the file is UTF-8 with a few foreign bytes, not Windows-1252.
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# Archives smaller than this once inflated are never refused for their ratio (tiny parts such as
# styles.xml compress very well).
RATIO_FLOOR_BYTES = 1024 * 1024
# What a damaged or foreign zip makes openpyxl raise (the XML parser's errors derive from SyntaxError).
XLSX_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, OSError, EOFError, SyntaxError)


class FileRejected(Exception):
    """The file as a whole cannot be imported (empty, too large, not a spreadsheet, no header)."""


@dataclass(frozen=True)
class Limits:
    """What an import file may hold; each from its setting unless given."""

    max_bytes: int | None = None
    max_rows: int = 200_000
    max_columns: int = 100
    max_cell_chars: int = 5_000
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_compression_ratio: int = 100

    @classmethod
    def from_settings(cls, **overrides):
        values = {
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_columns": settings.IMPORT_MAX_COLUMNS,
            "max_cell_chars": settings.IMPORT_MAX_CELL_CHARS,
            "max_uncompressed_bytes": settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            "max_compression_ratio": settings.IMPORT_MAX_COMPRESSION_RATIO,
        }
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)


@dataclass(frozen=True)
class RowError:
    """One problem: `row` is the spreadsheet row number (None for the file as a whole)."""

    row: int | None
    column: str
    message: str
    value: str = ""

    def __str__(self):
        where = _("Row %(row)s") % {"row": self.row} if self.row is not None else _("File")
        if self.column:
            where = _("%(where)s, column %(column)s") % {"where": where, "column": self.column}
        text = f"{where}: {self.message}"
        if self.value.strip():
            text += " " + _("(value: “%(value)s”)") % {"value": self.value}
        return text


@dataclass
class ErrorGroup:
    """The errors of one kind: a column and a reason, how many, and the first of them."""

    column: str
    reason: str
    count: int
    first_row: int | None
    example: str


class ErrorLog:
    """Every error counted per (column, reason); only the first `keep` are kept in full."""

    def __init__(self, keep=None):
        self.keep = settings.IMPORT_MAX_ERRORS_SHOWN if keep is None else keep
        self.shown: list[RowError] = []
        self.count = 0
        self.bad_rows = 0  # rows with at least one error
        self._last_row = None
        self._groups: dict[tuple[str, str], ErrorGroup] = {}

    def add(self, error: RowError, reason=""):
        """Record `error`; `reason` names its kind (a validation code), default its message."""
        self._count_row(error.row)
        self.count += 1
        key = (error.column, reason or error.message)
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = ErrorGroup(error.column, reason or error.message, 1, error.row, error.message)
        else:
            group.count += 1
        if len(self.shown) < self.keep:
            self.shown.append(error)

    @property
    def full(self):
        return len(self.shown) >= self.keep

    def _count_row(self, row):
        if row is not None and row != self._last_row:
            self.bad_rows += 1
            self._last_row = row

    def seen(self, column, reason):
        return (column, reason) in self._groups

    def count_only(self, row, column, reason):
        """Count one more error of a kind already seen."""
        self._count_row(row)
        self.count += 1
        self._groups[(column, reason)].count += 1

    def clear(self):
        self.shown, self.count, self._groups = [], 0, {}
        self.bad_rows, self._last_row = 0, None

    @property
    def groups(self):
        """The kinds of error, most frequent first."""
        return sorted(self._groups.values(), key=lambda g: (-g.count, g.first_row or 0, g.column))

    @property
    def truncated(self):
        return self.count > len(self.shown)


@dataclass
class ImportFile:
    """What was learnt reading the file: format, encoding, separator, columns, rows, warnings."""

    filename: str = ""
    file_format: str = ""  # "CSV" or "XLSX"
    encoding: str = ""
    delimiter: str = ""
    rows: int = 0  # data rows read (empty rows skipped)
    columns: list[str] = field(default_factory=list)  # the known columns the file has
    warnings: list[str] = field(default_factory=list)


# --- encoding ---------------------------------------------------------------------------------------


def _position(data, index):
    """(line, column) of byte `index`, both from 1; the column counts characters, not bytes."""
    line_start = data.rfind(b"\n", 0, index) + 1
    column = len(data[line_start:index].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, index) + 1, column


def _encoding_error(data, index, encoding_name, *, after_bom=False):
    line, column = _position(data, index)
    params = {"line": line, "byte": f"0x{data[index]:02X}", "column": column, "encoding": encoding_name}
    if after_bom:
        text = _(
            "Line %(line)s, byte %(byte)s at column %(column)s is not valid UTF-8, although the file starts "
            "with the UTF-8 byte order mark: part of it was written in another encoding (Windows-1252?)."
        )
    else:
        text = _(
            "Line %(line)s, byte %(byte)s at column %(column)s is not valid %(encoding)s, and the rest of the "
            "file is %(encoding)s: the file mixes two encodings."
        )
    advice = _("Save the file again as “CSV UTF-8” (Excel) or as XLSX, and upload it again.")
    return FileRejected(f"{text % params} {advice}")


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the name of its encoding, or FileRejected.

    The rule, decided here once: a file is read as UTF-8 (a byte order mark allowed) when it all
    decodes as UTF-8; as Windows-1252 when it holds no UTF-8 sequence at all and all decodes as
    Windows-1252 (Excel's "CSV" in Western European locales); UTF-16 with its byte order mark
    (Excel's "Unicode text"). Anything else mixes encodings and is refused, naming the line, the
    byte and its column: guessing would store "JosÃ©" in every row. A byte order mark followed by
    Windows-1252 bytes is such a mix.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as error:
            raise not_a_spreadsheet() from error
    if b"\x00" in data:
        raise not_a_spreadsheet()
    has_bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    offset = len(codecs.BOM_UTF8) if has_bom else 0
    if has_bom:
        raise _encoding_error(data, utf8_error.start + offset, "UTF-8", after_bom=True)
    if UTF8_MULTIBYTE.search(data):
        raise _encoding_error(data, utf8_error.start, "UTF-8")
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as error:
        # One of the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
        raise _encoding_error(data, error.start, "Windows-1252") from error


# --- reading ----------------------------------------------------------------------------------------


def not_a_spreadsheet():
    return FileRejected(
        _("This file is neither a CSV nor an XLSX spreadsheet. Save the list from Excel or LibreOffice as CSV or XLSX.")
    )


def not_readable_xlsx():
    return FileRejected(_("This file is not a readable XLSX workbook."))


def too_large_message(size, limit):
    return _("The file is %(size)s; the limit is %(limit)s.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(limit),
    }


def _too_many_rows(limits):
    return FileRejected(
        _("The file has more than %(max)s rows; split it into smaller files.") % {"max": number_format(limits.max_rows)}
    )


def _too_many_columns(row, count, limits):
    return FileRejected(
        _("Row %(row)s has %(count)s columns; the limit is %(max)s. Delete the cells to the right of the table.")
        % {"row": row, "count": number_format(count), "max": limits.max_columns}
    )


def _check_cells(number, cells, limits):
    if len(cells) > limits.max_columns:
        raise _too_many_columns(number, len(cells), limits)
    for index, cell in enumerate(cells, start=1):
        if len(cell) > limits.max_cell_chars:
            raise FileRejected(
                _("Row %(row)s, column %(column)s holds %(count)s characters; a cell may hold at most %(max)s.")
                % {
                    "row": number,
                    "column": index,
                    "count": number_format(len(cell)),
                    "max": number_format(limits.max_cell_chars),
                }
            )


def _delimiter(text):
    """The separator used on the header line: comma, semicolon (Excel in Spanish) or tab."""
    end = text.find("\n")
    header = text[: end if end >= 0 else len(text)]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(data, info, limits):
    text, info.encoding = decode_text(data)
    sample = text[:65536]
    if sample and len(CONTROL_CHARACTERS.findall(sample)) > len(sample) // 100:
        raise not_a_spreadsheet()
    info.file_format = "CSV"
    info.delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=info.delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            _check_cells(number, cells, limits)
            yield number, cells
    except csv.Error as error:
        raise FileRejected(
            _("Row %(row)s cannot be read as CSV (%(reason)s).") % {"row": number + 1, "reason": error}
        ) from error


def xlsx_text(value):
    """A cell's value as the text a person sees (12345, not 12345.0; dates in ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a service number typed as a number: 12345, not 12345.0
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).replace("\x00", "")  # PostgreSQL text cannot hold NUL


def check_archive(data, limits):
    """Refuse a zip whose parts would inflate beyond the limits, from its directory alone.

    The declared sizes bind: Python's zipfile never inflates a member beyond its declared size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise not_readable_xlsx() from error
    inflated = sum(member.file_size for member in members)
    if inflated > limits.max_uncompressed_bytes:
        raise FileRejected(
            _(
                "This workbook would take %(size)s once opened; the limit is %(limit)s. Save the list as CSV, "
                "or split it into smaller files."
            )
            % {"size": filesizeformat(inflated), "limit": filesizeformat(limits.max_uncompressed_bytes)}
        )
    ratio = inflated / max(len(data), 1)
    if inflated > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
        raise FileRejected(
            _(
                "This workbook is compressed %(ratio)s times (a spreadsheet is rarely compressed more than "
                "%(max)s times): it is not an ordinary spreadsheet and is not opened."
            )
            % {"ratio": number_format(int(ratio)), "max": limits.max_compression_ratio}
        )


def _read_xlsx(data, info, limits):
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    info.file_format = "XLSX"
    check_archive(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Workbook contains no default style" and the like
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, *XLSX_ERRORS) as error:
        raise not_readable_xlsx() from error
    try:
        sheet = workbook.worksheets[0]
        # The dimension the sheet declares (A1:M1200), read without reading the cells.
        if sheet.max_column is not None and sheet.max_column > limits.max_columns:
            raise FileRejected(
                _(
                    "The sheet reaches column %(letter)s (%(count)s columns); the limit is %(max)s. "
                    "Delete the cells to the right of the table."
                )
                % {
                    "letter": get_column_letter(sheet.max_column),
                    "count": number_format(sheet.max_column),
                    "max": limits.max_columns,
                }
            )
        if sheet.max_row is not None and sheet.max_row > limits.max_rows + 1:
            raise _too_many_rows(limits)
        # Without a declared dimension, read one column past the limit: a value there is too wide.
        width = sheet.max_column or limits.max_columns + 1
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=width), start=1):
            cells = [xlsx_text(value) for value in values]
            while cells and not cells[-1]:
                cells.pop()
            _check_cells(number, cells, limits)
            yield number, cells
    except XLSX_ERRORS as error:
        raise not_readable_xlsx() from error
    finally:
        workbook.close()


def read_rows(data, filename, info, limits):
    """(row number, cells as text) for every row of the file, header included."""
    if not data:
        raise FileRejected(_("The file is empty."))
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise FileRejected(too_large_message(len(data), limits.max_bytes))
    if data.startswith(ZIP_SIGNATURE):
        return _read_xlsx(data, info, limits)
    if data.startswith(OLE2_SIGNATURE):
        raise FileRejected(_("This is an Excel 97-2003 file (.xls). Save it as .xlsx or as CSV and upload it again."))
    if data.startswith(BINARY_SIGNATURES):
        raise not_a_spreadsheet()
    if filename.lower().endswith(".xlsx"):
        raise not_readable_xlsx()
    return _read_csv(data, info, limits)


def column_name(text):
    """Header cells match case-insensitively; "Service number" also matches service_number."""
    return "_".join(text.replace("\ufeff", "").strip().lower().replace("-", " ").split())


def open_table(data, *, filename, info, limits, columns, required):
    """Read the header row and check it; returns an iterator of (row number, {column: text},
    extra cells beyond the header) for each non-empty row. Cells are unescaped (unescape_cell).

    Raises FileRejected for a file without a header naming the `columns`, with a column twice,
    or without one of the `required` columns; unknown columns become warnings in `info`.
    """
    rows = read_rows(data, filename, info, limits)
    for _number, cells in rows:
        if any(cell.strip() for cell in cells):
            header = cells
            break
    else:
        raise FileRejected(_("The file has no rows."))
    names = [column_name(cell) for cell in header]
    if not set(names) & set(columns):
        raise FileRejected(
            _("The first row must name the columns (%(columns)s); none of them was found.")
            % {"columns": ", ".join(columns)}
        )
    seen = set()
    for name in names:
        if name and name in seen:
            raise FileRejected(_("The column %(column)s appears more than once in the header.") % {"column": name})
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        raise FileRejected(
            ngettext(
                "The required column %(columns)s is missing from the header row.",
                "The required columns %(columns)s are missing from the header row.",
                len(missing),
            )
            % {"columns": ", ".join(missing)}
        )
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name and name not in columns]
    if unknown:
        info.warnings.append(
            ngettext("Unknown column ignored: %(columns)s.", "Unknown columns ignored: %(columns)s.", len(unknown))
            % {"columns": ", ".join(unknown)}
        )
    positions = {name: index for index, name in enumerate(names) if name in columns}
    info.columns = [name for name in columns if name in positions]
    return _records(rows, positions, len(names), info, limits)


def _records(rows, positions, width, info, limits):
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and the empty trailing rows spreadsheets leave behind
        info.rows += 1
        if info.rows > limits.max_rows:
            raise _too_many_rows(limits)
        extra = [cell for cell in cells[width:] if cell.strip()]
        values = {name: unescape_cell(cells[index]) if index < len(cells) else "" for name, index in positions.items()}
        yield number, values, extra


class RowForm(forms.Form):
    """A form that validates many rows with one instance: `check(values)` per row.

    A Django form deep-copies its fields when created; for each of 50,000 rows that copy cost
    more than the validation itself. The fields are never changed here, so one instance serves."""

    def check(self, values):
        self.data = values
        self.is_bound = True
        self._errors = None
        self.cleaned_data = {}
        return self.is_valid()


def extra_cells_error(number, extra):
    return RowError(
        number,
        "",
        _("This row has more cells than the header has columns; check the separator and the quotes."),
        extra[0],
    )


@dataclass
class ImportReport(ImportFile):
    """The file's description and its errors; each importer adds what it plans to write."""

    log: ErrorLog = field(default_factory=ErrorLog, repr=False)
    committed: bool = False
    stopped_after_row: int | None = None  # checking stopped there: too many rows with errors

    def enough_errors(self, number):
        """Whether to stop checking the file after row `number`: once IMPORT_MAX_BAD_ROWS rows have
        errors the file cannot be imported, and checking the rest would only make the wait longer
        (a file of 200,000 bad rows is reported as fast as one of 1,000)."""
        if self.log.bad_rows < settings.IMPORT_MAX_BAD_ROWS:
            return False
        self.stopped_after_row = number
        return True

    def add_error(self, error: RowError, reason=""):
        self.log.add(error, reason)

    def add_form_errors(self, number, form, values):
        """The errors of a row's bound form, by column and validation code. Once the errors shown
        are complete only the counts grow: no message is written for an error nobody will read."""
        for column, errors in form.errors.as_data().items():
            for error in errors:
                if self.log.full and self.log.seen(column, error.code or error.message):
                    self.log.count_only(number, column, error.code or error.message)
                    continue
                for message in error.messages:
                    self.log.add(RowError(number, column, message, values.get(column, "")), error.code or message)

    def reject(self, message):
        """The file as a whole is refused: only this error stands."""
        self.log.clear()
        self.rows = 0
        self.log.add(RowError(None, "", message))

    @property
    def stopped_text(self):
        return stopped_message(self) if self.stopped_after_row is not None else ""

    @property
    def errors(self):
        """The first errors (IMPORT_MAX_ERRORS_SHOWN), in the order they were found or sorted."""
        return self.log.shown

    @property
    def error_count(self):
        return self.log.count

    @property
    def error_groups(self):
        return self.log.groups

    @property
    def ok(self):
        return not self.log.count

    @property
    def file_errors(self):
        return [error for error in self.errors if error.row is None]

    @property
    def row_errors(self):
        return [error for error in self.errors if error.row is not None]


def stopped_message(report):
    return _(
        "Checking stopped after row %(row)s: %(count)s rows have errors. The counts cover the rows up to there."
    ) % {"row": report.stopped_after_row, "count": report.log.bad_rows}


def error_lines(report):
    """The errors as lines for a command's output: the first ones in full, then, when there were
    more, how many of each kind."""
    lines = [str(error) for error in report.errors]
    if report.stopped_after_row is not None:
        lines.append(stopped_message(report))
    if report.log.truncated:
        lines.append(
            _("… the first %(shown)s of %(total)s errors. Errors by column and reason:")
            % {"shown": len(report.errors), "total": report.error_count}
        )
        for group in report.error_groups:
            lines.append(
                _("  %(count)s × %(column)s: %(example)s (first in row %(row)s)")
                % {
                    "count": group.count,
                    "column": group.column or "—",
                    "example": group.example,
                    "row": group.first_row if group.first_row is not None else "—",
                }
            )
    return lines
