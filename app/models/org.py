"""Teams (a tree addressed by paths such as Engineering/Platform) and people."""
from peewee import (
    BlobField, BooleanField, CharField, CompositeKey, ForeignKeyField, IntegerField, fn)

from app.models.base import BaseModel

# The roles, in the words the roster CSV uses and the database stores.
EMPLOYEE, LEADER, HR, ADMIN = "employee", "leader", "hr", "admin"
ROLES = (EMPLOYEE, LEADER, HR, ADMIN)
STAFF_ROLES = (LEADER, HR, ADMIN)  # sign in with a password and a second factor; see results
EVERYTHING_ROLES = (HR, ADMIN)  # see every team, not only those they lead; run org-wide pulses
ROLE_LABELS = {EMPLOYEE: "employee", LEADER: "leader", HR: "HR", ADMIN: "admin"}
PATH_SEPARATOR = "/"


class Team(BaseModel):
    name = CharField(max_length=120)
    path = CharField(max_length=1000, unique=True)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")

    @classmethod
    def by_path(cls, path):
        """The team at this exact path, or None.

        A path no team can have (not text, NUL, which PostgreSQL refuses in any
        query, or overlong) is answered without asking the database.
        """
        if not isinstance(path, str) or "\0" in path or len(path) > cls.path.max_length:
            return None
        return cls.get_or_none(cls.path == normalise_path(path))

    def subtree(self):
        """This team and every team below it."""
        # An exact, case-sensitive prefix match: LIKE would treat _ and % in names
        # as wildcards.
        prefix = self.path + PATH_SEPARATOR
        return Team.select().where(
            (Team.path == self.path) | (fn.SUBSTR(Team.path, 1, len(prefix)) == prefix))

    def ancestors(self):
        """The teams above this one, nearest first."""
        parts = self.path.split(PATH_SEPARATOR)
        paths = [PATH_SEPARATOR.join(parts[:end]) for end in range(len(parts) - 1, 0, -1)]
        by_path = {team.path: team for team in Team.select().where(Team.path.in_(paths))}
        return [by_path[path] for path in paths if path in by_path]

    def __str__(self):
        return self.path


def normalise_path(path):
    """'Engineering / Platform/' -> 'Engineering/Platform'."""
    return PATH_SEPARATOR.join(
        part.strip() for part in path.strip().strip(PATH_SEPARATOR).split(PATH_SEPARATOR))


class Person(BaseModel):
    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=200)
    team = ForeignKeyField(Team, backref="members", on_delete="RESTRICT")
    role = CharField(max_length=16, default=EMPLOYEE)
    active = BooleanField(default=True)
    # Staff sign-in (see app.accounts.credentials). Employees have none of these: they answer
    # through personal links.
    password_hash = CharField(max_length=200, null=True)
    totp_sealed = BlobField(null=True)        # the TOTP secret, sealed like an answer
    totp_last_step = IntegerField(default=0)  # a code is accepted once, never replayed
    # Every signed-in session carries this value; changing it ends them all, everywhere.
    session_epoch = CharField(max_length=32, default="")

    @classmethod
    def by_email(cls, email):
        """The person with this email (case-insensitive), or None."""
        return cls.get_or_none(cls.email == email.strip().lower())

    # A role the code does not know (set by hand in the database) is none of these:
    # it gets no staff page, nothing of everyone's, and not what employees may do.
    @property
    def is_employee(self):
        """Answers pulses by personal link, may reply anonymously, signs in by link only."""
        return self.role == EMPLOYEE

    @property
    def is_leader(self):
        """Sees and answers for the teams they lead (TeamLead), and those below."""
        return self.role == LEADER

    @property
    def is_staff(self):
        """Leaders, HR and admins: a password and a second factor, and results to see."""
        return self.role in STAFF_ROLES

    @property
    def is_hr(self):
        """HR: the one role that may export comments (admins run the system, not people)."""
        return self.role == HR

    @property
    def sees_everything(self):
        """HR and admins: every team's results and threads, whatever they lead."""
        return self.role in EVERYTHING_ROLES

    @property
    def mfa_enrolled(self):
        return self.totp_sealed is not None

    def __str__(self):
        return f"{self.name} <{self.email}>"


class TeamLead(BaseModel):
    """Who leads which team; a leader sees that team's whole subtree."""
    person = ForeignKeyField(Person, backref="leads", on_delete="CASCADE")
    team = ForeignKeyField(Team, backref="leaders", on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("person", "team")
