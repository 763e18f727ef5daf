"""Property-based tests of the whole API against its live OpenAPI schema (schemathesis).

The schema is loaded from the running application (/api/v1/schema/, through WSGI); every
operation is called with generated parameters and bodies, as each role's token and without
one, and every answer must: not be a server error, have a status code the schema documents,
the documented content type and headers, and a body that conforms to the documented schema.
The run is bounded (MAX_EXAMPLES per operation and role; deterministic, no example database).
"""

from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 12
ROLES = ("anonymous", "administrator", "instructor", "other_instructor", "trainee", "other_trainee")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
COUNTS = Counter()

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    print(f"\nschemathesis: {COUNTS['cases']} cases, {COUNTS['failures']} failures, by status {dict(COUNTS['status'])}")


@pytest.fixture
def _keep_test_connection():
    """The WSGI handler closes the database connection after each request, as a server must;
    Django's test client turns that off so the test's transaction survives, and so does this."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def _generous_limits(settings):
    """Generated requests come from one address: the limits are not what is tested here."""
    settings.API_ANONYMOUS_RATE_LIMIT = "100000/m"
    settings.API_RATE_LIMIT = "100000/m"
    settings.VERIFY_RATE_LIMIT = "100000/m"


COUNTS["status"] = Counter()


def _known_ids(world):
    return {
        "trainees": world["cast"]["trainee"].trainee.pk,
        "organizations": world["cast"]["trainee"].trainee.organization_id,
        "courses": world["running"].course_id,
        "sessions": world["running"].pk,
        "enrolments": world["draft"].pk,
        "certifications": world["certification"].pk,
        "verify": world["certification"].code,
        "profiles": world["profile"].pk,
        "deployments": world["deployment"].pk,
        "nominations": world["nomination"].pk,
    }


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, role, world, _generous_limits, _keep_test_connection):
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if role != "anonymous" else {}
    COUNTS["cases"] += 1
    if COUNTS["cases"] % 2 and case.path_parameters:
        # Every other case asks for a record that exists (generated ids almost never do).
        known = _known_ids(world)
        for resource, value in known.items():
            if case.path.startswith(f"/api/v1/{resource}/"):
                case.path_parameters[next(iter(case.path_parameters))] = value
    try:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
    except Exception:
        COUNTS["failures"] += 1
        raise
    COUNTS["status"][response.status_code] += 1
