"""`{{ enrollment.score|score }}`: the one way a score is printed (a builtin, see settings.TEMPLATES).

Scores are stored with two decimals (62.00, 92.50); people write them as 62 and 92,5 (Spanish)
or 92.5 (English). Every page and PDF prints them through this filter, so a score reads the same
everywhere, in the reader's language; an empty score is a dash. The results grid's number
inputs show the same digits (common.numbers.plain), with the dot a number input requires.
"""

from django import template
from django.utils.formats import number_format

from common.numbers import plain

register = template.Library()

EMPTY = "—"


@register.filter
def score(value):
    value = plain(value)
    return EMPTY if value is None else number_format(value)
