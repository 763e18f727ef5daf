"""The same thing is said the same way on every page and document: an enrolment's state (/me/,
a trainee's record, the session page and the transcript), the transcript's name, a score's
format, one History link per session page, and service numbers that never break at the hyphen."""

import datetime
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import CourseSession, Enrollment
from tests import factories
from tests.certifications.documents_helpers import pdf_text, use_private_cache


def _text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _layout_text(pdf):
    """The PDF's text with its layout: a table row of the transcript on one line."""
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _row(html, marker):
    """The text of the table row of `html` that contains `marker`."""
    for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S):
        if marker in row:
            return _text(row)
    raise AssertionError(f"no row with {marker}")


@pytest.fixture
def record(trainee_user, settings):
    """One trainee in a session of every kind, each of a course with its own title."""
    use_private_cache(settings)
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    trainee = trainee_user.trainee
    kinds = {
        # starts next January (the case reported): not started yet, whatever draft the grid holds
        "upcoming": dict(starts_on=datetime.date(today.year + 1, 1, 12), ends_on=datetime.date(today.year + 1, 1, 16)),
        "running": dict(starts_on=today - day, ends_on=today + day),
        "ended": dict(starts_on=today - 10 * day, ends_on=today - 8 * day),
        "finalized": dict(starts_on=today - 40 * day, ends_on=today - 38 * day, status=CourseSession.Status.FINALIZED),
        "withdrawn": dict(starts_on=today - 60 * day, ends_on=today - 58 * day),
    }
    sessions = {}
    for kind, fields in kinds.items():
        session = factories.CourseSessionFactory(code=f"S-{kind.upper()}", course__title=f"Curso {kind}", **fields)
        factories.EnrollmentFactory(
            session=session,
            trainee=trainee,
            status="withdrawn" if kind == "withdrawn" else "enrolled",
            result="pending" if kind == "upcoming" else "passed",
            score=Decimal("93.90") if kind == "finalized" else Decimal("62.00"),
        )
        sessions[kind] = session
    return trainee, sessions


EXPECTED = {
    "upcoming": "Not started",
    "running": "In progress",
    "ended": "Awaiting results",
    "finalized": "Passed",
    "withdrawn": "Withdrawn",
}


def test_me_and_the_transcript_give_each_enrollment_the_same_state(client, trainee_user, record):
    _trainee, sessions = record
    client.force_login(trainee_user)

    me = client.get(reverse("reports:me")).content.decode()
    transcript = _layout_text(client.get(reverse("certifications:my-transcript")).content)

    for kind, label in EXPECTED.items():
        assert label in _row(me, sessions[kind].code), (kind, _row(me, sessions[kind].code))
        row = next(line for line in transcript.splitlines() if sessions[kind].code in line)
        assert label in row, (kind, row)
    assert "Pending" not in transcript


def test_the_session_page_says_it_the_same_way(client, trainee_user, record):
    _trainee, sessions = record
    client.force_login(trainee_user)
    for kind, label in EXPECTED.items():
        html = client.get(reverse("courses:session-detail", args=[sessions[kind].pk])).content.decode()
        assert label in _text(html.split('id="own-heading"')[1]), kind


def test_staff_see_the_same_state_with_the_draft_marked(client, admin_user, record):
    trainee, sessions = record
    client.force_login(admin_user)
    html = client.get(reverse("reports:trainee", args=[trainee.pk])).content.decode()
    assert "In progress (draft: Passed)" in _row(html, sessions["running"].code)
    assert "Not started" in _row(html, sessions["upcoming"].code)
    assert "draft" not in _row(html, sessions["finalized"].code)


def test_progress_is_one_definition(record):
    _trainee, sessions = record
    for kind, label in EXPECTED.items():
        enrollment = Enrollment.objects.select_related("session").get(session=sessions[kind])
        assert enrollment.progress().label == label
    cancelled = factories.EnrollmentFactory(session__status=CourseSession.Status.CANCELLED)
    assert cancelled.progress() == Enrollment.Progress.CANCELLED
    waiting = factories.EnrollmentFactory(status="waitlisted")
    assert waiting.progress() == Enrollment.Progress.WAITLISTED


# --- The transcript has one name ---------------------------------------------------------


@pytest.mark.parametrize(("language", "name", "other_names"), [
    ("en", "Transcript of training", []),
    ("es", "Constancia de capacitación", ["Constancia de estudios"]),
])  # fmt: skip
def test_the_transcript_has_one_name_in_the_document_and_its_links(
    trainee_user, admin_user, record, language, name, other_names
):
    trainee, _sessions = record
    client = Client(headers={"accept-language": language})
    client.force_login(trainee_user)
    transcript = pdf_text(client.get(reverse("certifications:my-transcript")).content)
    me = client.get(reverse("reports:me")).content.decode()
    client.force_login(admin_user)
    page = client.get(reverse("reports:trainee", args=[trainee.pk])).content.decode()

    first_word = name.split()[0]
    # Every time the document names itself, it is the whole name.
    assert transcript.count(first_word) == transcript.count(name) >= 2
    for html, url in (
        (me, reverse("certifications:my-transcript")),
        (page, reverse("certifications:transcript", args=[trainee.pk])),
    ):
        link = re.search(rf'<a[^>]*href="{re.escape(url)}"[^>]*>(.*?)</a>', html).group(1)
        assert link.startswith(name), link
    for other in other_names:
        assert other not in transcript + me + page


# --- One score format ----------------------------------------------------------------------


@pytest.mark.parametrize(("language", "scores", "never"), [
    ("en", ["93.9", "62"], ["93.90", "62.00", "93,9"]),
    ("es", ["93,9", "62"], ["93,90", "62,00", "93.9", "62.00"]),
])  # fmt: skip
def test_a_score_reads_the_same_on_every_page_and_document(trainee_user, admin_user, record, language, scores, never):
    trainee, sessions = record
    CourseSession.objects.filter(pk=sessions["running"].pk).update(status=CourseSession.Status.FINALIZED)
    client = Client(headers={"accept-language": language})
    client.force_login(trainee_user)
    shown = {
        "me": _text(client.get(reverse("reports:me")).content.decode()),
        "transcript": pdf_text(client.get(reverse("certifications:my-transcript")).content),
    }
    client.force_login(admin_user)
    shown["record"] = _text(client.get(reverse("reports:trainee", args=[trainee.pk])).content.decode())
    for kind in ("finalized", "running"):
        html = client.get(reverse("courses:session-detail", args=[sessions[kind].pk])).content.decode()
        shown[f"session {kind}"] = _text(html)

    for where, text in shown.items():
        for bad in never:
            assert not re.search(rf"(?<![\d.,]){re.escape(bad)}(?![\d])", text), (where, bad)
    for where in ("me", "transcript", "record"):
        for good in scores:
            assert re.search(rf"(?<![\d.,]){re.escape(good)}(?![\d.,])", shown[where]), (where, good)
    assert re.search(rf"(?<![\d.,]){re.escape(scores[0])}(?![\d.,])", shown["session finalized"])
    assert re.search(r"(?<![\d.,])62(?![\d.,])", shown["session running"])


def test_the_grid_shows_the_stored_score_with_the_same_digits(client, instructor, record):
    _trainee, sessions = record
    session = sessions["running"]
    session.instructors.add(instructor)
    client.force_login(instructor)
    html = client.get(reverse("courses:session-results", args=[session.pk])).content.decode()
    assert re.search(r'<input[^>]*name="form-0-score"[^>]*value="62"', html)


# --- One History link ----------------------------------------------------------------------


def test_the_session_page_has_one_history_link(client, admin_user, session):
    client.force_login(admin_user)
    html = client.get(reverse("courses:session-detail", args=[session.pk])).content.decode()
    assert html.count(f'href="{reverse("reports:session-history", args=[session.pk])}"') == 1


# --- Service numbers do not break at the hyphen ------------------------------------------------


def test_every_page_prints_service_numbers_unbroken():
    """Wherever a page or PDF prints a service number, its element has the class that keeps it on
    one line, defined once in the site's stylesheet."""
    css = (Path(settings.BASE_DIR) / "static/css/cecopam.css").read_text()
    assert re.search(r"\.service-number\s*\{\s*white-space:\s*nowrap", css)
    printed = 0
    for template in Path(settings.BASE_DIR).glob("*/templates/**/*.html"):
        if "emails" in template.parts or ".venv" in template.parts:
            continue
        for line in template.read_text().splitlines():
            for match in re.finditer(r"\{\{\s*[\w.]*service_number\s*\}\}", line):
                printed += 1
                opening = line[: match.start()].rsplit("<", 1)[-1]
                assert "service-number" in opening, f"{template}: {line.strip()}"
    assert printed >= 8
