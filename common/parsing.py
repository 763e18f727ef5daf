"""Reading numbers from a query string or form data without tripping on what a person (or an
attacker) can type.

`str.isdigit()` accepts superscripts and other digits that `int()` refuses ("²"), and `int()`
accepts digits of any script and any length, which the database then refuses (an id beyond
a bigint): both made 500s. Every id or small number read by hand from a request goes through
here: ASCII digits only, within the range of the column it is compared to.
"""

import re

_DIGITS = re.compile(r"[0-9]{1,19}")
# PostgreSQL's bigint, the type of every primary key (BigAutoField).
MAX_ID = 2**63 - 1


def parse_int(raw, *, minimum=0, maximum=MAX_ID):
    """`raw` as an int if it is ASCII digits within [minimum, maximum], else None."""
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def parse_id(raw):
    """A primary key from the request (a positive bigint), or None."""
    return parse_int(raw, minimum=1)
