"""Trainee imports from CSV or XLSX files: read, validate every row, then write all or nothing.

One function, import_trainees(), serves the `import_trainees` command and the /trainees/import/
page. It works in two phases:

1. read and validate: the file is decoded (XLSX; or CSV in UTF-8 with or without BOM, else
   Windows-1252, separated by commas, semicolons or tabs; common.imports reads it, within the
   limits), every row goes through
   TraineeRowForm, and the lookups (existing trainees by (service_number, nationality),
   organizations by name) are loaded once into dicts, so the number of queries does not grow
   with the number of rows;
2. write: when no row has an error, new organizations, new trainees and changed trainees are
   written in one transaction with bulk_create / bulk_update. Otherwise nothing is written.

The report says what will be (or was) created, updated and left unchanged, lists the new
organizations and the warnings (unknown columns, ignored), and every error with its row number
(as a spreadsheet shows it: the header is row 1), its column and the reason.
"""

import functools
import hashlib
from dataclasses import dataclass, field

import pghistory
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from common.imports import (
    FileRejected,
    Limits,
    RowError,
    RowForm,
    extra_cells_error,
    open_table,
    too_large_message,
)
from common.imports import ImportReport as FileReport

from .models import Organization, Trainee, normalize_search

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "FileRejected", "RowError", "import_trainees", "too_large_message"]

# The file's columns, in the order the trainee list export writes them (DESIGN.md's contract).
COLUMNS = (
    "service_number",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "rank",
    "category",
    "branch",
    "organization",
    "nationality",
    "gender",
    "email",
    "phone",
    "status",
)
REQUIRED_COLUMNS = ("service_number", "given_names", "paternal_surname", "nationality")
KEY_COLUMNS = ("service_number", "nationality")
# Columns whose empty cell keeps the stored value (or the default, for a new trainee): the
# field cannot be blank, so an empty cell cannot mean "clear it".
KEEP_WHEN_EMPTY = ("category", "status")
WRITE_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Change:
    column: str
    old: str
    new: str


@dataclass
class PlannedRow:
    """What one row of the file does: create a trainee, update one (with its changes), or nothing."""

    row: int
    service_number: str
    nationality: str
    name: str
    changes: list[Change] = field(default_factory=list)
    trainee: Trainee | None = field(default=None, repr=False)
    new_organization: str = ""  # casefolded name of an organization this import creates


@dataclass
class NewOrganization:
    name: str
    country: str
    kind: str
    row: int


@dataclass
class ImportReport(FileReport):
    created: list[PlannedRow] = field(default_factory=list)
    updated: list[PlannedRow] = field(default_factory=list)
    unchanged: list[PlannedRow] = field(default_factory=list)
    new_organizations: list[NewOrganization] = field(default_factory=list)
    changed_since_preview: bool = False

    @property
    def fingerprint(self):
        """A digest of what the import would write: a confirmation applies only the plan the user saw."""
        digest = hashlib.sha256()
        for planned in self.created:
            digest.update(f"C|{planned.row}|{planned.service_number}|{planned.nationality}\n".encode())
        for planned in self.updated:
            changes = "|".join(f"{c.column}={c.new}" for c in planned.changes)
            digest.update(f"U|{planned.row}|{planned.service_number}|{planned.nationality}|{changes}\n".encode())
        for organization in self.new_organizations:
            digest.update(f"O|{organization.name}\n".encode())
        return digest.hexdigest()

    def summary(self):
        if self.committed:
            text = _("Imported %(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        else:
            text = _("%(rows)s rows: %(created)s to create, %(updated)s to update, %(unchanged)s unchanged.")
        return text % {
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


# --- validation ----------------------------------------------------------------------------------


@functools.cache
def _country_codes():
    return frozenset(countries.countries)


@functools.lru_cache(maxsize=2048)
def country_code(value):
    """The ISO 3166 alpha-2 code for a code (MX, mx), an alpha-3 code (MEX), or a country name in
    English or Spanish (Mexico, México); None if it names no country."""
    text = value.strip()
    if text.upper() in _country_codes():
        return text.upper()
    code = countries.alpha2(text.upper())
    if code:
        return code
    for language in ("en", "es"):
        with translation.override(language):
            code = countries.by_name(text, language=language)
        if code:
            return code
    return None


@functools.cache
def _choice_lookup(enum):
    """Stored value by its unaccented, lower-cased value or label in English or Spanish."""
    lookup = {}
    for language in ("en", "es"):
        with translation.override(language):
            for value, label in enum.choices:
                lookup[normalize_search(str(label))] = value
    for value in enum.values:
        lookup[normalize_search(value)] = value
    if enum is Trainee.Gender:
        # The words Mexican forms use beside the labels (Mujer, Hombre).
        lookup.update({"femenino": enum.FEMALE, "masculino": enum.MALE})
    return lookup


@functools.cache
def _choice_values(enum):
    return ", ".join(enum.values)


def _model_field(name):
    return Trainee._meta.get_field(name).formfield()


class TraineeRowForm(RowForm):
    """One row of an import file, validated as the trainee form validates the same fields.

    Choice columns take the stored value (military) or its label in English or Spanish
    (Military, Militar); the nationality takes an ISO code (MX, MEX) or a country name. An empty
    category or status means "keep" (or the default, for a new trainee).
    """

    service_number = _model_field("service_number")
    given_names = _model_field("given_names")
    paternal_surname = _model_field("paternal_surname")
    maternal_surname = _model_field("maternal_surname")
    rank = _model_field("rank")
    category = forms.CharField(required=False, max_length=40)
    branch = _model_field("branch")
    organization = forms.CharField(required=False, max_length=Organization._meta.get_field("name").max_length)
    nationality = forms.CharField(max_length=80)
    gender = forms.CharField(required=False, max_length=40)
    email = _model_field("email")
    phone = _model_field("phone")
    status = forms.CharField(required=False, max_length=40)

    def _choice(self, name, enum):
        value = self.cleaned_data.get(name, "")
        if not value:
            return ""
        stored = _choice_lookup(enum).get(normalize_search(value))
        if stored is None:
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s."),
                code="invalid_choice",
                params={"value": value, "choices": _choice_values(enum)},
            )
        return stored

    def clean_category(self):
        return self._choice("category", Trainee.Category)

    def clean_gender(self):
        return self._choice("gender", Trainee.Gender)

    def clean_status(self):
        return self._choice("status", Trainee.Status)

    def clean_nationality(self):
        value = self.cleaned_data["nationality"]
        code = country_code(value)
        if code is None:
            raise ValidationError(
                _("“%(value)s” is not a country: use its two-letter ISO 3166 code, e.g. MX."),
                code="invalid_country",
                params={"value": value},
            )
        return code

    def clean_organization(self):
        return " ".join(self.cleaned_data.get("organization", "").split())


def _validate(records, report):
    """Validate each row through TraineeRowForm; errors go to the report. Returns the valid rows."""
    valid = []
    keys = {}  # (service_number, nationality) -> row numbers, to find duplicates in the file
    form = TraineeRowForm()
    for number, values, extra in records:
        if extra:
            report.add_error(extra_cells_error(number, extra), "extra_cells")
        valid_form = form.check(values)
        report.add_form_errors(number, form, values)
        service_number = form.cleaned_data.get("service_number") or values["service_number"].strip()
        nationality = form.cleaned_data.get("nationality") or values["nationality"].strip().upper()
        if service_number and nationality:
            keys.setdefault((service_number, nationality), []).append(number)
        if valid_form and not extra:
            valid.append((number, form.cleaned_data))
        elif report.enough_errors(number):
            break
    duplicated = set()
    for (service_number, nationality), numbers in keys.items():
        if len(numbers) > 1:
            duplicated.update(numbers)
            for number in numbers:
                report.add_error(
                    RowError(
                        number,
                        "service_number",
                        _("Service number %(number)s (%(country)s) appears more than once in this file: rows %(rows)s.")
                        % {
                            "number": service_number,
                            "country": nationality,
                            "rows": ", ".join(str(n) for n in numbers),
                        },
                        service_number,
                    ),
                    "duplicate",
                )
    column_order = {name: index for index, name in enumerate(("", *COLUMNS))}
    report.errors.sort(key=lambda e: (e.row is not None, e.row or 0, column_order.get(e.column, 99)))
    return [(number, values) for number, values in valid if number not in duplicated]


# --- planning and writing ------------------------------------------------------------------------


def _display(column, value, organizations_by_id):
    if column == "organization":
        organization = organizations_by_id.get(value)
        return organization.name if organization else ""
    if column == "nationality":
        return getattr(value, "code", value) or ""
    return str(value or "")


def _plan(report, rows, *, lock):
    """Match each valid row to an existing trainee (or none) and say what the write would do."""
    report.created, report.updated, report.unchanged, report.new_organizations = [], [], [], []
    present = [name for name in report.columns if name not in KEY_COLUMNS]
    numbers = {values["service_number"] for _number, values in rows}
    existing_qs = Trainee.objects.filter(service_number__in=numbers).defer("search_text")
    if lock:
        existing_qs = existing_qs.select_for_update()  # no concurrent edit is overwritten unseen
    existing = {(t.service_number, t.nationality.code): t for t in existing_qs}
    organizations = list(Organization.objects.all())
    by_id = {o.pk: o for o in organizations}
    by_name = {o.name: o for o in organizations}
    by_folded = {}
    for organization in organizations:
        by_folded.setdefault(organization.name.casefold(), organization)
    new_organizations = {}  # casefolded name -> NewOrganization

    for number, values in rows:
        key = (values["service_number"], values["nationality"])
        organization = None
        new_organization = ""
        if "organization" in present and values["organization"]:
            name = values["organization"]
            organization = by_name.get(name) or by_folded.get(name.casefold())
            if organization is None:
                new_organization = name.casefold()
                if new_organization not in new_organizations:
                    is_partner = values["nationality"] != "MX"
                    kind = Organization.Kind.PARTNER if is_partner else values["category"] or Organization.Kind.MILITARY
                    new_organizations[new_organization] = NewOrganization(name, values["nationality"], kind, number)
        name = " ".join(
            part for part in (values["given_names"], values["paternal_surname"], values["maternal_surname"]) if part
        )
        planned = PlannedRow(number, key[0], key[1], name, new_organization=new_organization)
        trainee = existing.get(key)
        if trainee is None:
            trainee = Trainee(service_number=key[0], nationality=key[1])
            for column in present:
                if column == "organization":
                    trainee.organization = organization
                elif values[column] or column not in KEEP_WHEN_EMPTY:
                    setattr(trainee, column, values[column])
            planned.trainee = trainee
            report.created.append(planned)
            continue
        for column in present:
            if column == "organization":
                old = trainee.organization_id
                if new_organization or (organization.pk if organization else None) != old:
                    planned.changes.append(
                        Change(
                            column, _display(column, old, by_id), organization.name if organization else values[column]
                        )
                    )
                    trainee.organization = organization
                continue
            new = values[column]
            if column in KEEP_WHEN_EMPTY and not new:
                continue
            old = getattr(trainee, column)
            # Cells are read stripped, as the trainee form strips its input: surrounding
            # whitespace stored by other means is not a change.
            if old != new and not (isinstance(old, str) and old.strip() == new):
                planned.changes.append(Change(column, _display(column, old, by_id), new))
                setattr(trainee, column, new)
        planned.trainee = trainee
        (report.updated if planned.changes else report.unchanged).append(planned)
    report.new_organizations = list(new_organizations.values())


def _write(report):
    if report.new_organizations:
        Organization.objects.bulk_create(
            [Organization(name=o.name, country=o.country, kind=o.kind) for o in report.new_organizations],
            batch_size=WRITE_BATCH_SIZE,
        )
        names = [o.name for o in report.new_organizations]
        created = {o.name.casefold(): o for o in Organization.objects.filter(name__in=names)}
        for planned in (*report.created, *report.updated):
            if planned.new_organization:
                planned.trainee.organization = created[planned.new_organization]
    Trainee.objects.bulk_create([p.trainee for p in report.created], batch_size=WRITE_BATCH_SIZE)
    if report.updated:
        now = timezone.now()
        fields = {"updated_at"}
        for planned in report.updated:
            planned.trainee.updated_at = now
            fields.update(change.column for change in planned.changes)
        Trainee.objects.bulk_update(
            [p.trainee for p in report.updated], fields=sorted(fields), batch_size=WRITE_BATCH_SIZE // 2
        )


def import_trainees(data, *, filename="", commit=False, expected_fingerprint=None, max_bytes=None, max_rows=None):
    """Read a CSV or XLSX file of trainees (bytes) and, with `commit`, import it.

    Guarantees: every row is validated before anything is written; a file with any error
    (file-level or in any row) writes nothing; otherwise the new organizations, new trainees and
    changed trainees are written in one transaction, all or nothing. A row whose
    (service_number, nationality) matches an existing trainee updates the columns the file has;
    unknown columns are reported as warnings and ignored. With `expected_fingerprint` (the
    preview's ImportReport.fingerprint), nothing is written if the plan differs from what was
    previewed (the trainees changed in between): the report then has `changed_since_preview`.
    Without `commit`, nothing is written at all (the preview, --dry-run).

    Returns an ImportReport; `committed` says whether the file was imported.
    """
    report = ImportReport(filename=filename)
    limits = Limits.from_settings(max_bytes=max_bytes, max_rows=max_rows)
    try:
        records = open_table(
            data, filename=filename, info=report, limits=limits, columns=COLUMNS, required=REQUIRED_COLUMNS
        )
        rows = _validate(records, report)
    except FileRejected as rejected:
        report.reject(str(rejected))
        return report

    if report.rows == 0:
        report.add_error(RowError(None, "", _("The file has a header row but no trainee rows.")))
    if not commit or not report.ok:
        _plan(report, rows, lock=False)
        return report
    try:
        with transaction.atomic():
            _plan(report, rows, lock=True)
            if expected_fingerprint is not None and report.fingerprint != expected_fingerprint:
                report.changed_since_preview = True
                return report
            with pghistory.context(source="import_trainees", import_file=filename):
                _write(report)
    except IntegrityError:
        # Another administrator created the same trainee or organization meanwhile.
        report.add_error(
            RowError(
                None,
                "",
                _("The trainees changed while this file was being imported; nothing was imported. Try again."),
            )
        )
        return report
    report.committed = True
    return report


def import_rows(rows, *, commit=False, first_row=1, source="api"):
    """Import trainees given as mappings of column to text (the REST API's rows), as import_trainees()
    imports a file's rows: the same validation and messages (TraineeRowForm), the same matching of
    (service_number, nationality), all or nothing.

    The columns are those the rows give (a file's header); every row gives the same columns, as
    in a file, so that a missing one is never read as "clear it". Rows are numbered from
    `first_row` in the report's errors (the first IMPORT_MAX_ERRORS_SHOWN; error_count has them
    all). Returns an ImportReport.
    """
    report = ImportReport()
    report.columns = [name for name in COLUMNS if any(name in row for row in rows)]
    report.rows = len(rows)  # the caller bounds how many (the API: API_BULK_MAX_ROWS)
    records = []
    for number, row in enumerate(rows, start=first_row):
        for name in report.columns:
            if name not in row and name not in REQUIRED_COLUMNS:
                report.add_error(
                    RowError(number, name, _("The other rows give this column: give it in this row too.")),
                    "missing_column",
                )
        given = {name: row.get(name) or "" for name in COLUMNS if name in report.columns or name in REQUIRED_COLUMNS}
        records.append((number, given, []))
    rows = _validate(records, report)
    if report.rows == 0:
        report.add_error(RowError(None, "", _("There are no trainee rows.")))
    if not commit or not report.ok:
        _plan(report, rows, lock=False)
        return report
    try:
        with transaction.atomic():
            _plan(report, rows, lock=True)
            with pghistory.context(source=source):
                _write(report)
    except IntegrityError:
        # Another administrator created the same trainee or organization meanwhile.
        report.add_error(
            RowError(None, "", _("The trainees changed while these rows were being imported; nothing was imported."))
        )
        return report
    report.committed = True
    return report
