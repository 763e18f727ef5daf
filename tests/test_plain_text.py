"""Invisible control characters cannot disguise text (common/text.py).

- At input: every form of the project, the admin's included, the import's row form and the
  results grid's remarks, refuses control characters (but tab and line breaks) and bidirectional formatting characters (a
  right-to-left override reverses what follows it), with a message naming the character.
- At output: user text already stored is shown in its own <bdi>, without its control
  characters, on pages and in PDFs, so that it cannot turn the text around it.
"""

import importlib
import re
import unicodedata

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from common.text import BIDI_CONTROLS, PlainTextFormMixin, PlainTextValidator
from courses.forms import ResultsGrid
from courses.models import Course, CourseSession
from tests import factories
from tests.certifications.documents_helpers import pdf_text, use_private_cache
from trainees.imports import import_trainees
from trainees.models import Organization, Trainee

PROJECT_MODULES = ("accounts", "trainees", "courses", "certifications", "deployments", "reports", "api", "common")
FORM_MODULES = ("forms", "imports", "import_views", "views", "record_views", "verification")
REFUSED = [*BIDI_CONTROLS, "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b"]
RLO = "\u202e"


def _project_forms():
    for app in PROJECT_MODULES:
        for name in FORM_MODULES:
            try:
                importlib.import_module(f"{app}.{name}")
            except ModuleNotFoundError:
                continue

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return {
        cls
        for cls in walk(forms.BaseForm)
        if cls.__module__.split(".")[0] in PROJECT_MODULES and not cls.__module__.startswith("tests")
    }


def _text_fields(form_class):
    return [name for name, field in form_class.base_fields.items() if isinstance(field, forms.CharField)]


# Forms whose text is never stored nor shown: one-time codes of the second sign-in step,
# checked against the device (accounts/two_factor.py).
# Report filters (query strings) too: read, never stored, and their choices are validated.
NOTHING_STORED = {
    "accounts.two_factor.CodeForm",
    "accounts.two_factor.EnrollForm",
    "reports.filters.ReportFilterForm",
    "reports.parity.ParityFilterForm",
}


def test_every_project_form_with_text_refuses_control_characters():
    forms_with_text = {
        cls
        for cls in _project_forms()
        if _text_fields(cls) and f"{cls.__module__}.{cls.__name__}" not in NOTHING_STORED
    }
    assert forms_with_text, "no form found"
    assert {cls for cls in forms_with_text if not issubclass(cls, PlainTextFormMixin)} == set()


# The results grid is not a Django form (it validates a whole class with one set of fields, no
# Form per row: courses.forms.ResultsGrid), so the discovery above cannot see it.
def test_the_results_grids_text_columns_refuse_control_characters():
    grid = ResultsGrid(enrollments=[], course=Course())
    text = {name: field for name, field in grid.fields.items() if isinstance(field, forms.CharField)}
    assert set(text) == {"remarks"}
    assert all(PlainTextValidator() in field.validators for field in text.values())


@pytest.mark.django_db
@pytest.mark.parametrize("character", [RLO, "\u2066", "\x1b", "\x85"])
def test_the_results_grid_refuses_a_control_character_in_a_remark(client, instructor, character):
    session = factories.CourseSessionFactory(instructors=[instructor])
    enrollment = factories.EnrollmentFactory(session=session)
    client.force_login(instructor)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-enrollment": str(enrollment.pk),
        "form-0-result": "failed",
        "form-0-remarks": f"Repe{character}tir",
    }

    response = client.post(reverse("courses:session-results", args=[session.pk]), data)

    assert response.status_code == 200
    errors = response.context["grid"].rows[0].errors
    assert list(errors) == ["remarks"]
    assert f"U+{ord(character):04X}" in " ".join(errors["remarks"])
    enrollment.refresh_from_db()
    assert (enrollment.result, enrollment.remarks) == ("pending", "")


@pytest.mark.django_db
def test_every_admin_form_refuses_control_characters(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_MODULES:
            continue
        assert issubclass(model_admin.get_form(request), PlainTextFormMixin), model


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_the_validator_refuses_exactly_the_disguising_characters(text):
    disguising = [c for c in text if (unicodedata.category(c) == "Cc" and c not in "\t\n\r") or c in BIDI_CONTROLS]
    if disguising:
        with pytest.raises(ValidationError) as refused:
            PlainTextValidator()(text)
        assert f"U+{ord(disguising[0]):04X}" in refused.value.messages[0]
    else:
        PlainTextValidator()(text)


# A real POST per page that stores text: (url name, kwargs builder, data builder, field, model check).
def _pages(world):
    course, session, certification, trainee = world
    return [
        ("trainees:create", {}, {"service_number": "MX-9", "nationality": "MX", "given_names": "An{c}a", "paternal_surname": "Peña", "category": "police", "status": "active", "preferred_language": "es"}, "given_names"),
        ("trainees:edit", {"pk": trainee.pk}, {"service_number": trainee.service_number, "nationality": "MX", "given_names": "Ana", "paternal_surname": "Pé{c}rez", "category": "military", "status": "active", "preferred_language": "es"}, "paternal_surname"),
        ("courses:course-create", {}, {"code": "NEW-1", "title": "Protec{c}ción", "category": "other", "duration_hours": "40"}, "title"),
        ("courses:session-edit", {"pk": session.pk}, {"course": course.pk, "code": session.code, "starts_on": "2026-03-02", "ends_on": "2026-03-13", "location": "Cam{c}po", "capacity": "20", "status": "open"}, "location"),
        ("certifications:revoke", {"pk": certification.pk}, {"reason": "Er{c}ror"}, "reason"),
        ("certifications:external-new-for-trainee", {"trainee_pk": trainee.pk}, {"type": certification.type_id, "issued_on": "2024-01-01", "issuer": "UNI{c}TAR"}, "issuer"),
    ]  # fmt: skip


@pytest.fixture
def world(db):
    session = factories.CourseSessionFactory()
    trainee = factories.TraineeFactory()
    certification = factories.CertificationFactory(trainee=trainee, type=session.course.grants)
    return session.course, session, certification, trainee


@pytest.mark.django_db
@pytest.mark.parametrize("character", [RLO, "\u2066", "\u200f", "\x1b", "\x85"])
def test_no_page_stores_a_control_character(client, admin_user, world, character):
    client.force_login(admin_user)
    for name, kwargs, data, field in _pages(world):
        posted = {key: value.format(c=character) if isinstance(value, str) else value for key, value in data.items()}
        response = client.post(reverse(name, kwargs=kwargs), posted)
        assert response.status_code == 200, name
        form = response.context["form"]
        assert field in form.errors, (name, form.errors)
        assert f"U+{ord(character):04X}" in " ".join(form.errors[field])
    assert not Trainee.objects.filter(given_names__contains=character).exists()
    assert not Course.objects.filter(title__contains=character).exists()
    assert not CourseSession.objects.filter(location__contains=character).exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_control_character(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:trainees_organization_add"), {"name": f"Ejército{RLO}", "kind": "military", "country": "MX"}
    )
    assert response.status_code == 200
    assert "U+202E" in response.content.decode()
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_an_import_refuses_a_control_character_naming_the_row():
    header = "service_number,given_names,paternal_surname,nationality\n"
    data = (header + f"MX-1,Ana,Pérez,MX\nMX-2,Luis{RLO}gnp.exe,López,MX\n").encode()
    report = import_trainees(data, filename="t.csv", commit=True)
    assert not report.committed
    assert [(error.row, error.column) for error in report.errors] == [(3, "given_names")]
    assert not Trainee.objects.exists()


@pytest.mark.django_db
def test_stored_text_is_isolated_on_pages_and_pdfs(client, admin_user, settings):
    """Text stored before the rule (or through SQL) cannot reverse the page around it."""
    use_private_cache(settings)
    session = factories.CourseSessionFactory(status="finalized", location=f"Campo{RLO}1")
    trainee = factories.TraineeFactory(given_names=f"Ana{RLO}gnp", paternal_surname="Zúñiga")
    enrollment = factories.EnrollmentFactory(session=session, trainee=trainee, result="passed", score=90)
    factories.CertificationFactory(trainee=trainee, type=session.course.grants, enrollment=enrollment, issuer="")
    client.force_login(admin_user)

    for url in (
        reverse("reports:trainee", args=[trainee.pk]),
        reverse("trainees:list"),
        reverse("courses:session-detail", args=[session.pk]),
    ):
        page = client.get(url).content.decode()
        assert RLO not in page.split("<title>")[0] + page.split("</title>")[1], url
        assert re.search(r"<bdi>[^<]*Anagnp", page), url

    transcript = client.get(reverse("certifications:transcript", args=[trainee.pk]))
    assert RLO not in pdf_text(transcript.content)
    assert "Anagnp" in pdf_text(transcript.content)
