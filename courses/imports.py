"""Past training imported from CSV or XLSX files: read, validate every row, then write all or nothing.

One function, import_training_history(), serves the `import_training_history` command and the
/courses/import-history/ page, in the same two phases as the trainee import (common/imports.py
reads the file, within the same limits and encoding rule):

1. read and validate: each row (one person and one course taken) goes through HistoryRowForm;
   trainees, courses, sessions, enrolments and certificates are looked up once into dicts;
2. write: when no row has an error, the missing past sessions are created as finalized, the
   enrolments with their results, and the certificates through certifications.services
   (expiry computed from the type when the file gives none; a code already printed on paper
   is kept, so that it still verifies). Otherwise nothing is written.

A row already imported (same session, same trainee, same result; the same certificate) is
unchanged: importing the same file again changes nothing.
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

from certifications.models import Certification, normalize_code
from certifications.services import issue_certification
from common.imports import FileRejected, Limits, RowError, RowForm, extra_cells_error, open_table
from common.imports import ImportReport as FileReport
from trainees.imports import country_code
from trainees.models import Trainee, normalize_search

from .models import Course, CourseSession, Enrollment
from .services import result_error

COLUMNS = (
    "service_number",
    "nationality",
    "course_code",
    "session_code",
    "starts_on",
    "ends_on",
    "result",
    "score",
    "attendance",
    "certificate_issued_on",
    "certificate_code",
    "certificate_expires_on",
    "issuer",
)
REQUIRED_COLUMNS = ("service_number", "nationality", "course_code", "result")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
RESULTS = (Enrollment.Result.PASSED, Enrollment.Result.FAILED, Enrollment.Result.INCOMPLETE)


@dataclass
class PlannedRow:
    """What one row does: its session (new or existing), enrolment and certificate."""

    row: int
    service_number: str
    nationality: str
    name: str
    course_code: str
    session_code: str
    result: str
    new_session: bool = False
    new_enrollment: bool = False
    new_certificate: bool = False
    certificate_code: str = ""
    trainee: Trainee | None = field(default=None, repr=False)
    course: Course | None = field(default=None, repr=False)
    values: dict = field(default_factory=dict, repr=False)

    @property
    def result_label(self):
        return Enrollment.Result(self.result).label

    @property
    def changes_nothing(self):
        return not (self.new_session or self.new_enrollment or self.new_certificate)


@dataclass
class NewSession:
    code: str
    course: Course
    starts_on: object
    ends_on: object
    rows: list = field(default_factory=list)


@dataclass
class HistoryReport(FileReport):
    planned: list[PlannedRow] = field(default_factory=list)
    new_sessions: list[NewSession] = field(default_factory=list)
    changed_since_preview: bool = False

    @property
    def enrollments_created(self):
        return sum(1 for planned in self.planned if planned.new_enrollment)

    @property
    def certifications_created(self):
        return sum(1 for planned in self.planned if planned.new_certificate)

    @property
    def unchanged(self):
        return sum(1 for planned in self.planned if planned.changes_nothing)

    @property
    def created(self):
        return len(self.new_sessions) + self.enrollments_created + self.certifications_created

    @property
    def fingerprint(self):
        """A digest of what the import would write: a confirmation applies only the plan the user saw."""
        digest = hashlib.sha256()
        for planned in self.planned:
            digest.update(
                f"{planned.row}|{planned.session_code}|{planned.service_number}|{planned.nationality}|"
                f"{planned.new_session}|{planned.new_enrollment}|{planned.new_certificate}\n".encode()
            )
        return digest.hexdigest()

    def summary(self):
        if self.committed:
            text = _(
                "Rows imported: %(rows)s. New sessions: %(sessions)s; new enrolments: %(enrollments)s; "
                "new certificates: %(certifications)s; rows already recorded: %(unchanged)s."
            )
        else:
            text = _(
                "Rows: %(rows)s. Sessions to create: %(sessions)s; enrolments to create: %(enrollments)s; "
                "certificates to create: %(certifications)s; rows already recorded: %(unchanged)s."
            )
        return text % {
            "rows": self.rows,
            "sessions": len(self.new_sessions),
            "enrollments": self.enrollments_created,
            "certifications": self.certifications_created,
            "unchanged": self.unchanged,
        }


# --- validation of each row ------------------------------------------------------------------------


@functools.cache
def _result_lookup():
    """Stored result by its unaccented, lower-cased value or label in English or Spanish."""
    lookup = {normalize_search(value): value for value in RESULTS}
    for language in ("en", "es"):
        with translation.override(language):
            for value in RESULTS:
                lookup[normalize_search(str(Enrollment.Result(value).label))] = value
    lookup.update({"aprobado": "passed", "aprobada": "passed", "reprobado": "failed", "reprobada": "failed"})
    return lookup


def _date_field(required=False):
    return forms.DateField(required=required, input_formats=DATE_FORMATS)


class HistoryRowForm(RowForm):
    """One row of a training history file."""

    service_number = forms.CharField(max_length=40)
    nationality = forms.CharField(max_length=80)
    course_code = forms.CharField(max_length=30)
    session_code = forms.CharField(required=False, max_length=40)
    starts_on = _date_field()
    ends_on = _date_field()
    result = forms.CharField(max_length=40)
    score = forms.DecimalField(required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2)
    attendance = forms.IntegerField(required=False, min_value=0, max_value=100)
    certificate_issued_on = _date_field()
    certificate_code = forms.CharField(required=False, max_length=40)
    certificate_expires_on = _date_field()
    issuer = forms.CharField(required=False, max_length=200)

    def check(self, values):
        # Excel in Spanish writes decimals with a comma (87,5).
        values = {**values, "score": values.get("score", "").replace(",", ".")}
        return super().check(values)

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

    def clean_result(self):
        value = self.cleaned_data["result"]
        stored = _result_lookup().get(normalize_search(value))
        if stored is None:
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s."),
                code="invalid_choice",
                params={"value": value, "choices": ", ".join(RESULTS)},
            )
        return stored

    def clean_certificate_code(self):
        return normalize_code(self.cleaned_data["certificate_code"]) if self.cleaned_data["certificate_code"] else ""

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if not data.get("session_code") and not (starts_on and ends_on) and not self.has_error("starts_on"):
            self.add_error(
                "session_code",
                ValidationError(_("Give the session code, or its start and end dates."), code="no_session"),
            )
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", ValidationError(_("The session ends before it starts."), code="date_order"))
        issued_on = data.get("certificate_issued_on")
        certificate_given = any(data.get(name) for name in ("certificate_code", "certificate_expires_on", "issuer"))
        if certificate_given and not issued_on and not self.has_error("certificate_issued_on"):
            self.add_error(
                "certificate_issued_on",
                ValidationError(_("A certificate needs the date it was issued."), code="no_issue_date"),
            )
        if issued_on and data.get("result") and data["result"] != Enrollment.Result.PASSED:
            self.add_error(
                "certificate_issued_on",
                ValidationError(_("Only a passed course gives a certificate."), code="not_passed"),
            )
        expires_on = data.get("certificate_expires_on")
        if issued_on and expires_on and expires_on < issued_on:
            self.add_error(
                "certificate_expires_on",
                ValidationError(_("The certificate expires before it was issued."), code="date_order"),
            )
        return data


def _validate(records, report):
    """Each row through HistoryRowForm; returns [(row number, cleaned values)] of the valid ones."""
    valid = []
    form = HistoryRowForm()
    for number, values, extra in records:
        if extra:
            report.add_error(extra_cells_error(number, extra), "extra_cells")
        if form.check(values) and not extra:
            valid.append((number, form.cleaned_data))
        else:
            report.add_form_errors(number, form, values)
            if report.enough_errors(number):
                break
    return valid


# --- lookups and the plan ----------------------------------------------------------------------------


def _session_code(course_code, starts_on, ends_on):
    """The code of a session created for rows that give only dates: the same on every import."""
    return f"{course_code}-{starts_on:%Y%m%d}-{ends_on:%Y%m%d}"[:40]


def _error(report, number, column, message, value="", reason=""):
    report.add_error(RowError(number, column, message, str(value)), reason or column)


def _plan(report, rows, *, lock):
    """Match every valid row to what exists; row errors for what cannot be matched. One query per
    kind of record, whatever the number of rows."""
    report.planned, report.new_sessions = [], []
    today = timezone.localdate()
    numbers = {values["service_number"] for _number, values in rows}
    trainees = {(t.service_number, t.nationality.code): t for t in Trainee.objects.filter(service_number__in=numbers)}
    courses = {
        c.code: c for c in Course.objects.filter(code__in={v["course_code"] for _n, v in rows}).select_related("grants")
    }
    codes = {v["session_code"] for _n, v in rows if v["session_code"]}
    codes |= {
        _session_code(v["course_code"], v["starts_on"], v["ends_on"])
        for _n, v in rows
        if not v["session_code"] and v["starts_on"]
    }
    sessions_qs = CourseSession.objects.filter(code__in=codes)
    if lock:
        sessions_qs = sessions_qs.select_for_update(of=("self",))
    sessions = {s.code: s for s in sessions_qs}
    enrollments = {
        (e.session_id, e.trainee_id): e
        for e in Enrollment.objects.filter(session__in=sessions.values(), trainee__in=trainees.values())
    }
    certificate_codes = {v["certificate_code"] for _n, v in rows if v["certificate_code"]}
    by_code = {c.code: c for c in Certification.objects.filter(code__in=certificate_codes)}
    live_by_enrollment = {}
    for certification in Certification.objects.filter(enrollment__in=enrollments.values(), revoked_at__isnull=True):
        live_by_enrollment.setdefault(certification.enrollment_id, []).append(certification)

    new_sessions = {}
    seen_pairs, seen_codes = {}, {}
    for number, values in rows:
        key = (values["service_number"], values["nationality"])
        trainee = trainees.get(key)
        if trainee is None:
            _error(
                report,
                number,
                "service_number",
                _("No trainee has service number %(number)s (%(country)s): import the trainee first.")
                % {"number": key[0], "country": key[1]},
                key[0],
                "unknown_trainee",
            )
        course = courses.get(values["course_code"])
        if course is None:
            _error(
                report,
                number,
                "course_code",
                _("No course has the code %(code)s.") % {"code": values["course_code"]},
                values["course_code"],
                "unknown_course",
            )
        if trainee is None or course is None:
            continue
        code = values["session_code"] or _session_code(course.code, values["starts_on"], values["ends_on"])
        session = sessions.get(code)
        new_session = None
        if session is not None:
            if session.course_id != course.pk:
                _error(
                    report,
                    number,
                    "session_code",
                    _("Session %(session)s is of another course.") % {"session": code},
                    code,
                    "other_course",
                )
                continue
            if not session.is_finalized:
                _error(
                    report,
                    number,
                    "session_code",
                    _("Session %(session)s is not finalized: record its results on its results page.")
                    % {"session": code},
                    code,
                    "not_finalized",
                )
                continue
        else:
            starts_on, ends_on = values["starts_on"], values["ends_on"]
            if not (starts_on and ends_on):
                _error(
                    report,
                    number,
                    "session_code",
                    _("There is no session %(session)s: give its start and end dates to create it.")
                    % {"session": code},
                    code,
                    "unknown_session",
                )
                continue
            if ends_on >= today:
                _error(
                    report,
                    number,
                    "ends_on",
                    _("Only past training can be imported: the session ends on %(date)s.") % {"date": ends_on},
                    ends_on,
                    "not_past",
                )
                continue
            new_session = new_sessions.get(code)
            if new_session is None:
                new_session = new_sessions[code] = NewSession(code, course, starts_on, ends_on)
            elif (new_session.course, new_session.starts_on, new_session.ends_on) != (course, starts_on, ends_on):
                _error(
                    report,
                    number,
                    "session_code",
                    _("Session %(session)s has another course or other dates in row %(row)s.")
                    % {"session": code, "row": new_session.rows[0]},
                    code,
                    "session_mismatch",
                )
                continue
        pair = (code, trainee.pk)
        if pair in seen_pairs:
            _error(
                report,
                number,
                "service_number",
                _("This person and session are already in row %(row)s.") % {"row": seen_pairs[pair]},
                key[0],
                "duplicate",
            )
            continue
        seen_pairs[pair] = number
        error = result_error(course=course, result=values["result"], score=values["score"])
        if error:
            _error(report, number, "score", error, values["score"] or "", "below_pass_mark")
            continue
        planned = PlannedRow(
            number,
            key[0],
            key[1],
            trainee.full_name,
            course.code,
            code,
            values["result"],
            trainee=trainee,
            course=course,
            values=values,
        )
        enrollment = enrollments.get((session.pk, trainee.pk)) if session is not None else None
        if enrollment is None:
            planned.new_enrollment = True
        elif (enrollment.result, enrollment.score, enrollment.attendance) != (
            values["result"],
            values["score"],
            values["attendance"],
        ) or enrollment.status != Enrollment.Status.ENROLLED:
            _error(
                report,
                number,
                "result",
                _("%(name)s is already recorded in %(session)s with another result (%(result)s).")
                % {"name": trainee.full_name, "session": code, "result": enrollment.get_result_display()},
                values["result"],
                "other_result",
            )
            continue
        if not _plan_certificate(report, planned, course, enrollment, by_code, live_by_enrollment, seen_codes):
            continue
        if new_session is not None:
            new_session.rows.append(number)
            planned.new_session = len(new_session.rows) == 1
        report.planned.append(planned)
    report.new_sessions = [session for session in new_sessions.values() if session.rows]


def _plan_certificate(report, planned, course, enrollment, by_code, live_by_enrollment, seen_codes):
    """Whether the row's certificate (if any) can stand; sets planned.new_certificate."""
    values = planned.values
    issued_on = values["certificate_issued_on"]
    if not issued_on:
        return True
    if course.grants is None:
        _error(
            report,
            planned.row,
            "certificate_issued_on",
            _("Course %(code)s grants no certification.") % {"code": course.code},
            issued_on,
            "no_certification",
        )
        return False
    code = values["certificate_code"]
    if code:
        if code in seen_codes:
            _error(
                report,
                planned.row,
                "certificate_code",
                _("Certificate code %(code)s is already in row %(row)s.") % {"code": code, "row": seen_codes[code]},
                code,
                "duplicate_code",
            )
            return False
        seen_codes[code] = planned.row
        existing = by_code.get(code)
        if existing is not None:
            same = (existing.trainee_id, existing.type_id, existing.issued_on) == (
                planned.trainee.pk,
                course.grants_id,
                issued_on,
            )
            if not same:
                _error(
                    report,
                    planned.row,
                    "certificate_code",
                    _("Certificate code %(code)s belongs to another certificate.") % {"code": code},
                    code,
                    "code_taken",
                )
                return False
            return True
    live = live_by_enrollment.get(enrollment.pk, []) if enrollment is not None else []
    if any(certification.issued_on == issued_on for certification in live):
        return True
    if live:
        _error(
            report,
            planned.row,
            "certificate_issued_on",
            _("This enrolment already has a certificate, issued on %(date)s.") % {"date": live[0].issued_on},
            issued_on,
            "other_certificate",
        )
        return False
    planned.new_certificate = True
    planned.certificate_code = code
    return True


# --- writing --------------------------------------------------------------------------------------


def _write(report, *, by, filename):
    now = timezone.now()
    by = by if by is not None and by.is_authenticated else None
    created = CourseSession.objects.bulk_create(
        [
            CourseSession(
                course=new.course,
                code=new.code,
                starts_on=new.starts_on,
                ends_on=new.ends_on,
                capacity=max(len(new.rows), 1),
                status=CourseSession.Status.FINALIZED,
                finalized_at=now,
                finalized_by=by,
            )
            for new in report.new_sessions
        ]
    )
    sessions = {session.code: session for session in created}
    sessions.update(
        CourseSession.objects.filter(code__in={p.session_code for p in report.planned} - set(sessions)).in_bulk(
            field_name="code"
        )
    )
    remark = _("Imported from %(file)s.") % {"file": filename} if filename else _("Imported training history.")
    new_enrollments = [
        Enrollment(
            session=sessions[planned.session_code],
            trainee=planned.trainee,
            status=Enrollment.Status.ENROLLED,
            result=planned.values["result"],
            score=planned.values["score"],
            attendance=planned.values["attendance"],
            remarks=remark,
            recorded_by=by,
            recorded_at=now,
            enrolled_by=by,
            enrolled_at=now,
        )
        for planned in report.planned
        if planned.new_enrollment
    ]
    Enrollment.objects.bulk_create(new_enrollments)
    enrollments = {
        (e.session_id, e.trainee_id): e
        for e in Enrollment.objects.filter(
            session__in=[sessions[p.session_code] for p in report.planned if p.new_certificate],
            trainee__in=[p.trainee for p in report.planned if p.new_certificate],
        )
    }
    # issue_certification locks each holder's row: in trainee order, as finalize_session does.
    for planned in sorted((p for p in report.planned if p.new_certificate), key=lambda p: p.trainee.pk):
        session = sessions[planned.session_code]
        issue_certification(
            trainee=planned.trainee,
            type=planned.course.grants,
            issued_on=planned.values["certificate_issued_on"],
            expires_on=planned.values["certificate_expires_on"],
            enrollment=enrollments[(session.pk, planned.trainee.pk)],
            issuer=planned.values["issuer"],
            code=planned.certificate_code or None,
            prepare_pdf=False,  # past training, thousands at once: rendered when first downloaded
        )


def import_training_history(data, *, filename="", commit=False, by=None, expected_fingerprint=None, max_bytes=None):
    """Read a CSV or XLSX file of past training (bytes) and, with `commit`, import it.

    Guarantees: every row is validated before anything is written; a file with any error
    writes nothing; otherwise the new sessions (finalized), enrolments and certificates are
    written in one transaction, all or nothing. A row already recorded changes nothing, so
    importing a file twice creates nothing the second time. With `expected_fingerprint` (the
    preview's), nothing is written if the plan changed since the preview. Without `commit`,
    nothing is written (the preview, --dry-run). Returns a HistoryReport.
    """
    report = HistoryReport(filename=filename)
    limits = Limits.from_settings(max_bytes=max_bytes)
    try:
        records = open_table(
            data, filename=filename, info=report, limits=limits, columns=COLUMNS, required=REQUIRED_COLUMNS
        )
        if "session_code" not in report.columns and not {"starts_on", "ends_on"} <= set(report.columns):
            raise FileRejected(_("The file needs a session_code column, or the starts_on and ends_on columns."))
        rows = _validate(records, report)
    except FileRejected as rejected:
        report.reject(str(rejected))
        return report
    if report.rows == 0:
        report.add_error(RowError(None, "", _("The file has a header row but no rows of training.")))
    if not commit or not report.ok:
        if report.stopped_after_row is None:
            _plan(report, rows, lock=False)
        return report
    try:
        with transaction.atomic():
            _plan(report, rows, lock=True)
            if not report.ok:
                return report
            if expected_fingerprint is not None and report.fingerprint != expected_fingerprint:
                report.changed_since_preview = True
                return report
            with pghistory.context(source="import_training_history", import_file=filename):
                _write(report, by=by, filename=filename)
    except IntegrityError:
        report.add_error(
            RowError(
                None, "", _("The records changed while this file was being imported; nothing was imported. Try again.")
            )
        )
        return report
    report.committed = True
    return report
