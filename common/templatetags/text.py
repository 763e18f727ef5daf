"""`{{ trainee.full_name|isolate }}`: user text in its own <bdi>, control characters dropped
(common/text.py). A builtin, see settings.TEMPLATES."""

from django import template

from common.text import isolate as _isolate

register = template.Library()


@register.filter
def isolate(text):
    return _isolate(text)
