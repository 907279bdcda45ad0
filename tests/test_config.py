"""Settings: defaults that work with nothing set, and clear refusals of bad values."""
import pytest

from app import StartupError, create_app
from tests.conftest import build_app


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
    from app.settings import DEFAULTS

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
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_a_proxy_forwarded_headers_are_trusted_only_when_configured(tmp_path):
    app = build_app(tmp_path, TRUST_PROXY=1)
    assert app.wsgi_app.__class__.__name__ == "ProxyFix"
    (tmp_path / "b").mkdir()
    assert build_app(tmp_path / "b", TRUST_PROXY=0).wsgi_app.__class__.__name__ != "ProxyFix"
