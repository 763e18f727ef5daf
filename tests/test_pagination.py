"""Keyset pagination of the trainee list (common/pagination.py): every row once, in order,
whichever way the pages are reached; a tampered key is ignored."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from common.pagination import KeysetPaginator, decode_key, encode_key
from tests.factories import TraineeFactory
from trainees.filters import filtered_trainees
from trainees.models import Trainee


@pytest.fixture
def trainees(db):
    # Repeated surnames and given names: the order falls back to the id, and so must the key.
    for index in range(23):
        TraineeFactory(
            paternal_surname=["Núñez", "Ávila", "Nunez", "Zapata"][index % 4],
            maternal_surname=["", "Peña"][index % 2],
            given_names=["Ana", "José"][index % 3 == 0],
        )
    return Trainee.objects.order_by("paternal_surname", "maternal_surname", "given_names", "id")


def _ids(page):
    return [trainee.pk for trainee in page.object_list]


def test_next_and_previous_keys_walk_every_row_once_in_order(trainees):
    expected = list(trainees.values_list("pk", flat=True))
    paginator = KeysetPaginator(trainees, 5)
    page = paginator.get_page(1)
    forward = _ids(page)
    while page.has_next():
        page = paginator.get_page(page.number + 1, after=page.next_key)
        forward += _ids(page)
    assert forward == expected
    assert page.number == 5 and len(page.object_list) == 3
    backward = _ids(page)
    while page.has_previous():
        page = paginator.get_page(page.number - 1, before=page.previous_key)
        backward = _ids(page) + backward
    assert backward == expected
    assert page.number == 1


def test_a_numbered_page_is_the_same_rows_as_with_offset(trainees):
    paginator = KeysetPaginator(trainees, 5)
    for number in (1, 2, 4, 5):
        assert _ids(paginator.get_page(number)) == list(trainees.values_list("pk", flat=True))[(number - 1) * 5 :][:5]
    assert paginator.get_page("x").number == 1
    assert paginator.get_page(99).number == 5


@pytest.mark.parametrize(
    "key",
    [
        "garbage",
        encode_key(["a"]),
        encode_key([True, 1, 2, 3]),
        encode_key({"a": 1}),
        # Right length, wrong types or out of range: the database would refuse the comparison.
        encode_key(["a", "b", "c", "x"]),
        encode_key([1, 2, 3, 4]),
        encode_key(["a", "b", "c", 2**63]),
        encode_key(["a\x00", "b", "c", 1]),
    ],
)
def test_a_tampered_key_is_ignored(trainees, key):
    paginator = KeysetPaginator(trainees, 5)
    for direction in ("after", "before"):
        assert _ids(paginator.get_page(2, **{direction: key})) == _ids(paginator.get_page(2))
    assert decode_key(key, paginator.key_fields) is None


def test_an_unordered_list_is_refused(db):
    with pytest.raises(ValueError):
        KeysetPaginator(Trainee.objects.all(), 5)


def test_the_list_pages_follow_the_keys(client, admin_user, trainees, settings, monkeypatch):
    monkeypatch.setattr("trainees.views.TRAINEES_PER_PAGE", 5)
    client.force_login(admin_user)
    url = reverse("trainees:list")
    first = client.get(url, {"q": "nunez"})
    matches = list(filtered_trainees(QueryDict("q=nunez"), admin_user).qs.values_list("pk", flat=True))
    assert len(matches) == 12
    page = first.context["page_obj"]
    assert f"q=nunez&amp;page=2&amp;after={page.next_key}" in first.content.decode()
    second = client.get(url, {"q": "nunez", "page": 2, "after": page.next_key})
    assert _ids(second.context["page_obj"]) == matches[5:10]
    assert second.context["page_obj"].number == 2
    back = second.context["page_obj"].previous_key
    assert f"page=1&amp;before={back}" in second.content.decode()
    assert _ids(client.get(url, {"q": "nunez", "page": 1, "before": back}).context["page_obj"]) == matches[:5]
