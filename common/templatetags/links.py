"""`{% page_url "session-history" session.pk %}`: common.links.page_url for templates (a builtin,
see settings.TEMPLATES)."""

from django import template

from common.links import page_url as _page_url

register = template.Library()


@register.simple_tag
def page_url(page, *args):
    return _page_url(page, *args)
