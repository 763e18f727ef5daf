"""No input makes the server fail: arbitrary strings in every query parameter and form field of
every URL pattern (the Django admin's included), for every role, never answer 500.

The URLs and their arguments come from the access table (tests/test_access_table.py), which
fails when a pattern has no row, and from walking the admin's URLconf; the parameter names are
those each page's own forms carry (read from the page an administrator gets) plus those views
read by hand. The strings are what broke pages before: NUL, digits that are not ASCII ("²",
"٣"), numbers far beyond a bigint, right-to-left overrides, cursors that are not ours.
Each example runs in a savepoint that is rolled back, so a POST that changes the data does not
change what the next example meets. The test client re-raises a view's exception: a 500 fails
the test with its traceback.
"""

import base64
import json
import re

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_access_table import ACCESS, ROLES, world  # noqa: F401 (the fixture)

# Parameters views read by hand, whatever their page's forms say.
READ_BY_HAND = (
    "q",
    "page",
    "after",
    "before",
    "format",
    "course",
    "trainee",
    "stage",
    "days",
    "next",
    "override",
    "username",
    "ip_address",
    "token",
    "language",
    "code",
    "period",
    "o",
    "p",
    "e",
    "_changelist_filters",
    "term",
    "app_label",
    "model_name",
    "field_name",
)
NAME = re.compile(r'\bname="([^"]+)"')
SKIPPED_NAMES = {"csrfmiddlewaretoken"}


def _cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


NASTY = [
    "\x00",
    "a\x00b",
    "²",
    "٣",
    "9" * 40,
    "-1",
    "0",
    "1e9999",
    "nan",
    "\u202eabc",
    "%00",
    _cursor(["a", "b", "c", "x"]),
    _cursor(["a", "b", "c", 2**64]),
    _cursor([1, 2, 3, 4]),
    _cursor(["a\x00", "b", "c", 1]),
]
HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.text(alphabet="0123456789²³¹٣۴\u0000\u202e\u2066-+.,e ", max_size=25),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.lists(st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=5)), max_size=5).map(_cursor),
)
# Each example gives most parameters a value at once, so that few examples reach them all.
MAYBE_HOSTILE = st.one_of(st.none(), HOSTILE, HOSTILE)


def _admin_urls():
    """(name, kwargs) of the admin pages that take input: index, changelists, add and change
    forms, autocomplete; the object of a change form is the first one stored."""
    yield "admin:index", {}
    yield "admin:autocomplete", {}
    yield "admin:login", {}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield f"{prefix}_changelist", {}
        yield f"{prefix}_add", {}
        for page in ("change", "history", "delete"):
            yield f"{prefix}_{page}", "first"


URLS = [(name, None) for name in sorted(ACCESS)] + list(_admin_urls())


def _kwargs(name, how, world_kwargs):
    if how == "first":
        app_model = name.split(":", 1)[1].rsplit("_", 1)[0]
        for model in admin.site._registry:
            if f"{model._meta.app_label}_{model._meta.model_name}" == app_model:
                first = model._default_manager.order_by("pk").first()
                return {"object_id": first.pk if first else 1}
    return world_kwargs.get(name) or (how if isinstance(how, dict) else None)


def _field_names(url, administrator):
    client = Client(headers={"accept-language": "en"})
    client.force_login(administrator)
    response = client.get(url)
    names = set(READ_BY_HAND)
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        names |= {name for name in NAME.findall(response.content.decode()) if name not in SKIPPED_NAMES}
    return sorted(names)


@pytest.mark.parametrize(("name", "how"), URLS, ids=[name for name, _how in URLS])
def test_no_input_answers_500(name, how, world, settings_locmem):  # noqa: F811
    cast, world_kwargs = world
    url = reverse(name, kwargs=_kwargs(name, how, world_kwargs))
    names = _field_names(url, cast["administrator"])
    clients = {}
    for role in ROLES:
        clients[role] = Client(headers={"accept-language": "en"})
        if role != "anonymous":
            clients[role].force_login(cast[role])

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        other_role=st.sampled_from([role for role in ROLES if role != "administrator"]),
        values=st.fixed_dictionaries({name: MAYBE_HOSTILE for name in names}),
    )
    def check(other_role, values):
        params = {name: value for name, value in values.items() if value is not None}
        for role in ("administrator", other_role):
            for method in ("get", "post"):
                with transaction.atomic():
                    point = transaction.savepoint()
                    response = getattr(clients[role], method)(url, params)
                    assert response.status_code < 500, (role, method, params, response.status_code)
                    transaction.savepoint_rollback(point)

    check()


@pytest.fixture
def settings_locmem(settings):
    # The verification page's counters and the download throttle, kept per test.
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return settings
