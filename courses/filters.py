"""Query-string filters of the course catalogue and the session list (bookmarkable, shareable)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Course, CourseSession

PERIODS = (
    ("upcoming", _("Upcoming")),
    ("running", _("Running")),
    ("past", _("Past")),
)


class CourseFilter(django_filters.FilterSet):
    """`q` matches code or title (case- and accent-insensitive); `category`, `is_active` by value."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Course.Category.choices)
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Course
        fields = ["q", "category", "is_active"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__unaccent__icontains=value) | Q(title__unaccent__icontains=value))


class SessionFilter(django_filters.FilterSet):
    """`period` (upcoming / running / past, as the tabs), `q` on the session's and course's code
    and the course title, `course` and `status` by value."""

    period = django_filters.ChoiceFilter(label=_("Period"), choices=PERIODS, method="filter_period")
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    course = django_filters.ModelChoiceFilter(label=_("Course"), queryset=Course.objects.none())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CourseSession.Status.choices)

    class Meta:
        model = CourseSession
        fields = ["period", "q", "course", "status"]

    def __init__(self, data=None, *args, today=None, **kwargs):
        self.today = today or timezone.localdate()
        super().__init__(data, *args, **kwargs)
        # Offer only the courses of the sessions this user may see (the queryset is already limited).
        self.filters["course"].queryset = Course.objects.filter(
            pk__in=self.queryset.order_by().values("course_id")
        ).order_by("code")

    def filter_period(self, queryset, name, value):
        if value == "upcoming":
            # Soonest first: what needs preparing next.
            return queryset.upcoming(self.today).order_by("starts_on", "code")
        if value == "running":
            return queryset.running(self.today).order_by("ends_on", "code")
        if value == "past":
            return queryset.past(self.today)
        return queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__unaccent__icontains=value)
            | Q(course__code__unaccent__icontains=value)
            | Q(course__title__unaccent__icontains=value)
        )
