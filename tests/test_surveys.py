"""Survey definitions: the built-in pulse, refusal of bad files, sync."""
import shutil

import pytest

from app.models import Question, Survey, Theme
from app.pulse import surveys
from tests.support import SURVEYS_DIR


def test_the_built_in_weekly_pulse_is_a_good_pulse():
    definitions = surveys.read_definitions(SURVEYS_DIR)
    weekly = next(s for s in definitions.surveys if s["id"] == "weekly")
    kinds = [q["kind"] for q in weekly["questions"]]
    assert 8 <= len(kinds) <= 10
    assert kinds.count("enps") == 1 and kinds.count("text") == 1
    themes = {q["theme"] for q in weekly["questions"] if q["theme"]}
    assert {"workload", "recognition", "growth", "manager", "peers"} <= themes
    assert {t["key"] for t in definitions.themes} >= themes


def test_sync_loads_surveys_and_is_idempotent(app):
    assert Survey.get_by_id("weekly").title == "Weekly pulse"
    assert Theme.select().count() >= 10
    assert surveys.sync_surveys(SURVEYS_DIR) == []


@pytest.fixture
def definitions(tmp_path):
    folder = tmp_path / "surveys"
    shutil.copytree(SURVEYS_DIR, folder)
    return folder


@pytest.mark.parametrize("change, problem", [
    (('kind = "likert"', 'kind = "slider"', 1), "weekly.toml: question 1: kind must be one of"),
    (('theme = "workload"', 'theme = "nope"', 1), "weekly.toml: question 1: theme 'nope' is not"),
    (('cadence = "weekly"', 'cadence = "daily"', 1), "weekly.toml: cadence must be one of"),
    (('key = "recognition_valued"', 'key = "workload_manageable"', 1), "is used twice"),
    (('key = "enps"', 'key = "Bad Key"', 1), "'key' must be lower-case"),
    (('id = "weekly"', 'id = "monthly"', 1), "survey id 'monthly' is also used"),
    (('prompt = "My workload this week was manageable."', 'prompt = ""', 1), "'prompt' is missing"),
    (("[[question]]", "[[question", 1), "weekly.toml: not valid TOML"),
])
def test_a_bad_definition_is_refused_with_the_file_and_problem(app, definitions, change, problem):
    old, new, count = change
    path = definitions / "weekly.toml"
    path.write_text(path.read_text().replace(old, new, count))
    before = Question.select().count()
    with pytest.raises(surveys.SurveyDefinitionError) as refused:
        surveys.sync_surveys(str(definitions))
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert Question.select().count() == before


def test_a_question_dropped_from_the_file_is_retired_not_deleted(app, definitions):
    path = definitions / "weekly.toml"
    text = path.read_text()
    start = text.index('[[question]]\nkey = "wellbeing_balance"')
    path.write_text(text[:start] + text[text.index("[[question]]", start + 5):])
    assert "retired question weekly.wellbeing_balance" in surveys.sync_surveys(str(definitions))
    retired = Question.get(Question.key == "wellbeing_balance")
    assert not retired.active
    asked = [q.key for q in Survey.get_by_id("weekly").current_questions()]
    assert "wellbeing_balance" not in asked


def test_a_question_asked_in_a_round_may_not_change_kind(app, definitions, make_round):
    make_round()
    path = definitions / "weekly.toml"
    changed = path.read_text().replace('kind = "likert"', 'kind = "choice"\nchoices = ["a", "b"]', 1)
    path.write_text(changed)
    with pytest.raises(surveys.SurveyDefinitionError, match="new key"):
        surveys.sync_surveys(str(definitions))
    assert Question.get(Question.key == "workload_manageable").kind == "likert"


HEAD = 'id = "weekly"\ntitle = "Weekly pulse"\ncadence = "weekly"\n'
ONE_QUESTION = ('[[question]]\nkey = "load"\nkind = "likert"\ntheme = "workload"\n'
                'prompt = "Fine?"\n')


@pytest.mark.parametrize("body, problem", [
    (HEAD + 'question = "x"\n', "weekly.toml: 'question' must be an array of tables written "
                               "[[question]], got text"),
    (HEAD + '[question]\nkey = "load"\nkind = "likert"\ntheme = "workload"\n',
     "weekly.toml: 'question' must be an array of tables written [[question]], got a table"),
    (HEAD + "question = [1, 2]\n", "'question' must be an array of tables"),
    (HEAD + ONE_QUESTION.replace('theme = "workload"', "theme = 5"),
     "weekly.toml: question 1: 'theme' must be the key of a theme (text), got a number"),
    (HEAD + ONE_QUESTION.replace('theme = "workload"', 'theme = ["a"]'),
     "weekly.toml: question 1: 'theme' must be the key of a theme (text), got an array"),
    (HEAD + ONE_QUESTION.replace('kind = "likert"', 'kind = ["likert"]'),
     "weekly.toml: question 1: kind must be one of"),
    (HEAD + ONE_QUESTION.replace('prompt = "Fine?"', "prompt = {a = 1}"),
     "weekly.toml: question 1: 'prompt' must be text, got a table"),
    (HEAD.replace('cadence = "weekly"', "cadence = {a = 1}") + ONE_QUESTION,
     "weekly.toml: cadence must be one of"),
    (HEAD.replace('title = "Weekly pulse"', "title = 5") + ONE_QUESTION,
     "weekly.toml: 'title' must be text, got a number"),
    (HEAD.replace('Weekly pulse', 'Weekly\\u0000pulse') + ONE_QUESTION,
     "weekly.toml: 'title' holds a character that cannot be stored (U+0000"),
    (HEAD.replace('Weekly pulse', 'Weekly\\u202Epulse') + ONE_QUESTION, "(U+202E"),
    (HEAD.replace('Weekly pulse', 'Weekly\\u0085pulse') + ONE_QUESTION, "(U+0085"),
    (HEAD.replace('Weekly pulse', 'Weekly\\npulse') + ONE_QUESTION, "(U+000A"),
    (HEAD + ONE_QUESTION.replace('Fine?', 'Fine\\u0007?'),
     "question 1: 'prompt' holds a character"),
    (HEAD + ONE_QUESTION.replace('"load"', '"load\\n"'), "'key' must be lower-case"),
])
def test_a_wrongly_typed_definition_is_one_line_naming_file_and_field(app, definitions, body,
                                                                      problem):
    (definitions / "weekly.toml").write_text(body)
    before = Survey.get_by_id("weekly").title
    with pytest.raises(surveys.SurveyDefinitionError) as refused:
        surveys.sync_surveys(str(definitions))
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert all("\n" not in line for line in refused.value.problems)  # one line each
    assert Survey.get_by_id("weekly").title == before


def test_the_command_prints_the_problem_not_a_traceback(app, definitions):
    (definitions / "weekly.toml").write_text(HEAD + '[question]\nkey = "load"\n')
    result = app.test_cli_runner().invoke(args=["surveys", "sync", "--dir", str(definitions)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "weekly.toml: 'question' must be an array of tables" in result.output
    assert "Traceback" not in result.output


def test_a_themes_file_with_a_theme_table_instead_of_an_array_is_refused(app, definitions):
    (definitions / "themes.toml").write_text('[theme]\nkey = "workload"\nname = "Workload"\n')
    with pytest.raises(surveys.SurveyDefinitionError) as refused:
        surveys.sync_surveys(str(definitions))
    assert any("themes.toml: 'theme' must be an array of tables" in line
               for line in refused.value.problems)
