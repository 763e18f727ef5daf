"""Administrator lists: the trainee search ignores accents and case; filters narrow the list
and stay in the address, so a filtered list can be bookmarked."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories

from .conftest import check_page

pytestmark = pytest.mark.e2e


def listed(trainee):
    """A trainee's name as the list prints it: surnames first."""
    return f"{trainee.surnames}, {trainee.given_names}"


@pytest.fixture
def people():
    factories.AdministratorFactory(username="coordinadora")
    guatemala = factories.OrganizationFactory(name="Ejército de Guatemala", kind="partner", country="GT")
    return {
        "Núñez": factories.TraineeFactory(given_names="José Luis", paternal_surname="Núñez", maternal_surname="Ibáñez"),
        "Gómez": factories.TraineeFactory(given_names="Lucía", paternal_surname="Gómez", maternal_surname="Peña"),
        "Ixcot": factories.TraineeFactory(
            given_names="Carlos Enrique",
            paternal_surname="Ixcot",
            maternal_surname="Barrios",
            nationality="GT",
            organization=guatemala,
            service_number="GT-204518",
        ),
        "Cojtí": factories.TraineeFactory(
            given_names="Ana Lucía",
            paternal_surname="Cojtí",
            maternal_surname="Núñez",
            nationality="GT",
            organization=guatemala,
            service_number="GT-377102",
        ),
    }


def test_trainee_list_search_and_nationality_filter(page, live_server, sign_in, people):
    sign_in("coordinadora")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Trainees", exact=True).click()
    expect(page).to_have_url(re.compile(r"/trainees/$"))
    check_page(page)
    main = page.get_by_role("main")
    for person in people.values():
        expect(main.get_by_text(listed(person)).first).to_be_visible()

    # "nunez", typed without accent or capital, finds Núñez (as a first or second surname).
    search = main.get_by_label("Name or service number")
    search.fill("nunez")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=nunez"))
    check_page(page)
    expect(main.get_by_text(listed(people["Núñez"])).first).to_be_visible()
    expect(main.get_by_text(listed(people["Cojtí"])).first).to_be_visible()
    expect(main.get_by_text(listed(people["Gómez"]))).to_have_count(0)
    expect(main.get_by_text(listed(people["Ixcot"]))).to_have_count(0)

    # Clear the search, filter by nationality.
    search.fill("")
    main.get_by_label("Nationality").select_option(label="Guatemala")
    main.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]nationality=GT"))
    check_page(page)
    expect(main.get_by_text(listed(people["Ixcot"])).first).to_be_visible()
    expect(main.get_by_text(listed(people["Cojtí"])).first).to_be_visible()
    expect(main.get_by_text(listed(people["Núñez"]))).to_have_count(0)
    expect(main.get_by_text(listed(people["Gómez"]))).to_have_count(0)
    page.screenshot(path="/tmp/e2e-administrator-lists.png", full_page=True)

    # The filtered address, opened again (a bookmark), gives the same list.
    page.goto(f"{live_server.url}/trainees/?nationality=GT&q=ixcot")
    check_page(page)
    expect(main.get_by_text(listed(people["Ixcot"])).first).to_be_visible()
    expect(main.get_by_text(listed(people["Cojtí"]))).to_have_count(0)
