"""Settings: defaults that work with nothing set, and clear refusals of bad values."""
import pytest

from app import StartupError, create_app
from tests.support import answer, build_app, invitations_of, roster_csv


@pytest.mark.parametrize("config, message", [
    ({"MIN_GROUP": 2}, "HEARD_MIN_GROUP is 2; it may never be below 3"),
    ({"MIN_GROUP": 5, "MIN_GROUP_COMMENTS": 4}, "may never be below HEARD_MIN_GROUP (5)"),
    ({"MIN_GROUP": "five"}, "must be whole numbers"),
    ({"DATABASE_URL": "mysql://x/y"}, "must start with sqlite:/// or postgresql://"),
    ({"DATABASE_URL": "sqlite://relative.db"}, "expected sqlite:///path"),
    ({"DATABASE_URL": "postgresql://localhost"}, "names no database"),
])
def test_bad_settings_stop_start_up_with_a_clear_message(tmp_path, config, message):
    with pytest.raises(StartupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_app(dict({"KEY_FILE": str(tmp_path / "k"), "SECRET_KEY": "x",
                         "DATABASE_URL": f"sqlite:///{tmp_path}/h.db"}, **config))


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
