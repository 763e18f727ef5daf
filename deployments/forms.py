"""Forms of the deployments pages: a deployment, the readiness search, nominating from the pool."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from common.text import PlainTextFormMixin
from trainees.models import Organization, Trainee

from .models import Deployment, RequirementProfile

DATE_WIDGET = {"type": "date"}


class DeploymentForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = Deployment
        fields = ["code", "mission", "profile", "starts_on", "ends_on", "positions", "status", "notes"]
        widgets = {
            "starts_on": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = RequirementProfile.objects.active().order_by("code")

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The deployment cannot end before it starts."))
        return cleaned


class WindowForm(forms.Form):
    """A profile over a window: the question every readiness page answers."""

    profile = forms.ModelChoiceField(
        label=_("Requirement profile"),
        # With its requirements: the readiness pages read them without another query.
        queryset=RequirementProfile.objects.active().prefetch_related("required_types", "languages").order_by("code"),
        to_field_name="code",
        empty_label=None,
    )
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("To"), widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"))

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The window cannot end before it starts."))
        return cleaned


class PoolForm(WindowForm):
    """The /readiness/ search: a window and who to look among."""

    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.order_by("name"), required=False, empty_label=_("All")
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All")), *Trainee.Category.choices], required=False
    )
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", _("All")), *Trainee.Gender.choices], required=False)
    deployment = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nationality"].choices = [("", _("All")), *countries]

    def trainees(self, queryset):
        """`queryset` narrowed by the organization, category, nationality and gender chosen."""
        data = self.cleaned_data
        filters = {
            "organization": data.get("organization"),
            "category": data.get("category"),
            "nationality": data.get("nationality"),
            "gender": data.get("gender"),
        }
        return queryset.filter(**{key: value for key, value in filters.items() if value})


class UnitForm(WindowForm):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.order_by("name"))


class NominateForm(PlainTextFormMixin, forms.Form):
    trainees = forms.ModelMultipleChoiceField(label=_("People to nominate"), queryset=Trainee.objects.none())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, trainees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainees"].queryset = trainees
