"""Access control over the whole API: one table, every API route, every role's token.

Each row says what the route answers for: no token, the trainee who owns the record, another
trainee, the instructor of the session, another instructor, and an administrator (all with
write tokens). A route added without a row fails `test_every_api_route_has_a_row`.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from .conftest import Api

ROLES = ("anonymous", "trainee", "other_trainee", "instructor", "other_instructor", "administrator")
OK, BAD, NO_TOKEN, FORBIDDEN, GONE, NOT_ALLOWED = 200, 400, 401, 403, 404, 405
ALL_OK = (OK,) * 6

GET_ACCESS = {
    #                     no token, owner, other trainee, instructor, other instructor, administrator
    "api:root": ALL_OK,
    "api:schema": ALL_OK,
    "api:docs": ALL_OK,
    "api:verify": ALL_OK,
    "api:not-found": (GONE,) * 6,
    "api:organization-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:organization-detail": (NO_TOKEN, OK, GONE, OK, GONE, OK),
    "api:trainee-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:trainee-detail": (NO_TOKEN, OK, GONE, OK, GONE, OK),
    "api:trainee-bulk": (NO_TOKEN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    "api:course-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:course-detail": (NO_TOKEN, OK, GONE, OK, OK, OK),
    "api:session-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:session-detail": (NO_TOKEN, OK, GONE, OK, GONE, OK),
    "api:session-results": (NO_TOKEN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    "api:enrollment-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:enrollment-detail": (NO_TOKEN, OK, GONE, OK, GONE, OK),
    "api:certification-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:certification-detail": (NO_TOKEN, OK, GONE, GONE, GONE, OK),
    "api:profile-list": (NO_TOKEN, OK, OK, OK, OK, OK),  # empty but for administrators
    "api:profile-detail": (NO_TOKEN, GONE, GONE, GONE, GONE, OK),
    "api:deployment-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:deployment-detail": (NO_TOKEN, GONE, GONE, GONE, GONE, OK),
    "api:deployment-nominations": (NO_TOKEN, GONE, GONE, GONE, GONE, OK),
    "api:nomination-list": (NO_TOKEN, OK, OK, OK, OK, OK),
    "api:nomination-detail": (NO_TOKEN, OK, GONE, GONE, GONE, OK),
    "api:readiness": (NO_TOKEN, BAD, BAD, BAD, BAD, BAD),  # the window is required
    "api:trainee-readiness": (NO_TOKEN, BAD, GONE, BAD, GONE, BAD),
}

# What a write with an empty body answers: refusals before any work; an allowed empty write is
# a 400 with the fields it lacks (or, for a change of nothing, 200).
WRITE_ACCESS = {
    ("POST", "api:trainee-list"): (NO_TOKEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, BAD),
    ("POST", "api:trainee-bulk"): (NO_TOKEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, BAD),
    ("PATCH", "api:trainee-detail"): (NO_TOKEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "api:enrollment-list"): (NO_TOKEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, BAD),
    ("POST", "api:session-results"): (NO_TOKEN, GONE, GONE, BAD, GONE, BAD),
    ("POST", "api:certification-list"): (NO_TOKEN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    ("POST", "api:deployment-nominations"): (NO_TOKEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, BAD),
    ("DELETE", "api:trainee-detail"): (NO_TOKEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_ALLOWED),
}


def _api_route_names(patterns=None, inside=False):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_route_names(pattern.url_patterns, inside or pattern.namespace == "api")
        elif inside and pattern.name:
            yield f"api:{pattern.name}"


def test_every_api_route_has_a_row():
    names = set(_api_route_names())
    assert names - set(GET_ACCESS) == set(), "API routes without a row in the access table"
    assert set(GET_ACCESS) - names == set(), "rows for API routes that no longer exist"


def _kwargs(world):
    owner = world["cast"]["trainee"].trainee
    return {
        "api:verify": {"code": world["certification"].code},
        "api:not-found": {},
        "api:organization-detail": {"pk": owner.organization_id},
        "api:trainee-detail": {"pk": owner.pk},
        "api:course-detail": {"pk": world["finalized"].course_id},
        "api:session-detail": {"pk": world["finalized"].pk},
        "api:session-results": {"pk": world["running"].pk},
        "api:enrollment-detail": {"pk": world["passed"].pk},
        "api:certification-detail": {"pk": world["certification"].pk},
        "api:profile-detail": {"pk": world["profile"].pk},
        "api:deployment-detail": {"pk": world["deployment"].pk},
        "api:deployment-nominations": {"pk": world["deployment"].pk},
        "api:nomination-detail": {"pk": world["nomination"].pk},
        "api:trainee-readiness": {"pk": owner.pk},
    }


def _url(name, world):
    if name == "api:not-found":
        return "/api/v1/nothing-here/"
    return reverse(name, kwargs=_kwargs(world).get(name))


def _client(role, world):
    return Api(world["tokens"][role] if role != "anonymous" else None)


@pytest.mark.parametrize("name", sorted(GET_ACCESS))
def test_get_access(name, world):
    url = _url(name, world)
    answers = {role: _client(role, world).get(url).status_code for role in ROLES}
    assert answers == dict(zip(ROLES, GET_ACCESS[name], strict=True))


@pytest.mark.parametrize(("method", "name"), sorted(WRITE_ACCESS))
def test_write_access(method, name, world):
    url = _url(name, world)
    answers = {}
    for role in ROLES:
        api = _client(role, world)
        response = getattr(api.client, method.lower())(url, {}, content_type="application/json", headers=api.headers)
        answers[role] = response.status_code
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", (role, response.content)
    assert answers == dict(zip(ROLES, WRITE_ACCESS[(method, name)], strict=True))
