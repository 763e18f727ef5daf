"""Issuing and revoking certifications: supersede on renewal, revocation, verification codes, history."""

import datetime
import math
import re

import pghistory
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from pghistory.models import Events

from certifications.models import CODE_ALPHABET, Certification, generate_code, normalize_code
from certifications.services import issue_certification, revoke_certification
from courses import services as course_services
from tests import factories


@pytest.fixture
def holder(db):
    return factories.TraineeFactory(given_names="Guadalupe", paternal_surname="Peña", maternal_surname="Ordóñez")


@pytest.fixture
def cert_type(db):
    return factories.CertificationTypeFactory(code="IHL", name="International Humanitarian Law", validity_months=24)


def _issue(holder, cert_type, day):
    return issue_certification(trainee=holder, type=cert_type, issued_on=day)


def _current(holder, cert_type):
    return list(Certification.objects.current().filter(trainee=holder, type=cert_type))


def _refresh(*certs):
    for cert in certs:
        cert.refresh_from_db()


def test_issue_computes_the_expiry_from_the_type(holder, cert_type):
    cert = _issue(holder, cert_type, datetime.date(2026, 5, 31))

    assert cert.expires_on == datetime.date(2028, 5, 31)


def test_issue_keeps_an_explicit_expiry_and_issuer(holder, cert_type):
    cert = issue_certification(
        trainee=holder,
        type=cert_type,
        issued_on=datetime.date(2025, 1, 10),
        expires_on=datetime.date(2026, 1, 10),
        issuer="Escuela de Operaciones de Paz de Chile (CECOPAC)",
    )

    assert cert.expires_on == datetime.date(2026, 1, 10)
    assert cert.is_external


def test_a_newer_certificate_supersedes_the_older_one(holder, cert_type):
    old = _issue(holder, cert_type, datetime.date(2024, 2, 1))
    new = _issue(holder, cert_type, datetime.date(2026, 2, 1))

    _refresh(old, new)
    assert old.superseded_by == new
    assert new.superseded_by is None
    assert _current(holder, cert_type) == [new]
    assert old.state() == Certification.State.SUPERSEDED


def test_other_types_and_other_people_are_not_superseded(holder, cert_type):
    other_type = factories.CertificationTypeFactory()
    other_person = factories.TraineeFactory()
    mine_other_type = _issue(holder, other_type, datetime.date(2024, 2, 1))
    theirs = _issue(other_person, cert_type, datetime.date(2024, 2, 1))

    _issue(holder, cert_type, datetime.date(2026, 2, 1))

    _refresh(mine_other_type, theirs)
    assert mine_other_type.superseded_by is None
    assert theirs.superseded_by is None


def test_an_older_dated_certificate_issued_later_is_itself_superseded(holder, cert_type):
    newer = _issue(holder, cert_type, datetime.date(2026, 2, 1))
    older = _issue(holder, cert_type, datetime.date(2024, 2, 1))  # e.g. recorded late from paper

    _refresh(newer, older)
    assert older.superseded_by == newer
    assert newer.superseded_by is None
    assert _current(holder, cert_type) == [newer]


def test_revoking_a_renewal_makes_the_previous_one_current_again(holder, cert_type, admin_user):
    previous = _issue(holder, cert_type, datetime.date(2024, 2, 1))
    renewal = _issue(holder, cert_type, datetime.date(2026, 2, 1))

    revoke_certification(certification=renewal, reason="Issued to the wrong person", by=admin_user)

    _refresh(previous, renewal)
    assert previous.superseded_by is None
    assert renewal.revoked_at is not None
    assert renewal.revoked_reason == "Issued to the wrong person"
    assert renewal.revoked_by == admin_user
    assert renewal.state() == Certification.State.REVOKED
    assert _current(holder, cert_type) == [previous]


def test_revoking_the_newest_leaves_exactly_one_current_certificate(holder, cert_type, admin_user):
    # 2026 arrives before the late-recorded 2025 one: both 2024 and 2025 then point at 2026.
    first = _issue(holder, cert_type, datetime.date(2024, 2, 1))
    newest = _issue(holder, cert_type, datetime.date(2026, 2, 1))
    middle = _issue(holder, cert_type, datetime.date(2025, 2, 1))

    revoke_certification(certification=newest, reason="Exam annulled", by=admin_user)

    _refresh(first, middle)
    assert _current(holder, cert_type) == [middle]
    assert first.superseded_by == middle


def test_revoking_a_superseded_certificate_hands_its_predecessors_on(holder, cert_type, admin_user):
    first = _issue(holder, cert_type, datetime.date(2022, 2, 1))
    second = _issue(holder, cert_type, datetime.date(2024, 2, 1))
    third = _issue(holder, cert_type, datetime.date(2026, 2, 1))

    revoke_certification(certification=second, reason="Fraudulent attendance sheet", by=admin_user)

    _refresh(first, third)
    assert _current(holder, cert_type) == [third]
    assert first.superseded_by == third


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_revoking_requires_a_reason(holder, cert_type, admin_user, reason):
    cert = _issue(holder, cert_type, datetime.date(2026, 2, 1))

    with pytest.raises(ValidationError) as excinfo:
        revoke_certification(certification=cert, reason=reason, by=admin_user)

    assert "reason" in excinfo.value.message_dict
    cert.refresh_from_db()
    assert cert.revoked_at is None


def test_revoking_twice_is_refused(holder, cert_type, admin_user):
    cert = _issue(holder, cert_type, datetime.date(2026, 2, 1))
    revoke_certification(certification=cert, reason="Duplicate", by=admin_user)

    with translation.override("en"), pytest.raises(ValidationError, match="already revoked"):
        revoke_certification(certification=cert, reason="Again", by=admin_user)


def test_generated_codes_are_unique_printable_and_carry_at_least_64_random_bits():
    codes = [generate_code() for _ in range(5000)]

    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4})+", code)
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
    symbols = len(codes[0].replace("-", ""))
    assert symbols * math.log2(len(set(CODE_ALPHABET))) >= 64
    # Every position varies over (nearly) the whole alphabet: no fixed prefix or checksum
    # quietly eats into the random bits.
    for position in range(symbols):
        assert len({code.replace("-", "")[position] for code in codes}) == len(CODE_ALPHABET)


def test_issued_certificates_get_distinct_codes(holder, cert_type):
    codes = {_issue(holder, factories.CertificationTypeFactory(), datetime.date(2026, 1, 1)).code for _ in range(20)}

    assert len(codes) == 20


def test_normalize_code_forgives_case_dashes_and_look_alike_letters():
    code = generate_code()
    bare = code.replace("-", "")

    assert normalize_code(code) == code
    assert normalize_code(code.lower()) == code
    assert normalize_code(bare.lower()) == code
    assert normalize_code(f"  {bare[:8]} {bare[8:]} ") == code
    assert normalize_code("abcd-efgh-jkmn-pqrs") == "ABCD-EFGH-JKMN-PQRS"
    assert normalize_code("0oO0-1iIl-2222-3333") == "0000-1111-2222-3333"


def test_a_normalized_code_finds_the_certificate(holder, cert_type):
    cert = _issue(holder, cert_type, datetime.date(2026, 1, 1))

    typed = cert.code.replace("-", "").lower()

    assert Certification.objects.get(code=normalize_code(typed)) == cert


def test_history_records_an_enrollment_change_made_by_bulk_update(instructor):
    session = factories.CourseSessionFactory(instructors=[instructor])
    enrollment = factories.EnrollmentFactory(session=session)

    with pghistory.context(user=instructor.pk):
        course_services.record_results(
            session=session,
            results={enrollment.pk: {"result": "passed", "score": 92, "attendance": 100, "remarks": "Destacado"}},
            by=instructor,
        )

    EnrollmentEvent = enrollment.events.model
    update = EnrollmentEvent.objects.get(pgh_obj=enrollment, pgh_label="update")
    assert (update.result, update.score, update.remarks) == ("passed", 92, "Destacado")
    assert update.recorded_by_id == instructor.pk
    event = Events.objects.tracks(enrollment).get(pgh_label="update")
    assert event.pgh_diff["result"] == ["pending", "passed"]
    assert event.pgh_context["user"] == instructor.pk


def test_history_records_a_revocation(holder, cert_type, admin_user):
    cert = _issue(holder, cert_type, datetime.date(2026, 1, 1))

    revoke_certification(certification=cert, reason="Issued in error", by=admin_user)

    labels = list(Events.objects.tracks(cert).order_by("pgh_created_at").values_list("pgh_label", flat=True))
    assert labels == ["insert", "update"]
    event = Events.objects.tracks(cert).get(pgh_label="update")
    assert event.pgh_diff["revoked_reason"] == ["", "Issued in error"]


# --- concurrency -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_certificates_issued_at_once_to_one_holder_leave_one_current():
    """Two sessions granting the same type finalized at the same moment: each issue must see
    the other's certificate, or both would stay current (and both get reminders)."""
    import threading
    import time
    from unittest import mock

    from django.db import connection

    holder = factories.TraineeFactory()
    cert_type = factories.CertificationTypeFactory(validity_months=24)
    days = [datetime.date(2026, 3, 13), datetime.date(2026, 4, 17)]
    real_save = Certification.save
    errors = []

    def slow_save(self, *args, **kwargs):
        # Linger after inserting, so that without the holder's lock both inserts happen
        # before either looks for the other.
        real_save(self, *args, **kwargs)
        time.sleep(0.3)

    def worker(day):
        try:
            issue_certification(trainee=holder, type=cert_type, issued_on=day)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(day,)) for day in days]
    with mock.patch.object(Certification, "save", slow_save):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    current = Certification.objects.current().filter(trainee=holder, type=cert_type)
    assert [c.issued_on for c in current] == [days[1]]
    assert Certification.objects.filter(trainee=holder, type=cert_type).count() == 2
