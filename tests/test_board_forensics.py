"""The board against someone holding a copy of the database *and* the key file (issue 13:
adversaries 3 and 4), and against a dump of the rate limiter's storage.

Each attack is run twice: against Heard as it is, where it must fail, and against a
deliberately weakened Heard (the old behaviour, patched back in), where it must
succeed, so a test that could never catch anything cannot pass quietly.
"""
import hashlib
import hmac
import random
from datetime import timedelta

import psycopg
import pytest

from app.accounts import credentials
from app.board import conversations, reactions
from app.crypto import keys
from app.db import db, is_sqlite
from app.models import Person, Team, Thread, utcnow
from app.views import limits
from tests import forensics
from tests.support import PG_URL, csrf_token, sign_in_by_link

# A day gone by (the next day's forgetting runs "now" in some tests), at 9 o'clock.
pytestmark = pytest.mark.pristine
DAY = (utcnow() - timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)


def employees():
    return list(Person.select().where(Person.role == "employee").order_by(Person.id))


def platform_employees():
    return [p for p in employees() if p.team_id == Team.by_path("Acme/Platform").id]


# -- F6: reactions ---------------------------------------------------------------------

def legacy_key(keyring):
    """The key marks had before issue 13: from the key file alone."""
    return hmac.new(keyring.link_key, b"heard reactions/1", hashlib.sha256).digest()


def stored_marks_and_secrets():
    """What the copy holds, read as stored (no model, no app code)."""
    marks = {row[0] for row in db.execute_sql("SELECT mark FROM reaction_mark")}
    secrets = [bytes(row[0]) for row in db.execute_sql("SELECT secret FROM reaction_key")]
    return marks, secrets


def attribute_reactions(keyring, people, items):
    """The key holder's attack: every person, item and reaction under every key the
    copy can give (each day secret it holds, and the key file's own). Returns
    {mark: person id} for every mark it could explain."""
    marks, secrets = stored_marks_and_secrets()
    candidates = [reactions.derive_key(keyring, secret) for secret in secrets]
    candidates.append(legacy_key(keyring))
    found = {}
    for key in candidates:
        for person in people:
            for item in items:
                for kind in reactions.REACTIONS:
                    mark = reactions.mark_of(key, person.id, item, kind)
                    if mark in marks:
                        found[mark] = person.id
    return found


def react_all_day(thread):  # noqa: F811
    """Eleven reactions by eight people on the thread and a reply, during DAY."""
    people = platform_employees()[:8]
    post = conversations.reply(people[0], Thread.get_by_id(thread.id), "Agreed", True, now=DAY)
    key = reactions.mark_key(DAY)
    for n, person in enumerate(people):
        reactions.react(person, Thread.get_by_id(thread.id), "me_too", key, thread)
        if n < 3:
            reactions.react(person, post, "helpful", key, thread)
    return [reactions.item_of(thread), reactions.item_of(post)]


def raw_bytes_of_key_store():
    """The bytes an attacker copying the files gets for the secrets' table, free space
    and dead rows included: SQLite's file and log; PostgreSQL's raw pages."""
    if is_sqlite():
        path = db.obj.database
        chunks = []
        for name in (path, path + "-wal"):
            try:
                with open(name, "rb") as handle:
                    chunks.append(handle.read())
            except FileNotFoundError:
                pass
        return b"".join(chunks)
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        return b"".join(bytes(page) for page in forensics.pg_raw_pages(connection,
                                                                       "reaction_key"))


def test_during_the_day_a_copy_with_the_key_file_names_the_days_reactors(thread):  # noqa: F811
    """Adversary 4, stated in docs/board.md: today's reactions are exposed today."""
    items = react_all_day(thread)
    assert len(attribute_reactions(keys.current(), employees(), items)) == 11


def test_a_copy_without_the_key_file_names_nobody_even_during_the_day(thread):  # noqa: F811
    items = react_all_day(thread)
    marks, secrets = stored_marks_and_secrets()
    found = {reactions.mark_of(hmac.new(secret, b"", hashlib.sha256).digest(), p.id, item, kind)
             for secret in secrets for p in employees() for item in items
             for kind in reactions.REACTIONS} & marks
    assert len(marks) == 11 and not found


def forget_by_plain_delete(today):
    """The weakened store: DELETE without secure_delete (SQLite) or without TRUNCATE
    (PostgreSQL), so the secret stays in free space or a dead tuple."""
    if is_sqlite():
        db.execute_sql("PRAGMA secure_delete = 0")
    db.execute_sql("DELETE FROM reaction_key WHERE day < %s" if not is_sqlite() else
                   "DELETE FROM reaction_key WHERE day < ?", (today,))


def old_marks(monkeypatch):
    """Marks keyed by the key file alone and kept for good, as before issue 13 (the
    day secrets still come and go: they no longer matter)."""
    monkeypatch.setattr(reactions, "derive_key", lambda keyring, secret: legacy_key(keyring))

    def forget_secrets_only(today=None):
        with db.atomic():
            reactions._destroy_secrets_before(today)
    monkeypatch.setattr(reactions, "forget_past_days", forget_secrets_only)


WEAKENED = {
    "marks keyed by the key file alone": old_marks,
    "day secrets never destroyed": lambda monkeypatch: monkeypatch.setattr(
        reactions, "forget_past_days", lambda today=None: False),
}


@pytest.mark.parametrize("weakened", [None, *WEAKENED])
def test_after_the_day_the_key_holder_cannot_say_who_reacted(thread, monkeypatch,  # noqa: F811
                                                              weakened):
    if weakened:
        WEAKENED[weakened](monkeypatch)
    items = react_all_day(thread)
    reactions.mark_key(DAY + timedelta(days=1))  # any board page, next day
    found = attribute_reactions(keys.current(), employees(), items)
    if weakened:
        assert len(found) == 11  # the attack works on the old design: it is a real attack
    else:
        assert found == {}
        assert Thread.get_by_id(thread.id).me_too == 8  # the counts stay


@pytest.mark.parametrize("weakened", [False, True])
def test_a_destroyed_day_secret_leaves_no_bytes_in_the_files(thread, monkeypatch,  # noqa: F811
                                                              weakened):
    if weakened:
        monkeypatch.setattr(reactions, "_destroy_secrets_before", forget_by_plain_delete)
    react_all_day(thread)
    [secret] = stored_marks_and_secrets()[1]
    assert secret in raw_bytes_of_key_store()  # the attack can see a live secret
    reactions.mark_key(DAY + timedelta(days=1))
    assert stored_marks_and_secrets()[1] != [secret]
    assert (secret in raw_bytes_of_key_store()) is weakened


@pytest.mark.postgresql
def test_the_day_secrets_never_reach_postgresqls_write_ahead_log(app):
    # SQLite: the log is emptied after forgetting (tested above).
    persistence = db.execute_sql(
        "SELECT relpersistence FROM pg_class WHERE relname = 'reaction_key'").fetchone()[0]
    assert persistence == "u"  # UNLOGGED


# -- F7: anonymous replies and sign-in times -------------------------------------------

def sign_in_and_reply_anonymously(thread, people):  # noqa: F811
    """Each person opens a sign-in link and replies at once, a few minutes apart."""
    for n, person in enumerate(people):
        moment = DAY + timedelta(minutes=7 * n, seconds=n)
        token = credentials.create_sign_in_link(person, 15, now=moment - timedelta(minutes=1))
        credentials.redeem_sign_in_link(token, now=moment)
        conversations.reply(person, Thread.get_by_id(thread.id), f"Reply {n}", True,
                            now=moment + timedelta(seconds=40))


def posts_in_storage_order():
    """The thread's anonymous replies in the order the files hold them: on SQLite a
    page's cells are laid from its end downwards as they arrive; on PostgreSQL by ctid."""
    if is_sqlite():
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(db.obj.database, "rb") as handle:
            raw = handle.read()
        ids = [bytes(row[0]) for row in db.execute_sql("SELECT id FROM post")]
        return sorted(ids, key=raw.find, reverse=True)
    rows = db.execute_sql("SELECT ctid::text, id FROM post").fetchall()
    def position(ctid):
        page, item = ctid.strip("()").split(",")
        return int(page), int(item)
    return [bytes(row[1]) for row in sorted(rows, key=lambda row: position(row[0]))]


def attribute_replies(people):
    """The audit's attack: people by stored sign-in time, replies by storage order,
    matched one to one. A reply is named when its time slot holds one person only.
    Returns how many replies it names correctly."""
    stored = db.execute_sql("SELECT person_id, used_at, expires_at FROM sign_in_link "
                            "WHERE used_at IS NOT NULL").fetchall()
    slots = {}
    for person_id, used_at, expires_at in stored:
        slots.setdefault((str(used_at), str(expires_at)), []).append(person_id)
    ordered = [slots[time] for time in sorted(slots)]
    guesses = [group for group in ordered for _member in group]
    named = 0
    for post_id, group in zip(posts_in_storage_order(), guesses):
        text = conversations.posts_of(Thread.get())
        author = next(p for p in text if p.id == post_id.hex()).text
        if len(group) == 1 and author == f"Reply {people.index(group[0])}":
            named += 1
    return named


def seconds_kept(monkeypatch):
    """The weakened sign-in: used_at to the second, as before issue 13."""
    from app.models import SignInLink

    def redeem(token, now=None):
        person = credentials.check_sign_in_link(token, now)
        SignInLink.update(used_at=now).where(
            SignInLink.token_hash == hashlib.sha256(token.encode()).hexdigest()).execute()
        return person
    monkeypatch.setattr(credentials, "redeem_sign_in_link", redeem)


@pytest.mark.parametrize("weakened", [False, True])
def test_sign_in_times_do_not_name_anonymous_repliers(thread, monkeypatch,  # noqa: F811
                                                      weakened):
    if weakened:
        seconds_kept(monkeypatch)
    people = platform_employees()[:10]
    random.Random(13).shuffle(people)
    sign_in_and_reply_anonymously(thread, people)
    named = attribute_replies([p.id for p in people])
    if weakened:
        assert named >= 8  # the audit's figures: 10/10 on SQLite, 8/10 on PostgreSQL
    else:
        assert named == 0
        times = {row[0] for row in db.execute_sql(
            "SELECT used_at FROM sign_in_link WHERE used_at IS NOT NULL")}
        assert len(times) == 1  # ten sign-ins, one stored time: the day


# -- F10: the rate limiter's keys --------------------------------------------------------

def limiter_keys():
    storage = limits.limiter.storage
    return set(storage.storage) | set(storage.expirations) | set(storage.events)


def in_clear(person, keys_found):
    """Which of the person's identifiers a counter is named after as they are (id,
    email, address). A key reads LIMITER/<what it limits>/<view>/<limit>."""
    named = {part for key in keys_found for part in key.split("/")[1].split(":")}
    return {str(person.id), person.email, "127.0.0.1"} & named


@pytest.mark.parametrize("weakened", [False, True])
def test_no_limiter_key_names_who_replied_anonymously(app, thread, monkeypatch,  # noqa: F811
                                                      weakened):
    if weakened:
        monkeypatch.setattr(limits, "opaque", lambda kind, value: f"{kind}:{value}")
    person = platform_employees()[0]
    limits.limiter.reset()
    client = app.test_client()
    sign_in_by_link(client, person)
    page = client.get(f"/board/{thread.id}").get_data(as_text=True)
    sent = client.post(f"/board/{thread.id}/replies", data={
        "body": "Quietly", "identity": "anonymous", "csrf_token": csrf_token(page)})
    assert sent.status_code == 303
    stranger = app.test_client()  # someone trying the person's account
    signin = stranger.get("/signin").get_data(as_text=True)
    failed = stranger.post("/signin", data={"email": person.email, "password": "wrong" * 4,
                                          "csrf_token": csrf_token(signin)})
    assert failed.status_code == 401
    found = limiter_keys()
    assert any("board.post_reply" in key for key in found)  # the counter is there
    if weakened:
        assert in_clear(person, found) == {str(person.id), person.email, "127.0.0.1"}
    else:
        assert in_clear(person, found) == set()


def link_rows_in_storage_order():
    """Whose sign-in links the copy holds, in the order their rows were written."""
    if is_sqlite():
        return [row[0] for row in db.execute_sql(
            "SELECT person_id FROM sign_in_link ORDER BY rowid")]
    rows = db.execute_sql("SELECT ctid::text, person_id FROM sign_in_link").fetchall()
    return [row[1] for row in sorted(rows, key=lambda row: tuple(
        int(part) for part in row[0].strip("()").split(",")))]


@pytest.mark.parametrize("weakened", [False, True])
def test_the_next_day_sign_in_links_no_longer_line_up_with_replies(app, thread,  # noqa: F811
                                                                   monkeypatch, weakened):
    """Links are made just before they are used, so the order of their rows is the
    order of sign-ins: on the day itself it names every replier (stated in
    docs/board.md). The next day's first board page deletes the used links."""
    if weakened:
        monkeypatch.setattr(credentials, "forget_used_links", lambda now=None: 0)
    people = platform_employees()[:10]
    random.Random(7).shuffle(people)
    sign_in_and_reply_anonymously(thread, people)
    shown = {p.id: p.text for p in conversations.posts_of(Thread.get())}

    replier = {person.id: f"Reply {n}" for n, person in enumerate(people)}

    def named():
        return sum(shown[post_id.hex()] == replier.get(person_id)
                   for post_id, person_id in zip(posts_in_storage_order(),
                                                 link_rows_in_storage_order()))
    assert named() == 10  # adversary 4, on the day
    client = app.test_client()
    sign_in_by_link(client, platform_employees()[11])  # the next day, in real time
    assert client.get("/board").status_code == 200
    assert named() == (10 if weakened else 0)
