"""The roster: people, their teams and what they lead, imported from CSV.

An import is all or nothing. Every line is checked first; any problem refuses the
whole file with a list of errors by line, and nothing changes.
"""
import csv
import io
import re
from dataclasses import dataclass, field

from app import text
from app.accounts import credentials
from app.db import db
from app.errors import Invalid
from app.models import Person, Team, TeamLead
from app.models.org import EMPLOYEE, PATH_SEPARATOR, ROLES, normalise_path

REQUIRED_COLUMNS = ("email", "name", "team", "role")
OPTIONAL_COLUMNS = ("leads",)
LEADS_SEPARATOR = ";"
EMAIL_PATTERN = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")
MAX_ROWS = 100_000
MAX_NAME_CHARS = 200
MAX_TEAM_NAME_CHARS = 120  # one segment of a path
MAX_PATH_CHARS = Team.path.max_length  # 1,000: what the column holds on both databases


class RosterError(Invalid):
    """The file was refused; `errors` lists 'line N: what' messages."""

    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    teams_created: list = field(default_factory=list)
    ignored_columns: list = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    name: str
    team: str
    role: str
    leads: tuple


def import_roster(data):
    """Import a roster CSV given as bytes or text. Returns an ImportReport."""
    rows, ignored = parse_roster(data)
    report = ImportReport(ignored_columns=ignored)
    with db.atomic():
        teams = _ensure_teams({row.team for row in rows} | {p for r in rows for p in r.leads},
                              report)
        for row in rows:
            _upsert_person(row, teams, report)
    return report


def parse_roster(data):
    """Check a roster CSV; return (rows, ignored column names) or raise RosterError."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise RosterError([f"the file is not UTF-8 text (byte {error.start})"]) from None
    data = data.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(data, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RosterError([f"line 1: missing column(s) {', '.join(missing)}; the header "
                           f"must name {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"])
    reader.fieldnames = header
    rows, errors, seen = [], [], {}
    try:
        for record in reader:
            if reader.line_num > MAX_ROWS + 1:
                raise RosterError([f"more than {MAX_ROWS} people in one file"])
            if not any((value or "").strip() for value in record.values()
                       if isinstance(value, str)):
                continue  # blank line
            row = _check_row(reader.line_num, record, errors)
            if row is None:
                continue
            if row.email in seen:
                errors.append(f"line {row.line}: {row.email} is already on line {seen[row.email]}")
            seen[row.email] = row.line
            rows.append(row)
    except csv.Error as error:
        errors.append(f"line {reader.line_num}: the CSV cannot be read ({error})")
    if not rows and not errors:
        errors.append("the file lists nobody")
    if errors:
        raise RosterError(errors)
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    return rows, [name for name in header if name not in known]


def _check_row(line, record, errors):
    if None in record:
        errors.append(f"line {line}: more values than columns")
        return None
    value = {key: (record.get(key) or "").strip() for key in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
    problems = []
    email = value["email"].lower()
    if text.problem_in(email, multiline=False):
        problems.append(text.problem_in(email, "email", multiline=False))
    elif not EMAIL_PATTERN.fullmatch(email) or len(email) > 254:
        problems.append(f"email {value['email']!r} is not an email address")
    if not value["name"]:
        problems.append("name is empty")
    elif text.problem_in(value["name"], multiline=False):
        problems.append(text.problem_in(value["name"], "name", multiline=False))
    elif len(value["name"]) > MAX_NAME_CHARS:
        problems.append(f"name is longer than {MAX_NAME_CHARS} characters")
    role = value["role"].lower() or EMPLOYEE
    if role not in ROLES:
        problems.append(f"role {value['role']!r} is not one of {', '.join(ROLES)}")
    team = _check_path(value["team"], "team", problems)
    leads = tuple(_check_path(path, "leads", problems)
                  for path in value["leads"].split(LEADS_SEPARATOR) if path.strip())
    if leads and role == EMPLOYEE:
        problems.append("leads teams, so the role must be leader, hr or admin")
    if problems:
        errors.extend(f"line {line}: {problem}" for problem in problems)
        return None
    return _Row(line, email, value["name"], team, role, leads)


def _check_path(path, column, problems):
    if text.problem_in(path, multiline=False):
        problems.append(text.problem_in(path, column, multiline=False))
        return path
    path = normalise_path(path)
    parts = path.split(PATH_SEPARATOR)
    if not path or any(not part for part in parts):
        problems.append(f"{column} {path[:100]!r} is not a team path such as "
                        f"Engineering/Platform")
    elif len(path) > MAX_PATH_CHARS:
        problems.append(f"{column} is {len(path):,} characters long; a team path has at "
                        f"most {MAX_PATH_CHARS:,}")
    elif any(len(part) > MAX_TEAM_NAME_CHARS for part in parts):
        problems.append(f"{column} {path[:100]!r} has a team name longer than "
                        f"{MAX_TEAM_NAME_CHARS} characters")
    return path


def _ensure_teams(paths, report):
    """Create every team on these paths (and their parents). Returns path -> Team."""
    wanted = set()
    for path in paths:
        parts = path.split(PATH_SEPARATOR)
        wanted.update(PATH_SEPARATOR.join(parts[:end]) for end in range(1, len(parts) + 1))
    teams = {team.path: team for team in Team.select().where(Team.path.in_(list(wanted)))}
    for path in sorted(wanted, key=lambda p: p.count(PATH_SEPARATOR)):
        if path not in teams:
            parent_path, _, name = path.rpartition(PATH_SEPARATOR)
            teams[path] = Team.create(name=name, path=path,
                                      parent=teams.get(parent_path) if parent_path else None)
            report.teams_created.append(path)
    return teams


def _upsert_person(row, teams, report):
    person = Person.get_or_none(Person.email == row.email)
    values = dict(name=row.name, team=teams[row.team], role=row.role, active=True)
    wanted_leads = {teams[path].id for path in row.leads}
    if person is None:
        person = Person.create(email=row.email, **values)
        _set_leads(person, wanted_leads)
        report.created += 1
        return
    led = {lead.team_id for lead in TeamLead.select().where(TeamLead.person == person)}
    before = (person.name, person.team_id, person.role, person.active, led)
    if before == (row.name, teams[row.team].id, row.role, True, wanted_leads):
        report.unchanged += 1
        return
    Person.update(**values).where(Person.id == person.id).execute()
    if person.role != row.role:  # a session authenticated for the old role must end
        credentials.role_changed(person, person.role, row.role, by="roster import")
    _set_leads(person, wanted_leads)
    report.updated += 1


def _set_leads(person, team_ids):
    TeamLead.delete().where(TeamLead.person == person).execute()
    if team_ids:
        TeamLead.insert_many(
            [{"person": person.id, "team": team_id} for team_id in sorted(team_ids)]).execute()
