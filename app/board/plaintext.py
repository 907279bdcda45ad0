"""Text people write on the board: checked once, stored exactly as typed, shown as
plain text with line breaks kept and web addresses made clickable.

Nothing in a body is ever markup: HTML, `hx-*` attributes and `javascript:` links are
shown as the characters they are. Only http(s) addresses become links.
"""
import re

from markupsafe import Markup, escape

from app import errors
from app import text as stored_text

MAX_CHARS = 5000
ADDRESS = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}"


class TextProblem(errors.Invalid):
    """Text that cannot be posted; the message says why, to the person who wrote it."""


def clean(text, what="Your reply"):
    """The text to store (line endings made \\n), or TextProblem."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise TextProblem(f"{what} is empty. Write something first.")
    if len(text) > MAX_CHARS:
        raise TextProblem(f"{what} is {len(text):,} characters long; the limit is "
                          f"{MAX_CHARS:,}. Shorten it and send it again.")
    problem = stored_text.problem_in(text, what)
    if problem:
        raise TextProblem(problem)
    return text


def _address_end(candidate):
    """Leave sentence punctuation after an address outside the link, but keep a
    closing bracket that has its opening one inside (as in Wikipedia addresses)."""
    while candidate and candidate[-1] in TRAILING:
        if candidate[-1] == ")" and candidate.count("(") >= candidate.count(")"):
            break
        candidate = candidate[:-1]
    return candidate


def render(text):
    """Safe HTML for a stored text: escaped, links for http(s) addresses, <br> per line."""
    pieces, position = [], 0
    for match in ADDRESS.finditer(text):
        address = _address_end(match.group(0))
        if "://" not in address or address.endswith("://"):
            continue
        pieces.append(escape(text[position:match.start()]))
        pieces.append(Markup('<a href="{0}" rel="nofollow noopener noreferrer ugc">{0}</a>')
                      .format(address))
        position = match.start() + len(address)
    pieces.append(escape(text[position:]))
    html = Markup("").join(pieces)
    return Markup("<br>\n").join(html.split("\n"))
