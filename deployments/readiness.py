"""Readiness: does a person meet a requirement profile on every day of a deployment window.

One rule, written once (`requirements()`): each requirement of a profile is a boolean SQL
expression over a Trainee row, built here and nowhere else:

- a certification type counts when the person holds a certification of it that is valid on
  every day from `starts_on` to `ends_on` inclusive: current (neither revoked nor superseded)
  and valid on the first and on the last day as CertificationQuerySet.valid_on() says (issued
  on or before the day, expiring on or after it: a certificate is valid through its
  `expires_on`), hence on every day between. certifications owns that rule
  (CertificationQuerySet.valid_throughout); the tests check it against valid_on day by day;
- the minimum age and years of service are reached by the first day;
- each language is spoken at the profile's minimum level or above.

`readiness()` (one person) and `assess()` (a page of people) annotate those expressions on
the trainees' rows; `pool()` (everyone, for the /readiness/ search, the bench and the API)
filters by them: the same expressions, so both always agree. What the SQL says is met or not
is then explained in Python: for each failing requirement why (missing, expired, revoked,
lapses on a date within the window, too young, too little service, language level) and the
next session, starting after today and ending before the deployment starts, whose certificate
would cover the whole window.

A certificate "lapses on" its `expires_on`: the last day it is valid. One expiring the day
before the deployment ends does not count; one expiring on the last day does.
"""

import operator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, reduce

from dateutil.relativedelta import relativedelta
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certifications.models import Certification, add_months
from courses.models import CourseSession, Enrollment
from trainees.models import Trainee, TraineeLanguage

AGE = "age"
SERVICE = "service"
LANGUAGE_PREFIX = "language:"


class Kind:
    CERTIFICATION = "certification"
    AGE = "age"
    SERVICE = "service"
    LANGUAGE = "language"


class Reason:
    MISSING = "missing"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LAPSES = "lapses"
    TOO_YOUNG = "too_young"
    TOO_LITTLE_SERVICE = "too_little_service"
    LANGUAGE = "language"


REASON_LABELS = {
    Reason.MISSING: _("missing"),
    Reason.EXPIRED: _("expired before the deployment starts"),
    Reason.REVOKED: _("revoked"),
    Reason.LAPSES: _("lapses within the deployment"),
    Reason.TOO_YOUNG: _("too young"),
    Reason.TOO_LITTLE_SERVICE: _("too little service"),
    Reason.LANGUAGE: _("language level too low"),
}


@dataclass(frozen=True)
class Requirement:
    """One requirement of a profile over a window; `check` is true on a Trainee row that meets it."""

    code: str  # the certification type's code, "age", "service" or "language:<code>"
    kind: str
    label: str
    check: object  # Q or Exists over trainees.Trainee
    type: object = None  # the CertificationType, for a certification
    minimum: object = None  # years (age, service) or the level (language)


@dataclass(frozen=True)
class Renewal:
    """The next session whose certificate would cover the whole window."""

    session: CourseSession
    seats_left: int

    @property
    def waitlist(self):
        return self.seats_left <= 0


@dataclass(frozen=True)
class Failure:
    requirement: Requirement
    reason: str
    lapses_on: date | None = None  # a certification's last valid day (expired or lapsing)
    renewal: Renewal | None = None

    @property
    def code(self):
        return self.requirement.code

    @property
    def reason_label(self):
        return REASON_LABELS[self.reason]


@dataclass(frozen=True)
class Readiness:
    trainee: Trainee
    starts_on: date
    ends_on: date
    failures: tuple = field(default_factory=tuple)

    @property
    def ready(self):
        return not self.failures

    @property
    def fixable(self):
        """Almost ready: exactly one requirement fails, and a session before the start renews it."""
        return len(self.failures) == 1 and self.failures[0].renewal is not None

    @property
    def failing_codes(self):
        return [failure.code for failure in self.failures]

    @property
    def lapses_on(self):
        """The earliest day a requirement lapses within the deployment (None when none does)."""
        days = [f.lapses_on for f in self.failures if f.reason == Reason.LAPSES]
        return min(days) if days else None


def covering_certifications(starts_on, ends_on):
    """Certifications valid on every day from `starts_on` to `ends_on` inclusive (certifications'
    own rule: CertificationQuerySet.valid_throughout)."""
    return Certification.objects.valid_throughout(starts_on, ends_on)


def requirements(profile, starts_on, ends_on) -> list[Requirement]:
    """The profile's requirements over the window, each with its SQL check (the one definition)."""
    covering = covering_certifications(starts_on, ends_on)
    result = []
    for certification_type in sorted(profile.required_types.all(), key=lambda t: t.code):
        result.append(
            Requirement(
                code=certification_type.code,
                kind=Kind.CERTIFICATION,
                label=certification_type.name,
                check=Exists(covering.filter(trainee=OuterRef("pk"), type=certification_type.pk)),
                type=certification_type,
            )
        )
    if profile.min_age:
        born_by = starts_on - relativedelta(years=profile.min_age)
        result.append(
            Requirement(
                code=AGE,
                kind=Kind.AGE,
                label=_("Minimum age"),
                check=Q(date_of_birth__lte=born_by),
                minimum=profile.min_age,
            )
        )
    if profile.min_service_years:
        serving_since = starts_on - relativedelta(years=profile.min_service_years)
        result.append(
            Requirement(
                code=SERVICE,
                kind=Kind.SERVICE,
                label=_("Minimum years of service"),
                check=Q(service_started_on__lte=serving_since),
                minimum=profile.min_service_years,
            )
        )
    for language in sorted(profile.languages.all(), key=lambda lang: lang.language):
        speaks = TraineeLanguage.objects.filter(
            trainee=OuterRef("pk"), language=language.language, proficiency__in=language.accepted_levels
        )
        result.append(
            Requirement(
                code=f"{LANGUAGE_PREFIX}{language.language}",
                kind=Kind.LANGUAGE,
                label=str(language),
                check=Exists(speaks),
                minimum=language.minimum,
            )
        )
    return result


def renewals(certification_types, starts_on, ends_on, *, today=None) -> dict:
    """{type id: Renewal}: per type, the first session (planned or open, of an active course
    granting it, starting after `today` and ending before `starts_on`) whose certificate,
    issued on its last day, stays valid through `ends_on`; with its free seats. One query."""
    today = today or timezone.localdate()
    type_ids = [t.pk for t in certification_types]
    if not type_ids:
        return {}
    sessions = (
        CourseSession.objects.filter(
            course__grants__in=type_ids,
            course__is_active=True,
            status__in=[CourseSession.Status.PLANNED, CourseSession.Status.OPEN],
            starts_on__gt=today,
            ends_on__lt=starts_on,
        )
        .select_related("course__grants")
        # Seats taken, counted for the few sessions found (a subquery each on the session's
        # enrolment index), not by grouping every enrolment.
        .annotate(
            seated=Subquery(
                Enrollment.objects.filter(session=OuterRef("pk"), status=Enrollment.Status.ENROLLED)
                .order_by()
                .values("session")
                .annotate(count=Count("pk"))
                .values("count")
            )
        )
        .order_by("starts_on", "code")
    )
    found = {}
    for session in sessions:
        granted = session.course.grants
        if granted.pk in found:
            continue
        if granted.validity_months and add_months(session.ends_on, granted.validity_months) < ends_on:
            continue  # its certificate would lapse before the deployment ends
        found[granted.pk] = Renewal(session=session, seats_left=session.capacity - (session.seated or 0))
    return found


def _flag(index):
    return f"_requirement_{index}"


def _certification_failure(certificates, starts_on, ends_on):
    """Why no certificate of the type counts: the holder's current one expired before the
    start or lapses within the window, the last one was revoked, or there is none."""
    current = [c for c in certificates if c.revoked_at is None and c.superseded_by_id is None]
    # The current certificate that reaches furthest (one per type, normally).
    current.sort(key=lambda c: (c.expires_on is None, c.expires_on or date.max), reverse=True)
    for certificate in current:
        if certificate.issued_on > starts_on:
            continue  # issued after the start: does not cover the first days
        if certificate.expires_on is not None and certificate.expires_on < starts_on:
            return Reason.EXPIRED, certificate.expires_on
        if certificate.expires_on is not None and certificate.expires_on < ends_on:
            return Reason.LAPSES, certificate.expires_on
    if not current and any(c.revoked_at is not None for c in certificates):
        return Reason.REVOKED, None
    return Reason.MISSING, None


def assess(trainees, profile, starts_on, ends_on, *, today=None, pool=None) -> list[Readiness]:
    """Readiness of each trainee of the queryset `trainees`, in its order.

    A fixed number of queries, whatever the number of people: the profile's requirements, the
    trainees with one flag per requirement (the SQL of requirements()), their certificates of
    the failing types (to say why), and the renewal sessions of those types. `pool`, a Pool of
    the same profile and window, saves reading the requirements and renewals again.
    """
    reqs = pool.requirements if pool is not None else requirements(profile, starts_on, ends_on)
    flags = {_flag(i): ExpressionWrapper(r.check, output_field=BooleanField()) for i, r in enumerate(reqs)}
    people = list(trainees.annotate(**flags)) if flags else list(trainees)
    failing = {person.pk: [r for i, r in enumerate(reqs) if not getattr(person, _flag(i))] for person in people}
    failing_types = {r.type.pk: r.type for rs in failing.values() for r in rs if r.kind == Kind.CERTIFICATION}
    certificates = {}
    if failing_types:
        holders = [pk for pk, rs in failing.items() if any(r.kind == Kind.CERTIFICATION for r in rs)]
        for certificate in Certification.objects.filter(trainee__in=holders, type__in=failing_types).only(
            "trainee_id", "type_id", "issued_on", "expires_on", "revoked_at", "superseded_by_id"
        ):
            certificates.setdefault((certificate.trainee_id, certificate.type_id), []).append(certificate)
    if pool is not None:
        renewal_options = pool.renewals
    else:
        renewal_options = renewals(failing_types.values(), starts_on, ends_on, today=today)

    result = []
    for person in people:
        failures = []
        for requirement in failing[person.pk]:
            if requirement.kind == Kind.CERTIFICATION:
                reason, lapses_on = _certification_failure(
                    certificates.get((person.pk, requirement.type.pk), []), starts_on, ends_on
                )
                failures.append(Failure(requirement, reason, lapses_on, renewal_options.get(requirement.type.pk)))
            elif requirement.kind == Kind.AGE:
                failures.append(Failure(requirement, Reason.TOO_YOUNG))
            elif requirement.kind == Kind.SERVICE:
                failures.append(Failure(requirement, Reason.TOO_LITTLE_SERVICE))
            else:
                failures.append(Failure(requirement, Reason.LANGUAGE))
        result.append(Readiness(trainee=person, starts_on=starts_on, ends_on=ends_on, failures=tuple(failures)))
    return result


def readiness(trainee, profile, starts_on, ends_on, *, today=None) -> Readiness:
    """Is `trainee` ready for `profile` on every day from `starts_on` to `ends_on`; if not, why,
    and which session renews what lapses. Every page, export and reminder asks this (or
    assess() for many people at once, which is the same code)."""
    return assess(Trainee.objects.filter(pk=trainee.pk), profile, starts_on, ends_on, today=today)[0]


class Pool:
    """Who, among `trainees`, is ready and who is almost ready for a profile over a window, as
    querysets not yet evaluated. The ready selection needs only the requirements; the renewal
    sessions (one query) are read when the almost ready are asked for."""

    def __init__(self, profile, starts_on, ends_on, *, trainees=None, today=None):
        self.profile, self.starts_on, self.ends_on, self.today = profile, starts_on, ends_on, today
        self.trainees = (trainees if trainees is not None else Trainee.objects.all()).exclude(
            status=Trainee.Status.INACTIVE
        )
        self.requirements = requirements(profile, starts_on, ends_on)
        self.ready = self.trainees.filter(*[r.check for r in self.requirements])

    @cached_property
    def renewals(self):
        types = [r.type for r in self.requirements if r.kind == Kind.CERTIFICATION]
        return renewals(types, self.starts_on, self.ends_on, today=self.today)

    @cached_property
    def almost(self):
        """Exactly one requirement fails, and it is one a session before the start renews.

        For each renewable requirement, those who meet every other requirement and not that
        one (semi- and anti-joins, set-based); with several renewable requirements, the union
        of those sets (each computed once by the database, then probed by hash)."""
        fixable = [r for r in self.requirements if r.kind == Kind.CERTIFICATION and r.type.pk in self.renewals]
        if not fixable:
            return self.trainees.none()
        branches = [
            self.trainees.filter(*[other.check for other in self.requirements if other is not requirement]).exclude(
                requirement.check
            )
            for requirement in fixable
        ]
        if len(branches) == 1:
            return branches[0]
        return self.trainees.filter(reduce(operator.or_, [Q(pk__in=branch.values("pk")) for branch in branches]))


def pool(profile, starts_on, ends_on, *, trainees=None, today=None) -> Pool:
    """Everyone ready for `profile` over the window, and apart those almost ready (exactly one
    requirement fails and a session before the start renews it), as set-based queries: the
    requirements' checks in one WHERE clause, not a query per person. `trainees` narrows the
    search (organization, nationality, ...); inactive people are left out. A profile fetched
    with prefetch_related("required_types", "languages") costs no further query."""
    return Pool(profile, starts_on, ends_on, trainees=trainees, today=today)


def with_readiness(nominations, *, today=None) -> list:
    """(nomination, readiness) for each nomination, in order: one assess() per deployment
    among them (nominations must come with deployment__profile loaded)."""
    nominations = list(nominations)
    by_deployment = {}
    for nomination in nominations:
        by_deployment.setdefault(nomination.deployment_id, []).append(nomination)
    results = {}
    for items in by_deployment.values():
        deployment = items[0].deployment
        people = Trainee.objects.filter(pk__in=[n.trainee_id for n in items]).select_related("organization")
        for result in assess(people, deployment.profile, deployment.starts_on, deployment.ends_on, today=today):
            results[(deployment.pk, result.trainee.pk)] = result
    return [(n, results[(n.deployment_id, n.trainee_id)]) for n in nominations]
