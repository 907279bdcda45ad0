"""Routing a free-text comment to the themes it speaks about.

A comment answers a question, and a question may belong to a theme; beyond that, the
keywords in surveys/themes.toml route it: whole words or phrases, case-insensitive,
where a trailing * matches any ending ("deadline*" finds "deadlines").
"""
import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _keyword_pattern(keyword):
    stem = keyword.removesuffix("*")
    words = r"\s+".join(re.escape(word) for word in stem.split())
    ending = r"\w*" if keyword.endswith("*") else ""
    return re.compile(rf"(?<!\w){words}{ending}(?!\w)", re.IGNORECASE)


def mentions(text, keyword):
    """True when text contains the keyword as a whole word or phrase."""
    return bool(_keyword_pattern(keyword.strip().lower()).search(text))


UNTHEMED = "other"  # surveys/themes.toml defines it: the home of comments nothing claims


def themes_of_comment(text, question_theme, themes):
    """The theme keys a comment belongs to, the question's own theme first; the
    "other" theme (when defined) for a comment that nothing else claims.

    themes: Theme models (or anything with .key and .keywords), in a stable order.
    """
    found = [question_theme] if question_theme else []
    for theme in themes:
        if theme.key not in found and any(mentions(text, k) for k in theme.keywords):
            found.append(theme.key)
    if not found and any(theme.key == UNTHEMED for theme in themes):
        found.append(UNTHEMED)
    return found
