"""Numbers as people write them: a stored score of 62.00 is "62", 92.50 is "92.5"."""

from decimal import Decimal


def plain(value):
    """`value` (a Decimal, int, float or numeric string) without trailing zeros, never in exponent
    notation (Decimal("100.00").normalize() would be 1E+2); None stays None."""
    if value is None or value == "":
        return None
    value = Decimal(str(value))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
