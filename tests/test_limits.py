"""Rate limits: a guesser slows only themselves down, never the account's owner; and a
server whose counts live in each worker's memory says so when it starts."""
import logging

import click
import pytest

from app.db import db
from app.views import limits
from tests.support import build_app, client_at, sign_in

pytestmark = pytest.mark.app_settings(REQUIRE_MFA=True, SIGNIN_CEILING_PER_ACCOUNT="8 per hour")


def test_a_guesser_cannot_keep_the_owner_out_but_is_still_limited(app, make_staff):
    leader = make_staff()
    attacker = client_at(app, "203.0.113.66")
    for attempt in range(5):
        assert sign_in(attacker, leader, password=f"guess {attempt}").status_code == 401
    refused = sign_in(attacker, leader, password="guess 5")
    assert refused.status_code == 429
    assert "too many failed sign-ins for this account from this network" in \
        refused.get_data(as_text=True)
    # The right password from the guesser's address waits too: the limit is not a
    # way to test guesses for free.
    assert sign_in(attacker, leader).status_code == 429
    # The owner, from the office, signs in at once (on to set up their second factor).
    owner = sign_in(client_at(app, "198.51.100.7"), leader, follow=False)
    assert owner.status_code == 303
    # and keeps being able to, however long the guesser goes on.
    assert sign_in(attacker, leader, password="guess 6").status_code == 429
    assert sign_in(client_at(app, "198.51.100.7"), leader, follow=False).status_code == 303


def test_guessing_spread_over_many_addresses_meets_the_per_account_ceiling(app, make_staff):
    leader = make_staff()
    for n in range(8):  # 2 guesses from each of 4 addresses: under 5 per address
        client = client_at(app, f"203.0.113.{n // 2}")
        assert sign_in(client, leader, password=f"guess {n}").status_code == 401
    refused = sign_in(client_at(app, "203.0.113.9"), leader, password="guess 8")
    assert refused.status_code == 429
    assert "from many networks" in refused.get_data(as_text=True)
    # Another account is not affected.
    other = make_staff(name="Other Leader")
    assert sign_in(client_at(app, "203.0.113.9"), other, follow=False).status_code == 303


def test_the_wait_is_said_in_the_limits_own_terms(app):
    assert limits._duration(900) == "15 minutes"
    assert limits._duration(3600) == "1 hour"
    assert limits._duration(86400 * 2) == "2 days"
    assert limits._duration(90) == "90 seconds"


# --- in-memory counts are per worker ---------------------------------------------------

def warning_records(caplog):
    return [r for r in caplog.records if r.levelno == logging.WARNING
            and "HEARD_RATELIMIT_STORAGE_URI" in r.getMessage()]


def test_a_server_counting_in_memory_warns_that_limits_are_per_worker(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        build_app(tmp_path, migrate=False, TESTING=False,
                  BASE_URL="https://pulse.example.com")
    [record] = warning_records(caplog)
    assert "each worker" in record.getMessage() and "redis://" in record.getMessage()
    db.close()


@pytest.mark.parametrize("config", [
    {"TESTING": True, "BASE_URL": "https://pulse.example.com"},       # the tests
    {"TESTING": False, "BASE_URL": "http://127.0.0.1:5000"},          # make run
    {"TESTING": False, "BASE_URL": "http://localhost:8000"},
    {"TESTING": False, "BASE_URL": "https://pulse.example.com",       # shared counts
     "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"},
])
def test_no_warning_for_the_tests_a_local_trial_or_shared_counts(tmp_path, caplog, config):
    with caplog.at_level(logging.WARNING):
        build_app(tmp_path, migrate=False, **config)
    assert warning_records(caplog) == []
    db.close()


def test_no_warning_for_a_command_such_as_the_tick_from_cron(tmp_path, caplog):
    with caplog.at_level(logging.WARNING), click.Context(click.Command("tick")):
        build_app(tmp_path, migrate=False, TESTING=False, BASE_URL="https://pulse.example.com")
    assert warning_records(caplog) == []
    db.close()
