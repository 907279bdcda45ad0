"""Attacks on the promise: with the database (and even the key file) in hand, nobody
may re-attach an anonymous answer to its author, or read a comment in clear."""
import glob
import json
import random

import pytest
from peewee import AutoField, DateField, DateTimeField, TimeField

from app.crypto import blobs, keys
from app.db import db, is_sqlite
from app.models import (
    ANONYMOUS_MODELS, Comment, Invitation, Participation, PendingAnswer, Response, TeamTally)
from app.pulse import rounds
from tests.support import (
    answer, csrf_token, form_answers, invitations_of, open_pulse, personal_path)

SECRET_COMMENT = "Zebra-aubergine 4711: the night shift rota is unfair"


def test_comment_text_never_appears_in_the_database_in_clear(app, make_round):
    round_ = make_round()
    for invitation in invitations_of(round_)[:12]:  # one batch of 5 released, 7 waiting
        answer(invitation, comment=SECRET_COMMENT)
    needle = SECRET_COMMENT.encode()
    if is_sqlite():
        path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
        files = glob.glob(path + "*")  # the database, its WAL and shared memory
        assert files
        for name in files:
            with open(name, "rb") as handle:
                content = handle.read()
            assert needle not in content
            assert "Zebra-aubergine".encode("utf-16-le") not in content
    else:
        for model in ANONYMOUS_MODELS:
            for row in model.select().tuples():
                assert not any(needle in (bytes(v) if isinstance(v, (bytes, memoryview))
                                          else str(v).encode()) for v in row)
    assert Comment.select().count() == 5 and PendingAnswer.select().count() == 7


def open_response(row):
    return json.loads(keys.current().open(
        row.sealed, blobs.place("response", "sealed", row.id, row.round_id)))


def test_a_blob_moved_to_another_row_fails_to_decrypt(make_round):
    round_ = make_round()
    for invitation, value in zip(invitations_of(round_), [1, 2, 3, 4, 5]):
        answer(invitation, value=value, comment=f"comment {value}")
    rounds.close_round(round_, 5)
    first, second = list(Response.select())[:2]
    assert open_response(first) != open_response(second)
    Response.update(sealed=first.sealed).where(Response.id == second.id).execute()
    moved = Response.get_by_id(second.id)
    with pytest.raises(blobs.BlobError):
        open_response(moved)


def test_a_blob_moved_to_another_table_or_round_fails_to_decrypt(make_round):
    round_ = make_round()
    for invitation in invitations_of(round_)[:5]:
        answer(invitation, comment="words")
    rounds.close_round(round_, 5)
    response, comment = Response.select().first(), Comment.select().first()
    keyring = keys.current()
    with pytest.raises(blobs.BlobError):
        keyring.open(comment.sealed, blobs.place("response", "sealed", comment.id, round_.id))
    with pytest.raises(blobs.BlobError):
        keyring.open(response.sealed, blobs.place("response", "sealed", response.id,
                                                  round_.id + 1))


def test_destroying_a_round_key_erases_its_answers(make_round):
    round_ = make_round()
    for invitation in invitations_of(round_)[:5]:
        answer(invitation)
    rounds.close_round(round_, 5)
    keys.destroy_data_key(round_.data_key)
    fresh = keys.Keyring.load(keys.current().path)  # a restart: nothing cached
    row = Response.select().first()
    with pytest.raises(blobs.BlobError, match="destroyed"):
        fresh.open(row.sealed, blobs.place("response", "sealed", row.id, row.round_id))
    assert TeamTally.get().respondents == 5  # aggregates past the threshold may stay


def test_anonymous_tables_hold_no_time_no_counter_and_no_person(app):
    for model in ANONYMOUS_MODELS:
        fields = model._meta.sorted_fields
        assert not [f.name for f in fields if isinstance(f, (DateTimeField, DateField, TimeField))]
        assert not isinstance(model._meta.primary_key, AutoField)
        assert {f.name for f in fields} <= {"id", "round", "team", "question", "author", "sealed",
                                            "comment", "theme"}
    assert {f.name for f in Participation._meta.sorted_fields} == {"round", "person"}


def submit_thirty_in_known_order(make_round):
    """30 people answer, in an order unrelated to their ids, each with a fingerprint."""
    round_ = make_round({"Acme/Platform": 20, "Acme/Sales": 10})
    invitations = invitations_of(round_)
    order = list(range(len(invitations)))
    random.Random(4).shuffle(order)
    for position, index in enumerate(order):
        answer(invitations[index], value=1 + position % 5, comment=f"fingerprint {position}")
    return round_, [invitations[index] for index in order]


def fingerprint(comment):
    text = keys.current().open(
        comment.sealed, blobs.place("comment", "sealed", comment.id, comment.round_id)).decode()
    return int(text.removeprefix("fingerprint "))


def test_thirty_known_order_submissions_cannot_be_reattached(make_round):
    round_, submitted = submit_thirty_in_known_order(make_round)
    assert PendingAnswer.select().count() == 10  # each group keeps 5 back until the close
    rounds.close_round(round_, 5)
    assert PendingAnswer.select().count() == 0  # all released, in batches of 5
    comments = list(Comment.select())  # storage order, no ORDER BY
    positions = [fingerprint(comment) for comment in comments]
    assert sorted(positions) == list(range(30))
    # No stored column points at a person or a moment.
    assert all(comment.author_id is None for comment in comments)
    # Every stored answer names a group of at least k invited people, never fewer.
    for model in (Response, Comment):
        for team_id, in model.select(model.team).distinct().tuples():
            assert Invitation.select().where(Invitation.round == round_,
                                             Invitation.counted_team == team_id).count() >= 5
    # Ids are random, not issued in order of arrival.
    ids_by_position = [c.id for c in sorted(comments, key=fingerprint)]
    assert ids_by_position != sorted(ids_by_position)
    assert len({c.id for c in comments}) == 30 and all(len(c.id) == 16 for c in comments)
    if is_sqlite():
        # WITHOUT ROWID: rows sit in key order, which carries no arrival order.
        for model, key in ((Comment, Comment.id), (Response, Response.id)):
            # Selecting the blob too makes SQLite read the table itself, not an index.
            natural = [row[0] for row in db.execute_sql(
                f'SELECT id, sealed FROM "{model._meta.table_name}"').fetchall()]
            assert natural == [row.id for row in model.select(key).order_by(key)]
        participation = db.execute_sql("SELECT round_id, person_id FROM participation").fetchall()
        assert participation == sorted(participation)
        assert [p for _r, p in participation] != [i.person_id for i in submitted]
    else:
        # PostgreSQL stamps each row with its transaction id (xmin): no answer may share
        # one with a participation row, and each release is one transaction of k or more.
        participation_xids = {row[0] for row in db.execute_sql(
            "SELECT xmin::text FROM participation").fetchall()}
        for table in ("response", "comment"):
            xids = [row[0] for row in db.execute_sql(f"SELECT xmin::text FROM {table}").fetchall()]
            assert not participation_xids & set(xids)
            assert min(xids.count(xid) for xid in set(xids)) >= 5


def test_no_log_line_holds_a_token_or_an_answer(app, client, make_round, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    round_ = make_round()
    invitation = invitations_of(round_)[0]
    html = open_pulse(client, invitation)
    client.post("/pulse", data=form_answers(round_, q_one_thing=SECRET_COMMENT,
                                            csrf_token=csrf_token(html)))
    client.post("/pulse", data=form_answers(round_, q_one_thing=SECRET_COMMENT + "x" * 3000,
                                            csrf_token=csrf_token(html)))
    logged = caplog.text
    assert personal_path(invitation).removeprefix("/p/") not in logged
    assert "Zebra-aubergine" not in logged


@pytest.mark.parametrize("prefix", ["/p/", "/o/"])  # a personal link, a poster's link
def test_a_request_line_with_a_token_is_redacted_before_it_is_logged(app, caplog, prefix):
    import logging
    caplog.set_level(logging.INFO, logger="werkzeug")
    token = "A" * 43
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s %s HTTP/1.1" 303 -', "GET",
                                       f"{prefix}{token}")
    assert token not in caplog.text
    assert f"{prefix}[redacted]" in caplog.text


def test_opening_a_pulse_link_writes_no_security_event(client, make_round, caplog):
    """When someone opened their pulse link is when they answered: no log line says it."""
    import logging

    round_ = make_round()
    with caplog.at_level(logging.INFO, logger="heard.security"):
        open_pulse(client, invitations_of(round_)[0])
    assert [r for r in caplog.records if r.name == "heard.security"] == []
