"""The key file: created once, loudly; a wrong or missing one stops start-up; rotation."""
import os
import stat

import pytest

from app import StartupError, create_app
from app.crypto import keys
from app.models import DataKey
from tests.support import answer, build_app, invitations_of


def test_a_first_run_creates_an_owner_only_key_file_and_says_so(tmp_path, capsys):
    build_app(tmp_path)
    path = tmp_path / "heard.keys"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o400
    assert "created a new key file" in capsys.readouterr().err


def config_of(app):
    return {name: app.config[name] for name in
            ("TESTING", "DATABASE_URL", "KEY_FILE", "SECRET_KEY", "SURVEYS_DIR", "BASE_URL")}


def test_a_restart_with_the_same_key_file_opens_everything(app, make_round):
    round_ = make_round()
    for invitation in invitations_of(round_)[:5]:
        answer(invitation)
    create_app(config_of(app))  # a restart: it loads the key file again and installs it
    assert keys.current().check() == 1


def test_a_wrong_key_file_stops_start_up_with_a_clear_message(app, make_round, tmp_path):
    make_round()
    other = tmp_path / "other.keys"
    keys.Keyring.generate().write_new(str(other))
    with pytest.raises(StartupError, match="does not hold|does not open"):
        create_app(dict(config_of(app), KEY_FILE=str(other)))


def test_the_same_key_id_with_other_key_bytes_stops_start_up(app, make_round, tmp_path):
    make_round()
    forged = keys.Keyring.generate()
    real = keys.current()
    forged.keks = {real.primary: os.urandom(32)}
    forged.primary = real.primary
    forged.write_new(str(tmp_path / "forged.keys"))
    with pytest.raises(StartupError, match="wrong key file"):
        create_app(dict(config_of(app), KEY_FILE=str(tmp_path / "forged.keys")))


def test_a_missing_key_file_over_existing_data_stops_start_up(app, make_round, tmp_path):
    make_round()
    missing = tmp_path / "gone.keys"
    with pytest.raises(StartupError, match="never makes a new key over existing data"):
        create_app(dict(config_of(app), KEY_FILE=str(missing)))
    assert not missing.exists()


def test_a_damaged_key_file_stops_start_up(app, tmp_path):
    damaged = tmp_path / "damaged.keys"
    damaged.write_text("{not json")
    with pytest.raises(StartupError, match="damaged"):
        create_app(dict(config_of(app), KEY_FILE=str(damaged)))


def test_rotation_rewraps_data_keys_and_keeps_answers_readable(app, make_round):
    round_ = make_round()
    for invitation in invitations_of(round_)[:5]:
        answer(invitation)
    old_primary = keys.current().primary
    new_primary = keys.current().rotate()
    assert new_primary != old_primary
    assert {row.kek_id for row in DataKey.select()} == {new_primary}
    create_app(config_of(app))
    reloaded = keys.current()
    assert reloaded.primary == new_primary
    assert reloaded.check() == 1
