"""Cursor pagination by keyset: each page is read by seeking in the index of the list's order.

A list's order is a tuple of ascending, non-null columns ending with a unique one (the view's
`ordering`); the `cursor` of the next page holds the sort key of the last row given, and the
page is `WHERE (key columns) > (that key) ORDER BY key columns LIMIT size`, in time independent
of the depth, stable while rows are added (no row is skipped or given twice), and without a
count of the whole list. `previous` reads backwards from the first row's key.
"""

import base64
import json
from collections import OrderedDict

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Func, Value
from django.db.models.fields import TextField
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 500


class _Row(Func):
    """ROW(a, b, ...): compared as a whole, (a, b) > (x, y), which an index on (a, b) serves."""

    function = "ROW"
    output_field = TextField()


def _encode(direction, values):
    text = json.dumps([direction, values], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor, size):
    try:
        direction, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if direction not in ("n", "p") or not isinstance(values, list) or len(values) != size:
        return None
    if not all(isinstance(value, str | int) and not isinstance(value, bool) for value in values):
        return None
    return direction, values


class KeysetCursorPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    invalid_cursor_message = _("This cursor is not valid: use the `next` or `previous` link of a page.")

    def __init__(self):
        from rest_framework.settings import api_settings

        self.default_page_size = api_settings.PAGE_SIZE

    def _page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.default_page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({self.page_size_query_param: [_("A whole number from 1 to 500.")]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.ordering = list(view.ordering)
        meta = queryset.model._meta
        self.key_attrs = [meta.pk.attname if name in ("pk", meta.pk.name) else name for name in self.ordering]
        size = self._page_size(request)
        queryset = queryset.order_by(*self.ordering)
        raw = request.query_params.get(self.cursor_query_param)
        decoded = _decode(raw, len(self.ordering)) if raw else None
        if raw and decoded is None:
            raise NotFound(self.invalid_cursor_message)
        if decoded is not None:
            decoded = (decoded[0], self._typed(meta, decoded[1]))
        row = _Row(*[F(name) for name in self.ordering])
        if decoded is None:
            rows = list(queryset[: size + 1])
            self.has_next, self.has_previous = len(rows) > size, False
            rows = rows[:size]
        elif decoded[0] == "n":
            key = _Row(*decoded[1])
            rows = list(queryset.alias(_key=row).filter(_key__gt=key)[: size + 1])
            self.has_next, self.has_previous = len(rows) > size, True
            rows = rows[:size]
        else:
            key = _Row(*decoded[1])
            backwards = queryset.alias(_key=row).filter(_key__lt=key).order_by(*[F(n).desc() for n in self.ordering])
            rows = list(backwards[: size + 1])
            self.has_previous, self.has_next = len(rows) > size, True
            rows = rows[:size]
            rows.reverse()
        self.rows = rows
        return rows

    def _typed(self, meta, values):
        """The cursor's values as typed SQL values of the ordering's columns (404 when they are not)."""
        typed = []
        for name, value in zip(self.ordering, values, strict=True):
            field = meta.pk if name == "pk" else meta.get_field(name)
            try:
                if isinstance(value, str) and "\x00" in value:
                    raise DjangoValidationError("NUL")
                python_value = field.to_python(value)
                if isinstance(python_value, int) and not -(2**63) <= python_value < 2**63:
                    raise DjangoValidationError("out of range")
                typed.append(Value(python_value, output_field=field))
            except DjangoValidationError as error:
                raise NotFound(self.invalid_cursor_message) from error
        return typed

    def _key(self, row):
        values = []
        for name in self.key_attrs:
            value = getattr(row, name)
            values.append(value if isinstance(value, int | str) else str(value))
        return values

    def _link(self, direction, row):
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, _encode(direction, self._key(row)))

    def get_next_link(self):
        return self._link("n", self.rows[-1]) if self.has_next and self.rows else None

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.rows:
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._link("p", self.rows[0])

    def get_paginated_response(self, data):
        return Response(
            OrderedDict([("next", self.get_next_link()), ("previous", self.get_previous_link()), ("results", data)])
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The `next` or `previous` link's cursor.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (1 to {MAX_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
