"""Query budgets the page owners' tests do not cover: the trainee list's keyset pages (the Next
link and a page reached by number) make as many queries with many rows as with few.

bench/run.py measures the same pages on generated data (bench/RESULTS.md); this is the part of
it that runs in CI, at a small scale and without timing anything."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import OrganizationFactory, TraineeFactory

pytestmark = pytest.mark.django_db
PER_PAGE = 5


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def _next_link(response):
    match = re.search(r'href="(\?[^"]*after=[^"]*)"', response.content.decode())
    assert match, "no Next link with a key"
    return match.group(1).replace("&amp;", "&")


def _add_trainees(count):
    organizations = OrganizationFactory.create_batch(3)
    for index in range(count):
        TraineeFactory(paternal_surname=f"Núñez {index % 7}", organization=organizations[index % 3])


@pytest.mark.parametrize("query", ["", "?q=nunez&status=active"])
def test_trainee_list_pages_cost_the_same_with_more_rows(client, admin_user, monkeypatch, query):
    monkeypatch.setattr("trainees.views.TRAINEES_PER_PAGE", PER_PAGE)
    client.force_login(admin_user)
    url = reverse("trainees:list") + query
    separator = "&" if query else "?"
    counts = []
    for added in (16, 64):  # 16 trainees, then 80
        _add_trainees(added)
        client.get(url)  # per-process caches (content types, translations)
        first, response = _queries(client, url)
        following, _ = _queries(client, reverse("trainees:list") + _next_link(response))
        numbered, _ = _queries(client, f"{url}{separator}page=3")
        counts.append((first, following, numbered))
    assert counts[0] == counts[1]
    first, following, numbered = counts[0]
    # The Next link seeks from its key; a page reached by number finds its ids first (one query more).
    assert following == first and numbered == first + 1


def test_the_applications_connections_plan_no_parallel_workers():
    """cecopam/settings.py: a page's small query paid more to start a parallel worker (30 ms)
    than its work (2 ms); the setting reaches every connection the application opens."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
