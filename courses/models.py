"""The catalogue (Course), its scheduled offerings (CourseSession) and Enrollment with results.

Business rules that write (enrol, withdraw, record results, finalize, reopen) live in
courses/services.py; this module holds the data and the reads that encode meaning.
"""

import datetime
from typing import TYPE_CHECKING

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.permissions import is_administrator, is_instructor

if TYPE_CHECKING:
    from accounts.models import User


class UgpsCategory(models.TextChoices):
    """Personnel categories of the UN Uniformed Gender Parity Strategy 2018–2028 (civilians,
    who have no target, are reported apart)."""

    TROOPS = "troops", _("Troops (military contingents)")
    OBSERVERS_STAFF = "observers_staff", _("Military observers and staff officers")
    FPU = "fpu", _("Formed police units")
    IPO = "ipo", _("Individual police officers")
    CIVILIAN = "civilian", _("Civilians")


# A course without a UGPS category counts its trainees under their own category.
UGPS_CATEGORY_OF_TRAINEE = {
    "military": UgpsCategory.TROOPS,
    "police": UgpsCategory.IPO,
    "civilian": UgpsCategory.CIVILIAN,
}


class CourseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Administrators and instructors see the whole catalogue; a trainee, the courses of the
        sessions they are enrolled in."""
        if is_administrator(user) or is_instructor(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=CourseSession.objects.visible_to(user).values("course_id"))


class Course(models.Model):
    class Category(models.TextChoices):
        MILITARY_EXPERTS = "military_experts", _("UN military experts on mission")
        STAFF_OFFICERS = "staff_officers", _("UN staff officers")
        PROTECTION = "protection", _("Protection of civilians")
        HUMANITARIAN_LAW = "humanitarian_law", _("International humanitarian law")
        HUMAN_RIGHTS = "human_rights", _("Human rights")
        USE_OF_FORCE = "use_of_force", _("Legal use of force")
        ENGINEERING = "engineering", _("Engineer company pre-deployment")
        GENDER = "gender", _("Gender in peace operations")
        PRE_DEPLOYMENT = "pre_deployment", _("Pre-deployment training")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices, default=Category.OTHER)
    duration_hours = models.PositiveSmallIntegerField(_("duration (hours)"), default=40)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark"), null=True, blank=True, help_text=_("Minimum score (0–100) to pass; empty: no minimum.")
    )
    grants = models.ForeignKey(
        "certifications.CertificationType",
        verbose_name=_("grants certification"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="granting_courses",
    )
    prerequisites = models.ManyToManyField(
        "certifications.CertificationType",
        verbose_name=_("prerequisites"),
        blank=True,
        related_name="required_by_courses",
        help_text=_("Certifications that must be valid on the session's start date."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    ugps_category = models.CharField(
        _("UN gender-parity category"),
        max_length=16,
        choices=UgpsCategory.choices,
        blank=True,
        help_text=_("The UN personnel category the course prepares for; empty: the trainee's own category."),
    )

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="course_unique_code"),
            models.CheckConstraint(
                condition=Q(pass_mark__isnull=True) | Q(pass_mark__lte=100), name="course_pass_mark_range"
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("courses:course-detail", args=[self.pk])


class CourseSessionQuerySet(models.QuerySet):
    def taught_by(self, user: "User") -> "CourseSessionQuerySet":
        return self.filter(instructors=user)

    def recordable_by(self, user: "User") -> "CourseSessionQuerySet":
        """Sessions whose results grid the user may edit: all for administrators, else those taught."""
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.taught_by(user)

    def visible_to(self, user: "User") -> models.QuerySet:
        """Administrators see every session; an instructor, those they teach; a trainee,
        those they are enrolled in."""
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        if is_instructor(user):
            return self.filter(pk__in=self.model.objects.taught_by(user).values("pk"))
        return self.filter(pk__in=Enrollment.objects.filter(trainee__user=user).values("session_id"))

    def upcoming(self, today: datetime.date | None = None) -> "CourseSessionQuerySet":
        return self.filter(starts_on__gt=today or timezone.localdate())

    def running(self, today: datetime.date | None = None) -> "CourseSessionQuerySet":
        today = today or timezone.localdate()
        return self.filter(starts_on__lte=today, ends_on__gte=today)

    def past(self, today: datetime.date | None = None) -> "CourseSessionQuerySet":
        return self.filter(ends_on__lt=today or timezone.localdate())

    def finalized(self):
        """Sessions whose results are final: the only ones a report or an export counts."""
        return self.filter(status=CourseSession.Status.FINALIZED)


class CourseSession(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open for enrolment")
        IN_PROGRESS = "in_progress", _("In progress")
        FINALIZED = "finalized", _("Finalized")
        CANCELLED = "cancelled", _("Cancelled")

    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions")
    code = models.CharField(_("code"), max_length=40)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    location = models.CharField(_("location"), max_length=200, blank=True, default="CECOPAM, Huehuetoca")
    capacity = models.PositiveIntegerField(_("capacity"), default=30)
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("instructors"), blank=True, related_name="taught_sessions"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    finalized_at = models.DateTimeField(_("finalized at"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("finalized by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)

    objects = CourseSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-starts_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="session_unique_code"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_at_least_one"),
        ]
        indexes = [
            # Session list: upcoming / running / past, newest first.
            models.Index(fields=["starts_on", "ends_on"], name="session_dates_idx"),
            models.Index(fields=["ends_on"], name="session_ends_on_idx"),
            # Renewal suggestions in reminders: open sessions of a course starting after a date.
            models.Index(fields=["course", "status", "starts_on"], name="session_course_status_idx"),
            # Reports (reports/statistics.py, reports/parity.py): finalized sessions ending in a period.
            models.Index(
                fields=["ends_on", "course"],
                name="session_finalized_ends_idx",
                condition=Q(status="finalized"),
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.course.title}"

    def get_absolute_url(self) -> str:
        return reverse("courses:session-detail", args=[self.pk])

    # Certificates are issued from these values when the session is finalized: they change only
    # after the session is reopened (forms, services and the admin ask `frozen_fields`).
    FROZEN_WHEN_FINALIZED = ("course", "starts_on", "ends_on", "capacity", "status")

    @property
    def is_finalized(self) -> bool:
        return self.status == self.Status.FINALIZED

    @property
    def takes_changes(self) -> bool:
        """Whether enrolments, results and finalizing are still possible (not finalized or cancelled)."""
        return self.status not in (self.Status.FINALIZED, self.Status.CANCELLED)

    @property
    def frozen_fields(self) -> tuple[str, ...]:
        """The fields that cannot change until the session is reopened."""
        return self.FROZEN_WHEN_FINALIZED if self.is_finalized else ()


class EnrollmentQuerySet(models.QuerySet):
    def active(self) -> "EnrollmentQuerySet":
        """Enrolments holding a seat (not waitlisted, not withdrawn)."""
        return self.filter(status=Enrollment.Status.ENROLLED)

    def visible_to(self, user: "User") -> models.QuerySet:
        if is_administrator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        if is_instructor(user):
            return self.filter(session__instructors=user)
        return self.filter(trainee__user=user)

    def final(self):
        """Enrolments holding a seat in a finalized session: results that count (drafts of a
        session not yet finalized never appear in a report or an export of a record)."""
        return self.active().filter(session__status=CourseSession.Status.FINALIZED)

    def trained(self):
        """Final enrolments with a pass: the person was trained (on the session's end date)."""
        return self.final().filter(result=Enrollment.Result.PASSED)

    def ended_between(self, start, end):
        """Enrolments of sessions ending from `start` to `end` (inclusive): when training counts."""
        return self.filter(session__ends_on__gte=start, session__ends_on__lte=end)

    def with_ugps_category(self):
        """Annotate `ugps_category`: the course's UGPS category, else the trainee's own
        (police -> ipo, civilian -> civilian, military -> troops)."""
        own = Case(
            *[
                When(trainee__category=category, then=Value(ugps.value))
                for category, ugps in UGPS_CATEGORY_OF_TRAINEE.items()
            ],
            default=Value(UgpsCategory.TROOPS.value),
            output_field=models.CharField(),
        )
        return self.annotate(ugps_category=Coalesce(NullIf("session__course__ugps_category", Value("")), own))


class Enrollment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        WAITLISTED = "waitlisted", _("Waitlisted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Result(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        INCOMPLETE = "incomplete", _("Incomplete")

    class Progress(models.TextChoices):
        """Where an enrolment stands, as every page and document shows it (`progress()`)."""

        WAITLISTED = "waitlisted", _("Waitlisted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CANCELLED = "cancelled", _("Session cancelled")
        UPCOMING = "upcoming", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        AWAITING_RESULTS = "awaiting_results", _("Awaiting results")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        INCOMPLETE = "incomplete", _("Incomplete")

    session = models.ForeignKey(
        CourseSession, verbose_name=_("session"), on_delete=models.PROTECT, related_name="enrollments"
    )
    trainee = models.ForeignKey(
        "trainees.Trainee", verbose_name=_("trainee"), on_delete=models.PROTECT, related_name="enrollments"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ENROLLED)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, default=Result.PENDING)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    attendance = models.PositiveSmallIntegerField(_("attendance (%)"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enrolled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    prerequisites_overridden = models.BooleanField(_("prerequisites overridden"), default=False)
    override_reason = models.TextField(_("override reason"), blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["session", "trainee"], name="enrollment_unique_trainee_per_session"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100), name="enrollment_score_range"
            ),
            models.CheckConstraint(
                condition=Q(attendance__isnull=True) | Q(attendance__lte=100), name="enrollment_attendance_range"
            ),
            models.CheckConstraint(
                condition=Q(prerequisites_overridden=False) | ~Q(override_reason=""),
                name="enrollment_override_has_reason",
            ),
        ]
        indexes = [
            # Session page and results grid: a session's enrolments by status; waitlist order.
            models.Index(fields=["session", "status", "enrolled_at"], name="enrollment_session_status_idx"),
        ]

    def __str__(self):
        return f"{self.trainee} @ {self.session.code}"

    def progress(self, today=None):
        """The one definition of an enrolment's displayed state (the record pages, the session
        page and the transcript all print `progress().label`).

        A result counts only once the session is finalized: before that, the state follows the
        calendar (not started, in progress, awaiting results), whatever draft the grid holds.
        """
        if self.status == self.Status.WITHDRAWN:
            return self.Progress.WITHDRAWN
        if self.status == self.Status.WAITLISTED:
            return self.Progress.WAITLISTED
        session = self.session
        if session.status == CourseSession.Status.CANCELLED:
            return self.Progress.CANCELLED
        if session.is_finalized and self.result != self.Result.PENDING:
            return self.Progress(self.result)
        today = today or timezone.localdate()
        if session.starts_on > today:
            return self.Progress.UPCOMING
        if session.ends_on >= today:
            return self.Progress.IN_PROGRESS
        return self.Progress.AWAITING_RESULTS


for _model in (CourseSession, Enrollment):
    pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), model_name=f"{_model.__name__}Event")(_model)
