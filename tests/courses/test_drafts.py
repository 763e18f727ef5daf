"""Draft results (a session not yet finalized) are seen only by the session's instructors and
administrators (DESIGN.md): never by the trainee, another instructor, or a document of record.

One read enforces it, Enrollment.objects.visible_to(user); the property-based test throws
roles x session states x results at that read and at every place that shows results (the
transcript, /me/, the record page, in any order of readers, so that a cached rendering cannot
carry one reader's drafts to another).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import CourseSession, Enrollment
from tests import factories
from tests.certifications.documents_helpers import pdf_text

pytestmark = pytest.mark.django_db

ROLES = ("owner", "instructor", "other_instructor", "administrator")
ENTITLED = {"instructor", "administrator"}  # to the drafts of the session `instructor` teaches
SCORE = Decimal("87.25")  # distinctive: appears nowhere else on the pages
ATTENDANCE = 93
RESULT_LABELS = {"passed": "Passed", "failed": "Failed", "incomplete": "Incomplete"}


@pytest.fixture
def world(db):
    cast = {
        "owner": factories.TraineeUserFactory(username="owner"),
        "instructor": factories.InstructorFactory(username="teacher"),
        "other_instructor": factories.InstructorFactory(username="other-teacher"),
        "administrator": factories.AdministratorFactory(username="chief"),
    }
    trainee = cast["owner"].trainee
    session = factories.CourseSessionFactory(
        instructors=[cast["instructor"]], starts_on=datetime.date(2026, 3, 2), ends_on=datetime.date(2026, 3, 13)
    )
    enrollment = factories.EnrollmentFactory(session=session, trainee=trainee)
    # The trainee is shared: other_instructor teaches them in another session (results pending).
    shared = factories.CourseSessionFactory(instructors=[cast["other_instructor"]])
    factories.EnrollmentFactory(session=shared, trainee=trainee)
    return {"cast": cast, "trainee": trainee, "session": session, "enrollment": enrollment}


def courses_section(response):
    assert response.status_code == 200, response.status_code
    return re.search(r'aria-labelledby="enrollments-heading">.*?</section>', response.content.decode(), re.S).group(0)


def assert_shows(text, *, result, draft_visible):
    shown = {
        "score": "87.25" in text or "87,25" in text,
        "attendance": f"{ATTENDANCE} %" in text,
        "result": result in RESULT_LABELS and RESULT_LABELS[result] in text,
    }
    if draft_visible:
        assert shown["score"] and shown["attendance"], text
        assert shown["result"] == (result in RESULT_LABELS), text
    else:
        assert not any(shown.values()), (shown, text)


def test_drafts_never_reach_anyone_not_entitled(world):
    cast, trainee, enrollment = world["cast"], world["trainee"], world["enrollment"]
    clients = {}
    for role, user in cast.items():
        clients[role] = Client(HTTP_ACCEPT_LANGUAGE="en")
        clients[role].force_login(user)
    caches["records"].clear()

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        status=st.sampled_from(CourseSession.Status.values),
        result=st.sampled_from(Enrollment.Result.values),
        readers=st.permutations(ROLES),
    )
    def check(status, result, readers):
        with transaction.atomic():
            point = transaction.savepoint()
            CourseSession.objects.filter(pk=world["session"].pk).update(status=status)
            Enrollment.objects.filter(pk=enrollment.pk).update(
                result=result, score=SCORE, attendance=ATTENDANCE, remarks="draft remark"
            )
            finalized = status == CourseSession.Status.FINALIZED
            for role in readers:
                user = cast[role]
                may_see_draft = role in ENTITLED
                visible = finalized or may_see_draft

                # The queryset: the row is there for everyone entitled to the record, masked.
                row = Enrollment.objects.visible_to(user).get(pk=enrollment.pk)
                assert row.results_hidden is not visible
                assert (row.result, row.score, row.attendance, row.remarks) == (
                    (result, SCORE, ATTENDANCE, "draft remark") if visible else ("pending", None, None, "")
                )
                # A document of record never holds a draft, whoever asks.
                official = Enrollment.objects.visible_to(user, include_drafts=False).get(pk=enrollment.pk)
                assert official.results_hidden is not finalized

                # The record page, rendered and cached per reader.
                page = clients[role].get(reverse("reports:trainee", args=[trainee.pk]))
                assert_shows(courses_section(page), result=result, draft_visible=visible)

                if role == "owner":
                    assert_shows(
                        courses_section(clients[role].get(reverse("reports:me"))), result=result, draft_visible=visible
                    )
                if role in ("owner", "administrator"):
                    url = (
                        reverse("certifications:my-transcript")
                        if role == "owner"
                        else reverse("certifications:transcript", args=[trainee.pk])
                    )
                    text = pdf_text(clients[role].get(url).content)
                    courses = text.split("Courses", 1)[1].split("Certifications", 1)[0]
                    assert_shows(courses, result=result, draft_visible=finalized)
                    passed = 1 if finalized and result == "passed" else 0
                    assert f"{passed} course{'s' if passed != 1 else ''} passed" in text
            transaction.savepoint_rollback(point)

    check()


def test_a_row_read_with_its_results_hidden_refuses_to_be_saved(world):
    Enrollment.objects.filter(pk=world["enrollment"].pk).update(result="failed", score=SCORE)
    row = Enrollment.objects.visible_to(world["cast"]["owner"]).get(pk=world["enrollment"].pk)
    with pytest.raises(ValueError):
        row.save()
    assert Enrollment.objects.get(pk=world["enrollment"].pk).score == SCORE


def test_an_instructor_sees_the_records_rows_of_a_shared_trainee_and_only_their_own_drafts(world):
    """Rows: every enrolment of a trainee the instructor teaches; drafts: only their sessions'."""
    Enrollment.objects.filter(trainee=world["trainee"]).update(result="failed", score=SCORE)
    rows = Enrollment.objects.visible_to(world["cast"]["other_instructor"]).filter(trainee=world["trainee"])
    assert {(row.session.code, row.results_hidden) for row in rows} == {
        (world["session"].code, True),
        (Enrollment.objects.exclude(pk=world["enrollment"].pk).get(trainee=world["trainee"]).session.code, False),
    }
