"""The REST API by behaviour: tokens, refusals by role, problem documents, writes through the
apps' services with their messages, pagination, filters, and an export / re-import round trip."""

import datetime
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.models import ApiToken, ApiTokenUse, token_digest
from api.services import create_token, revoke_token
from certifications.models import Certification
from courses.models import Enrollment
from tests import factories
from trainees.models import Trainee, name_order

from .conftest import Api

PROBLEM = "application/problem+json"


def _all_pages(client, path, params=None):
    rows, url = [], path
    params = dict(params or {})
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        url, params = body["next"], None
    return rows


# --- tokens ----------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_digest(world):
    text = world["tokens"]["administrator"]
    token = ApiToken.objects.get(digest=token_digest(text))
    assert len(text) >= 40 and token.digest != text
    assert not ApiToken.objects.filter(digest__contains=text[8:]).exists()
    assert text.startswith(token.hint)


def test_create_api_token_prints_a_working_token_on_its_last_line(world):
    out = StringIO()
    call_command("create_api_token", "teacher", "--scope", "read", "--days", "7", stdout=out)
    text = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(digest=token_digest(text))
    assert token.user.username == "teacher" and token.scope == "read"
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert Api(text).get("/api/v1/sessions/").status_code == 200


def test_create_api_token_refuses_an_unknown_or_inactive_user(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody", stdout=StringIO())
    world["cast"]["instructor"].is_active = False
    world["cast"]["instructor"].save()
    with pytest.raises(CommandError, match="not active"):
        call_command("create_api_token", "teacher", stdout=StringIO())
    # And a token made while the user was active stops working with the account.
    assert Api(world["tokens"]["instructor"]).get("/api/v1/sessions/").status_code == 401


def test_unknown_revoked_and_expired_tokens_get_401_problems(world, api):
    admin = world["cast"]["administrator"]
    token, text = create_token(user=admin, name="old", scope="write")
    assert Api(text).get("/api/v1/trainees/").status_code == 200
    revoke_token(token=token, by=admin)
    expired, expired_text = create_token(user=admin, name="expired", days=1)
    ApiToken.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() - timedelta(days=2)
    )
    for bad in (text, expired_text, "cecopam_not-a-token"):
        response = Api(bad).get("/api/v1/trainees/")
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401 and response.json()["title"]
    assert api().get("/api/v1/trainees/").status_code == 401  # no token at all


def test_a_read_token_cannot_write(world):
    _token, text = create_token(user=world["cast"]["administrator"], name="reader", scope="read")
    reader = Api(text)
    assert reader.get("/api/v1/trainees/").status_code == 200
    response = reader.post(
        "/api/v1/trainees/", {"service_number": "R-1", "given_names": "A", "paternal_surname": "B", "nationality": "MX"}
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "only read" in response.json()["detail"]
    assert not Trainee.objects.filter(service_number="R-1").exists()


def test_each_use_is_recorded(world, api):
    token = ApiToken.objects.get(digest=token_digest(world["tokens"]["instructor"]))
    api("instructor").get("/api/v1/sessions/")
    api("instructor").get("/api/v1/trainees/999999/")
    token.refresh_from_db()
    assert token.use_count == 2 and token.last_used_at is not None
    uses = list(ApiTokenUse.objects.filter(token=token).order_by("used_at").values_list("method", "path", "status"))
    assert uses == [("GET", "/api/v1/sessions/", 200), ("GET", "/api/v1/trainees/999999/", 404)]


def test_rate_limit_per_token_answers_429_with_retry_after(world, api, settings):
    settings.API_RATE_LIMIT = "3/m"
    for _ in range(3):
        assert api("trainee").get("/api/v1/certifications/").status_code == 200
    response = api("trainee").get("/api/v1/certifications/")
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert 0 < int(response["Retry-After"]) <= 60
    # Another token (even of another role) has its own allowance.
    assert api("other_trainee").get("/api/v1/certifications/").status_code == 200


# --- problem documents ---------------------------------------------------------------------


def test_errors_are_problem_documents(world, api):
    admin = api("administrator")
    not_found = admin.get("/api/v1/trainees/999999/")
    assert not_found.status_code == 404 and not_found["Content-Type"] == PROBLEM
    assert set(not_found.json()) >= {"type", "title", "status", "detail", "instance"}
    assert admin.get("/api/v1/no-such-thing/")["Content-Type"] == PROBLEM
    assert admin.get("/api/v1/trainees/1%0A2/")["Content-Type"] == PROBLEM
    method = admin.client.put("/api/v1/trainees/1/", {}, content_type="application/json", headers=admin.headers)
    assert method.status_code == 405 and method["Content-Type"] == PROBLEM
    invalid = admin.get("/api/v1/trainees/", {"status": "retired"})
    assert invalid.status_code == 400 and invalid["Content-Type"] == PROBLEM
    assert invalid.json()["errors"][0]["field"] == "status"
    body = admin.client.post("/api/v1/trainees/", "not json", content_type="application/json", headers=admin.headers)
    assert body.status_code == 400 and body["Content-Type"] == PROBLEM
    media = admin.client.post("/api/v1/trainees/", "a=b", content_type="text/plain", headers=admin.headers)
    assert media.status_code == 415 and media["Content-Type"] == PROBLEM


def test_messages_follow_the_language(world, api):
    response = api("administrator", language="es").post(
        "/api/v1/trainees/",
        {"service_number": "X-1", "given_names": "Ana", "paternal_surname": "Ruiz", "nationality": "Atlantis"},
    )
    assert response.status_code == 400
    assert "no es un país" in response.json()["errors"][0]["message"]


# --- what each role sees ---------------------------------------------------------------------


def test_a_trainees_token_sees_only_their_own_record(world, api):
    owner = world["cast"]["trainee"].trainee
    other = world["cast"]["other_trainee"].trainee
    trainee = api("trainee")
    assert [row["id"] for row in _all_pages(trainee, "/api/v1/trainees/")] == [owner.pk]
    assert trainee.get(f"/api/v1/trainees/{other.pk}/").status_code == 404
    assert trainee.get(f"/api/v1/enrolments/{world['other_enrollment'].pk}/").status_code == 404
    assert {row["trainee"] for row in _all_pages(trainee, "/api/v1/enrolments/")} == {owner.pk}
    assert {row["trainee"] for row in _all_pages(trainee, "/api/v1/certifications/")} == {owner.pk}
    assert {row["id"] for row in _all_pages(api("other_trainee"), "/api/v1/certifications/")} == set()
    # And cannot write, whatever the token's scope.
    response = trainee.patch(f"/api/v1/trainees/{owner.pk}/", {"email": "me@example.mx"})
    assert response.status_code == 403


def test_instructors_see_the_trainees_of_their_sessions(world, api):
    owner = world["cast"]["trainee"].trainee
    assert {row["id"] for row in _all_pages(api("instructor"), "/api/v1/trainees/")} == {
        owner.pk,
        world["cast"]["other_trainee"].trainee.pk,
    }
    assert _all_pages(api("other_instructor"), "/api/v1/trainees/") == []
    assert api("other_instructor").get(f"/api/v1/trainees/{owner.pk}/").status_code == 404
    assert _all_pages(api("other_instructor"), "/api/v1/enrolments/") == []


def test_draft_results_are_hidden_from_the_trainee_and_other_instructors(world, api):
    draft = world["draft"]
    staff = {row["id"]: row for row in _all_pages(api("instructor"), "/api/v1/enrolments/")}
    assert staff[draft.pk]["result"] == "failed"  # the session's instructor sees the draft
    assert {row["id"]: row for row in _all_pages(api("administrator"), "/api/v1/enrolments/")}[draft.pk]["score"] == 12
    for role in ("trainee", "other_instructor", "other_trainee"):
        rows = _all_pages(api(role), "/api/v1/enrolments/")
        shown = [row for row in rows if row["id"] == draft.pk]
        assert all(row["result"] == "pending" and row["score"] is None for row in shown), (role, shown)
        detail = api(role).get(f"/api/v1/enrolments/{draft.pk}/")
        assert detail.status_code == 404 or (detail.json()["result"] == "pending" and detail.json()["score"] is None)
    # The finalized session's result is the trainee's to see.
    own = {row["id"]: row for row in _all_pages(api("trainee"), "/api/v1/enrolments/")}
    assert own[world["passed"].pk]["result"] == "passed"


# --- writes ---------------------------------------------------------------------------------------


def test_the_instructor_records_results_through_the_grids_rules(world, api):
    running, draft = world["running"], world["draft"]
    running.course.pass_mark = 70
    running.course.save()
    url = f"/api/v1/sessions/{running.pk}/results/"
    below = api("instructor").post(url, {"results": [{"enrollment": draft.pk, "result": "passed", "score": 50}]})
    assert below.status_code == 400
    assert below.json()["errors"] == [
        {"row": 0, "field": "score", "message": "Score 50.00 is below the pass mark 70.", "code": "invalid"}
    ]
    saved = api("instructor").post(url, {"results": [{"enrollment": draft.pk, "result": "passed", "score": 88.5}]})
    assert saved.status_code == 200, saved.content
    assert saved.json() == {"changed": 1, "detail": "Results saved (1 rows changed)."}
    draft.refresh_from_db()
    assert (draft.result, float(draft.score), draft.recorded_by) == ("passed", 88.5, world["cast"]["instructor"])
    # A field left out keeps its value.
    api("instructor").post(url, {"results": [{"enrollment": draft.pk, "remarks": "Bien"}]})
    draft.refresh_from_db()
    assert (draft.result, float(draft.score), draft.remarks) == ("passed", 88.5, "Bien")


def test_another_instructor_cannot_record_results(world, api):
    running, draft = world["running"], world["draft"]
    for role in ("other_instructor", "trainee"):
        response = api(role).post(
            f"/api/v1/sessions/{running.pk}/results/", {"results": [{"enrollment": draft.pk, "result": "passed"}]}
        )
        assert response.status_code in (403, 404), role
        assert response["Content-Type"] == PROBLEM
    draft.refresh_from_db()
    assert draft.result == "failed"


def test_results_of_a_finalized_session_are_refused_with_the_services_message(world, api):
    response = api("instructor").post(
        f"/api/v1/sessions/{world['finalized'].pk}/results/",
        {"results": [{"enrollment": world["passed"].pk, "result": "failed"}]},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "The session is finalized: its results can no longer be changed."


def test_enroll_goes_through_the_service(world, api):
    session = factories.CourseSessionFactory(
        capacity=1, starts_on=datetime.date(2027, 5, 3), ends_on=datetime.date(2027, 5, 7)
    )
    first, second = factories.TraineeFactory(), factories.TraineeFactory()
    admin = api("administrator")
    response = admin.post("/api/v1/enrolments/", {"session": session.pk, "trainee": first.pk})
    assert response.status_code == 201 and response.json()["status"] == "enrolled"
    assert (
        admin.post("/api/v1/enrolments/", {"session": session.pk, "trainee": second.pk}).json()["status"]
        == "waitlisted"
    )
    again = admin.post("/api/v1/enrolments/", {"session": session.pk, "trainee": first.pk})
    assert again.status_code == 400
    assert again.json()["detail"] == f"{first.full_name} is already on this session (Enrolled)."
    assert again.json()["code"] == "duplicate"
    # Prerequisites: refused with the service's message, then overridden with a reason.
    required = factories.CertificationTypeFactory(name="Derecho Internacional Humanitario")
    session.course.prerequisites.add(required)
    third = factories.TraineeFactory()
    missing = admin.post("/api/v1/enrolments/", {"session": session.pk, "trainee": third.pk})
    assert missing.status_code == 400 and missing.json()["code"] == "prerequisites"
    assert "lacks a prerequisite valid on" in missing.json()["detail"]
    overridden = admin.post(
        "/api/v1/enrolments/",
        {
            "session": session.pk,
            "trainee": third.pk,
            "override_prerequisites": True,
            "override_reason": "Curso previo en CAECOPAZ",
        },
    )
    assert overridden.status_code == 201 and overridden.json()["prerequisites_overridden"] is True
    assert (
        api("instructor").post("/api/v1/enrolments/", {"session": session.pk, "trainee": third.pk}).status_code == 403
    )


def test_trainee_rows_create_and_update_with_the_imports_validation(world, api):
    admin = api("administrator")
    row = {
        "service_number": "A-123",
        "given_names": "María José",
        "paternal_surname": "Ávila",
        "nationality": "Guatemala",
        "category": "Policía",
        "organization": "Policía Nacional Civil",
        "gender": "Mujer",
    }
    created = admin.post("/api/v1/trainees/", row)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["nationality"], body["category"], body["gender"], body["organization"]) == (
        "GT",
        "police",
        "female",
        "Policía Nacional Civil",
    )
    updated = admin.post("/api/v1/trainees/", {**row, "rank": "Inspectora"})
    assert updated.status_code == 200 and updated.json()["id"] == body["id"] and updated.json()["rank"] == "Inspectora"
    patched = admin.patch(f"/api/v1/trainees/{body['id']}/", {"email": "mj.avila@pnc.example.gt"})
    assert patched.status_code == 200 and patched.json()["email"] == "mj.avila@pnc.example.gt"
    assert patched.json()["rank"] == "Inspectora"  # columns not given are kept
    refused = admin.patch(f"/api/v1/trainees/{body['id']}/", {"email": "not-an-email"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "email", "message": "Enter a valid email address.", "code": "invalid", "value": "not-an-email"}
    ]
    rekey = admin.patch(f"/api/v1/trainees/{body['id']}/", {"service_number": "A-999"})
    assert rekey.status_code == 400 and rekey.json()["errors"][0]["field"] == "service_number"


def test_bulk_is_all_or_nothing_with_every_rows_errors(world, api):
    rows = [
        {"service_number": "B-1", "given_names": "Ana", "paternal_surname": "Ruiz", "nationality": "MX"},
        {"service_number": "B-2", "given_names": "", "paternal_surname": "Soto", "nationality": "XX"},
        {"service_number": "B-1", "given_names": "Ana", "paternal_surname": "Ruiz", "nationality": "MX"},
    ]
    response = api("administrator").post("/api/v1/trainees/bulk/", {"trainees": rows})
    assert response.status_code == 400
    problem = response.json()
    assert problem["detail"] == "Nothing was imported: 4 errors."
    assert sorted((e["row"], e["field"]) for e in problem["errors"]) == [
        (0, "service_number"),
        (1, "given_names"),
        (1, "nationality"),
        (2, "service_number"),
    ]
    assert not Trainee.objects.filter(service_number__startswith="B-").exists()
    good = api("administrator").post("/api/v1/trainees/bulk/", {"trainees": rows[:1]})
    assert good.status_code == 200 and good.json()["committed"] and len(good.json()["created"]) == 1


def test_bulk_rows_give_the_same_columns_as_a_files_rows(world, api):
    owner = world["cast"]["trainee"].trainee
    rows = [
        {"service_number": "C-1", "given_names": "Ana", "paternal_surname": "Ruiz", "nationality": "MX", "email": ""},
        {
            "service_number": owner.service_number,
            "given_names": owner.given_names,
            "paternal_surname": "Ruiz",
            "nationality": "MX",
        },
    ]
    response = api("administrator").post("/api/v1/trainees/bulk/", {"trainees": rows})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "email",
            "message": "The other rows give this column: give it in this row too.",
            "code": "invalid",
            "row": 1,
        }
    ]
    owner.refresh_from_db()
    assert owner.email and owner.paternal_surname != "Ruiz"  # an absent column is never read as "clear it"


def test_export_through_the_api_and_reimport_changes_nothing(world, api):
    factories.TraineeFactory.create_batch(7, maternal_surname="", rank="")
    factories.TraineeFactory(organization=None, gender="", email="", phone="+52 55 1234 5678", branch="Ejército")
    admin = api("administrator")
    exported = _all_pages(admin, "/api/v1/trainees/", {"page_size": 3})
    assert len(exported) == Trainee.objects.count() == 10
    before = {t.pk: (t.updated_at, t.organization_id) for t in Trainee.objects.all()}
    response = admin.post("/api/v1/trainees/bulk/", {"trainees": exported})
    assert response.status_code == 200, response.content
    report = response.json()
    assert (len(report["created"]), len(report["updated"]), len(report["unchanged"])) == (0, 0, 10)
    assert report["new_organizations"] == []
    assert {t.pk: (t.updated_at, t.organization_id) for t in Trainee.objects.all()} == before
    assert _all_pages(admin, "/api/v1/trainees/", {"page_size": 3}) == exported


# --- reads ------------------------------------------------------------------------------------------


def test_cursor_pages_are_stable_and_ordered(world, api):
    factories.TraineeFactory.create_batch(5)
    admin = api("administrator")
    first = admin.get("/api/v1/trainees/", {"page_size": 2}).json()
    assert first["previous"] is None and len(first["results"]) == 2
    factories.TraineeFactory(paternal_surname="Ábalos")  # sorts before the page already read (Spanish order)
    second = admin.client.get(first["next"], headers=admin.headers).json()
    back = admin.client.get(second["previous"], headers=admin.headers).json()
    # The rows just before the second page are the first page's, whatever was added before them.
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    assert back["previous"] is not None  # "Aaron" now comes first
    everything = _all_pages(admin, "/api/v1/trainees/", {"page_size": 2})
    expected = Trainee.objects.order_by(*name_order())
    assert [r["id"] for r in everything] == list(expected.values_list("id", flat=True))
    assert admin.get("/api/v1/trainees/", {"cursor": "garbage"}).status_code == 404


def test_filters_are_the_list_pages(world, api):
    admin = api("administrator")
    owner = world["cast"]["trainee"].trainee
    assert [
        r["id"] for r in _all_pages(admin, "/api/v1/trainees/", {"q": owner.paternal_surname.upper().replace("Ú", "U")})
    ] == [owner.pk]
    today = timezone.localdate()
    expiring = factories.CertificationFactory(trainee=owner, issued_on=today - timedelta(days=700))
    expiring.expires_on = today + timedelta(days=20)
    expiring.save()
    revoked = factories.CertificationFactory(
        trainee=owner, issued_on=today, revoked_at=timezone.now(), revoked_reason="Error"
    )
    assert [r["id"] for r in _all_pages(admin, "/api/v1/certifications/", {"expiring_within": 30})] == [expiring.pk]
    assert [r["id"] for r in _all_pages(admin, "/api/v1/certifications/", {"state": "expiring"})] == [expiring.pk]
    assert [r["id"] for r in _all_pages(admin, "/api/v1/certifications/", {"state": "revoked"})] == [revoked.pk]
    states = {r["id"]: r["state"] for r in _all_pages(admin, "/api/v1/certifications/")}
    assert states == {c.pk: c.state(today) for c in Certification.objects.all()}
    assert admin.get("/api/v1/certifications/", {"expiring_within": "-1"}).status_code == 400
    assert [r["code"] for r in _all_pages(admin, "/api/v1/sessions/", {"status": "finalized"})] == ["SES-DONE"]
    assert admin.get("/api/v1/sessions/", {"period": "someday"}).status_code == 400


def test_verify_answers_what_the_public_page_says(world, api, client):
    certification = world["certification"]
    answer = api().get(f"/api/v1/verify/{certification.code.lower().replace('-', '')}/")
    assert answer.status_code == 200
    facts = answer.json()
    assert facts["holder_name"] == certification.trainee.full_name and facts["state"] == "valid"
    assert set(facts) == {
        "code",
        "holder_name",
        "certification_name",
        "issuer",
        "issued_on",
        "expires_on",
        "state",
        "state_label",
        "revoked_on",
        "issuer_did",
    }
    page = client.get(f"/verify/{certification.code}/")
    assert facts["holder_name"] in page.content.decode()
    missing = api().get("/api/v1/verify/0000-0000-0000-0000/")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM


def test_verify_shares_the_pages_rate_limit(world, api, settings):
    settings.VERIFY_RATE_LIMIT = "2/m"
    code = world["certification"].code
    assert [api().get(f"/api/v1/verify/{code}/").status_code for _ in range(2)] == [200, 200]
    limited = api().get(f"/api/v1/verify/{code}/")
    assert limited.status_code == 429 and limited["Retry-After"] == "60"


def test_enrollment_results_are_read_with_the_visible_querysets_queries(world, api, django_assert_max_num_queries):
    for _ in range(20):
        factories.EnrollmentFactory(session=world["running"])
    with django_assert_max_num_queries(8):
        response = api("administrator").get("/api/v1/enrolments/", {"page_size": 50})
    assert len(response.json()["results"]) == 23
    assert Enrollment.objects.count() == 23


@pytest.mark.parametrize(
    "path", ["/api/v1/trainees/", "/api/v1/sessions/", "/api/v1/certifications/", "/api/v1/courses/"]
)
def test_list_queries_do_not_grow_with_rows(world, api, path, django_assert_max_num_queries):
    for _ in range(15):
        trainee = factories.TraineeFactory()
        session = factories.CourseSessionFactory(instructors=[world["cast"]["instructor"]])
        factories.EnrollmentFactory(session=session, trainee=trainee)
        factories.CertificationFactory(trainee=trainee)
    with django_assert_max_num_queries(9):
        response = api("administrator").get(path, {"page_size": 100})
    assert response.status_code == 200 and len(response.json()["results"]) >= 15
