"""common/fields.py writes a filter form's field as crispy-bootstrap5's `|as_crispy_field` does:
the same elements and attributes (Django's HTML comparison: whitespace and attribute order
aside), for every field of every FilterSet of the project, empty, filled in and invalid, in
both languages; and a field it does not handle is crispy's own."""

import inspect

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.http import QueryDict
from django.test.html import parse_html
from django.utils import timezone, translation

from certifications.models import Certification
from common.fields import handles, render_field
from common.templatetags.fields import filter_field
from reports.filters import ReportFilterForm
from reports.parity import ParityFilterForm
from tests import factories
from tests.test_list_filters import INVALID, _all_filtersets

pytestmark = pytest.mark.django_db


def _same(bound_field):
    mine, crispy = str(render_field(bound_field)), str(as_crispy_field(bound_field))
    assert parse_html(mine) == parse_html(crispy), f"{mine}\n!=\n{crispy}"


def _form(filterset, data):
    extra = {"today": timezone.localdate()} if "today" in inspect.signature(filterset.__init__).parameters else {}
    model = filterset._meta.model or Certification  # the expiring report's FilterSet names no model
    return filterset(data, queryset=model._default_manager.none(), **extra).form


def _query(filterset, invalid):
    values = {}
    for name, declared in filterset.base_filters.items():
        if invalid and type(declared) in INVALID:
            values[name] = INVALID[type(declared)]
        else:
            field = declared.field
            choices = list(getattr(field, "choices", []))
            if len(choices) > 1:
                values[name] = str(choices[-1][0])
            elif isinstance(field, forms.DateField):
                values[name] = "2026-02-30" if invalid else "2026-02-03"
            else:
                values[name] = "Núñez <b>&"
    query = QueryDict(mutable=True)
    query.update(values)
    return query


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("state", ["empty", "filled", "invalid"])
def test_every_filter_field_is_written_as_crispy_writes_it(language, state):
    factories.OrganizationFactory(name="Policía Federal & Co")
    factories.CourseFactory(title="Protección <de> civiles")
    handled = 0
    with translation.override(language):
        for filterset in _all_filtersets():
            data = None if state == "empty" else _query(filterset, invalid=state == "invalid")
            form = _form(filterset, data)
            if data is not None:
                form.is_valid()
            for name in form.fields:
                bound_field = form[name]
                if handles(bound_field):
                    _same(bound_field)
                    handled += 1
                else:
                    assert str(filter_field(bound_field)) == str(as_crispy_field(bound_field))
    assert handled > 20


@pytest.mark.parametrize(
    "data", [None, {"period": "2026-13", "organization": "0", "country": "XX"}, {"period": "2026"}]
)
def test_the_report_filters_are_written_as_crispy_writes_them(data):
    factories.OrganizationFactory(name="Policía Federal & Co")
    for form_class in (ReportFilterForm, ParityFilterForm):
        form = form_class(data)
        if data is not None:
            form.is_valid()
        for name in form.fields:
            assert handles(form[name])
            _same(form[name])


def test_help_text_required_and_existing_classes_match_crispy():
    class Form(forms.Form):
        code = forms.CharField(label="Code", help_text="As printed <em>on</em> the certificate")
        kind = forms.ChoiceField(
            label="Kind",
            choices=[("", "—"), ("Group", [("a", "A & B"), ("b", "B")])],
            widget=forms.Select(attrs={"class": "form-select-sm"}),
        )
        notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
        count = forms.IntegerField(label="Count", required=False, min_value=0)

    for form in (Form(), Form({"code": "", "kind": "b", "notes": "x < y", "count": "-1"})):
        form.is_valid() if form.is_bound else None
        for name in form.fields:
            assert handles(form[name])
            _same(form[name])


def test_a_checkbox_is_left_to_crispy():
    class Form(forms.Form):
        agree = forms.BooleanField(label="Agree", required=False)

    assert not handles(Form()["agree"])
