"""The instructor's results grid: who may use it, one POST for the whole class, errors at the
field with nothing saved, the finalized grid, and a query count that does not grow with the class."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import CourseSession, Enrollment
from tests import factories

PREFIX = "form"


@pytest.fixture
def graded_class(session, trainee_user):
    """`session` (taught by `instructor`, pass mark 60) with three enrolled trainees
    (`trainee_user` among them), one waitlisted and one withdrawn."""
    session.course.pass_mark = 60
    session.course.save()
    factories.EnrollmentFactory(session=session, trainee=trainee_user.trainee)
    factories.EnrollmentFactory(session=session, trainee__given_names="María José", trainee__paternal_surname="Núñez")
    factories.EnrollmentFactory(session=session, trainee__given_names="Jesús", trainee__paternal_surname="Peña")
    factories.EnrollmentFactory(session=session, status=Enrollment.Status.WAITLISTED)
    factories.EnrollmentFactory(session=session, status=Enrollment.Status.WITHDRAWN)
    return session


def _url(session):
    return reverse("courses:session-results", args=[session.pk])


def _enrolled(session):
    return list(session.enrollments.filter(status="enrolled").order_by("pk"))


def _grid_data(enrollments, rows):
    """POST data of the grid: rows maps enrolment -> (result, score, attendance, remarks)."""
    data = {
        f"{PREFIX}-TOTAL_FORMS": str(len(enrollments)),
        f"{PREFIX}-INITIAL_FORMS": str(len(enrollments)),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    for index, enrollment in enumerate(enrollments):
        result, score, attendance, remarks = rows.get(enrollment, ("pending", "", "", ""))
        data.update(
            {
                f"{PREFIX}-{index}-enrollment": str(enrollment.pk),
                f"{PREFIX}-{index}-result": result,
                f"{PREFIX}-{index}-score": score,
                f"{PREFIX}-{index}-attendance": attendance,
                f"{PREFIX}-{index}-remarks": remarks,
            }
        )
    return data


def _snapshot(session):
    return list(
        session.enrollments.order_by("pk").values_list("pk", "status", "result", "score", "attendance", "remarks")
    )


# --- Who may use the grid ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("trainee", 404),
        ("other_trainee", 404),
        ("instructor", 200),
        ("other_instructor", 404),
        ("admin", 200),
    ],
)
def test_grid_is_for_the_session_instructors_and_administrators(
    client, graded_class, role, expected, admin_user, instructor, other_instructor, trainee_user, other_trainee_user
):
    user = {
        "trainee": trainee_user,
        "other_trainee": other_trainee_user,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "admin": admin_user,
    }[role]
    client.force_login(user)

    assert client.get(_url(graded_class)).status_code == expected


def test_anonymous_is_sent_to_sign_in(client, graded_class):
    response = client.get(_url(graded_class))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("intruder", ["other_instructor", "trainee_user"])
def test_someone_else_posting_results_is_refused_and_nothing_changes(client, graded_class, request, intruder):
    client.force_login(request.getfixturevalue(intruder))
    enrollments = _enrolled(graded_class)
    before = _snapshot(graded_class)

    response = client.post(
        _url(graded_class), _grid_data(enrollments, {e: ("failed", "10", "50", "hacked") for e in enrollments})
    )

    assert response.status_code == 404
    assert _snapshot(graded_class) == before


# --- Showing and saving ------------------------------------------------------------------


def test_grid_lists_only_enrolled_trainees_with_labelled_inputs(client, instructor, graded_class):
    client.force_login(instructor)

    html = client.get(_url(graded_class)).content.decode()

    for enrollment in graded_class.enrollments.select_related("trainee"):
        name = enrollment.trainee.full_name
        listed = f'aria-label="Result for {name}"' in html
        assert listed == (enrollment.status == "enrolled"), name
        if listed:
            for label in ("Score", "Attendance", "Remarks"):
                assert f'aria-label="{label} for {name}"' in html
    assert re.search(r"<button[^>]*>\s*Save results", html)


def test_grid_saves_every_row_in_one_post(client, instructor, graded_class):
    client.force_login(instructor)
    first, second, third = _enrolled(graded_class)
    rows = {
        first: ("passed", "92.5", "100", "Excelente desempeño."),
        second: ("failed", "41", "85", "Debe repetir el módulo."),
        third: ("incomplete", "", "40", ""),
    }

    response = client.post(_url(graded_class), _grid_data([first, second, third], rows), follow=True)

    assert response.redirect_chain[-1][0] == _url(graded_class)
    assert "Results saved" in response.content.decode()
    saved = {e.pk: (e.result, e.score, e.attendance, e.remarks) for e in _enrolled(graded_class)}
    assert saved == {
        first.pk: ("passed", Decimal("92.5"), 100, "Excelente desempeño."),
        second.pk: ("failed", Decimal("41"), 85, "Debe repetir el módulo."),
        third.pk: ("incomplete", None, 40, ""),
    }
    assert set(graded_class.enrollments.filter(status="enrolled").values_list("recorded_by", flat=True)) == {
        instructor.pk
    }
    # The waitlisted and withdrawn were not touched.
    assert set(graded_class.enrollments.exclude(status="enrolled").values_list("result", flat=True)) == {"pending"}


def test_administrator_saves_the_grid_too(client, admin_user, graded_class):
    client.force_login(admin_user)
    enrollments = _enrolled(graded_class)

    client.post(_url(graded_class), _grid_data(enrollments, {enrollments[0]: ("passed", "75", "90", "")}))

    enrollments[0].refresh_from_db()
    assert (enrollments[0].result, enrollments[0].recorded_by) == ("passed", admin_user)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (("failed", "101", "90", ""), "score", "less than or equal to 100"),
        (("failed", "-1", "90", ""), "score", "greater than or equal to 0"),
        (("failed", "abc", "90", ""), "score", "Enter a number"),
        (("failed", "50", "120", ""), "attendance", "less than or equal to 100"),
        (("passed", "55", "90", ""), "score", "below the pass mark 60"),
        (("passed", "", "90", ""), "score", "needs a score"),
        (("excellent", "80", "90", ""), "result", "Select a valid choice"),
    ],
)
def test_an_invalid_row_shows_its_error_at_the_field_and_saves_nothing(
    client, instructor, graded_class, row, field, message
):
    client.force_login(instructor)
    first, second, third = _enrolled(graded_class)
    before = _snapshot(graded_class)
    rows = {first: ("passed", "90", "100", "Bien"), second: row, third: ("failed", "20", "80", "")}

    response = client.post(_url(graded_class), _grid_data([first, second, third], rows))

    assert response.status_code == 200
    rows = response.context["grid"].rows
    assert list(rows[1].errors) == [field]
    assert message in str(rows[1].errors[field])
    assert not rows[0].errors and not rows[2].errors
    assert _snapshot(graded_class) == before
    html = response.content.decode()
    # The person's input is kept, the bad field marked.
    assert 'value="Bien"' not in html  # a textarea keeps its text between the tags
    assert re.search(r">\s*Bien</textarea>", html)
    assert "is-invalid" in html
    assert "nothing was saved" in html


def test_a_row_of_someone_not_enrolled_saves_nothing(client, instructor, graded_class):
    client.force_login(instructor)
    enrollments = _enrolled(graded_class)
    waiting = graded_class.enrollments.get(status="waitlisted")
    elsewhere = factories.EnrollmentFactory()
    before = _snapshot(graded_class)

    for stranger in (waiting, elsewhere):
        rows = {e: ("failed", "10", "10", "") for e in enrollments + [stranger]}
        response = client.post(_url(graded_class), _grid_data(enrollments + [stranger], rows))
        assert response.status_code == 200
        assert "not an enrolled trainee" in response.content.decode()

    assert _snapshot(graded_class) == before
    elsewhere.refresh_from_db()
    assert elsewhere.result == "pending"


def test_the_same_trainee_twice_saves_nothing(client, instructor, graded_class):
    client.force_login(instructor)
    first, second, _third = _enrolled(graded_class)
    before = _snapshot(graded_class)
    data = _grid_data([first, second], {first: ("passed", "90", "", ""), second: ("failed", "10", "", "")})
    data[f"{PREFIX}-1-enrollment"] = str(first.pk)

    response = client.post(_url(graded_class), data)

    assert "appears twice" in response.content.decode()
    assert _snapshot(graded_class) == before


def test_a_tampered_management_form_is_an_error_not_a_crash(client, instructor, graded_class):
    client.force_login(instructor)

    response = client.post(_url(graded_class), {"form-TOTAL_FORMS": "x"})

    assert response.status_code == 200
    assert "nothing was saved" in response.content.decode().lower()


# --- The finalized grid ------------------------------------------------------------------


@pytest.fixture
def finalized_class(graded_class):
    graded_class.enrollments.filter(status="enrolled").update(result="failed", score=10)
    CourseSession.objects.filter(pk=graded_class.pk).update(status=CourseSession.Status.FINALIZED)
    graded_class.refresh_from_db()
    return graded_class


def test_finalized_grid_is_read_only(client, instructor, finalized_class):
    client.force_login(instructor)

    html = client.get(_url(finalized_class)).content.decode()

    assert "Save results" not in html
    assert re.search(r'<select[^>]*aria-label="Result for [^"]+"[^>]*disabled', html) or re.search(
        r'<select[^>]*disabled[^>]*aria-label="Result for', html
    )
    assert "Finalize session" not in html


@pytest.mark.parametrize("role", ["instructor", "admin_user"])
def test_finalized_grid_refuses_post(client, request, finalized_class, role):
    client.force_login(request.getfixturevalue(role))
    enrollments = _enrolled(finalized_class)
    before = _snapshot(finalized_class)

    response = client.post(
        _url(finalized_class),
        _grid_data(enrollments, {e: ("passed", "99", "100", "") for e in enrollments}),
        follow=True,
    )

    assert "finalized" in response.content.decode()
    assert _snapshot(finalized_class) == before


def test_finalize_on_the_session_page_still_returns_to_where_it_was_pressed(client, instructor, graded_class):
    client.force_login(instructor)
    graded_class.enrollments.filter(status="enrolled").update(result="passed", score=80)

    response = client.post(reverse("courses:session-finalize", args=[graded_class.pk]), {"next": "results"})

    assert response["Location"] == _url(graded_class)
    graded_class.refresh_from_db()
    assert graded_class.status == "finalized"


# --- Finalize from the grid: typed input is saved first, never lost -----------------------


def test_the_grids_finalize_button_submits_the_grid_itself(client, instructor, graded_class):
    """The button belongs to the grid's form, so pressing it sends what was typed."""
    client.force_login(instructor)

    html = client.get(_url(graded_class)).content.decode()

    form = re.search(r'<form[^>]*id="results-form"[^>]*>', html).group(0)
    assert "data-warn-unsaved" in form
    assert 'action="' not in form  # posts to the grid
    assert re.search(r'<button[^>]*form="results-form"[^>]*name="finalize"[^>]*>\s*Finalize session', html)
    assert reverse("courses:session-finalize", args=[graded_class.pk]) not in html


def test_finalize_saves_the_typed_results_and_finalizes_in_one_post(client, instructor, graded_class):
    client.force_login(instructor)
    first, second, third = _enrolled(graded_class)
    rows = {
        first: ("passed", "92.5", "100", "Bien"),
        second: ("failed", "41", "85", ""),
        third: ("passed", "60", "", ""),
    }

    response = client.post(
        _url(graded_class), {**_grid_data([first, second, third], rows), "finalize": "1"}, follow=True
    )

    graded_class.refresh_from_db()
    assert graded_class.status == "finalized"
    saved = {e.pk: (e.result, e.score) for e in _enrolled(graded_class)}
    assert saved == {
        first.pk: ("passed", Decimal("92.5")),
        second.pk: ("failed", Decimal("41")),
        third.pk: ("passed", Decimal("60")),
    }
    html = response.content.decode()
    assert "Results saved (3 rows changed)" in html and "finalized" in html
    assert graded_class.course.grants is None or first.certifications.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (("passed", "55", "90", "Casi"), "score"),  # below the pass mark
        (("pending", "", "90", "Casi"), "result"),  # finalizing needs a result for everyone
        (("failed", "abc", "90", "Casi"), "score"),
    ],
)
def test_finalize_with_a_bad_row_saves_and_finalizes_nothing_and_keeps_the_input(
    client, instructor, graded_class, row, field
):
    client.force_login(instructor)
    first, second, third = _enrolled(graded_class)
    before = _snapshot(graded_class)
    rows = {first: ("passed", "90", "100", "Bien"), second: row, third: ("failed", "20", "80", "")}

    response = client.post(_url(graded_class), {**_grid_data([first, second, third], rows), "finalize": "1"})

    assert response.status_code == 200
    graded_class.refresh_from_db()
    assert graded_class.status != "finalized"
    assert _snapshot(graded_class) == before
    rows = response.context["grid"].rows
    assert list(rows[1].errors) == [field]
    html = response.content.decode()
    assert re.search(r">\s*Bien</textarea>", html) and re.search(r">\s*Casi</textarea>", html)
    assert "is-invalid" in html


def test_finalize_refused_by_the_service_rolls_back_the_save(instructor, graded_class):
    """record_results_and_finalize is one transaction: a finalize refusal undoes the save."""
    from django.core.exceptions import ValidationError

    from courses import services

    first, second, third = _enrolled(graded_class)
    # Pending is refused by finalize_session (the form refuses it first on the page).
    results = {
        first.pk: {"result": "passed", "score": Decimal("80"), "attendance": 100, "remarks": ""},
        second.pk: {"result": "failed", "score": Decimal("10"), "attendance": 100, "remarks": ""},
        third.pk: {"result": "pending", "score": None, "attendance": None, "remarks": ""},
    }
    before = _snapshot(graded_class)

    with pytest.raises(ValidationError):
        services.record_results_and_finalize(session=graded_class, results=results, by=instructor)

    assert _snapshot(graded_class) == before
    graded_class.refresh_from_db()
    assert graded_class.status != "finalized"


# --- Query budget ------------------------------------------------------------------------


def _class_of(size, instructor):
    session = factories.CourseSessionFactory(instructors=[instructor], capacity=size, course__pass_mark=50)
    factories.EnrollmentFactory.create_batch(size, session=session)
    return session


def _queries(client, method, url, data=None):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302)
    return len(captured)


@pytest.mark.parametrize("role", ["instructor", "admin_user"])
def test_grid_query_count_does_not_grow_with_the_class(client, request, instructor, role):
    client.force_login(request.getfixturevalue(role))
    small, large = _class_of(3, instructor), _class_of(30, instructor)
    client.get(_url(small))  # warm per-process caches

    get_counts = [_queries(client, "get", _url(session)) for session in (small, large)]

    def saving(session):
        enrollments = _enrolled(session)
        return _grid_data(enrollments, {e: ("passed", "75", "90", f"Fila {e.pk}") for e in enrollments})

    post_counts = [_queries(client, "post", _url(session), saving(session)) for session in (small, large)]
    assert set(_enrolled(large)[0].__class__.objects.filter(session=large).values_list("result", flat=True)) == {
        "passed"
    }

    def invalid(session):
        enrollments = _enrolled(session)
        return _grid_data(enrollments, {e: ("passed", "10", "90", "") for e in enrollments})

    invalid_counts = [_queries(client, "post", _url(session), invalid(session)) for session in (small, large)]
    assert get_counts[0] == get_counts[1]
    assert post_counts[0] == post_counts[1]
    assert invalid_counts[0] == invalid_counts[1]


# --- One grid, not a Form per row ----------------------------------------------------------


def test_a_class_of_200_has_its_errors_on_the_right_rows(client, instructor):
    session = _class_of(200, instructor)  # pass mark 50
    client.force_login(instructor)
    enrollments = _enrolled(session)
    rows = {e: ("passed", "75", "90", "") for e in enrollments}
    bad = {0: ("passed", "40", "90", ""), 117: ("failed", "", "101", ""), 199: ("excellent", "", "", "")}
    for index, row in bad.items():
        rows[enrollments[index]] = row
    before = _snapshot(session)

    response = client.post(_url(session), _grid_data(enrollments, rows))

    assert response.status_code == 200
    grid = response.context["grid"]
    assert {row.index: list(row.errors) for row in grid.rows if row.errors} == {
        0: ["score"],
        117: ["attendance"],
        199: ["result"],
    }
    assert grid.rows[117].record == enrollments[117]
    html = response.content.decode()
    # Each message sits under its own input, which points at it, with that trainee's label.
    name = enrollments[117].trainee.full_name
    assert re.search(
        rf'<input type="number" name="form-117-attendance" value="101"[^>]*aria-label="Attendance for {re.escape(name)}"'
        r'[^>]*class="form-control form-control-sm is-invalid" aria-invalid="true" '
        r'aria-describedby="id_form-117-attendance_error" id="id_form-117-attendance">'
        r'<div class="invalid-feedback d-block" id="id_form-117-attendance_error">'
        r"Ensure this value is less than or equal to 100.</div>",
        html,
    )
    assert html.count('aria-invalid="true"') == 3
    assert 'id="id_form-0-score_error">Score 40 is below the pass mark 50.</div>' in html
    assert 'id="id_form-199-result_error">Select a valid choice. excellent is not one of' in html
    assert _snapshot(session) == before


def test_a_post_of_the_whole_class_builds_no_form_per_row(client, instructor, monkeypatch):
    """The grid validates every row with one set of fields; the only Django form it builds is the
    management form, whatever the size of the class."""
    from django import forms

    from courses import forms as course_forms

    assert not hasattr(course_forms, "ResultRowForm") and not hasattr(course_forms, "ResultsFormSet")
    built = []
    init = forms.BaseForm.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        init(self, *args, **kwargs)

    monkeypatch.setattr(forms.BaseForm, "__init__", counting)
    client.force_login(instructor)
    counts = []
    for session in (_class_of(3, instructor), _class_of(40, instructor)):
        enrollments = _enrolled(session)
        built.clear()
        response = client.post(
            _url(session), _grid_data(enrollments, {e: ("passed", "10", "", "") for e in enrollments})
        )
        assert response.status_code == 200  # every row below the pass mark: shown again with its errors
        assert len(response.context["grid"].rows) == len(enrollments)
        counts.append(sorted(built))
    assert counts[0] == counts[1]
    assert counts[0].count("ManagementForm") == 1


def test_the_finalized_grid_disables_every_input(client, instructor, finalized_class):
    client.force_login(instructor)

    html = client.get(_url(finalized_class)).content.decode()

    controls = re.findall(r"<(?:select|textarea|input type=\"number\")[^>]*>", html)
    assert len(controls) == 4 * len(_enrolled(finalized_class))
    assert all(" disabled " in control for control in controls)


def test_a_read_only_grid_takes_no_input(finalized_class):
    from courses.forms import ResultsGrid

    with pytest.raises(ValueError, match="read-only"):
        ResultsGrid({}, enrollments=_enrolled(finalized_class), course=finalized_class.course, read_only=True)


def test_a_submission_announcing_more_rows_than_it_sends_is_a_row_error(client, instructor, graded_class):
    """The missing rows are empty rows (an error each), never a crash nor a partial save."""
    client.force_login(instructor)
    first = _enrolled(graded_class)[0]
    before = _snapshot(graded_class)
    data = {**_grid_data([first], {first: ("passed", "90", "", "")}), f"{PREFIX}-TOTAL_FORMS": "3"}

    response = client.post(_url(graded_class), data)

    assert response.status_code == 200
    assert [list(row.errors) for row in response.context["grid"].rows] == [[], ["enrollment", "result"]] + [
        ["enrollment", "result"]
    ]
    assert _snapshot(graded_class) == before


def test_more_rows_than_a_grid_takes_saves_nothing(client, instructor, graded_class):
    client.force_login(instructor)
    first = _enrolled(graded_class)[0]
    before = _snapshot(graded_class)
    data = {**_grid_data([first], {first: ("passed", "90", "", "")}), f"{PREFIX}-TOTAL_FORMS": "2001"}

    response = client.post(_url(graded_class), data)

    assert "Please submit at most 1000 forms." in response.content.decode()
    assert _snapshot(graded_class) == before


def test_the_grid_writes_what_djangos_widgets_wrote(client, instructor, graded_class):
    """Each input is the markup Django's widgets write for the fields the grid validates with
    (Django's template renderer, not the project's), so pages, scripts and browser journeys see
    the same form."""
    from django import forms
    from django.forms.renderers import DjangoTemplates

    from courses.models import Enrollment

    class Reference(forms.Form):
        """The per-row form the grid replaced, as it rendered."""

        enrollment = forms.IntegerField(widget=forms.HiddenInput)
        result = forms.ChoiceField(choices=Enrollment.Result.choices)
        score = forms.DecimalField(
            required=False, widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"})
        )
        attendance = forms.IntegerField(
            required=False, widget=forms.NumberInput(attrs={"step": "1", "min": "0", "max": "100"})
        )
        remarks = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1}))

    client.force_login(instructor)
    enrollments = _enrolled(graded_class)
    rows = {
        enrollments[0]: ("passed", "101", "abc", 'Dijo "<b>bien</b>" & más'),
        enrollments[1]: ("failed", "12.5", "80", "line\nbreak"),
        enrollments[2]: ("nope", "", "", ""),
    }
    grid = client.post(_url(graded_class), _grid_data(enrollments, rows)).context["grid"]
    for row in grid.rows:
        cells = str(row.cells())
        name = row.record.trainee.full_name
        data = {f"{row.prefix}-{field}": value for field, value in row.values.items()}
        reference = Reference(data, prefix=row.prefix, renderer=DjangoTemplates(), use_required_attribute=False)
        for field, label in (
            ("result", "Result"),
            ("score", "Score"),
            ("attendance", "Attendance"),
            ("remarks", "Remarks"),
        ):
            attrs = {
                "aria-label": f"{label} for {name}",
                "class": "form-select form-select-sm" if field == "result" else "form-control form-control-sm",
            }
            if field in row.errors:
                attrs.update(
                    {
                        "class": attrs["class"] + " is-invalid",
                        "aria-invalid": "true",
                        "aria-describedby": f"id_{row.prefix}-{field}_error",
                    }
                )
            reference.fields[field].widget.attrs.update(attrs)
            assert str(reference[field]) in cells, (row.index, field)
        assert str(reference["enrollment"]) in cells
    assert [list(row.errors) for row in grid.rows] == [["score", "attendance"], [], ["result"]]
