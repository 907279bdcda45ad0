"""Settings: defaults that work with nothing set, and clear refusals of bad values."""
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from app import StartupError, create_app
from app.config import SETTINGS
from app.db import db
from tests.support import PROJECT_DIR, answer, build_app, invitations_of, roster_csv

# One value an operator could mistype for each setting, and a piece of what the refusal
# says the setting takes.
INVALID = {
    "DATABASE_URL": ("mysql://x/y", "must start with sqlite:/// or postgresql://"),
    "KEY_FILE": (os.sep, "the path of a file, not of a folder"),
    "BASE_URL": ("pulse.example.com", "an http:// or https:// address"),
    "MIN_GROUP": ("abc", "a whole number of people from 3 to"),
    "MIN_GROUP_COMMENTS": ("2", "a whole number of people from 3 to"),
    "PULSE_SESSION_MINUTES": ("abc", "a whole number of minutes from 1 to 1440"),
    "REQUIRE_MFA": ("ture", "true or false"),
    "ALLOW_COMMENT_EXPORT": ("maybe", "true or false"),
    "SIGN_IN_LINK_MINUTES": ("60", "a whole number of minutes from 1 to 10"),
    "STAFF_IDLE_MINUTES": ("0", "a whole number of minutes from 1 to 1440"),
    "STAFF_SESSION_HOURS": ("12h", "a whole number of hours from 1 to 24"),
    "SIGNIN_LIMIT_PER_ACCOUNT": ("5 every 15 minutes", "a rate limit like 5 per 15 minutes"),
    "SIGNIN_CEILING_PER_ACCOUNT": ("lots", "a rate limit"),
    "SIGNIN_LIMIT_PER_ADDRESS": ("30", "a rate limit"),
    "ANONYMOUS_REPLY_LIMIT": ("5 per fortnight", "a rate limit"),
    "RATELIMIT_STORAGE_URI": ("redis:127.0.0.1", "memory:// or a shared store's address"),
    "SMTP_HOST": ("smtp example.com", "a host name or address only"),
    "SMTP_PORT": ("smtp", "a whole number from 1 to 65535"),
    "SMTP_USER": ("heard", "set both HEARD_SMTP_USER and HEARD_SMTP_PASSWORD"),
    "SMTP_PASSWORD": ("secret", "set both HEARD_SMTP_USER and HEARD_SMTP_PASSWORD"),
    "SMTP_STARTTLS": ("maybe", "true or false"),
    "SMTP_SENDER": ("not an address", "an address like pulse@example.com"),
    "MAIL_MAX_ATTEMPTS": ("0", "a whole number from 1 to 20"),
    "REMINDER_DAYS": ("two", "days before the close"),
    "TIMEZONE": ("Mars/Olympus", "a time zone name"),
    "OPEN_LINK_LIMIT_PER_DEVICE": ("many", "a rate limit"),
    "OPEN_LINK_LIMIT_PER_ADDRESS": ("60 per hour please", "a rate limit"),
    "RETAIN_SIGN_IN_LINKS_DAYS": ("-1", "a whole number of days from 0 to 36500"),
    "RETAIN_OUTBOX_DAYS": ("1.5", "a whole number of days from 0 to 36500"),
    "RETAIN_BOUNCES_DAYS": ("99999", "a whole number of days from 0 to 36500"),
    "RETAIN_AUDIT_DAYS": ("²", "a whole number of days from 0 to 36500"),
    "RETAIN_ANSWERS_DAYS": ("forever", "a whole number of days from 0 to 36500"),
    "TRUST_PROXY": ("abc", "a whole number of proxies from 0 to 10"),
}
# Free text: any value is one Heard can use (an empty one picks the instance default).
ANY_TEXT = {"SECRET_KEY", "SURVEYS_DIR", "MAIL_DIR"}


def start(tmp_path, **settings):
    """create_app with its files in tmp_path, for what neither `settings` nor the
    environment sets."""
    files = {"KEY_FILE": str(tmp_path / "k"), "SECRET_KEY": "x",
             "DATABASE_URL": f"sqlite:///{tmp_path}/h.db"}
    return create_app({**{name: value for name, value in files.items()
                          if f"HEARD_{name}" not in os.environ}, **settings})


def test_every_setting_has_a_mistyped_value_in_the_table_or_takes_any_text():
    assert not set(INVALID) & ANY_TEXT
    assert sorted(set(INVALID) | ANY_TEXT) == sorted(s.name for s in SETTINGS)


@pytest.mark.parametrize("name", sorted(INVALID))
@pytest.mark.parametrize("source", ["environment", "create_app"])
def test_a_mistyped_setting_stops_start_up_naming_it_and_what_it_takes(
        tmp_path, monkeypatch, source, name):
    value, takes = INVALID[name]
    if source == "environment":
        monkeypatch.setenv(f"HEARD_{name}", value)
        settings = {}
    else:
        settings = {name: value}
    with pytest.raises(StartupError) as refusal:
        start(tmp_path, **settings)
    assert f"HEARD_{name}" in str(refusal.value) and takes in str(refusal.value)


def test_a_refused_setting_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARD_PULSE_SESSION_MINUTES", "abc")
    with pytest.raises(StartupError, match="HEARD_PULSE_SESSION_MINUTES is 'abc'"):
        start(tmp_path)
    assert list(tmp_path.iterdir()) == []  # checked before a database or key file is made


# `heard` as its console script runs it, but from this checkout (-c puts it on sys.path).
@pytest.mark.parametrize("entry_point", [
    [sys.executable, "-c", "import wsgi"],
    [sys.executable, "-c", "from app.cli import main; main()", "keys", "check"],
], ids=["wsgi", "heard"])
@pytest.mark.parametrize("name", ["TRUST_PROXY", "PULSE_SESSION_MINUTES"])
def test_the_server_and_the_command_say_which_setting_is_wrong_without_a_traceback(
        tmp_path, entry_point, name):
    env = dict(os.environ, HEARD_DATABASE_URL=f"sqlite:///{tmp_path}/h.db",
               HEARD_KEY_FILE=str(tmp_path / "k"), HEARD_SECRET_KEY="x",
               **{f"HEARD_{name}": "abc"})
    result = subprocess.run(entry_point, env=env, cwd=PROJECT_DIR, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(f"heard: cannot start: HEARD_{name} is 'abc'; it must be "
                                    f"a whole number of")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("config, message", [
    ({"MIN_GROUP": 2}, "HEARD_MIN_GROUP is 2; it must be a whole number of people from 3"),
    ({"MIN_GROUP": 5, "MIN_GROUP_COMMENTS": 4}, "may never be below HEARD_MIN_GROUP (5)"),
    ({"MIN_GROUP": "five"}, "HEARD_MIN_GROUP is 'five'"),
    ({"MIN_GROUP": True}, "HEARD_MIN_GROUP is True"),
    ({"DATABASE_URL": "mysql://x/y"}, "must start with sqlite:/// or postgresql://"),
    ({"DATABASE_URL": "sqlite://relative.db"}, "expected sqlite:///path"),
    ({"DATABASE_URL": "postgresql://localhost"}, "names no database"),
    ({"REMINDER_DAYS": "2,2"}, "HEARD_REMINDER_DAYS is '2,2'; a day is given twice"),
    ({"SMTP_HOST": "smtp.example.com"}, "HEARD_SMTP_SENDER is empty"),
    # A base URL every mailed link starts with: no password in it, nothing to drop.
    ({"BASE_URL": "https://heard:secret@pulse.example.com"}, "HEARD_BASE_URL is"),
    ({"BASE_URL": "https://pulse.example.com/heard?x=1"}, "HEARD_BASE_URL is"),
    ({"BASE_URL": "https://pulse.example.com/#top"}, "HEARD_BASE_URL is"),
    ({"STAFF_SESSION_HOURS": 48}, "a whole number of hours from 1 to 24"),
    ({"TIMEZONE": 3.5}, "HEARD_TIMEZONE is 3.5; it must be a time zone name"),
])
def test_bad_settings_stop_start_up_with_a_clear_message(tmp_path, config, message):
    with pytest.raises(StartupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        start(tmp_path, **config)


def test_an_apps_typed_settings_start_an_app_again(tmp_path):
    """create_app(dict(other.config)): every typed value is taken as it is."""
    first = start(tmp_path, TIMEZONE="Europe/Paris", REMINDER_DAYS="3,1",
                  SMTP_HOST="smtp.example.com", SMTP_SENDER="Heard <pulse@example.com>")
    again = create_app(dict(first.config))
    for name in ("TIMEZONE", "REMINDER_DAYS", "SMTP_SENDER", "MIN_GROUP", "BASE_URL"):
        assert again.config[name] == first.config[name], name
    db.close()


# What an operator writes in the environment, and what the app then works with.
VALID = [
    ("REQUIRE_MFA", "false", False),
    ("REQUIRE_MFA", "Yes", True),
    ("ALLOW_COMMENT_EXPORT", "1", True),
    ("SMTP_STARTTLS", "off", False),
    ("PULSE_SESSION_MINUTES", "30", 30),
    ("SIGN_IN_LINK_MINUTES", " 5 ", 5),
    ("TRUST_PROXY", "2", 2),
    ("RETAIN_AUDIT_DAYS", "0", 0),
    ("SIGNIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes", "5 per 15 minutes"),
    ("ANONYMOUS_REPLY_LIMIT", "10/hour;50/day", "10/hour;50/day"),
    ("RATELIMIT_STORAGE_URI", "memory://", "memory://"),
    ("REMINDER_DAYS", "1, 3", (3, 1)),
    ("REMINDER_DAYS", "4", (4,)),
    ("REMINDER_DAYS", "", ()),
    ("TIMEZONE", "Europe/Paris", ZoneInfo("Europe/Paris")),
    ("BASE_URL", "https://pulse.example.com/", "https://pulse.example.com"),
    # JSON-looking text stays the text the operator wrote (Flask decodes HEARD_ values).
    ("SMTP_USER", "12345", "12345"),
    ("SECRET_KEY", "true", "true"),
]


@pytest.mark.parametrize("name, value, typed", VALID)
def test_well_formed_values_from_the_environment_are_typed(tmp_path, monkeypatch, name, value,
                                                           typed):
    monkeypatch.setenv(f"HEARD_{name}", value)
    app = start(tmp_path, **({"SMTP_PASSWORD": "x"} if name == "SMTP_USER" else {}))
    assert app.config[name] == typed and type(app.config[name]) is type(typed)
    db.close()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_the_configuration_page_says_what_each_setting_takes(setting):
    with open(os.path.join(PROJECT_DIR, "docs", "configuration.md"), encoding="utf-8") as page:
        row = next(line for line in page if line.startswith(f"| `HEARD_{setting.name}` |"))
    assert f" | {setting.kind.takes} | " in row


def test_every_default_is_a_value_its_setting_takes():
    for setting in SETTINGS:
        setting.read(setting.default)


def test_settings_come_from_heard_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARD_MIN_GROUP", "7")
    monkeypatch.setenv("HEARD_MIN_GROUP_COMMENTS", "12")
    monkeypatch.setenv("HEARD_BASE_URL", "https://pulse.example.com/")
    app = create_app({"KEY_FILE": str(tmp_path / "k"), "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})
    assert (app.config["MIN_GROUP"], app.config["MIN_GROUP_COMMENTS"]) == (7, 12)
    assert app.config["BASE_URL"] == "https://pulse.example.com"


def test_with_nothing_set_everything_lives_in_the_instance_folder(tmp_path):
    from types import SimpleNamespace

    from app import _fill_instance_defaults
    from app.config import DEFAULTS

    def fresh():
        return SimpleNamespace(config=dict(DEFAULTS), instance_path=str(tmp_path / "instance"),
                               root_path=str(tmp_path / "app"))
    first, second = fresh(), fresh()
    _fill_instance_defaults(first)
    _fill_instance_defaults(second)
    assert first.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/instance/heard.db"
    assert first.config["KEY_FILE"] == f"{tmp_path}/instance/heard.keys"
    assert first.config["SURVEYS_DIR"] == f"{tmp_path}/surveys"
    secret = (tmp_path / "instance" / "secret_key").read_text()
    assert len(secret) > 40 and first.config["SECRET_KEY"] == secret
    assert second.config["SECRET_KEY"] == secret  # kept, not remade


def test_https_base_url_adds_strict_transport_security(tmp_path):
    client = build_app(tmp_path, BASE_URL="https://pulse.example.com").test_client()
    assert client.get("/").headers["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"


def test_behind_a_proxy_forwarded_headers_are_trusted_only_when_configured(tmp_path):
    app = build_app(tmp_path, TRUST_PROXY=1)
    assert app.wsgi_app.__class__.__name__ == "ProxyFix"
    (tmp_path / "b").mkdir()
    assert build_app(tmp_path / "b", TRUST_PROXY=0).wsgi_app.__class__.__name__ != "ProxyFix"


@pytest.fixture
def usual_umask():
    """The umask most servers run with (022), which leaves new files world-readable."""
    import os
    before = os.umask(0o022)
    yield
    os.umask(before)


def database_files(directory):
    return {path.name: path.stat().st_mode & 0o777 for path in directory.iterdir()
            if path.name.startswith("heard.db")}


@pytest.mark.sqlite
def test_a_new_database_and_its_companions_are_readable_by_their_owner_only(
        tmp_path, usual_umask):
    from app.accounts.roster import import_roster
    from app.db import db
    from app.pulse import rounds
    app = build_app(tmp_path)
    with app.app_context():  # a submission: the writers' lock, the pending keys' file
        import_roster(roster_csv({"Acme/Platform": 6}))
        round_ = rounds.open_round("weekly", "Acme", 5, 5)
        answer(invitations_of(round_)[0])
        modes = database_files(tmp_path)
    db.close()
    for name in ("heard.db", "heard.db-wal", "heard.db-shm", "heard.db-pending",
                 "heard.db-writer.lock"):
        assert name in modes  # the connection is open: its log and index exist
    assert modes == {name: 0o600 for name in modes}


@pytest.mark.sqlite
def test_a_database_left_world_readable_is_narrowed_at_start_up(tmp_path, usual_umask):
    from app.db import db
    build_app(tmp_path)
    db.close()
    for path in tmp_path.iterdir():
        if path.name.startswith("heard.db"):
            path.chmod(0o644)
    build_app(tmp_path, migrate=False)
    db.close()
    modes = database_files(tmp_path)
    assert "heard.db" in modes and modes == {name: 0o600 for name in modes}


def test_files_other_than_sqlite_are_left_alone(tmp_path):
    from app.db import database_from_url
    from app.db_files import private_database_files
    private_database_files(database_from_url("postgresql://x@127.0.0.1/heard_nothing"))
    private_database_files(database_from_url("sqlite:///:memory:"))
    assert list(tmp_path.iterdir()) == []
