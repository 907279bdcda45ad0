"""Answering a pulse: what the employee is asked and where it counts, and recording it.

A submission is sealed into its group's pending pool (under the pool's own key, see
app.crypto.pending_keys) together with the participation row, in one transaction, then
acknowledged. It reaches the results only in a shuffled batch of at least k
(app.pulse.releases), never on its own.
"""
import logging
from dataclasses import dataclass
from functools import cached_property

from peewee import DatabaseError, IntegrityError, fn

from app import errors
from app.db import Statement, is_sqlite, write_transaction
from app.models import Invitation, Participation, Round, Team, utcnow
from app.pulse import releases
from app.text import problem_in as text_problem

MAX_COMMENT_CHARS = 2000
log = logging.getLogger(__name__)


class AnswerError(errors.Invalid):
    """The answers break a rule the form should have caught; nothing was stored."""


class AlreadyAnswered(errors.Conflict):
    """This person has already answered this round."""


class RoundClosed(errors.Conflict):
    """The round stopped taking answers."""


@dataclass(frozen=True)
class CountedIn:
    """Where an answer is counted, as the employee is told before sending. Counts of
    people invited are over a team's whole subtree, as results will be."""
    team: Team
    invited: int
    shown_in: Team
    shown_invited: int
    min_group: int

    @property
    def too_small(self):
        """The person's own team is too small, so the answer counts in a larger one."""
        return self.shown_in.id != self.team.id

    @property
    def never_shown(self):
        return self.shown_invited < self.min_group


@dataclass
class Pulse:
    invitation: Invitation
    questions: list
    min_group: int

    @property
    def round(self):
        return self.invitation.round

    @cached_property
    def answered(self):
        return has_answered(self.invitation)

    @cached_property
    def counted_in(self):
        """Where the answer counts; only the page shows it, so it is read on demand."""
        return counted_in(self.invitation, self.min_group)

    @property
    def scored_count(self):
        return sum(1 for question in self.questions if question.is_scored)


def pulse_for(invitation, min_group):
    """Everything the pulse page needs for one invitation."""
    return Pulse(invitation=invitation,
                 questions=list(invitation.round.survey.current_questions()),
                 min_group=min_group)


def has_answered(invitation):
    return Participation.select().where(
        Participation.round == invitation.round_id,
        Participation.person == invitation.person_id).exists()


def counted_in(invitation, min_group):
    """The person's team, and the group their answer is stored and shown under."""
    return counted_in_team(invitation.round_id, invitation.team, invitation.counted_team,
                           min_group)


def counted_in_team(round_id, team, shown_in, min_group):
    invited = _invited_in(round_id, [t.id for t in team.subtree()])
    if shown_in.id == team.id:
        return CountedIn(team, invited, shown_in, invited, min_group)
    return CountedIn(team, invited, shown_in,
                     _invited_in(round_id, [t.id for t in shown_in.subtree()]), min_group)


def _invited_in(round_id, team_ids):
    return (Invitation.select(fn.COUNT(Invitation.id))
            .where(Invitation.round == round_id, Invitation.team.in_(team_ids)).scalar())


def record_answers(invitation, scores, comments, signed, batch_size, now=None):
    """Store one person's answers for a round; release a batch when one is due.

    scores: {question key: int}, one for every scored question.
    comments: {question key: text}; blank ones are dropped.
    signed: put the person's name on their comments (scores stay anonymous).
    """
    round_ = invitation.round
    payload = _checked_payload(round_, scores, comments, now)
    payload["author"] = invitation.person_id if signed and payload["comments"] else None
    _store(round_, invitation.counted_team_id, invitation.person_id, payload, batch_size)


def record_open_answers(round_, counted_team_id, scores, comments, batch_size, now=None):
    """Store an answer given through an open link: nobody to sign it, and no
    participation row, since nobody is identified (the views rate-limit instead)."""
    payload = _checked_payload(round_, scores, comments, now)
    payload["author"] = None
    _store(round_, counted_team_id, None, payload, batch_size)


def _checked_payload(round_, scores, comments, now):
    if not round_.is_open(now or utcnow()):
        raise RoundClosed()
    questions = {q.key: q for q in round_.survey.current_questions()}
    return {"scores": _checked_scores(questions, scores),
            "comments": _checked_comments(questions, comments)}


def _store(round_, counted_team_id, person_id, payload, batch_size):
    """Seal the answer into its group's pending pool (with the participation row, for a
    person) in one transaction, then release a batch if one is due."""
    try:
        with write_transaction():
            if not _STILL_OPEN.execute(round_.id).fetchone():
                # Checked again in the transaction: an answer sent as the round
                # closed would otherwise land after the close had settled its pools.
                raise RoundClosed()
            if person_id is not None:
                _INSERT_PARTICIPATION.execute(round_.id, person_id)
            releases.add_pending(round_.id, counted_team_id, payload,
                                 pending_size(round_.survey.current_questions()))
    except IntegrityError:
        raise AlreadyAnswered() from None
    try:
        releases.release_if_due(round_, counted_team_id, batch_size)
    except DatabaseError as error:
        # The answer is safely stored; the next submission (or the tick) releases it.
        log.warning("batch release deferred: %s", type(error).__name__)


def pending_size(questions):
    """The size every pending answer of a survey is padded to: room for the longest
    answer it takes — each comment MAX_COMMENT_CHARS characters of up to 4 bytes (UTF-8;
    quotes, backslashes and line breaks take 2 in JSON, and app.text refuses the control
    characters JSON would spell in 6), the scores, the author — in whole KiB."""
    room = 256 + sum(len(q.key) + 8 if q.is_scored else len(q.key) + 8 + 4 * MAX_COMMENT_CHARS
                     for q in questions)
    return -(-room // 1024) * 1024


# The writes of every submission, their SQL written once per worker (app.db.Statement).
_STILL_OPEN = Statement(lambda round_id: _still_open(round_id))


def _still_open(round_id):
    """The round's row if it is not closed. On PostgreSQL it is share-locked until the
    submission commits, so a close (an UPDATE of that row) waits for answers in flight,
    and one that starts after the close sees it closed; SQLite's single writer gives
    the same order."""
    query = Round.select(Round.id).where(Round.id == round_id, Round.closed_at.is_null())
    return query if is_sqlite() else query.for_update("FOR SHARE")
_INSERT_PARTICIPATION = Statement(
    lambda round_id, person_id: Participation.insert(round=round_id, person=person_id))


def _checked_scores(questions, scores):
    unknown = set(scores) - {key for key, q in questions.items() if q.is_scored}
    if unknown:
        raise AnswerError(f"no scored question {sorted(unknown)[0]!r} in this pulse")
    checked = {}
    for key, question in questions.items():
        if not question.is_scored:
            continue
        value = scores.get(key)
        if value is None:
            if question.required:
                raise AnswerError(f"question {key!r} needs an answer")
            continue
        if type(value) is not int or str(value) not in question.scale:
            raise AnswerError(f"{value!r} is not an answer to question {key!r}")
        checked[key] = value
    return checked


def _checked_comments(questions, comments):
    checked = {}
    for key, text in comments.items():
        question = questions.get(key)
        if question is None or question.is_scored:
            raise AnswerError(f"no text question {key!r} in this pulse")
        text = (text or "").strip()
        if len(text) > MAX_COMMENT_CHARS:
            raise AnswerError(f"a comment is at most {MAX_COMMENT_CHARS} characters")
        if text_problem(text):  # the rule the form applies, for every other caller too
            raise AnswerError(text_problem(text, "A comment"))
        if text:
            checked[key] = text
    return checked

