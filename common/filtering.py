"""The rule every filtered list and its exports follow: an invalid filter is an error, never
"everything".

django-filter drops a filter whose value does not validate (an organization id that does not
exist, a status that is not one) and filters by the others: an export of
`?organization=99999999` exported every trainee. A list page therefore shows the form's
field errors and no rows (`rows_or_none`); an export refuses with 400 and says which filter is
wrong (`rows_or_refuse` raises InvalidFilters, which common.middleware answers), before it
writes anything or records an export that did not happen.
"""

from django.utils.translation import gettext as _


class InvalidFilters(Exception):
    """A list's filters do not validate; `errors` maps each field's label to its messages."""

    def __init__(self, filterset):
        form = filterset.form
        self.errors = {
            (str(form.fields[name].label or name) if name in form.fields else name): list(messages)
            for name, messages in filterset.errors.items()
        }
        super().__init__(self.errors)

    def message(self):
        return _("Nothing was exported: a filter is not valid. Correct it on the list and export again.")


def rows_or_none(filterset):
    """A list page's rows: those the filters select, or none when a filter is invalid (the
    page's form shows the errors at their fields)."""
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


def rows_or_refuse(filterset):
    """An export's rows: those the filters select; raises InvalidFilters when one is invalid."""
    if not filterset.is_valid():
        raise InvalidFilters(filterset)
    return filterset.qs
