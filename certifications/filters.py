"""Query-string filters of the expiring-certifications report (bookmarkable, shared by its exports)."""

from datetime import timedelta

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from trainees.models import Organization, Trainee

from .models import Certification, CertificationType, ExpiryReminder, Standing, standing_condition

DEFAULT_WINDOW_DAYS = settings.CERT_EXPIRING_SOON_DAYS
MAX_WINDOW_DAYS = 3650
NO_REMINDER = "none"


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class ExpiringFilter(django_filters.FilterSet):
    """Current certifications expiring between `today` and `today + days`, narrowed by the
    holder's organization, nationality and category, the certification type and the reminder
    state; `standing=valid` or `standing=lapsed` lists the valid or the lapsed ones instead
    (the reports' figures link here with these parameters)."""

    standing = django_filters.ChoiceFilter(
        label=_("Standing"),
        choices=Standing.choices,
        method="filter_nothing",  # applied in filter_queryset with the window
        empty_label=_("Expiring"),
    )
    days = IntegerFilter(
        label=_("Expiring within (days)"),
        min_value=0,
        max_value=MAX_WINDOW_DAYS,
        widget=forms.NumberInput(attrs={"placeholder": DEFAULT_WINDOW_DAYS}),
        method="filter_nothing",  # the window is applied in filter_queryset, also when left empty
    )
    organization = django_filters.ModelChoiceFilter(
        label=_("Organization"),
        field_name="trainee__organization",
        queryset=Organization.objects.order_by("name"),
        empty_label=_("All"),
        null_label=_("No organization"),
    )
    type = django_filters.ModelChoiceFilter(
        label=_("Certification type"),
        field_name="type",
        queryset=CertificationType.objects.order_by("name"),
        empty_label=_("All"),
    )
    nationality = django_filters.ChoiceFilter(
        label=_("Nationality"),
        field_name="trainee__nationality",
        choices=lambda: list(countries),
        empty_label=_("All"),
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"),
        field_name="trainee__category",
        choices=Trainee.Category.choices,
        empty_label=_("All"),
    )
    reminder = django_filters.ChoiceFilter(
        label=_("Reminder"),
        choices=[
            (NO_REMINDER, _("None yet")),
            (ExpiryReminder.State.PENDING, _("Queued")),
            (ExpiryReminder.State.SENT, ExpiryReminder.State.SENT.label),
            (ExpiryReminder.State.FAILING, ExpiryReminder.State.FAILING.label),
            (ExpiryReminder.State.UNDELIVERABLE, ExpiryReminder.State.UNDELIVERABLE.label),
        ],
        method="filter_reminder",
        empty_label=_("All"),
    )

    def __init__(self, data=None, *args, today, **kwargs):
        self.today = today
        super().__init__(data, *args, **kwargs)

    @property
    def window_days(self):
        if self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("days") is not None:
            return self.form.cleaned_data["days"]
        return DEFAULT_WINDOW_DAYS

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_reminder(self, queryset, name, value):
        # The queryset carries last_reminder_state (Certification.objects.with_reminder_state()).
        if value == NO_REMINDER:
            return queryset.filter(last_reminder_state__isnull=True)
        if value == ExpiryReminder.State.PENDING:
            return queryset.filter(last_reminder_state__in=[ExpiryReminder.State.PENDING, ExpiryReminder.State.SENDING])
        return queryset.filter(last_reminder_state=value)

    @property
    def chosen_standing(self):
        if self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("standing"):
            return self.form.cleaned_data["standing"]
        return Standing.EXPIRING

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.filter(standing_condition(self.chosen_standing, self.today, days=self.window_days))


class CertificationFilter(django_filters.FilterSet):
    """Certifications by state (as Certification.state computes it), expiring within a number of
    days (current ones, as the expiring report counts them), holder, organization, nationality
    and type (the REST API's certification list)."""

    expiring_within = IntegerFilter(
        label=_("Expiring within (days)"), min_value=0, max_value=MAX_WINDOW_DAYS, method="filter_expiring_within"
    )
    state = django_filters.ChoiceFilter(label=_("State"), choices=Certification.State.choices, method="filter_state")
    trainee = IntegerFilter(label=_("Trainee"), field_name="trainee_id", min_value=1, max_value=2**63 - 1)
    organization = django_filters.ModelChoiceFilter(
        label=_("Organization"), field_name="trainee__organization", queryset=Organization.objects.order_by("name")
    )
    type = django_filters.ModelChoiceFilter(
        label=_("Certification type"), field_name="type", queryset=CertificationType.objects.order_by("name")
    )
    nationality = django_filters.ChoiceFilter(
        label=_("Nationality"), field_name="trainee__nationality", choices=lambda: list(countries)
    )

    def __init__(self, data=None, *args, today, **kwargs):
        self.today = today
        super().__init__(data, *args, **kwargs)

    def filter_expiring_within(self, queryset, name, value: int):
        return queryset.expiring_between(self.today, self.today + timedelta(days=value))

    def filter_state(self, queryset, name, value):
        return queryset.in_state(value, self.today)
