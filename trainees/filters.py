"""Query-string filters of the trainee list (also used by the trainee list export)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Organization, Trainee, name_order


class TraineeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name or service number"))
    organization = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.order_by("name"), label=_("Organization")
    )
    nationality = django_filters.ChoiceFilter(choices=countries, label=_("Nationality"))
    category = django_filters.ChoiceFilter(choices=Trainee.Category.choices, label=_("Category"))
    status = django_filters.ChoiceFilter(choices=Trainee.Status.choices, label=_("Status"))

    class Meta:
        model = Trainee
        fields = ["q", "organization", "nationality", "category", "status"]

    def search(self, queryset, name, value):
        return queryset.search(value)


def filtered_trainees(params, user):
    """The trainees `user` may see, filtered by `params` (a QueryDict), in list order."""
    queryset = Trainee.objects.visible_to(user).select_related("organization").order_by(*name_order())
    return TraineeFilter(params, queryset=queryset)
