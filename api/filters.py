"""List filters: the list pages' FilterSets (trainees, courses, sessions, certifications), read
from the same query-string parameters; an invalid value is a 400 with the field's message,
never "everything"."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend

from courses.models import CourseSession, Enrollment
from trainees.models import Organization, Trainee


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend, with the extra arguments some FilterSets take (the view's
    `filterset_kwargs()`, e.g. today's date for the session periods)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs.pop("request", None)  # the apps' FilterSets do not take it
        extra = getattr(view, "filterset_kwargs", None)
        if extra is not None:
            kwargs.update(extra())
        return kwargs


class OrganizationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="unaccent__icontains", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=Organization.Kind.choices, label=_("Kind"))
    country = django_filters.CharFilter(label=_("Country"))

    class Meta:
        model = Organization
        fields = ["q", "kind", "country"]


class EnrollmentFilter(django_filters.FilterSet):
    session = django_filters.ModelChoiceFilter(queryset=CourseSession.objects.all(), label=_("Session"))
    trainee = django_filters.ModelChoiceFilter(queryset=Trainee.objects.all(), label=_("Trainee"))
    status = django_filters.ChoiceFilter(choices=Enrollment.Status.choices, label=_("Status"))
    result = django_filters.ChoiceFilter(choices=Enrollment.Result.choices, label=_("Result"))

    class Meta:
        model = Enrollment
        fields = ["session", "trainee", "status", "result"]
