"""The training flow: enrol, withdraw, record results, finalize, reopen.

Every function runs in a transaction and locks the session row first, so that two
administrators (or an administrator and an instructor) acting at once are serialized.
When a session is finalized, certifications are issued and revoked through
certifications.services: actions flow one way, courses -> certifications.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from certifications.models import Certification, CertificationType
from certifications.services import issue_certification, revoke_certification
from common.bulk import update_rows
from common.permissions import is_administrator
from trainees.models import Trainee

if TYPE_CHECKING:
    from accounts.models import User

from .models import Course, CourseSession, Enrollment

RESULT_FIELDS = ("result", "score", "attendance", "remarks")


def _lock(session) -> CourseSession:
    # of=("self",): lock only the session row; without it PostgreSQL also locks the joined
    # course row, serializing every session of a course and blocking edits to the catalogue.
    return CourseSession.objects.select_for_update(of=("self",)).select_related("course").get(pk=session.pk)


def missing_prerequisites(*, course: Course, trainee: Trainee, on_date: datetime.date) -> list[CertificationType]:
    """The course's prerequisite certification types the trainee does not hold valid on `on_date`."""
    required = list(course.prerequisites.all())
    if not required:
        return []
    held = set(
        Certification.objects.filter(trainee=trainee, type__in=required)
        .valid_on(on_date)
        .values_list("type_id", flat=True)
    )
    return [cert_type for cert_type in required if cert_type.pk not in held]


def result_error(*, course: Course, result: str, score: Decimal | None) -> str | None:
    """Why a result cannot stand with this score (a passing result below the pass mark), or None."""
    if result == Enrollment.Result.PASSED and course.pass_mark is not None:
        if score is None:
            return _("A passing result needs a score (pass mark %(mark)s).") % {"mark": course.pass_mark}
        if score < course.pass_mark:
            return _("Score %(score)s is below the pass mark %(mark)s.") % {"score": score, "mark": course.pass_mark}
    return None


def _fill_seats_from_waitlist(session):
    """Promote waitlisted trainees, first come first served, while seats are free."""
    free = session.capacity - session.enrollments.active().count()
    if free <= 0:
        return []
    promoted = list(
        session.enrollments.filter(status=Enrollment.Status.WAITLISTED).order_by("enrolled_at", "id")[:free]
    )
    for enrollment in promoted:
        enrollment.status = Enrollment.Status.ENROLLED
        enrollment.save(update_fields=["status"])
    return promoted


def _check_takes_enrollments(session):
    if not session.takes_changes:
        raise ValidationError(
            _("This session is %(status)s: it takes no enrolments.") % {"status": session.get_status_display()}
        )


def _duplicate_reason(trainee, existing):
    return _("%(name)s is already on this session (%(status)s).") % {
        "name": trainee.full_name,
        "status": existing.get_status_display(),
    }


def _prerequisites_reason(trainee, session, missing):
    return _("%(name)s lacks a prerequisite valid on %(date)s: %(missing)s.") % {
        "name": trainee.full_name,
        "date": date_format(session.starts_on),
        "missing": ", ".join(str(cert_type) for cert_type in missing),
    }


@transaction.atomic
def enroll(
    *,
    session: CourseSession,
    trainee: Trainee,
    by: "User",
    override_prerequisites: bool = False,
    override_reason: str = "",
) -> Enrollment:
    """Enrol a trainee in a session.

    Guarantees: the session never holds more enrolled trainees than its capacity, even
    under concurrent enrolments (the session row is locked while seats are counted); when
    full, the trainee is waitlisted. Each prerequisite must be valid on the session's start
    date, unless an administrator overrides with a reason, which is recorded. A withdrawn
    trainee may enrol again (the same row is reused, its history kept).
    """
    session = _lock(session)
    _check_takes_enrollments(session)
    existing = Enrollment.objects.filter(session=session, trainee=trainee).first()
    if existing is not None and existing.status != Enrollment.Status.WITHDRAWN:
        raise ValidationError(_duplicate_reason(trainee, existing), code="duplicate")
    override_reason = (override_reason or "").strip()
    missing = missing_prerequisites(course=session.course, trainee=trainee, on_date=session.starts_on)
    if missing and not override_prerequisites:
        raise ValidationError(_prerequisites_reason(trainee, session, missing), code="prerequisites")
    if missing and not is_administrator(by):
        raise PermissionDenied(_("Only an administrator may override prerequisites."))
    if missing and not override_reason:
        raise ValidationError(_("Give the reason for overriding the prerequisites."), code="override_reason")

    has_seat = session.enrollments.active().count() < session.capacity
    enrollment = existing or Enrollment(session=session, trainee=trainee)
    enrollment.status = Enrollment.Status.ENROLLED if has_seat else Enrollment.Status.WAITLISTED
    enrollment.result = Enrollment.Result.PENDING
    enrollment.enrolled_at = timezone.now()
    enrollment.enrolled_by = by
    enrollment.prerequisites_overridden = bool(missing)
    enrollment.override_reason = override_reason if missing else ""
    enrollment.save()
    return enrollment


class EnrollOutcome(models.TextChoices):
    ENROLLED = "enrolled", pgettext_lazy("enrolment outcome", "Enrolled")
    WAITLISTED = "waitlisted", pgettext_lazy("enrolment outcome", "Waitlisted")
    REFUSED = "refused", pgettext_lazy("enrolment outcome", "Refused")


@dataclass
class EnrollResult:
    """What enroll_many did for one person: `outcome`, and `reason` when refused (or overridden)."""

    trainee: object
    outcome: str
    reason: str = ""
    enrollment: Enrollment | None = None


MAX_ENROL_AT_ONCE = 500


@transaction.atomic
def enroll_many(*, session, trainees, by, override_prerequisites=False, override_reason="") -> list[EnrollResult]:
    """Enrol a whole class at once, with the rules of `enroll` for each person, in list order.

    Guarantees: one transaction with the session row locked, so that enrolments made at the same
    moment (one by one or by class) never overfill the session: seats go in list order and the
    rest are waitlisted. Each person is refused, with the reason, when already on the session
    (enrolled or waitlisted; a withdrawn trainee is enrolled again on the same row) or when a
    prerequisite is not valid on the session's start date, unless an administrator overrides
    with a reason, which is recorded on each enrolment that needed it. A person listed twice
    counts once. The number of queries does not depend on the number of people.
    Returns one EnrolResult per distinct person.
    """
    trainees = list({trainee.pk: trainee for trainee in trainees}.values())
    if len(trainees) > MAX_ENROL_AT_ONCE:
        raise ValidationError(
            _("At most %(max)d people can be enrolled at once.") % {"max": MAX_ENROL_AT_ONCE}, code="too_many"
        )
    override_reason = (override_reason or "").strip()
    if override_prerequisites and not is_administrator(by):
        raise PermissionDenied(_("Only an administrator may override prerequisites."))
    if override_prerequisites and not override_reason:
        raise ValidationError(_("Give the reason for overriding the prerequisites."), code="override_reason")
    session = _lock(session)
    _check_takes_enrollments(session)
    ids = [trainee.pk for trainee in trainees]
    existing = {e.trainee_id: e for e in Enrollment.objects.filter(session=session, trainee_id__in=ids)}
    required = list(session.course.prerequisites.all())
    held = set()
    if required:
        held = set(
            Certification.objects.filter(trainee_id__in=ids, type__in=required)
            .valid_on(session.starts_on)
            .values_list("trainee_id", "type_id")
        )
    free = session.capacity - session.enrollments.active().count()
    now = timezone.now()
    results, new, reused = [], [], []
    for position, trainee in enumerate(trainees):
        current = existing.get(trainee.pk)
        if current is not None and current.status != Enrollment.Status.WITHDRAWN:
            results.append(EnrollResult(trainee, EnrollOutcome.REFUSED, _duplicate_reason(trainee, current)))
            continue
        missing = [cert_type for cert_type in required if (trainee.pk, cert_type.pk) not in held]
        if missing and not override_prerequisites:
            results.append(
                EnrollResult(trainee, EnrollOutcome.REFUSED, _prerequisites_reason(trainee, session, missing))
            )
            continue
        enrollment = current or Enrollment(session=session, trainee=trainee)
        enrollment.status = Enrollment.Status.ENROLLED if free > 0 else Enrollment.Status.WAITLISTED
        free -= enrollment.status == Enrollment.Status.ENROLLED
        enrollment.result = Enrollment.Result.PENDING
        # Apart by a microsecond each: the waitlist keeps the order of the list.
        enrollment.enrolled_at = now + datetime.timedelta(microseconds=position)
        enrollment.enrolled_by = by
        enrollment.prerequisites_overridden = bool(missing)
        enrollment.override_reason = override_reason if missing else ""
        (reused if current else new).append(enrollment)
        outcome = EnrollOutcome(enrollment.status)
        reason = _("Prerequisites overridden: %(reason)s") % {"reason": override_reason} if missing else ""
        results.append(EnrollResult(trainee, outcome, reason, enrollment))
    Enrollment.objects.bulk_create(new)
    Enrollment.objects.bulk_update(
        reused,
        ["status", "result", "enrolled_at", "enrolled_by", "prerequisites_overridden", "override_reason"],
    )
    return results


@transaction.atomic
def withdraw(*, enrollment: Enrollment) -> list[Enrollment]:
    """Withdraw a trainee from a session; the freed seat goes to the first waitlisted trainee.

    Returns the enrolments promoted from the waitlist. Nothing is deleted.
    """
    session = _lock(enrollment.session)
    if session.is_finalized:
        raise ValidationError(_("The session is finalized: reopen it before changing enrolments."))
    enrollment = Enrollment.objects.get(pk=enrollment.pk)
    if enrollment.status == Enrollment.Status.WITHDRAWN:
        return []
    enrollment.status = Enrollment.Status.WITHDRAWN
    enrollment.save(update_fields=["status"])
    return _fill_seats_from_waitlist(session)


@transaction.atomic
def change_capacity(*, session: CourseSession, capacity: int) -> list[Enrollment]:
    """Set a session's capacity; added seats are filled from the waitlist. Returns the promoted."""
    if capacity is None or capacity < 1:
        raise ValidationError({"capacity": _("A session needs at least one seat.")})
    session = _lock(session)
    session.capacity = capacity
    session.save(update_fields=["capacity"])
    return _fill_seats_from_waitlist(session)


@transaction.atomic
def update_session(*, session: CourseSession, changes: dict, instructors=None) -> list[Enrollment]:
    """Apply `changes` (field name → new value) to a session, and set its instructors when given.

    Guarantees: a finalized session's frozen fields (CourseSession.FROZEN_WHEN_FINALIZED) do not
    change until it is reopened (a ValidationError names them); a capacity change goes through
    change_capacity, so added seats are filled from the waitlist in order. Returns the trainees
    promoted from the waitlist.
    """
    stored = _lock(session)
    changed = {name: value for name, value in changes.items() if getattr(stored, name) != value}
    if frozen := [name for name in changed if name in stored.frozen_fields]:
        raise ValidationError({name: _("The session is finalized: reopen it to change this.") for name in frozen})
    capacity = changed.pop("capacity", None)
    for name, value in changed.items():
        setattr(stored, name, value)
    if changed:
        stored.save(update_fields=list(changed))
    if instructors is not None:
        stored.instructors.set(instructors)
    return change_capacity(session=stored, capacity=capacity) if capacity is not None else []


def can_record_results(user: "User", session: CourseSession) -> bool:
    return CourseSession.objects.recordable_by(user).filter(pk=session.pk).exists()


@transaction.atomic
def record_results(*, session: CourseSession, results: list[dict], by: "User") -> int:
    """Save the results grid of a session in one write.

    `results` maps enrolment id to a dict with result, score, attendance and remarks
    (already validated by the grid's form; a field left out of a row keeps its value).
    Guarantees: only the session's instructors and administrators may record; nothing is
    written once the session is finalized; every listed enrolment must be an enrolled
    trainee of this session, and no row may pass below the course's pass mark, else nothing
    is written. Returns the number of enrolments that changed.
    """
    if not can_record_results(by, session):
        raise PermissionDenied
    session = _lock(session)
    if session.is_finalized:
        raise ValidationError(_("The session is finalized: its results can no longer be changed."))
    enrollments = session.enrollments.filter(status=Enrollment.Status.ENROLLED).in_bulk(list(results))
    unknown = set(results) - set(enrollments)
    if unknown:
        raise ValidationError(_("Some rows are not enrolled trainees of this session; nothing was saved."))
    now = timezone.now()
    changed = []
    refused = []  # (enrolment, error); None: an unknown result
    for pk, values in results.items():
        enrollment = enrollments[pk]
        new = {name: values.get(name, getattr(enrollment, name)) for name in RESULT_FIELDS}
        new["remarks"] = new["remarks"] or ""  # a text column: empty, never NULL
        if new["result"] not in Enrollment.Result.values:
            refused.append((enrollment, None))
            continue
        error = result_error(course=session.course, result=new["result"], score=new["score"])
        if error:
            refused.append((enrollment, error))
            continue
        if all(getattr(enrollment, name) == new[name] for name in RESULT_FIELDS):
            continue
        for name in RESULT_FIELDS:
            setattr(enrollment, name, new[name])
        enrollment.recorded_by = by
        enrollment.recorded_at = now
        changed.append(enrollment)
    if refused:
        # The names only for the messages, in one query (the grid's form refuses these first).
        prefetch_related_objects([enrollment for enrollment, _error in refused], "trainee")
        raise ValidationError(
            [
                f"{enrollment.trainee.full_name}: {error}"
                if error
                else _("%(name)s: unknown result.") % {"name": enrollment.trainee.full_name}
                for enrollment, error in refused
            ]
        )
    # One UPDATE ... FROM (VALUES ...): bulk_update's CASE per field and row costs ~100 ms to compile
    # for a class of 200 (bench/RESULTS.md).
    update_rows(Enrollment, changed, [*RESULT_FIELDS, "recorded_by", "recorded_at"])
    return len(changed)


@dataclass
class FinalizeOutcome:
    issued: list = field(default_factory=list)
    revoked: list = field(default_factory=list)


@transaction.atomic
def finalize_session(*, session: CourseSession, by: "User") -> FinalizeOutcome:
    """Lock the results grid and settle certificates.

    Guarantees: every enrolled trainee has a result other than pending; when the course
    grants a certification, each passed trainee holds exactly one live certificate from this
    session, issued on the session's end date and expiring `validity_months` later; a
    certificate from this session whose enrolment no longer passes is revoked with a reason.
    """
    if not can_record_results(by, session):
        raise PermissionDenied
    session = _lock(session)
    if session.is_finalized:
        raise ValidationError(_("This session is already finalized."))
    if session.status == CourseSession.Status.CANCELLED:
        raise ValidationError(_("A cancelled session cannot be finalized."))
    enrollments = list(
        session.enrollments.select_related("trainee").prefetch_related(
            Prefetch("certifications", queryset=Certification.objects.filter(revoked_at__isnull=True), to_attr="live")
        )
    )
    pending = [
        e for e in enrollments if e.status == Enrollment.Status.ENROLLED and e.result == Enrollment.Result.PENDING
    ]
    if pending:
        raise ValidationError(
            _("Record a result for every enrolled trainee before finalizing (%(count)d pending: %(names)s).")
            % {"count": len(pending), "names": ", ".join(e.trainee.full_name for e in pending[:5])}
        )
    outcome = FinalizeOutcome()
    grants = session.course.grants
    # issue_certification locks each holder's row: in trainee order, so that two sessions
    # finalized at once with trainees in common wait for each other instead of deadlocking.
    for enrollment in sorted(enrollments, key=lambda enrollment: enrollment.trainee_id):
        passes = enrollment.status == Enrollment.Status.ENROLLED and enrollment.result == Enrollment.Result.PASSED
        if passes and grants is not None and not enrollment.live:
            outcome.issued.append(
                issue_certification(
                    trainee=enrollment.trainee, type=grants, issued_on=session.ends_on, enrollment=enrollment
                )
            )
        elif not passes:
            for certification in enrollment.live:
                reason = _("Result is now %(result)s (session %(session)s finalized again).") % {
                    "result": enrollment.get_result_display()
                    if enrollment.status == Enrollment.Status.ENROLLED
                    else enrollment.get_status_display(),
                    "session": session.code,
                }
                outcome.revoked.append(revoke_certification(certification=certification, reason=reason, by=by))
    session.status = CourseSession.Status.FINALIZED
    session.finalized_at = timezone.now()
    session.finalized_by = by
    session.save(update_fields=["status", "finalized_at", "finalized_by"])
    return outcome


@transaction.atomic
def record_results_and_finalize(*, session: CourseSession, results: dict, by: "User") -> tuple[int, FinalizeOutcome]:
    """Save the results grid and finalize the session in one transaction (the grid's Finalize button).

    Guarantees: what the instructor typed is recorded by record_results before the session is
    finalized by finalize_session, both under the same lock; if either refuses (a row below
    the pass mark, a result still pending, the session already finalized), nothing is saved
    and nothing is finalized. Returns (rows changed, the finalize outcome).
    """
    changed = record_results(session=session, results=results, by=by)
    return changed, finalize_session(session=session, by=by)


@transaction.atomic
def reopen_session(*, session: CourseSession, by: "User", reason: str) -> CourseSession:
    """Unlock a finalized session's grid (administrators only; the reason is kept in history).

    Certificates stay as they are until the session is finalized again.
    """
    if not is_administrator(by):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for reopening this session.")})
    session = _lock(session)
    if not session.is_finalized:
        raise ValidationError(_("Only a finalized session can be reopened."))
    with pghistory.context(reopen_reason=reason):
        session.status = CourseSession.Status.IN_PROGRESS
        session.reopen_reason = reason
        session.save(update_fields=["status", "reopen_reason"])
    return session
