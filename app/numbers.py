"""Whole numbers typed by people or written in settings: ASCII digits only.

str.isdigit() accepts '²' and '⁰⁴⁵', which int() then refuses with an exception;
int() accepts '٣', '３', ' 3 ' and '1_0'. Neither is a number a person typed on
purpose into a form field or an environment variable, so both are refused here.
"""
import re

LARGEST_ID = 2**63 - 1  # SQLite's and PostgreSQL's bigint; past it SQLite raises OverflowError
_ASCII_NUMBER = re.compile(r"[0-9]{1,19}")


def whole_number(raw, low, high):
    """int(raw) when raw is 1 to 19 ASCII digits and within [low, high], else None."""
    if not isinstance(raw, str) or not _ASCII_NUMBER.fullmatch(raw):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def row_id(raw):
    """A row id (1 to 2^63-1) from text, else None."""
    return whole_number(raw, 1, LARGEST_ID)
