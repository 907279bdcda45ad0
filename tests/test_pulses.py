"""Recording answers: the pending pool, batch release, and the results it feeds."""
import json
from datetime import timedelta

import pytest

from app.crypto import blobs, pending_keys
from app.models import (
    AnswerCount, Comment, Participation, PendingAnswer, Question, Response, Team, TeamTally, utcnow)
from app.pulse import answering, releases, rounds
from app.results import dashboard
from app.thresholds import Thresholds
from tests.support import answer, full_scores, invitations_of


def platform_results(round_, k=5):
    """(respondents or None when suppressed, {theme key: Figures}) as the dashboard has them."""
    view = dashboard.build_view(round_, Team.by_path("Acme/Platform"), Thresholds(k, max(k, 10)))
    shown = view.scope.id in view.facts.shown
    return (view.facts.respondents[view.scope.id] if shown else None,
            {card.theme.key: card.now for card in dashboard.theme_cards(view)})


def test_an_answer_waits_in_the_pending_pool_with_its_participation(make_round):
    round_ = make_round()
    answer(invitations_of(round_)[0])
    assert PendingAnswer.select().count() == 1
    assert Participation.select().count() == 1
    assert Response.select().count() == 0


def test_2k_waiting_answers_release_k_and_keep_k_in_the_pool(make_round):
    round_ = make_round()
    for invitation in invitations_of(round_)[:9]:
        answer(invitation, value=4, comment="More focus time please")
    assert (PendingAnswer.select().count(), Response.select().count()) == (9, 0)
    answer(invitations_of(round_)[9], value=4, comment="More focus time please")
    # Kept back so that the close never has fewer than k left to release on their own.
    assert PendingAnswer.select().count() == 5
    assert Response.select().count() == 5
    assert Comment.select().count() == 5
    assert TeamTally.get().respondents == 5


def test_results_do_not_change_until_k_new_answers_exist(make_round):
    round_ = make_round({"Acme/Platform": 16})
    invitations = invitations_of(round_)
    seen = []
    for index, invitation in enumerate(invitations):
        answer(invitation, value=5 if index % 2 else 2)
        seen.append(platform_results(round_)[0])
    # Suppressed until 10 wait and 5 are released, then steps of 5, never of 1.
    assert seen == [None] * 9 + [5] * 5 + [10] * 2


def test_results_figures_are_computed_from_released_answers(make_round):
    round_ = make_round()
    for invitation, value in zip(invitations_of(round_), [5, 4, 4, 2, 1]):
        answer(invitation, value=value)
    rounds.close_round(round_, 5)
    _respondents, figures = platform_results(round_)
    workload, engagement = figures["workload"], figures["engagement"]
    assert workload.mean == pytest.approx(16 / 5)
    assert workload.favourable == pytest.approx(3 / 5)
    # eNPS answers 10, 8, 8, 4, 2: one promoter, two detractors -> (1 - 2) / 5 = -20.
    assert engagement.enps == -20


def test_a_group_below_k_shows_no_figure_at_all(make_round):
    round_ = make_round({"Acme/Platform": 12})
    for invitation in invitations_of(round_)[:10]:
        answer(invitation)
    assert TeamTally.get().respondents == 5
    respondents, figures = platform_results(round_, k=6)
    assert respondents is None
    assert all(f.suppressed and f.mean is None and f.enps is None for f in figures.values())


def test_a_second_answer_of_the_same_person_is_refused(make_round):
    round_ = make_round()
    invitation = invitations_of(round_)[0]
    answer(invitation)
    with pytest.raises(answering.AlreadyAnswered):
        answer(invitation, value=1)
    assert PendingAnswer.select().count() == 1


def test_answers_after_the_round_closes_are_refused(make_round):
    round_ = make_round(days=1)
    later = utcnow() + timedelta(days=2)
    with pytest.raises(answering.RoundClosed):
        answer(invitations_of(round_)[0], now=later)
    assert Participation.select().count() == 0


@pytest.mark.parametrize("scores, problem", [
    ({"workload_manageable": 6}, "not an answer"),
    ({"workload_manageable": "3"}, "not an answer"),
    ({"workload_manageable": True}, "not an answer"),
    ({"no_such_question": 3}, "no scored question"),
])
def test_record_answers_checks_values_itself(make_round, scores, problem):
    round_ = make_round()
    values = dict(full_scores(round_), **scores)
    with pytest.raises(answering.AnswerError, match=problem):
        answering.record_answers(invitations_of(round_)[0], values, {}, False, batch_size=5)
    assert Participation.select().count() == 0


def test_a_missing_required_score_is_refused(make_round):
    round_ = make_round()
    values = full_scores(round_)
    del values["enps"]
    with pytest.raises(answering.AnswerError, match="needs an answer"):
        answering.record_answers(invitations_of(round_)[0], values, {}, False, batch_size=5)


def test_closing_a_round_releases_the_remainder(make_round):
    round_ = make_round()
    for invitation in invitations_of(round_)[:12]:
        answer(invitation)
    assert PendingAnswer.select().count() == 7
    rounds.close_round(round_, 5)
    assert PendingAnswer.select().count() == 0
    assert TeamTally.get().respondents == 12


def test_a_signed_comment_carries_its_author_and_an_unsigned_one_does_not(make_round):
    round_ = make_round()
    invitations = invitations_of(round_)
    answer(invitations[0], comment="Signed words", signed=True)
    for invitation in invitations[1:5]:
        answer(invitation, comment="Anonymous words")
    rounds.close_round(round_, 5)
    authors = [c.author_id for c in Comment.select()]
    assert sorted(a for a in authors if a) == [invitations[0].person_id]
    assert authors.count(None) == 4


def test_signing_without_a_comment_stores_no_name(make_round):
    round_ = make_round()
    answer(invitations_of(round_)[0], comment=None, signed=True)
    pending = PendingAnswer.get()
    pool_key = pending_keys.keys_of(round_.id, pending.team_id)[blobs.key_id_of(pending.sealed)]
    payload = json.loads(blobs.open_blob(
        pool_key, pending.sealed, blobs.place("pending_answer", "sealed", pending.id, round_.id)))
    assert payload["author"] is None


def test_released_answers_are_counted_per_value(make_round):
    round_ = make_round()
    for invitation, value in zip(invitations_of(round_), [1, 1, 3, 5, 5]):
        answer(invitation, value=value)
    rounds.close_round(round_, 5)
    counts = dict(AnswerCount.select(AnswerCount.value, AnswerCount.count)
                  .join(Question).where(Question.key == "workload_manageable").tuples())
    assert counts == {1: 2, 3: 1, 5: 2}


def test_where_an_answer_counts_names_the_team_and_its_size(make_round):
    round_ = make_round({"Acme/Platform": 12})
    counted = answering.counted_in(invitations_of(round_)[0], 5)
    assert (counted.team.path, counted.invited, counted.too_small) == ("Acme/Platform", 12, False)


def test_a_small_team_is_told_its_answer_counts_in_the_parent(make_round):
    round_ = make_round({"Acme/Eng/Platform": 8, "Acme/Eng/Tiny": 2})
    tiny = [i for i in invitations_of(round_) if i.team.path == "Acme/Eng/Tiny"][0]
    counted = answering.counted_in(tiny, 5)
    # Tiny's 2 go up; Acme/Eng has nobody of its own, so they reach Acme, which then
    # takes in Platform: a group of 2 would describe those 2 people (and Acme minus
    # Platform would single them out anyway).
    assert counted.too_small
    assert (counted.shown_in.path, counted.shown_invited) == ("Acme", 10)


def test_the_fast_invitation_lookup_matches_the_plain_query(make_round):
    from app.models import Invitation, Round, Survey, invitation_by_id
    round_ = make_round()
    wanted = invitations_of(round_)[3]
    fast = invitation_by_id(wanted.id)
    plain = (Invitation.select(Invitation, Round, Survey).join(Round).join(Survey)
             .where(Invitation.id == wanted.id).first())
    assert fast.__data__ == plain.__data__
    assert fast.round.__data__ == plain.round.__data__
    assert fast.round.survey.__data__ == plain.round.survey.__data__
    assert fast.round.closes_at == round_.closes_at and fast.salt == wanted.salt
    assert invitation_by_id(10_000) is None


def test_a_leader_in_a_parent_team_counts_with_the_whole_subtree(make_round):
    from app.accounts.roster import import_roster
    import_roster("email,name,team,role,leads\nlea@acme.test,Lea,Acme/Eng,leader,Acme/Eng\n")
    round_ = make_round({"Acme/Eng/Platform": 8})
    lea = [i for i in invitations_of(round_) if i.person.email == "lea@acme.test"][0]
    counted = answering.counted_in(lea, 5)
    # Lea alone is no group: her answers count with Platform's, at the top.
    assert (counted.team.path, counted.invited) == ("Acme/Eng", 9)
    assert counted.too_small and counted.shown_in.path == "Acme"


def test_two_sends_at_the_same_moment_record_one_answer(app, make_round):
    import threading

    from app.db import db
    round_ = make_round()
    invitation = invitations_of(round_)[0]
    outcomes, start = [], threading.Barrier(2)

    def send():
        start.wait()
        try:
            answer(invitation)
            outcomes.append("stored")
        except answering.AlreadyAnswered:
            outcomes.append("refused")
        finally:
            db.close()  # this thread's own connection

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "stored"]
    assert PendingAnswer.select().count() == 1 and Participation.select().count() == 1


def test_a_failed_release_keeps_the_answer_and_a_later_one_catches_up(make_round, monkeypatch):
    from peewee import OperationalError
    round_ = make_round()
    invitations = invitations_of(round_)

    def locked(*_args, **_kwargs):
        raise OperationalError("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(releases, "release_pool", locked)
        for invitation in invitations[:10]:
            answer(invitation)  # the tenth would release, and fails quietly
    assert PendingAnswer.select().count() == 10 and Response.select().count() == 0
    answer(invitations[10])
    assert PendingAnswer.select().count() == 5 and Response.select().count() == 6


def test_a_statement_whose_parameters_are_not_its_values_fails_loudly(app):
    from app.db import Statement
    from app.models import Round
    shifted = Statement(lambda round_id: Round.select().where(Round.id == round_id + 1))
    with pytest.raises(ValueError, match="are not its values"):
        shifted.execute(1)
    exact = Statement(lambda round_id: Round.select(Round.id).where(Round.id == round_id))
    assert exact.execute(1).fetchall() == [] and exact.execute(2).fetchall() == []
