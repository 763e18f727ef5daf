"""The reports' filters, read from the query string so that a report can be bookmarked and shared:
`period` (a year `2026` or a month `2026-11`), `organization` (id), `country` (the trainees'
nationality, ISO 3166 alpha-2), `category` (military / police / civilian) and `course` (id).

An invalid value is an error shown to the user (HTTP 400), never silently "everything".
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from courses.models import Course
from trainees.models import Organization, Trainee

PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2}))?$")


@dataclass(frozen=True)
class Period:
    """A calendar year or month: `start` and `end` inclusive, `value` as written in the URL."""

    start: date
    end: date
    value: str

    @property
    def is_month(self):
        return len(self.value) == 7

    @classmethod
    def parse(cls, text):
        match = PERIOD.match(text or "")
        if not match:
            raise ValueError(text)
        year = int(match["year"])
        if not 1900 <= year <= 2100:
            raise ValueError(text)
        if match["month"] is None:
            return cls(date(year, 1, 1), date(year, 12, 31), f"{year:04d}")
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise ValueError(text)
        return cls(
            date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), f"{year:04d}-{month:02d}"
        )

    @classmethod
    def month_of(cls, day):
        return cls.parse(f"{day.year:04d}-{day.month:02d}")


class ReportFilterForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=7,
        help_text=_("A year (2026) or a month (2026-11); empty: this year."),
        widget=forms.TextInput(attrs={"placeholder": "2026-11", "inputmode": "numeric"}),
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.order_by("name"), required=False, empty_label=_("All")
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Trainee.Category.choices]
    )
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.order_by("code"), required=False, empty_label=_("All")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All")), *countries]

    def clean_period(self):
        text = self.cleaned_data["period"].strip()
        if not text:
            return None
        try:
            return Period.parse(text)
        except ValueError:
            raise forms.ValidationError(_("Enter a year (2026) or a month (2026-11)."), code="invalid_period") from None


@dataclass(frozen=True)
class ReportFilters:
    """The valid filters of one request, with what each report needs from them."""

    period: Period
    organization: Organization | None = None
    country: str = ""
    category: str = ""
    course: Course | None = None

    @classmethod
    def from_form(cls, form, today=None):
        data = form.cleaned_data
        return cls(
            period=data["period"] or Period.parse(str((today or timezone.localdate()).year)),
            organization=data["organization"],
            country=data["country"] or "",
            category=data["category"] or "",
            course=data["course"],
        )

    def people(self, prefix="trainee__"):
        """The condition on trainees (through `prefix`) that the organization, country and
        category filters set."""
        condition = Q()
        if self.organization is not None:
            condition &= Q(**{f"{prefix}organization": self.organization})
        if self.country:
            condition &= Q(**{f"{prefix}nationality": self.country})
        if self.category:
            condition &= Q(**{f"{prefix}category": self.category})
        return condition

    def people_params(self):
        """The same filters as the trainee and certification lists' query parameters."""
        params = {}
        if self.organization is not None:
            params["organization"] = self.organization.pk
        if self.country:
            params["nationality"] = self.country
        if self.category:
            params["category"] = self.category
        return params

    def query(self, **overrides):
        """The query string of these filters (for links between reports and exports)."""
        params = {"period": self.period.value}
        if self.organization is not None:
            params["organization"] = self.organization.pk
        if self.country:
            params["country"] = self.country
        if self.category:
            params["category"] = self.category
        if self.course is not None:
            params["course"] = self.course.pk
        params.update(overrides)
        return {key: value for key, value in params.items() if value not in (None, "")}

    def describe(self):
        """The filters in words, for headings and the PDF."""
        parts = []
        if self.organization is not None:
            parts.append(str(self.organization))
        if self.country:
            parts.append(str(dict(countries).get(self.country, self.country)))
        if self.category:
            parts.append(str(Trainee.Category(self.category).label))
        if self.course is not None:
            parts.append(self.course.code)
        return ", ".join(parts)


def read_filters(params, today=None):
    """(form, filters): filters is None when the query string holds an invalid value."""
    form = ReportFilterForm(params)
    if not form.is_valid():
        return form, None
    return form, ReportFilters.from_form(form, today=today)
