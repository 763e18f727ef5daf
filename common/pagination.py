"""Pagination for lists that reach hundreds of thousands of rows (the national trainee list).

Django's Paginator reads page N with OFFSET (N - 1) x size: the database walks, and fetches
from the table, every row before the page, so the last page of 200,000 trainees cost 250 ms.
KeysetPaginator keeps page numbers (bookmarks and `?page=N` links work as before) but:

- the Next and Previous links also carry the sort key of the page's last / first row
  (`?page=N&after=...`, `?page=N&before=...`): the page is then read by seeking in the index of
  the list's order, `WHERE (key columns) > (that row's) ORDER BY ... LIMIT size`, in time
  independent of the depth ("keyset" or "seek" pagination);
- a page reached by number alone (a bookmark, a typed URL) finds its rows' ids first, with a
  query on the key columns that the index answers by itself (an index-only scan: no table
  reads for the skipped rows), then reads only those rows ("deferred join").

The number of queries does not depend on the number of rows: the count and the rows, plus
the ids for a page reached by a number other than 1. The ordering (the queryset's own
order_by()) must be ascending, unique (end with the primary key) and on non-null columns.
"""

import base64
import json

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, Func, IntegerField, Value
from django.db.models.fields import TextField


class _Row(Func):
    """ROW(a, b, ...): compared as a whole, (a, b) > (x, y), which an index on (a, b) serves."""

    function = "ROW"
    output_field = TextField()


def encode_key(values):
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_key(text, fields):
    """The key values in `text`, or None when it is not a key of the ordering's `fields` (an
    edited URL): each value must be of its column's type and within its range, a text without
    NUL and an integer within a bigint, or the database would refuse the comparison."""
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != len(fields):
        return None
    for value, field in zip(values, fields, strict=True):
        if isinstance(field, IntegerField):
            if not isinstance(value, int) or isinstance(value, bool) or not -(2**63) <= value < 2**63:
                return None
        elif not isinstance(value, str) or "\x00" in value:
            return None
    return values


def _field(model, name):
    """The model field at the end of an ordering name ("organization__name" included)."""
    *path, last = name.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    field = model._meta.pk if last == "pk" else model._meta.get_field(last)
    return field.target_field if field.is_relation else field


class KeysetPage(Page):
    def __init__(self, object_list, number, paginator, *, has_next=None):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return super().has_next() if self._has_next is None else self._has_next

    def _key(self, row):
        return encode_key([getattr(row, name) for name in self.paginator.key_attrs])

    @property
    def next_key(self):
        """The sort key after which the next page starts (the Next link's `after`)."""
        return self._key(self.object_list[-1]) if self.object_list and self.has_next() else ""

    @property
    def previous_key(self):
        """The sort key before which the previous page ends (the Previous link's `before`)."""
        return self._key(self.object_list[0]) if self.object_list and self.has_previous() else ""


class KeysetPaginator(Paginator):
    def __init__(self, object_list, per_page, **kwargs):
        ordering = list(object_list.query.order_by)
        if not ordering or any(not isinstance(name, str) or name.startswith("-") for name in ordering):
            raise ValueError("KeysetPaginator needs an ascending order_by() of field names ending with a unique one")
        super().__init__(object_list, per_page, **kwargs)
        self.ordering = ordering
        meta = object_list.model._meta
        # Instance attributes holding each ordering value ("id" / "pk" -> the primary key).
        self.key_attrs = [meta.pk.attname if name in ("pk", meta.pk.name) else name for name in ordering]
        self.key_fields = [_field(object_list.model, name) for name in ordering]

    def _row(self):
        return _Row(*[F(name) for name in self.ordering])

    def get_page(self, number, *, after=None, before=None):
        """The page `number`; read after / before an encoded sort key when one is given (the
        number is then only shown). An invalid number or key gives the first or last page, as
        Paginator.get_page does, never an error."""
        try:
            number = self.validate_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:
            number = self.num_pages
        after = decode_key(after, self.key_fields) if after else None
        before = decode_key(before, self.key_fields) if before else None
        if after is not None or before is not None:
            return self._seek(number, after=after, before=before)
        return self.page(number)

    def _seek(self, number, *, after, before):
        queryset = self.object_list
        if after is not None:
            rows = list(queryset.alias(_key=self._row()).filter(_key__gt=_Row(*map(Value, after)))[: self.per_page + 1])
            has_next = len(rows) > self.per_page
            return KeysetPage(rows[: self.per_page], number, self, has_next=has_next)
        rows = list(
            queryset.alias(_key=self._row())
            .filter(_key__lt=_Row(*map(Value, before)))
            .order_by(*[F(name).desc() for name in self.ordering])[: self.per_page]
        )
        rows.reverse()
        return KeysetPage(rows, number, self)

    def page(self, number):
        """A numbered page by its rows' ids, found in the index alone, then the rows themselves."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom == 0:  # nothing to skip: the rows directly
            return KeysetPage(list(self.object_list[:top]), number, self)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = list(self.object_list.filter(pk__in=ids)) if ids else []
        return KeysetPage(rows, number, self)
