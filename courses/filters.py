"""Query-string filters of the course catalogue and the session list (bookmarkable, shareable)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trainees.filters import TraineeFilter

from .models import Course, CourseSession, Enrollment, UgpsCategory

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
    # Sessions ending in a period (the reports' pass rates link here).
    ends_from = django_filters.DateFilter(label=_("Ending from"), field_name="ends_on", lookup_expr="gte")
    ends_until = django_filters.DateFilter(label=_("Ending until"), field_name="ends_on", lookup_expr="lte")

    class Meta:
        model = CourseSession
        fields = ["period", "q", "course", "status", "ends_from", "ends_until"]

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


class TrainedTraineeFilter(TraineeFilter):
    """The trainee list's filters (settings.TRAINEE_FILTERSET), with who was trained: a pass in
    a finalized session of `course` (or any course) ending from `trained_from` to
    `trained_until`, counted in UGPS category `ugps_category`. The reports' figures of people
    trained link here, so each figure can be checked person by person."""

    course = django_filters.ModelChoiceFilter(
        label=_("Trained in course"), queryset=Course.objects.order_by("code"), method="filter_trained"
    )
    trained_from = django_filters.DateFilter(label=_("Trained from"), method="filter_trained")
    trained_until = django_filters.DateFilter(label=_("Trained until"), method="filter_trained")
    ugps_category = django_filters.ChoiceFilter(
        label=_("UN gender-parity category"), choices=UgpsCategory.choices, method="filter_trained"
    )

    class Meta(TraineeFilter.Meta):
        fields = [*TraineeFilter.Meta.fields, "course", "trained_from", "trained_until", "ugps_category"]

    TRAINED_FIELDS = ("course", "trained_from", "trained_until", "ugps_category")

    def filter_trained(self, queryset, name, value):
        return queryset  # applied once for all four fields in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = {name: self.form.cleaned_data.get(name) for name in self.TRAINED_FIELDS}
        if not any(value not in (None, "") for value in data.values()):
            return queryset
        # One enrolment must satisfy every condition at once (a subquery, not chained joins).
        trained = Enrollment.objects.trained()
        if data["course"]:
            trained = trained.filter(session__course=data["course"])
        if data["trained_from"]:
            trained = trained.filter(session__ends_on__gte=data["trained_from"])
        if data["trained_until"]:
            trained = trained.filter(session__ends_on__lte=data["trained_until"])
        if data["ugps_category"]:
            trained = trained.with_ugps_category().filter(ugps_category=data["ugps_category"])
        return queryset.filter(pk__in=trained.values("trainee_id"))
