"""Roster import: all or nothing, errors by line, re-import updates by email."""
import pytest

from app.accounts.roster import RosterError, import_roster
from app.models import Person, Team

GOOD = """email,name,team,role,leads
ada@acme.test,Ada Lovelace,Acme/Engineering/Platform,employee,
grace@acme.test,Grace Hopper,Acme/Engineering,leader,Acme/Engineering
ken@acme.test,Ken Thompson,Acme/Engineering/Platform,employee,
hedy@acme.test,Hedy Lamarr,Acme/People,hr,
"""


def test_a_good_roster_creates_people_teams_and_leads(app):
    report = import_roster(GOOD)
    assert (report.created, report.updated) == (4, 0)
    assert set(report.teams_created) == {"Acme", "Acme/Engineering",
                                         "Acme/Engineering/Platform", "Acme/People"}
    platform = Team.by_path("Acme/Engineering/Platform")
    assert platform.parent.path == "Acme/Engineering"
    grace = Person.by_email("GRACE@acme.test")
    assert [lead.team.path for lead in grace.leads] == ["Acme/Engineering"]
    assert {t.path for t in Team.by_path("Acme/Engineering").subtree()} == {
        "Acme/Engineering", "Acme/Engineering/Platform"}


def test_reimporting_updates_people_by_email(app):
    import_roster(GOOD)
    changed = GOOD.replace("Ada Lovelace,Acme/Engineering/Platform",
                           "Ada King,Acme/People").replace("ken@", "KEN@")
    report = import_roster(changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    ada = Person.by_email("ada@acme.test")
    assert (ada.name, ada.team.path) == ("Ada King", "Acme/People")
    assert Person.select().count() == 4


@pytest.mark.parametrize("line, problem", [
    ("not-an-email,Bob,Acme/X,employee,", "is not an email address"),
    ("bob@acme.test,,Acme/X,employee,", "name is empty"),
    ("bob@acme.test,Bob,,employee,", "is not a team path"),
    ("bob@acme.test,Bob,Acme//X,employee,", "is not a team path"),
    ("bob@acme.test,Bob,Acme/X,boss,", "role 'boss' is not one of"),
    ("bob@acme.test,Bob,Acme/X,employee,Acme/X", "role must be leader, hr or admin"),
    ("bob@acme.test,Bob,Acme/X,employee,,extra", "more values than columns"),
    ("ada@acme.test,Ada Again,Acme/X,employee,", "is already on line 2"),
])
def test_a_bad_line_refuses_the_whole_file_and_names_the_line(app, line, problem):
    with pytest.raises(RosterError) as refused:
        import_roster(GOOD + line + "\n")
    assert any(error.startswith("line 6:") and problem in error for error in refused.value.errors)
    assert Person.select().count() == 0 and Team.select().count() == 0


def test_every_bad_line_is_listed_not_just_the_first(app):
    with pytest.raises(RosterError) as refused:
        import_roster("email,name,team,role\nx,A,T,employee\ny,B,T,employee\n")
    assert [e.split(":")[0] for e in refused.value.errors] == ["line 2", "line 3"]


def test_a_missing_column_is_named(app):
    with pytest.raises(RosterError, match="missing column.*role"):
        import_roster("email,name,team\na@b.test,A,T\n")


def test_bytes_that_are_not_utf8_are_refused(app):
    with pytest.raises(RosterError, match="not UTF-8"):
        import_roster("email,name,team,role\na@b.test,Jos\xe9,T,employee\n".encode("latin-1"))


def test_a_byte_order_mark_and_extra_columns_are_fine(app):
    report = import_roster(("\ufeffemail,name,team,role,leads,employee_id\n"
                            "a@b.test,A,T,employee,,42\n").encode("utf-8"))
    assert report.created == 1 and report.ignored_columns == ["employee_id"]


def test_an_empty_file_is_refused(app):
    with pytest.raises(RosterError, match="lists nobody"):
        import_roster("email,name,team,role\n")


def test_a_later_failure_leaves_earlier_people_untouched(app):
    import_roster(GOOD)
    with pytest.raises(RosterError):
        import_roster(GOOD.replace("Ada Lovelace", "Ada King") + "bad,,,,\n")
    assert Person.by_email("ada@acme.test").name == "Ada Lovelace"


@pytest.mark.parametrize("line, problem", [
    ("bob\x00@acme.test,Bob,Acme/X,employee,", "email holds a character that cannot be "
                                              "stored (U+0000"),
    ("bob\x7f@acme.test,Bob,Acme/X,employee,", "email holds a character that cannot be "
                                              "stored (U+007F"),
    ("bob\x01@acme.test,Bob,Acme/X,employee,", "(U+0001"),
    ("bob\x85@acme.test,Bob,Acme/X,employee,", "(U+0085"),
    ("bob@acme.test\u202e,Bob,Acme/X,employee,", "(U+202E"),
    ("bob@acme.test,Bo\x00b,Acme/X,employee,", "name holds a character that cannot be stored"),
    ("bob@acme.test,Bob\x7f,Acme/X,employee,", "name holds a character"),
    ("bob@acme.test,\u2066Bob,Acme/X,employee,", "name holds a character"),
    ("bob@acme.test,Bob,Acme/X\x00,employee,", "team holds a character"),
    ("bob@acme.test,Bob,Acme/\x9bX,employee,", "team holds a character"),
    ("bob@acme.test,Bob,Acme/" + "/".join(["Team"] * 250) + ",employee,",
     "a team path has at most 1,000"),
    ("bob@acme.test,Bob,Acme/" + "x" * 121 + ",employee,", "longer than 120 characters"),
    ("bob@acme.test,Bob,Acme/X,leader," + "Acme/" + "y" * 1000, "leads is 1,005 characters"),
])
def test_control_characters_and_overlong_paths_are_refused_with_the_line(app, line, problem):
    with pytest.raises(RosterError) as refused:
        import_roster(GOOD + line + "\n")
    errors = refused.value.errors
    assert any(error.startswith("line 6:") and problem in error for error in errors), errors
    assert Person.select().count() == 0 and Team.select().count() == 0


def test_the_longest_allowed_team_path_is_imported_and_found(app):
    path = "/".join(["Acme"] + ["T" * 99] * 9)  # 4 + 9 * 100 = 904 characters
    import_roster(GOOD + f"bob@acme.test,Bob,{path},employee,\n")
    assert Team.by_path(path) is not None
