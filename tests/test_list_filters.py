"""An invalid filter is an error on every filtered list and every export of one, never
"everything" (common/filtering.py).

Every FilterSet of the project has a row here (a new filtered list without one fails), and
every filter that can be invalid is tried on its list page (the form shows the error at the
field, no row is listed) and on each export (400 naming the filter, nothing recorded).
"""

import datetime
import importlib
import importlib.util
import re

import django_filters
import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import ExportLog
from certifications.filters import ExpiringFilter
from courses.filters import CourseFilter, SessionFilter, TrainedTraineeFilter
from tests import factories
from trainees.filters import TraineeFilter

pytestmark = pytest.mark.django_db

# FilterSet: (list page, [exports as (url name, extra query)]).
LISTS = {
    TraineeFilter: ("trainees:list", [("trainees:export-csv", {}), ("trainees:export-xlsx", {})]),
    # The trainee list's filters as configured (settings.TRAINEE_FILTERSET).
    TrainedTraineeFilter: ("trainees:list", [("trainees:export-csv", {}), ("trainees:export-xlsx", {})]),
    CourseFilter: ("courses:course-list", []),
    SessionFilter: ("courses:session-list", []),
    ExpiringFilter: (
        "certifications:expiring",
        [("certifications:expiring", {"format": "csv"}), ("certifications:expiring", {"format": "xlsx"})],
    ),
}
INVALID = {
    django_filters.ModelChoiceFilter: "99999999",
    django_filters.ChoiceFilter: "not-a-choice",
    django_filters.NumberFilter: "not-a-number",
}
PROJECT_APPS = {"accounts", "trainees", "courses", "certifications", "deployments", "reports", "api"}
MARKER = "Zyxwvutsrqp"  # the surname of the one row every list would show


def _all_filtersets():
    """Every FilterSet defined in a filters module of the project's apps."""
    for app in apps.get_app_configs():
        if app.name.split(".")[0] not in PROJECT_APPS or importlib.util.find_spec(f"{app.name}.filters") is None:
            continue
        module = importlib.import_module(f"{app.name}.filters")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, django_filters.FilterSet)
                and value.__module__ == module.__name__
            ):
                yield value


def _invalid_values(filterset_class):
    for name, field_filter in filterset_class.base_filters.items():
        for kind, value in INVALID.items():
            if isinstance(field_filter, kind) or (
                kind is django_filters.NumberFilter and field_filter.field_class.__name__ == "IntegerField"
            ):
                yield name, value
                break


CASES = [
    (filterset_class, name, value) for filterset_class in LISTS for name, value in _invalid_values(filterset_class)
]


# FilterSets of the API's lists only (no page): tests/api/test_api.py checks that an invalid
# value there is a 400 problem, never "everything".
API_ONLY = {
    "api.filters.OrganizationFilter",
    "api.filters.EnrollmentFilter",
    "certifications.filters.CertificationFilter",
}


def test_every_filtered_list_has_a_row():
    found = {f"{filterset.__module__}.{filterset.__name__}" for filterset in _all_filtersets()}
    assert found - API_ONLY == {f"{filterset.__module__}.{filterset.__name__}" for filterset in LISTS}


def test_every_list_has_filters_to_try():
    assert {filterset_class for filterset_class, _name, _value in CASES} == set(LISTS)


@pytest.fixture
def rows(admin_user):
    """One row on each list, so that "everything" would show it."""
    trainee = factories.TraineeFactory(paternal_surname=MARKER)
    session = factories.CourseSessionFactory(code=f"SES-{MARKER}", course__title=f"Curso {MARKER}")
    factories.EnrollmentFactory(session=session, trainee=trainee)
    factories.CertificationFactory(
        trainee=trainee, type=session.course.grants, issued_on=timezone.localdate() - datetime.timedelta(days=700)
    )
    return trainee


@pytest.mark.parametrize(("filterset_class", "name", "value"), CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_an_invalid_filter_lists_nothing_and_says_why(client, admin_user, rows, filterset_class, name, value):
    client.force_login(admin_user)
    list_name, _exports = LISTS[filterset_class]
    valid = client.get(reverse(list_name)).content.decode()
    assert MARKER in valid  # the row is there without the filter

    response = client.get(reverse(list_name), {name: value})

    assert response.status_code == 200
    page = response.content.decode()
    assert MARKER not in re.sub(r"<select.*?</select>", "", page, flags=re.S)  # a filter's options may name it
    assert "invalid-feedback" in page or "alert-danger" in page


@pytest.mark.parametrize(("filterset_class", "name", "value"), CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_an_invalid_filter_exports_nothing_and_records_nothing(client, admin_user, rows, filterset_class, name, value):
    client.force_login(admin_user)
    _list_name, exports = LISTS[filterset_class]
    for url_name, extra in exports:
        response = client.get(reverse(url_name), {**extra, name: value})

        assert response.status_code == 400, url_name
        text = response.content.decode()
        assert "Nothing was exported" in text
        label = str(filterset_class.base_filters[name].label)
        assert label in text
        assert MARKER not in text
    assert ExportLog.objects.count() == 0


def test_the_refusal_is_in_spanish_too(client, admin_user, rows):
    client.force_login(admin_user)
    response = client.get(reverse("trainees:export-csv"), {"organization": "99999999"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "No se exportó nada" in response.content.decode()


def test_a_valid_filter_still_exports_and_records(client, admin_user, rows):
    client.force_login(admin_user)
    response = client.get(reverse("trainees:export-csv"), {"organization": rows.organization_id})
    assert response.status_code == 200
    assert MARKER in b"".join(response.streaming_content).decode("utf-8-sig")
    assert ExportLog.objects.get().parameters == {"organization": str(rows.organization_id)}
