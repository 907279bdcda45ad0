"""Groups, pools and pending keys: no stored group under k people, no batch under k,
and nothing a submission leaves behind that still opens once its pool is released."""
import json
import os
import stat

import pytest

from app.crypto import blobs, keys, pending_keys
from app.db import db, is_sqlite
from app.models import AnswerCount, Invitation, PendingAnswer, Response, Team, TeamTally
from app.pulse import releases, rounds
from tests.support import answer, csrf_token, form_answers, invitations_of, open_pulse

# The audit's organisation in small: a top team of two (the CEO and HR), a lead whose
# own team is only herself above two teams, and teams of varied sizes.
ORG = {"Acme": 2, "Acme/Ops": 1, "Acme/Ops/Support": 6, "Acme/Ops/Warehouse": 10,
       "Acme/Eng": 0, "Acme/Eng/Platform": 8, "Acme/Eng/Tiny": 2, "Acme/Sales": 5}


def groups_of(round_):
    """{team path: the path of the group its people are counted in}."""
    return {inv.team.path: inv.counted_team.path for inv in Invitation.select()
            .where(Invitation.round == round_.id)}


def members(round_):
    counted = {}
    for inv in Invitation.select().where(Invitation.round == round_.id):
        counted[inv.counted_team.path] = counted.get(inv.counted_team.path, 0) + 1
    return counted


def in_team(round_, path):
    return [i for i in invitations_of(round_) if i.team.path == path]


def test_every_stored_group_counts_at_least_k_people(make_round):
    round_ = make_round({path: n for path, n in ORG.items() if n})
    groups = groups_of(round_)
    # The Ops lead is no group of one: her team's subtree is large, but Support and
    # Warehouse count on their own, so she is handed up, as are Tiny's two.
    assert groups["Acme/Ops/Support"] == "Acme/Ops/Support"
    assert groups["Acme/Ops/Warehouse"] == "Acme/Ops/Warehouse"
    assert groups["Acme/Ops"] != "Acme/Ops"
    assert groups["Acme/Eng/Platform"] == "Acme/Eng/Platform"
    # Top: CEO, HR, the Ops lead and Tiny's two are 5, so no group below is absorbed.
    assert groups["Acme/Ops"] == groups["Acme/Eng/Tiny"] == groups["Acme"] == "Acme"
    assert min(members(round_).values()) >= 5


def test_a_top_team_too_small_takes_in_its_smallest_group_below(make_round):
    round_ = make_round({"Acme": 2, "Acme/Sales": 6, "Acme/Eng": 9})
    assert members(round_) == {"Acme": 8, "Acme/Eng": 9}


@pytest.mark.parametrize("k", [3, 5, 7])
def test_counting_groups_hold_k_people_whatever_the_tree(make_people, k):
    people = make_people({path: n for path, n in ORG.items() if n})
    from collections import Counter
    headcount = Counter(p.team_id for p in people)
    scope = Team.by_path("Acme")
    group_of = rounds.counting_teams(scope, headcount, k)
    sizes = Counter()
    for team_id, count in headcount.items():
        sizes[group_of[team_id]] += count
    assert min(sizes.values()) >= k
    # Every team counts in itself or a team above it, never beside it.
    for team in scope.subtree():
        assert group_of[team.id] in {team.id} | {t.id for t in team.ancestors()}


def test_the_close_never_releases_a_batch_under_k(make_round, monkeypatch):
    round_ = make_round({"Acme/Ops/Support": 6, "Acme/Ops/Warehouse": 10, "Acme/Sales": 5})
    batches = []
    real = releases._add_to_tallies
    monkeypatch.setattr(releases, "_add_to_tallies", lambda round_, team_id, payloads, qs: (
        batches.append(len(payloads)), real(round_, team_id, payloads, qs)))
    for invitation in in_team(round_, "Acme/Ops/Warehouse")[:8]:
        answer(invitation)          # 8 wait: under 2k, nothing released
    for invitation in in_team(round_, "Acme/Ops/Support")[:3]:
        answer(invitation)          # 3: too few to ever be a batch on their own
    for invitation in in_team(round_, "Acme/Sales")[:5]:
        answer(invitation)
    rounds.close_round(round_, 5)
    assert batches and min(batches) >= 5
    stored = {t.team.path: t.respondents for t in TeamTally.select()}
    # Support's 3 went up to Acme (Ops has no group of its own); 3 at the top are too
    # few, so the smallest other pool, Sales's 5, joined them there.
    assert stored == {"Acme/Ops/Warehouse": 8, "Acme": 8}


def test_answers_that_stay_under_k_at_the_top_are_not_kept(make_round, caplog):
    round_ = make_round({"Acme/Platform": 12})
    for invitation in invitations_of(round_)[:3]:
        answer(invitation, comment="only three of us")
    rounds.close_round(round_, 5)
    assert PendingAnswer.select().count() == 0
    assert Response.select().count() == 0 and AnswerCount.select().count() == 0
    assert "fewer than k" in caplog.text and "3" not in caplog.messages[-1]


def test_a_pending_answer_is_sealed_under_its_pool_key_not_the_data_key(make_round):
    round_ = make_round()
    answer(invitations_of(round_)[0], comment="x" * 300)
    pending = PendingAnswer.get()
    place = blobs.place("pending_answer", "sealed", pending.id, round_.id)
    with pytest.raises(blobs.BlobError):
        keys.current().open(pending.sealed, place)   # the key file alone opens nothing
    pool = pending_keys.keys_of(round_.id, pending.team_id)
    opened = blobs.open_blob(pool[blobs.key_id_of(pending.sealed)], pending.sealed, place)
    assert json.loads(opened)["comments"]


@pytest.mark.parametrize("comment", [
    None, "ok", "x" * 2000, "Смена слишком длинная " * 90, "😀" * 2000, '"\\' * 1000, "\n" * 1999 + "x"])
def test_every_pending_answer_of_a_round_is_the_same_size(make_round, comment):
    """Whatever was written — nothing, two letters, the longest comment, Cyrillic,
    emoji, quotes and backslashes, line breaks — the sealed pending answer has one size, so its length
    neither matches a released comment nor marks one person out."""
    from app.pulse import answering
    round_ = make_round()
    answer(invitations_of(round_)[0], comment=comment)
    expected = answering.pending_size(round_.survey.current_questions())
    overhead = 1 + 4 + blobs.NONCE_BYTES + 16
    assert len(PendingAnswer.get().sealed) == expected + overhead


def test_a_release_destroys_the_keys_of_what_it_released(make_round):
    round_ = make_round()
    team_id = invitations_of(round_)[0].counted_team_id
    for invitation in invitations_of(round_)[:9]:
        answer(invitation)
    before = set(pending_keys.keys_of(round_.id, team_id))
    answer(invitations_of(round_)[9])
    after = set(pending_keys.keys_of(round_.id, team_id))
    assert before and after and not before & after   # the kept 5 sit under a new key
    for pending in PendingAnswer.select():
        assert blobs.key_id_of(pending.sealed) in after
    rounds.close_round(round_, 5)
    assert pending_keys.pools_with_keys(round_.id) == set()


def test_pending_keys_live_outside_the_key_file_and_any_write_ahead_log(make_round):
    import base64
    round_ = make_round()
    answer(invitations_of(round_)[0])
    [(raw,)] = pending_keys._run("SELECT key FROM pending_key")
    raw = bytes(raw)
    with open(keys.current().path, "rb") as handle:
        key_file = handle.read()
    assert raw not in key_file and base64.b64encode(raw) not in key_file
    if is_sqlite():
        main = db.obj.database
        for path in (main, main + "-wal"):
            with open(path, "rb") as handle:
                assert raw not in handle.read()
        side = pending_keys.side_path(main)
        assert stat.S_IMODE(os.stat(side).st_mode) == 0o600
        assert not os.path.exists(side + "-wal") and not os.path.exists(side + "-journal")
    else:
        persistence = db.execute_sql(
            "SELECT relpersistence FROM pg_class WHERE relname = 'pending_key'").fetchone()[0]
        assert persistence == "u"   # unlogged: never in pg_wal


def test_answers_sealed_before_pending_keys_existed_still_release(make_round):
    """An upgrade: a pool sealed under the round's data key opens with it, once."""
    from app.models import random_id
    round_ = make_round()
    team_id = invitations_of(round_)[0].counted_team_id
    payload = {"scores": {}, "comments": {}, "author": None}
    for _ in range(5):
        row_id = random_id()
        PendingAnswer.create(id=row_id, round=round_.id, team=team_id, sealed=keys.current().seal(
            round_.data_key_id, json.dumps(payload).encode(),
            blobs.place("pending_answer", "sealed", row_id, round_.id)))
    rounds.close_round(round_, 5)
    assert Response.select().count() == 5


def test_an_answer_sent_as_the_round_closes_is_refused_not_left_behind(make_round):
    from app.pulse import answering
    round_ = make_round()
    invitations = invitations_of(round_)
    answer(invitations[0])
    rounds.close_round(round_, 5)
    # The page was loaded (and the open check passed) before the close committed.
    late = Invitation.get_by_id(invitations[1].id)
    late.round.closed_at = None
    with pytest.raises(answering.RoundClosed):
        answer(late)
    assert PendingAnswer.select().count() == 0
    from app.models import Participation
    assert not Participation.select().where(Participation.person == late.person_id).exists()


def test_a_top_too_small_at_the_close_takes_in_a_group_whole_not_a_sample(make_round):
    round_ = make_round({"Acme/Platform": 16, "Acme/Sales": 12})
    for invitation in in_team(round_, "Acme/Platform")[:11]:
        answer(invitation)      # 10 waiting released 5; 6 wait
    for invitation in in_team(round_, "Acme/Sales")[:3]:
        answer(invitation)
    rounds.close_round(round_, 5)
    # Sales's 3 go up to Acme, too few there; Platform joins them with everything it
    # had, released or not, so no Platform figure describes 5 of its 11.
    assert {t.team.path: t.respondents for t in TeamTally.select()} == {"Acme": 14}
    per_question = {}
    for row in AnswerCount.select():
        assert row.team.path == "Acme"
        per_question[row.question_id] = per_question.get(row.question_id, 0) + row.count
    assert set(per_question.values()) == {14}
    assert {r.team.path for r in Response.select()} == {"Acme"}


def test_settling_a_closed_round_again_never_merges_groups_that_released(make_round, runner):
    """What a stopped close leaves (one answer in the top's pool, every other group
    released) is settled without folding the other groups into the top."""
    round_ = make_round({"Acme": 5, "Acme/Eng": 9, "Acme/Sales": 6})
    for invitation in invitations_of(round_):
        if invitation.team.path != "Acme" or invitation.person_id % 2:
            answer(invitation)
    rounds.close_round(round_, 5)
    before = {t.team.path: t.respondents for t in TeamTally.select()}
    top = Team.by_path("Acme")
    with db.atomic():
        releases.add_pending(round_.id, top.id, {"scores": {}, "comments": {}, "author": None},
                             1024)
    assert runner.invoke(args=["rounds", "close-due"]).exit_code == 0
    assert {t.team.path: t.respondents for t in TeamTally.select()} == before
    assert PendingAnswer.select().count() == 0 and pending_keys.rounds_with_keys() == set()


def test_a_close_stopped_before_its_keys_were_destroyed_is_finished_by_the_next_tick(
        make_round, runner, monkeypatch):
    round_ = make_round()
    for invitation in invitations_of(round_)[:6]:
        answer(invitation)

    def killed(*_args, **_kwargs):
        raise RuntimeError("killed")  # between the release's commit and its keys' end
    with monkeypatch.context() as patch:
        patch.setattr(pending_keys, "destroy", killed)
        with pytest.raises(RuntimeError):
            rounds.close_round(round_, 5)
    assert pending_keys.rounds_with_keys() == {round_.id}  # the released pool's key
    assert runner.invoke(args=["rounds", "close-due"]).exit_code == 0
    assert pending_keys.rounds_with_keys() == set()
    assert TeamTally.get().respondents == 6


def test_a_pending_key_store_that_fails_gives_a_503_and_stores_nothing(app, make_round,
                                                                       monkeypatch):
    from app.models import Participation
    round_ = make_round()
    client = app.test_client()
    html = open_pulse(client, invitations_of(round_)[0])

    def failing(*_args):
        raise pending_keys.OperationalError("pending keys: disk I/O error")
    monkeypatch.setattr(pending_keys, "_run", failing)
    response = client.post("/pulse", data={**form_answers(round_), "csrf_token": csrf_token(html)})
    assert response.status_code == 503
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert Participation.select().count() == 0 and PendingAnswer.select().count() == 0


@pytest.mark.sqlite
def test_an_unusable_side_file_is_a_database_error_not_a_crash(make_round, tmp_path,
                                                              monkeypatch):
    from peewee import OperationalError
    round_ = make_round()
    monkeypatch.setattr(pending_keys, "side_path", lambda _path: str(tmp_path))  # a folder
    pending_keys._side.path = None
    with pytest.raises(OperationalError, match="pending keys"):
        answer(invitations_of(round_)[0])
    assert PendingAnswer.select().count() == 0
