"""Comments reach the themes they speak about."""
import pytest

from app.models import Theme
from app.pulse.themes import mentions, themes_of_comment


@pytest.mark.parametrize("text, keyword, found", [
    ("Too many deadlines this sprint", "deadline*", True),
    ("The DEADLINE moved again", "deadline*", True),
    ("We had a good week", "deadline*", False),
    ("There is too much on my plate", "too much", True),
    ("too   much", "too much", True),
    ("tools are fine", "tool", False),          # whole words only
    ("my 1:1s keep getting cancelled", "1:1*", True),
    ("I feel burned out", "burned out", True),
    ("office.", "office", True),
    ("offices", "office", False),
    ("a+b (c)", "a+b", True),                   # regex characters are literal
])
def test_keywords_match_whole_words_and_trailing_stars(text, keyword, found):
    assert mentions(text, keyword) is found


def test_a_comment_goes_to_its_question_theme_and_to_themes_it_mentions(app):
    themes = list(Theme.select().order_by(Theme.key))
    routed = themes_of_comment("Constant overtime and my manager never has time for 1:1s",
                               "growth", themes)
    assert routed[0] == "growth"
    assert {"workload", "manager"} <= set(routed)
    assert len(routed) == len(set(routed))


def test_a_comment_that_mentions_no_keyword_stays_with_its_question_theme(app):
    themes = list(Theme.select())
    assert themes_of_comment("All good here.", "peers", themes) == ["peers"]


def test_a_comment_nothing_claims_goes_to_other_comments(app):
    themes = list(Theme.select())
    assert themes_of_comment("All good here.", None, themes) == ["other"]
    without_other = [theme for theme in themes if theme.key != "other"]
    assert themes_of_comment("All good here.", None, without_other) == []
