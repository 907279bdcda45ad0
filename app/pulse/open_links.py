"""Open links: one link per team subtree, printed as a QR code on a poster, for staff
who get no mail. Whoever opens it picks their team and answers the pulse open for it.

It has no per-person limit (nobody is identified), so the views rate-limit it per
browser and per address. Answers follow every rule a personal link's do: they join
the pending pool and reach the results only in shuffled batches of at least k, under
the same group an invited person of that team is counted in, and no participation
row is written (there is no person to write it for).
"""
import io
from dataclasses import dataclass
from functools import cached_property

import segno
from peewee import fn

from app import errors, text
from app.accounts import audit, scope
from app.crypto import links
from app.db import write_transaction
from app.models import Invitation, OpenLink, Round, Team, utcnow
from app.numbers import LARGEST_ID, row_id
from app.pulse import answering, rounds

PURPOSE = b"open"
MAX_LABEL = 120


class OpenLinkError(errors.Invalid):
    """An open link that cannot be made as asked; the message says why."""


def create(team_path, label, actor, now=None):
    team = Team.by_path(team_path)
    if team is None:
        raise OpenLinkError("Choose one of the teams.")
    label = str(label or "")
    problem = text.problem_in(label, "The poster's title", cannot="be printed")
    if problem:
        raise OpenLinkError(problem)
    label = " ".join(label.split()) or f"Pulse for {team.name}"
    if len(label) > MAX_LABEL:
        raise OpenLinkError(f"Keep the poster's title to {MAX_LABEL} characters.")
    salt = links.new_salt()
    with write_transaction():
        link = OpenLink.create(team=team, label=label, salt=salt, created_by=actor,
                               created_at=now or utcnow(),
                               token_hash=links.token_hash(token_of_salt(salt)))
        audit.record(actor, "create open link", f"{label} ({team.path})", now)
    return link


def revoke(link, actor, now=None):
    """Stop a link from working; its poster then says the link no longer works."""
    with write_transaction():
        OpenLink.update(revoked_at=now or utcnow()).where(OpenLink.id == link.id).execute()
        audit.record(actor, "revoke open link", f"{link.label} ({link.team.path})", now)


def token_of_salt(salt):
    return links.token_for(salt, purpose=PURPOSE)


def qr_svg(url, title):
    """The QR code of a URL as an SVG document (medium error correction survives a
    creased or slightly dirty poster)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", scale=10, border=4,
                                                  title=title)
    return out.getvalue()


def listing():
    return list(OpenLink.select(OpenLink, Team).join(Team)
                .order_by(OpenLink.revoked_at.is_null(False), Team.path, OpenLink.id))


def link_for_token(token):
    """The open link a token opens, if it is well formed, known and not revoked."""
    if not isinstance(token, str) or not links.TOKEN_PATTERN.match(token):
        return None
    link = OpenLink.get_or_none(OpenLink.token_hash == links.token_hash(token))
    if link is None or link.revoked_at is not None:
        return None
    return link


def teams_of(link):
    """The teams a respondent may choose: the link's team and every team below it."""
    return list(link.team.subtree().order_by(Team.path))


def team_in(link, team_id):
    """The chosen team if it lies in the link's subtree, else None."""
    if isinstance(team_id, str):
        team_id = row_id(team_id)
    if type(team_id) is not int or not 1 <= team_id <= LARGEST_ID:
        return None
    team = Team.get_or_none(Team.id == team_id)
    return team if team is not None and scope.within(team, link.team) else None


def rounds_for(team, now=None):
    """The rounds taking answers now whose scope includes the team, soonest close first."""
    reach = [team.id] + [t.id for t in team.ancestors()]
    return list(Round.open_at(now).where(Round.team.in_(reach)).order_by(Round.closes_at))


def counted_team(round_, team, min_group):
    """The group an answer for `team` is stored under: the same as an invited person
    of that team gets (rounds.counting_teams over the people invited)."""
    invited = dict(Invitation.select(Invitation.team, fn.COUNT(Invitation.id))
                   .where(Invitation.round == round_.id)
                   .group_by(Invitation.team).tuples())
    return Team.get_by_id(rounds.counting_teams(round_.team, invited, min_group)[team.id])


@dataclass
class OpenPulse:
    """What the open pulse page needs; shaped like answering.Pulse, with no invitation."""
    round: Round
    team: Team
    questions: list
    min_group: int
    invitation: None = None

    @cached_property
    def counted_team(self):
        return counted_team(self.round, self.team, self.min_group)

    @cached_property
    def counted_in(self):
        return answering.counted_in_team(self.round.id, self.team, self.counted_team,
                                         self.min_group)

    @property
    def scored_count(self):
        return sum(1 for question in self.questions if question.is_scored)


def pulse_for(round_, team, min_group):
    return OpenPulse(round=round_, team=team, min_group=min_group,
                     questions=list(round_.survey.current_questions()))


def record(open_pulse, scores, comments, batch_size, now=None):
    """Store an answer given through an open link: never signed, no participation."""
    answering.record_open_answers(open_pulse.round, open_pulse.counted_team.id, scores, comments,
                                  batch_size, now)

