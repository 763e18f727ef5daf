"""`{{ filter.form.nationality|filter_field }}`: a filter form's field in Bootstrap 5 markup,
written in Python (common/fields.py); any widget it does not handle goes to crispy."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import template

from common.fields import handles, render_field

register = template.Library()


@register.filter
def filter_field(bound_field):
    return render_field(bound_field) if handles(bound_field) else as_crispy_field(bound_field)
