"""What text a person may store: one rule for every field, form and command.

Refused everywhere: NUL (PostgreSQL cannot store it), the other C0 controls, DEL and
the C1 controls U+0080–U+009F (invisible, and they garble terminals and CSV files),
the bidirectional controls U+202A–U+202E and U+2066–U+2069 (they make text read in a
different order than it was written, e.g. a reason that seems to say the opposite),
and U+FFFD, which is what bytes that were not UTF-8 turn into. Multi-line text
(comments, posts, replies, reasons) may also hold tab and line breaks; a one-line
value (a name, an email, a title, a label) may not.
"""
import re

from wtforms.validators import StopValidation

from app.errors import Invalid

_ALWAYS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffd"
MULTILINE_FORBIDDEN = re.compile(f"[{_ALWAYS}]")
ONE_LINE_FORBIDDEN = re.compile(f"[{_ALWAYS}\t\n\r]")


class TextProblem(Invalid):
    """Text that cannot be stored; the message says why, to the person who typed it."""


def problem_in(text, what="This text", multiline=True, cannot="be stored"):
    """A sentence saying why `text` cannot be stored, or None when it can."""
    pattern = MULTILINE_FORBIDDEN if multiline else ONE_LINE_FORBIDDEN
    found = pattern.search(text or "")
    if found is None:
        return None
    return (f"{what} holds a character that cannot {cannot} (U+{ord(found.group()):04X}: "
            f"a control or text-direction character, or bytes that are not UTF-8). "
            f"Remove it and try again.")


def check(text, what="This text", multiline=True):
    """The text unchanged, or TextProblem."""
    problem = problem_in(text, what, multiline)
    if problem:
        raise TextProblem(problem)
    return text


class StorableText:
    """A WTForms validator: the field's text follows the rule above."""

    def __init__(self, what="This text", multiline=True):
        self.what, self.multiline = what, multiline

    def __call__(self, form, field):
        problem = problem_in(field.data if isinstance(field.data, str) else "", self.what,
                             self.multiline)
        if problem:
            raise StopValidation(problem)
