"""Survey and theme definitions: read surveys/*.toml, check them, load them.

A definition that is wrong anywhere is refused whole, with the file and the problem;
nothing is loaded from a set of files that has one bad file.
"""
import json
import os
import re
import tomllib
from dataclasses import dataclass, field

from app import errors, text
from app.db import db
from app.models import Question, Round, Survey, Theme
from app.models.surveys import CADENCES, KINDS

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
THEMES_FILE = "themes.toml"
MAX_QUESTIONS = 20
MAX_CHOICES = 12


class SurveyDefinitionError(errors.Invalid):
    """One or more definitions are wrong; `problems` lists 'file: what' lines."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Definitions:
    themes: list = field(default_factory=list)
    surveys: list = field(default_factory=list)


def read_definitions(directory):
    """Parse and check every definition in a directory; raise SurveyDefinitionError."""
    problems = []
    themes = _read_themes(os.path.join(directory, THEMES_FILE), problems)
    theme_keys = {theme["key"] for theme in themes}
    surveys, seen = [], {}
    for filename in sorted(os.listdir(directory)):
        if not filename.endswith(".toml") or filename == THEMES_FILE:
            continue
        survey = _read_survey(os.path.join(directory, filename), theme_keys, problems)
        if survey is None:
            continue
        if survey["id"] in seen:
            problems.append(f"{filename}: survey id {survey['id']!r} is also used by "
                            f"{seen[survey['id']]}")
        seen[survey["id"]] = filename
        surveys.append(survey)
    if not surveys and not problems:
        problems.append(f"{directory}: no survey definitions (*.toml) found")
    if problems:
        raise SurveyDefinitionError(problems)
    return Definitions(themes, surveys)


def _load_toml(path, problems):
    name = os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"{name}: file not found")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        problems.append(f"{name}: not valid TOML ({error})")
    return None


def _text(entry, key, where, problems, required=True, limit=500, multiline=False):
    value = entry.get(key, "")
    if not isinstance(value, str):
        problems.append(f"{where}: '{key}' must be text, got {_kind_of(value)}")
        return ""
    value = value.strip()
    problem = text.problem_in(value, f"'{key}'", multiline)
    if problem:
        problems.append(f"{where}: {problem}")
        return ""
    if required and not value:
        problems.append(f"{where}: '{key}' is missing")
    elif len(value) > limit:
        problems.append(f"{where}: '{key}' is longer than {limit} characters")
    return value


def _kind_of(value):
    """What a TOML value is, in the words of the TOML spec."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a date or time"


def _tables(raw, key, where, problems):
    """The [[key]] array of tables, or [] with a problem when `key` is anything else."""
    entries = raw.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(f"{where}: '{key}' must be an array of tables written [[{key}]], "
                        f"got {_kind_of(entries)}")
        return []
    return entries


def _key(entry, key, where, problems):
    value = entry.get(key)
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        problems.append(f"{where}: '{key}' must be lower-case letters, digits and _ "
                        f"(starting with a letter, at most 40), got {value!r}")
        return None
    return value


def _read_themes(path, problems):
    raw = _load_toml(path, problems)
    if raw is None:
        return []
    themes, keys = [], set()
    for number, entry in enumerate(_tables(raw, "theme", THEMES_FILE, problems), start=1):
        where = f"{THEMES_FILE}: theme {number}"
        key = _key(entry, "key", where, problems)
        keywords = entry.get("keywords", [])
        if not isinstance(keywords, list) or not all(
                isinstance(k, str) and not text.problem_in(k, multiline=False) for k in keywords):
            problems.append(f"{where}: 'keywords' must be a list of text (one line each, "
                            f"no control characters)")
            keywords = []
        if key in keys:
            problems.append(f"{where}: key {key!r} is used twice")
        keys.add(key)
        themes.append({"key": key, "name": _text(entry, "name", where, problems, limit=80),
                       "description": _text(entry, "description", where, problems,
                                            required=False, multiline=True),
                       "keywords": [k.strip().lower() for k in keywords if k.strip()]})
    if not themes:
        problems.append(f"{THEMES_FILE}: defines no [[theme]]")
    return themes


def _read_survey(path, theme_keys, problems):
    name = os.path.basename(path)
    raw = _load_toml(path, problems)
    if raw is None:
        return None
    survey = {"id": _key(raw, "id", name, problems),
              "title": _text(raw, "title", name, problems, limit=120),
              "intro": _text(raw, "intro", name, problems, required=False, multiline=True),
              "cadence": raw.get("cadence")}
    if not isinstance(survey["cadence"], str) or survey["cadence"] not in CADENCES:
        problems.append(f"{name}: cadence must be one of {', '.join(CADENCES)}, "
                        f"got {survey['cadence']!r}")
    entries = _tables(raw, "question", name, problems)
    if not entries and isinstance(raw.get("question", []), list):
        problems.append(f"{name}: defines no [[question]]")
    if len(entries) > MAX_QUESTIONS:
        problems.append(f"{name}: {len(entries)} questions; a pulse has at most {MAX_QUESTIONS}")
    survey["questions"], keys = [], set()
    for number, entry in enumerate(entries, start=1):
        question = _read_question(entry, f"{name}: question {number}", theme_keys, problems)
        if question["key"] in keys:
            problems.append(f"{name}: question {number}: key {question['key']!r} is used twice")
        keys.add(question["key"])
        survey["questions"].append(question)
    return survey


def _read_question(entry, where, theme_keys, problems):
    question = {"key": _key(entry, "key", where, problems), "kind": entry.get("kind"),
                "prompt": _text(entry, "prompt", where, problems),
                "help": _text(entry, "help", where, problems, required=False, multiline=True),
                "theme": entry.get("theme"), "choices": entry.get("choices", [])}
    if not isinstance(question["kind"], str) or question["kind"] not in KINDS:
        problems.append(f"{where}: kind must be one of {', '.join(KINDS)}, "
                        f"got {question['kind']!r}")
    if question["theme"] is not None and not isinstance(question["theme"], str):
        problems.append(f"{where}: 'theme' must be the key of a theme (text), got "
                        f"{_kind_of(question['theme'])}")
    elif question["theme"] is not None and question["theme"] not in theme_keys:
        problems.append(f"{where}: theme {question['theme']!r} is not in {THEMES_FILE}")
    if question["theme"] is None and question["kind"] != "text":
        problems.append(f"{where}: a {question['kind']} question needs a theme")
    choices = question["choices"]
    if question["kind"] == "choice":
        if (not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES
                or not all(isinstance(c, str) and c.strip()
                           and not text.problem_in(c, multiline=False) for c in choices)):
            problems.append(f"{where}: a choice question needs 2 to {MAX_CHOICES} "
                            f"non-empty choices (text, one line each)")
    elif choices:
        problems.append(f"{where}: only choice questions take 'choices'")
    return question


def sync_surveys(directory):
    """Load the definitions into the database, in one transaction.

    Returns a list of lines saying what changed. Questions dropped from a file are
    retired (kept for history); a question that rounds already asked may not change
    its kind or scale, since its results would stop meaning the same thing.
    """
    definitions = read_definitions(directory)
    report = []
    with db.atomic():
        for theme in definitions.themes:
            _upsert(Theme, theme["key"], report, name=theme["name"],
                    description=theme["description"],
                    keywords_json=json.dumps(theme["keywords"]))
        for survey in definitions.surveys:
            _sync_survey(survey, report)
        listed = [survey["id"] for survey in definitions.surveys]
        retired = Survey.update(active=False).where(
            Survey.key.not_in(listed), Survey.active).execute()
        if retired:
            report.append(f"retired {retired} survey(s) no longer in {directory}")
    return report


def _upsert(model, key, report, **values):
    row = model.get_or_none(model._meta.primary_key == key)
    if row is None:
        model.create(**{model._meta.primary_key.name: key}, **values)
        report.append(f"added {model.__name__.lower()} {key}")
        return
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if changed:
        model.update(**changed).where(model._meta.primary_key == key).execute()
        report.append(f"updated {model.__name__.lower()} {key}")


def _sync_survey(survey, report):
    changes_before = len(report)
    _apply_survey(survey, report)
    if len(report) > changes_before:  # workers reload the questions of a new revision
        Survey.update(revision=Survey.revision + 1).where(Survey.key == survey["id"]).execute()


def _apply_survey(survey, report):
    _upsert(Survey, survey["id"], report, title=survey["title"], cadence=survey["cadence"],
            intro=survey["intro"], active=True)
    asked = Round.select().where(Round.survey == survey["id"]).exists()
    existing = {q.key: q for q in Question.select().where(Question.survey == survey["id"])}
    for position, spec in enumerate(survey["questions"], start=1):
        values = dict(position=position, kind=spec["kind"], prompt=spec["prompt"],
                      help=spec["help"], theme=spec["theme"],
                      choices_json=json.dumps(spec["choices"]), active=True)
        question = existing.pop(spec["key"], None)
        if question is None:
            Question.create(survey=survey["id"], key=spec["key"], **values)
            report.append(f"added question {survey['id']}.{spec['key']}")
            continue
        if asked and (question.kind != spec["kind"] or question.choices != spec["choices"]):
            raise SurveyDefinitionError([
                f"{survey['id']}: question {spec['key']!r} was asked in past rounds as "
                f"{question.kind}; changing its kind or choices would corrupt its results. "
                f"Give the changed question a new key."])
        current = {name: getattr(question, name) for name in values if name != "theme"}
        if dict(current, theme=question.theme_id) != values:
            Question.update(**values).where(Question.id == question.id).execute()
            report.append(f"updated question {survey['id']}.{spec['key']}")
    for question in existing.values():
        if question.active:
            Question.update(active=False).where(Question.id == question.id).execute()
            report.append(f"retired question {survey['id']}.{question.key}")
