"""Export then import gives back every string exactly: the formula escape (common/spreadsheets.py)
and its inverse are one rule, in CSV, XLSX and the COPY exports (common/csv_copy.py)."""

import pytest
from django.contrib.auth.models import Group
from django.db.models import Value
from hypothesis import example, given, settings
from hypothesis import strategies as st

from common.csv_copy import SafeCell
from common.imports import ImportFile, Limits, read_rows
from common.spreadsheets import csv_response, safe_cell, unescape_cell, xlsx_response

# Any text a person can type into a cell: no control characters but tab, line feed and carriage
# return (XML cannot hold the others; the importer refuses files full of them), with the
# characters the rule is about drawn often.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"))
    | st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "\n", " "]),
    max_size=30,
)
EXAMPLES = [
    "'=1+1",
    "''=x",
    "'+52 55",
    "'-",
    "'@home",
    "'",
    "''",
    "=SUM(A1)",
    "+52 55 1234",
    "'quoted",
    "a'=b",
    "'\t",
    " '=x",
]


def _import_cell(data, filename):
    rows = list(read_rows(data, filename, ImportFile(), Limits()))
    cells = rows[1][1] if len(rows) > 1 else []
    return unescape_cell(cells[0] if cells else "")


def _body(response):
    if response.streaming:
        content = b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in response.streaming_content
        )
    else:
        content = response.content
    for closer in response._resource_closers:  # the temporary file (close() would signal a request's end)
        closer()
    return content


@given(TEXT)
@settings(max_examples=300, deadline=None)
@example("'=1+1")
@example("''@x")
def test_csv_export_then_import_gives_back_the_text(text):
    data = _body(csv_response(["value"], [[text]], "cells.csv"))
    assert _import_cell(data, "cells.csv") == text


@given(TEXT)
@settings(max_examples=150, deadline=None)
@example("'=1+1")
@example("''-3")
def test_xlsx_export_then_import_gives_back_the_text(text):
    data = _body(xlsx_response(["value"], [[text]], "cells.xlsx"))
    assert _import_cell(data, "cells.xlsx") == text


@pytest.mark.django_db
def test_copy_exports_escape_as_safe_cell_does():
    Group.objects.create(name="round-trip")

    @given(TEXT)
    @settings(max_examples=200, deadline=None)
    @example("''=x")
    def check(text):
        cells = Group.objects.filter(name="round-trip").annotate(cell=SafeCell(Value(text)))
        assert cells.values_list("cell", flat=True).get() == (safe_cell(text) or None)

    check()


@pytest.mark.parametrize("text", EXAMPLES)
def test_the_escape_and_its_inverse(text):
    assert unescape_cell(safe_cell(text)) == text


def test_apostrophes_before_a_formula_prefix_get_one_more():
    texts = ("=1", "'=1", "''+1", "'quoted", "a'=b", "'")
    assert [safe_cell(text) for text in texts] == ["'=1", "''=1", "'''+1", "'quoted", "a'=b", "'"]
