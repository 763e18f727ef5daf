"""Query-string filters of the trainee list (also used by the trainee list export)."""

import django_filters
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Organization, Trainee, name_order

# The gender filter's value for trainees whose gender was not recorded (stored empty).
NOT_RECORDED = "none"


class TraineeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name or service number"))
    organization = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.order_by("name"), label=_("Organization")
    )
    nationality = django_filters.ChoiceFilter(choices=countries, label=_("Nationality"))
    category = django_filters.ChoiceFilter(choices=Trainee.Category.choices, label=_("Category"))
    status = django_filters.ChoiceFilter(choices=Trainee.Status.choices, label=_("Status"))
    gender = django_filters.ChoiceFilter(
        choices=[*Trainee.Gender.choices, (NOT_RECORDED, _("Not recorded"))], label=_("Gender"), method="filter_gender"
    )

    class Meta:
        model = Trainee
        fields = ["q", "organization", "nationality", "category", "status", "gender"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    def filter_gender(self, queryset, name, value):
        return queryset.filter(gender="" if value == NOT_RECORDED else value)


def trainee_filterset_class():
    """The list's FilterSet: settings.TRAINEE_FILTERSET names it, so that a higher layer can add
    filters about what it owns (courses: who was trained in what, when) without this app
    importing it, as common/links.py names the pages composed above."""
    return import_string(getattr(settings, "TRAINEE_FILTERSET", "trainees.filters.TraineeFilter"))


def filtered_trainees(params, user):
    """The trainees `user` may see, filtered by `params` (a QueryDict), in list order."""
    queryset = Trainee.objects.visible_to(user).select_related("organization").order_by(*name_order())
    return trainee_filterset_class()(params, queryset=queryset)
