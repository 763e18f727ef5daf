"""The parity report's nominated and deployed stages, read from deployments/ (layer 4).

Kept apart from reports/parity.py so that the report works, with the trained stage alone,
where the deployments app is not installed (it was built on another branch at the same time).

UGPS category of a nomination: its deployment's requirement-profile role, as DESIGN.md maps
it (contingent_member -> troops; military_expert, staff_officer -> observers_staff;
formed_police_unit -> fpu; individual_police -> ipo; civilian -> civilian). Year: the
deployment's start. Nominated: every nomination but a withdrawn one; deployed: a nomination
that reached the mission (deployed, or returned from it).
"""

from django.apps import apps
from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import ExtractYear

from courses.models import UgpsCategory

from .people import count_people

UGPS_CATEGORY_OF_ROLE = {
    "contingent_member": UgpsCategory.TROOPS,
    "military_expert": UgpsCategory.OBSERVERS_STAFF,
    "staff_officer": UgpsCategory.OBSERVERS_STAFF,
    "formed_police_unit": UgpsCategory.FPU,
    "individual_police": UgpsCategory.IPO,
    "civilian": UgpsCategory.CIVILIAN,
}
NOT_NOMINATED = ("withdrawn",)
DEPLOYED = ("deployed", "returned")


def deployments_installed():
    return apps.is_installed("deployments")


def deployment_stage_counts(condition):
    """[(year, category, stage, women, total)] for the nominated and deployed stages (two
    aggregate queries); empty when deployments/ is not installed."""
    if not deployments_installed():
        return []
    Nomination = apps.get_model("deployments", "Nomination")
    category = Case(
        *[When(deployment__profile__role=role, then=Value(ugps.value)) for role, ugps in UGPS_CATEGORY_OF_ROLE.items()],
        output_field=CharField(),
    )
    nominations = (
        Nomination.objects.filter(condition)
        .annotate(ugps_category=category, year=ExtractYear("deployment__starts_on"))
        .filter(ugps_category__isnull=False)
    )
    rows = []
    for stage, selected in (
        ("nominated", nominations.exclude(status__in=NOT_NOMINATED)),
        ("deployed", nominations.filter(status__in=DEPLOYED)),
    ):
        counts = count_people(selected, {"stage_year": F("year"), "stage_category": F("ugps_category")})
        rows += [(int(row["stage_year"]), row["stage_category"], stage, row["women"], row["total"]) for row in counts]
    return rows
