"""The one way views read numbers and names from a path, a query or a form.

A path id that is not a row's id (letters, Unicode digits such as '²' or '٣', 0, or a
number past SQLite's 64-bit integers) matches no route: a 404, as for any address that
does not exist. A query or form value that is malformed is a 422 with a sentence.
Digits are ASCII only: str.isdigit() accepts '²', which int() then refuses.
"""
from flask import abort, request
from werkzeug.routing import BaseConverter, ValidationError

from app import text
from app.logs import SECRET
from app.numbers import LARGEST_ID, row_id, whole_number

LARGEST_PAGE = 10**6
MAX_KEY_CHARS = 200  # longer than any theme key, status or survey id


def _up_to(limit):
    """A regex for the whole numbers 1..limit written without leading zeros.

    The range lives in the regex, not in to_python: when a converter refuses a value
    after its rule matched, Werkzeug answers 405 if a rule for another method shares
    the path (/board/<id>/replies has GET and POST), where 404 is right.
    """
    digits = str(limit)
    shorter = rf"[1-9][0-9]{{0,{len(digits) - 2}}}"
    same_length = [digits[:i] + f"[{'1' if i == 0 else '0'}-{int(d) - 1}]"
                   + f"[0-9]{{{len(digits) - i - 1}}}"
                   for i, d in enumerate(digits) if int(d) > (1 if i == 0 else 0)]
    return "|".join([shorter, *same_length, digits])


class IdConverter(BaseConverter):
    """`<id:thread_id>`: a row id, 1 to 2^63-1, in plain ASCII digits."""
    regex = f"(?:{_up_to(LARGEST_ID)})"

    def to_python(self, value):
        number = row_id(value)
        if number is None:
            raise ValidationError()  # no route matches: 404
        return number

    def to_url(self, value):
        return str(int(value))


class KeyConverter(BaseConverter):
    """`<key:theme_key>`: one path segment that could be a key: no NUL, no control or
    text-direction character, at most MAX_KEY_CHARS long. Anything else is a 404."""
    regex = r"[^/]{1,%d}" % MAX_KEY_CHARS

    def to_python(self, value):
        if text.problem_in(value, multiline=False):
            raise ValidationError()
        return value


class SecretConverter(BaseConverter):
    """`<secret:token>`: a path segment that is a secret (a personal, open or sign-in
    link's token). It matches what the default converter does; the mark is what counts:
    app/logs.py redacts every route that carries one from the logs."""


CONVERTERS = {"id": IdConverter, "key": KeyConverter, SECRET: SecretConverter}


def use_converters(blueprint):
    """Make `<id:…>`, `<key:…>` and `<secret:…>` known before the blueprint's rules are added: call
    it right after creating the blueprint."""
    def register(state):
        for name, converter in CONVERTERS.items():
            state.app.url_map.converters.setdefault(name, converter)
    blueprint.record_once(register)


def query_id(name, source=None):
    """An optional id from the query (or `source`): None when absent or empty."""
    raw = (request.args if source is None else source).get(name)
    if raw is None or raw == "":
        return None
    number = row_id(raw)
    if number is None:
        abort(422, f"“{name}” must be the number of a {name}; this one is not.")
    return number


def query_page(name="page"):
    """A page number from the query, 1 when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return 1
    number = whole_number(raw, 1, LARGEST_PAGE)
    if number is None:
        abort(422, f"“{name}” must be a page number from 1 to {LARGEST_PAGE:,}.")
    return number


def query_key(name):
    """An optional name from the query (a theme or status key): None when absent or
    empty; a value no key can be (control characters, NUL, overlong) is a 422."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    return checked_key(raw, name)


def checked_key(raw, name):
    """A key typed into an address (a theme, a status), refused with 422 when it holds
    what no key can: NUL (PostgreSQL refuses it in any query) or control characters."""
    problem = text.problem_in(raw, f"“{name}”", multiline=False)
    if problem or len(raw) > MAX_KEY_CHARS:
        abort(422, problem or f"“{name}” is longer than any {name} can be.")
    return raw
