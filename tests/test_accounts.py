"""Staff accounts, called directly: passwords, sign-in links, TOTP and recovery codes."""
from datetime import datetime, timedelta

import pytest

from app.accounts import credentials
from app.models import Person, RecoveryCode, SignInLink, utcnow
from tests.support import STAFF_PASSWORD, at, enrol


def test_passwords_are_stored_as_argon2id_and_checked(make_staff):
    leader = make_staff()
    assert leader.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in leader.password_hash
    assert credentials.authenticate(leader.email, STAFF_PASSWORD) == leader
    assert credentials.authenticate(leader.email.upper(), STAFF_PASSWORD) == leader
    assert credentials.authenticate(leader.email, STAFF_PASSWORD + "!") is None
    assert credentials.authenticate("nobody@acme.test", STAFF_PASSWORD) is None
    assert credentials.authenticate("", STAFF_PASSWORD) is None


def test_employees_have_no_password_and_disabled_accounts_cannot_sign_in(make_staff):
    employee = make_staff(role="employee")
    assert credentials.authenticate(employee.email, STAFF_PASSWORD) is None
    assert credentials.create_sign_in_link(employee, 15)  # a board session, by link only
    leader = make_staff(name="Lee Der")
    credentials.set_active(leader, False)
    assert credentials.authenticate(leader.email, STAFF_PASSWORD) is None
    with pytest.raises(credentials.SignInRefused, match="cannot sign in"):
        credentials.create_sign_in_link(leader, 15)


def test_a_weak_new_password_is_refused_with_reasons(make_staff):
    leader = make_staff(password=None)
    with pytest.raises(credentials.AccountError, match="at least 12"):
        credentials.set_password(leader, "short")
    with pytest.raises(credentials.AccountError, match="email or name"):
        credentials.set_password(leader, leader.email)
    assert Person.get_by_id(leader.id).password_hash is None


def test_a_password_change_or_disabling_changes_the_session_epoch(make_staff):
    leader = make_staff()
    before = leader.session_epoch
    credentials.set_password(leader, "another long password")
    changed = Person.get_by_id(leader.id).session_epoch
    assert changed != before
    credentials.set_active(leader, False)
    assert Person.get_by_id(leader.id).session_epoch != changed


def test_a_sign_in_link_works_once_and_only_in_time(make_staff):
    leader = make_staff()
    now = utcnow()
    token = credentials.create_sign_in_link(leader, 15, now=now)
    assert SignInLink.select().count() == 1 and token not in SignInLink.get().token_hash
    assert credentials.check_sign_in_link(token, now) == leader  # looking does not spend it
    assert credentials.redeem_sign_in_link(token, now) == leader
    with pytest.raises(credentials.UnusableLink, match="already used"):
        credentials.redeem_sign_in_link(token, now)
    late = credentials.create_sign_in_link(leader, 15, now=now)
    with pytest.raises(credentials.UnusableLink, match="expired"):
        credentials.redeem_sign_in_link(late, now + timedelta(minutes=15, seconds=1))
    with pytest.raises(credentials.UnusableLink, match="not valid"):
        credentials.redeem_sign_in_link("made-up-token", now)


def test_a_used_link_keeps_the_day_only_and_is_gone_the_next_day(make_staff):
    leader = make_staff()
    used = datetime(2030, 3, 4, 14, 27, 31)
    credentials.redeem_sign_in_link(credentials.create_sign_in_link(leader, 15, now=used), used)
    stored = SignInLink.get()
    assert (stored.used_at, stored.expires_at) == (datetime(2030, 3, 4), datetime(2030, 3, 4))
    assert credentials.forget_used_links(used + timedelta(hours=9)) == 0  # still that day
    assert credentials.forget_used_links(used + timedelta(hours=10)) == 1
    assert SignInLink.select().count() == 0


def test_a_link_for_an_account_disabled_since_does_not_work(make_staff):
    leader = make_staff()
    token = credentials.create_sign_in_link(leader, 15)
    credentials.set_active(leader, False)
    with pytest.raises(credentials.UnusableLink, match="cannot sign in"):
        credentials.redeem_sign_in_link(token)


def test_totp_enrolment_needs_a_right_code_and_gives_ten_recovery_codes(make_staff):
    leader = make_staff()
    with pytest.raises(credentials.AccountError, match="does not match"):
        credentials.enrol_totp(leader, credentials.new_totp_secret(), "000000")
    assert not Person.get_by_id(leader.id).mfa_enrolled
    secret, codes = enrol(leader, utcnow())
    stored = Person.get_by_id(leader.id)
    assert stored.mfa_enrolled and secret.encode() not in stored.totp_sealed
    assert len(set(codes)) == 10 and RecoveryCode.select().count() == 10
    assert not any(code in row.code_hash for code in codes for row in RecoveryCode.select())


def test_a_totp_code_is_accepted_once(make_staff):
    leader = make_staff()
    now = utcnow()
    secret, _codes = enrol(leader, now)
    later = now + timedelta(seconds=60)
    leader = Person.get_by_id(leader.id)
    assert credentials.verify_second_factor(leader, at(secret, later), now=later)
    assert not credentials.verify_second_factor(leader, at(secret, later), now=later)  # replayed
    assert not credentials.verify_second_factor(leader, "12345", now=later)
    far = later + timedelta(minutes=5)
    assert not credentials.verify_second_factor(leader, at(secret, later), now=far)  # stale


def test_a_recovery_code_works_once(make_staff):
    leader = make_staff()
    _secret, codes = enrol(leader, utcnow())
    leader = Person.get_by_id(leader.id)
    assert credentials.verify_second_factor(leader, " " + codes[3].upper() + " ")
    assert not credentials.verify_second_factor(leader, codes[3])
    assert credentials.recovery_codes_left(leader) == 9


def test_the_qr_code_is_inline_svg_without_script_or_style(make_staff):
    svg = credentials.qr_svg(credentials.provisioning_uri(make_staff(), credentials.new_totp_secret()))
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg


@pytest.mark.parametrize("password", ["password1234", "qwertyqwerty", "Iloveyou2024!",
                                      "1234567890123", "  Football!!!!!!  ", "aaaaaaaaaaaaaa",
                                      "baseball baseball"])
def test_a_common_or_breached_password_is_refused_with_a_sentence(make_staff, password):
    leader = make_staff(password=None)
    with pytest.raises(credentials.AccountError, match="common and breached passwords"):
        credentials.set_password(leader, password)
    assert Person.get_by_id(leader.id).password_hash is None


@pytest.mark.parametrize("password", ["correct horse battery staple", "a new long password",
                                      "Tr0ub4dor&3-of-mine", "kettle violet Oslo rain"])
def test_an_uncommon_password_is_accepted(make_staff, password):
    assert credentials.password_problems(make_staff(password=None), password) == []


def test_recovery_codes_have_at_least_80_bits_and_a_salted_hash_each(make_staff):
    import hashlib
    _secret, codes = enrol(make_staff(), utcnow())
    for code in codes:
        raw = code.replace("-", "")
        assert len(raw) == 24 and set(raw) <= set("abcdefghijklmnopqrstuvwxyz234567")  # 120 bits
    stored = [row.code_hash for row in RecoveryCode.select()]
    assert not set(stored) & {hashlib.sha256(c.replace("-", "").encode()).hexdigest()
                              for c in codes}
    salts = {value[:32] for value in stored}
    assert len(salts) == len(codes)  # one salt per code


def test_a_sign_in_link_lasts_ten_minutes_at_most(make_staff):
    leader = make_staff()
    now = utcnow()
    token = credentials.create_sign_in_link(leader, 24 * 60, now=now)
    assert credentials.check_sign_in_link(token, now + timedelta(minutes=9, seconds=59)) == leader
    with pytest.raises(credentials.UnusableLink, match="expired"):
        credentials.check_sign_in_link(token, now + timedelta(minutes=10))


@pytest.mark.parametrize("code", ["⁰⁴⁵₀₁₂", "１２３４５６", "abcd-efgh-ijkl-mnop-qrst-uvwé", "12345",
                                  "!!!!!!"])
def test_a_code_that_cannot_be_one_is_named_and_never_compared(make_staff, code):
    assert credentials.code_problem(code)
    leader = make_staff()
    enrol(leader, utcnow())
    assert not credentials.verify_second_factor(Person.get_by_id(leader.id), code)
