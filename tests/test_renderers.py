"""common.renderers.FormRenderer writes the same markup as Django's template renderer."""

from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy
from django_countries.fields import CountryField

from common.renderers import FormRenderer

CHOICES = [("pending", gettext_lazy("Pending")), ("passed", "Passed <b>"), ("failed", "Failed & co")]
GROUPED = [("Group <1>", [("a", "A"), ("b", "B")]), ("c", "C"), ("", "---")]


class Everything(forms.Form):
    hidden = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=GROUPED, required=False)
    several = forms.MultipleChoiceField(choices=CHOICES, required=False)
    flag = forms.NullBooleanField(required=False)
    score = forms.DecimalField(required=False, widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}))
    name = forms.CharField(required=False, widget=forms.TextInput(attrs={"autofocus": True, "spellcheck": False}))
    email = forms.EmailField(required=False, help_text="We write <here>.")
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    secret = forms.CharField(required=False, widget=forms.PasswordInput)
    agree = forms.BooleanField(required=False)
    remarks = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 1, "aria-label": 'Say "hi"'}))
    radio = forms.ChoiceField(choices=CHOICES, required=False, widget=forms.RadioSelect)
    boxes = forms.MultipleChoiceField(choices=CHOICES, required=False, widget=forms.CheckboxSelectMultiple)
    country = CountryField(blank=True).formfield()
    upload = forms.FileField(required=False)


CASES = [
    {"initial": {}},
    {
        "initial": {
            "hidden": 7,
            "result": "passed",
            "grouped": "b",
            "several": ["pending", "failed"],
            "flag": True,
            "score": Decimal("95.50"),
            "remarks": "a < b",
            "agree": True,
            "country": "MX",
        }
    },
    {"data": {"hidden": "x", "result": "nope", "score": "101", "name": '"quoted" & <tag>', "email": "no", "day": "x"}},
    {
        "data": {
            "hidden": "3",
            "result": "failed",
            "grouped": "c",
            "remarks": "line\nbreak",
            "agree": "on",
            "radio": "passed",
        }
    },
]


def _render(form_kwargs, renderer):
    form = Everything(renderer=renderer, **form_kwargs)
    form.is_valid()
    return {name: str(form[name]) for name in form.fields}, str(form)


@pytest.mark.parametrize("case", CASES)
def test_every_widget_renders_as_django_does(case):
    fast, fast_form = _render(case, FormRenderer())
    slow, slow_form = _render(case, DjangoTemplates())
    for name in fast:
        assert fast[name] == slow[name], name
    assert fast_form == slow_form


def test_the_projects_forms_render_as_django_does(db):
    from courses.forms import SessionForm
    from trainees.filters import TraineeFilter
    from trainees.forms import TraineeForm

    for form_class in (SessionForm, TraineeForm):
        fast, slow = form_class(renderer=FormRenderer()), form_class(renderer=DjangoTemplates())
        assert str(fast) == str(slow)
    fast = TraineeFilter({"q": "x", "nationality": "MX"}).form
    slow = TraineeFilter({"q": "x", "nationality": "MX"}).form
    fast.renderer, slow.renderer = FormRenderer(), DjangoTemplates()
    assert [str(field) for field in fast] == [str(field) for field in slow]


def test_it_is_the_projects_renderer(settings):
    assert settings.FORM_RENDERER == "common.renderers.FormRenderer"
