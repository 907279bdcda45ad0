"""What each role makes of a person: the words the code asks instead of comparing strings."""
import pytest

from app.models import Person
from app.models.org import ADMIN, EMPLOYEE, HR, LEADER, ROLES


@pytest.mark.parametrize("role, employee, leader, staff, everything, hr", [
    (EMPLOYEE, True, False, False, False, False),
    (LEADER, False, True, True, False, False),
    (HR, False, False, True, True, True),
    (ADMIN, False, False, True, True, False),
    ("owner", False, False, False, False, False),  # set by hand in the database: nothing
    ("HR", False, False, False, False, False),     # the roster lowers case; the database too
])
def test_what_a_role_lets_a_person_be(role, employee, leader, staff, everything, hr):
    person = Person(role=role)
    assert (person.is_employee, person.is_leader, person.is_staff, person.sees_everything,
            person.is_hr) == (employee, leader, staff, everything, hr)


def test_the_roster_words_stay_as_they_were():
    """Roster files and stored rows use these strings; renaming one would lock people out."""
    assert ROLES == ("employee", "leader", "hr", "admin")
    assert Person().role == EMPLOYEE
