"""Forms for creating and editing a trainee."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.text import PlainTextFormMixin

from .models import Trainee


class TraineeForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = Trainee
        fields = [
            "service_number",
            "nationality",
            "rank",
            "given_names",
            "paternal_surname",
            "maternal_surname",
            "category",
            "branch",
            "organization",
            "gender",
            "email",
            "phone",
            "status",
            "preferred_language",
            "date_of_birth",
            "service_started_on",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "service_started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self):
        cleaned = super().clean()
        service_number = cleaned.get("service_number")
        nationality = cleaned.get("nationality")
        if service_number and nationality:
            clash = Trainee.objects.filter(service_number=service_number, nationality=nationality)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("service_number", self.duplicate_service_number_message())
        # A field with an error is left out of the model's constraint check, so this message
        # replaces the generic unique-constraint one instead of doubling it.
        return cleaned

    def duplicate_service_number_message(self):
        return _("Another trainee of this nationality already has service number %(number)s.") % {
            "number": self.cleaned_data.get("service_number", "")
        }
