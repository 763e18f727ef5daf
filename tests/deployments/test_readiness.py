"""Readiness over a deployment window: boundary days, each failing reason, renewal sessions, and
the pool (set-based) agreeing with the single-person service on generated data."""

import datetime
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certifications.services import issue_certification
from deployments.models import LanguageRequirement
from deployments.readiness import Reason, pool, readiness
from tests import factories
from trainees.models import TraineeLanguage

pytestmark = pytest.mark.django_db

START = datetime.date(2027, 3, 1)
END = datetime.date(2027, 8, 31)
TODAY = datetime.date(2026, 12, 1)


@pytest.fixture
def cptm():
    return factories.CertificationTypeFactory(code="CPTM", name="Core pre-deployment training", validity_months=36)


@pytest.fixture
def passport():
    return factories.CertificationTypeFactory(code="PASSPORT", name="Passport", validity_months=None)


@pytest.fixture
def profile(cptm, passport):
    return factories.RequirementProfileFactory(code="UNMEM", role="military_expert", required_types=[cptm, passport])


@pytest.fixture
def person(passport):
    trainee = factories.TraineeFactory()
    factories.CertificationFactory(trainee=trainee, type=passport, issued_on=datetime.date(2024, 1, 1))
    return trainee


def _check(trainee, profile, start=START, end=END):
    result = readiness(trainee, profile, start, end, today=TODAY)
    ready_ids = set(pool(profile, start, end, today=TODAY).ready.values_list("pk", flat=True))
    assert (trainee.pk in ready_ids) == result.ready, "pool and single-person readiness disagree"
    return result


def test_valid_through_the_last_day_counts(profile, cptm, person):
    factories.CertificationFactory(trainee=person, type=cptm, issued_on=datetime.date(2025, 1, 1), expires_on=END)
    assert _check(person, profile).ready


def test_lapsing_the_day_before_the_end_does_not(profile, cptm, person):
    factories.CertificationFactory(
        trainee=person, type=cptm, issued_on=datetime.date(2025, 1, 1), expires_on=END - timedelta(days=1)
    )
    result = _check(person, profile)
    assert not result.ready
    (failure,) = result.failures
    assert (failure.code, failure.reason, failure.lapses_on) == ("CPTM", Reason.LAPSES, END - timedelta(days=1))
    assert result.lapses_on == END - timedelta(days=1)


def test_issued_on_the_first_day_counts_issued_the_day_after_does_not(profile, cptm, person):
    certificate = factories.CertificationFactory(trainee=person, type=cptm, issued_on=START)
    assert _check(person, profile).ready
    certificate.issued_on = START + timedelta(days=1)
    certificate.save()
    result = _check(person, profile)
    assert [(f.code, f.reason) for f in result.failures] == [("CPTM", Reason.MISSING)]


def test_expired_before_the_start(profile, cptm, person):
    factories.CertificationFactory(
        trainee=person, type=cptm, issued_on=datetime.date(2023, 1, 1), expires_on=datetime.date(2026, 1, 1)
    )
    result = _check(person, profile)
    assert [(f.code, f.reason, f.lapses_on) for f in result.failures] == [
        ("CPTM", Reason.EXPIRED, datetime.date(2026, 1, 1))
    ]
    assert result.lapses_on is None  # it does not lapse *within* the deployment


def test_missing_and_revoked(profile, cptm, person, admin_user):
    assert [(f.code, f.reason) for f in _check(person, profile).failures] == [("CPTM", Reason.MISSING)]
    certificate = factories.CertificationFactory(trainee=person, type=cptm, issued_on=datetime.date(2025, 1, 1))
    assert _check(person, profile).ready
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = "Fraude en la evaluación"
    certificate.save()
    assert [(f.code, f.reason) for f in _check(person, profile).failures] == [("CPTM", Reason.REVOKED)]


def test_external_certificate_counts_like_an_issued_one(profile, cptm, person):
    issue_certification(trainee=person, type=cptm, issued_on=datetime.date(2025, 5, 1), issuer="CECOPAC (Chile)")
    assert _check(person, profile).ready


def test_age_service_and_language(cptm):
    profile = factories.RequirementProfileFactory(code="SO", role="staff_officer", min_age=25, min_service_years=5)
    LanguageRequirement.objects.create(profile=profile, language="en", minimum="intermediate")
    trainee = factories.TraineeFactory()
    result = _check(trainee, profile)
    assert {(f.code, f.reason) for f in result.failures} == {
        ("age", Reason.TOO_YOUNG),  # no date of birth recorded
        ("service", Reason.TOO_LITTLE_SERVICE),
        ("language:en", Reason.LANGUAGE),
    }
    trainee.date_of_birth = datetime.date(2002, 3, 2)  # 25 the day after the start
    trainee.service_started_on = datetime.date(2022, 3, 1)  # five years on the first day
    trainee.save()
    language = TraineeLanguage.objects.create(trainee=trainee, language="en", proficiency="basic")
    assert {(f.code, f.reason) for f in _check(trainee, profile).failures} == {
        ("age", Reason.TOO_YOUNG),
        ("language:en", Reason.LANGUAGE),
    }
    trainee.date_of_birth = datetime.date(2002, 3, 1)  # 25 on the first day
    trainee.save()
    language.proficiency = "advanced"
    language.save()
    assert _check(trainee, profile).ready


def test_next_session_that_renews_in_time(profile, cptm, person):
    factories.CertificationFactory(
        trainee=person, type=cptm, issued_on=datetime.date(2024, 1, 1), expires_on=datetime.date(2027, 5, 1)
    )
    course = factories.CourseFactory(grants=cptm)
    # Too late (ends after the start), already started, cancelled: none of these renews in time.
    factories.CourseSessionFactory(
        course=course, starts_on=START - timedelta(days=3), ends_on=START + timedelta(days=2)
    )
    factories.CourseSessionFactory(course=course, starts_on=TODAY, ends_on=TODAY + timedelta(days=4))
    factories.CourseSessionFactory(
        course=course, starts_on=TODAY + timedelta(days=5), ends_on=TODAY + timedelta(days=9), status="cancelled"
    )
    result = _check(person, profile)
    (failure,) = result.failures
    assert failure.renewal is None and not result.fixable
    good = factories.CourseSessionFactory(
        course=course,
        code="CPTM-27-01",
        starts_on=datetime.date(2027, 1, 11),
        ends_on=datetime.date(2027, 1, 15),
        capacity=2,
    )
    result = _check(person, profile)
    (failure,) = result.failures
    assert failure.renewal.session == good and failure.renewal.seats_left == 2 and not failure.renewal.waitlist
    assert result.fixable
    assert person.pk in set(pool(profile, START, END, today=TODAY).almost.values_list("pk", flat=True))
    for _ in range(2):
        factories.EnrollmentFactory(session=good)
    (failure,) = readiness(person, profile, START, END, today=TODAY).failures
    assert failure.renewal.waitlist


def test_a_renewal_whose_certificate_would_lapse_before_the_end_is_not_offered(person, passport):
    short = factories.CertificationTypeFactory(code="FIRSTAID", name="First aid", validity_months=6)
    profile = factories.RequirementProfileFactory(code="FPU", role="formed_police_unit", required_types=[short])
    course = factories.CourseFactory(grants=short)
    factories.CourseSessionFactory(
        course=course, starts_on=datetime.date(2027, 1, 4), ends_on=datetime.date(2027, 1, 8)
    )
    (failure,) = readiness(person, profile, START, END, today=TODAY).failures
    assert failure.renewal is None  # 8 Jan + 6 months = 8 Jul, before 31 Aug


def test_readiness_costs_the_same_queries_for_one_or_many(profile, cptm, django_assert_max_num_queries):
    people = factories.TraineeFactory.create_batch(12)
    for index, trainee in enumerate(people):
        if index % 3:
            factories.CertificationFactory(trainee=trainee, type=cptm, issued_on=datetime.date(2026, 1, 1))
    from deployments.readiness import assess
    from trainees.models import Trainee

    with django_assert_max_num_queries(5):
        results = assess(Trainee.objects.filter(pk__in=[p.pk for p in people]), profile, START, END, today=TODAY)
    assert len(results) == 12


# --- properties ------------------------------------------------------------------------


window = st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=200))
certificate_spec = st.fixed_dictionaries(
    {
        "issued": st.integers(min_value=-900, max_value=30),  # days from the start
        "expires": st.one_of(st.none(), st.integers(min_value=-5, max_value=250)),  # days from the end
        "revoked": st.booleans(),
        "superseded": st.booleans(),
        "external": st.booleans(),
    }
)


def _make(trainee, type_, spec, start, end):
    issued_on = start + timedelta(days=spec["issued"])
    expires_on = None if spec["expires"] is None else max(end + timedelta(days=spec["expires"]), issued_on)
    certificate = factories.CertificationFactory(
        trainee=trainee,
        type=type_,
        issued_on=issued_on,
        expires_on=expires_on,
        issuer="Centro de Entrenamiento (CECOPAZ)" if spec["external"] else "",
    )
    if spec["revoked"]:
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = "Error de captura"
    if spec["superseded"]:
        # The renewal that superseded it starts after the window: it covers none of it.
        certificate.superseded_by = factories.CertificationFactory(
            trainee=trainee, type=type_, issued_on=end + timedelta(days=1), expires_on=None
        )
    certificate.save()
    return issued_on, expires_on


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(window=window, spec=certificate_spec)
def test_property_a_certificate_counts_only_when_current_and_valid_every_day(window, spec):
    start = datetime.date(2027, 1, 1) + timedelta(days=window[0])
    end = start + timedelta(days=window[1])
    with transaction.atomic():
        type_ = factories.CertificationTypeFactory(code="PROP", validity_months=None)
        profile = factories.RequirementProfileFactory(code="PROPERTY", required_types=[type_])
        trainee = factories.TraineeFactory()
        issued_on, expires_on = _make(trainee, type_, spec, start, end)
        expected = (
            not spec["revoked"]
            and not spec["superseded"]
            and issued_on <= start
            and (expires_on is None or expires_on >= end)
        )
        result = readiness(trainee, profile, start, end, today=TODAY)
        in_pool = pool(profile, start, end, today=TODAY).ready.filter(pk=trainee.pk).exists()
        assert result.ready == expected == in_pool
        if not expected:
            assert result.failures[0].reason in (Reason.MISSING, Reason.EXPIRED, Reason.LAPSES, Reason.REVOKED)
        transaction.set_rollback(True)


population = st.lists(
    st.fixed_dictionaries(
        {
            "a": st.one_of(st.none(), certificate_spec),
            "b": st.one_of(st.none(), certificate_spec),
            "born": st.one_of(st.none(), st.integers(min_value=18, max_value=40)),
            "english": st.sampled_from([None, "basic", "intermediate", "advanced", "native"]),
        }
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=population, renewable=st.booleans(), renewable_b=st.booleans())
def test_property_the_pool_and_the_single_service_agree(people, renewable, renewable_b):
    start, end = START, END
    with transaction.atomic():
        type_a = factories.CertificationTypeFactory(code="PA", validity_months=24)
        type_b = factories.CertificationTypeFactory(code="PB", validity_months=None)
        profile = factories.RequirementProfileFactory(code="AGREE", required_types=[type_a, type_b], min_age=25)
        LanguageRequirement.objects.create(profile=profile, language="en", minimum="intermediate")
        if renewable:
            factories.CourseSessionFactory(
                course=factories.CourseFactory(grants=type_a),
                starts_on=datetime.date(2027, 1, 4),
                ends_on=datetime.date(2027, 1, 8),
            )
        if renewable_b:
            factories.CourseSessionFactory(
                course=factories.CourseFactory(grants=type_b),
                starts_on=datetime.date(2027, 2, 1),
                ends_on=datetime.date(2027, 2, 5),
            )
        trainees = []
        for spec in people:
            trainee = factories.TraineeFactory(
                date_of_birth=None if spec["born"] is None else datetime.date(2027 - spec["born"], 3, 1)
            )
            for key, type_ in (("a", type_a), ("b", type_b)):
                if spec[key] is not None:
                    _make(trainee, type_, spec[key], start, end)
            if spec["english"]:
                TraineeLanguage.objects.create(trainee=trainee, language="en", proficiency=spec["english"])
            trainees.append(trainee)
        found = pool(profile, start, end, today=TODAY)
        singles = {t.pk: readiness(t, profile, start, end, today=TODAY) for t in trainees}
        assert set(found.ready.values_list("pk", flat=True)) == {pk for pk, r in singles.items() if r.ready}
        assert set(found.almost.values_list("pk", flat=True)) == {pk for pk, r in singles.items() if r.fixable}
        transaction.set_rollback(True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(min_value=0, max_value=60),
    length=st.integers(min_value=0, max_value=20),
    issued=st.integers(min_value=0, max_value=80),
    valid_days=st.one_of(st.none(), st.integers(min_value=0, max_value=80)),
    revoked=st.booleans(),
)
def test_property_valid_throughout_means_valid_on_every_day(start, length, issued, valid_days, revoked):
    """certifications' valid_throughout (what readiness counts) is valid_on() on each day of the window."""
    from certifications.models import Certification

    base = datetime.date(2027, 1, 1)
    first, last = base + timedelta(days=start), base + timedelta(days=start + length)
    with transaction.atomic():
        issued_on = base + timedelta(days=issued)
        certificate = factories.CertificationFactory(
            issued_on=issued_on,
            expires_on=None if valid_days is None else issued_on + timedelta(days=valid_days),
            revoked_at=timezone.now() if revoked else None,
            revoked_reason="Error" if revoked else "",
        )
        mine = Certification.objects.filter(pk=certificate.pk)
        every_day = all(
            mine.current().valid_on(first + timedelta(days=offset)).exists() for offset in range(length + 1)
        )
        assert mine.valid_throughout(first, last).exists() == every_day
        transaction.set_rollback(True)
