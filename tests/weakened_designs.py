"""The designs issue 13's audit broke, kept only so that each forensic attack can show
it would catch them (tests/forensic_scenario.weakened). Never imported by the app."""
import json
from collections import Counter

from peewee import EXCLUDED

from app.models import AnswerCount, TeamTally
from app.pulse import releases


def counting_teams_by_subtree(scope, headcount, min_group):
    """The old rule: the smallest team at or above with min_group people in its whole
    subtree, although that subtree's people may be counted in groups of their own."""
    teams = {t.id: t for t in scope.subtree()}

    def upwards(team_id):
        team = teams[team_id]
        yield team
        while team.id != scope.id:
            team = teams[team.parent_id]
            yield team

    in_subtree = Counter()
    for team_id, count in headcount.items():
        for team in upwards(team_id):
            in_subtree[team.id] += count
    return {team_id: next(team.id for team in upwards(team_id)
                          if in_subtree[team.id] >= min_group or team.id == scope.id)
            for team_id in teams}


def release_if_due(round_, team_id, k):
    """The old pool: everything goes out once k wait, nothing kept for the close."""
    if releases._waiting(round_.id, team_id) >= k:
        return releases.release_pool(round_, team_id, k, keep=0)
    return 0


def release_round(round_, k, parents):
    """The old close: every pool released on its own, whatever is left in it."""
    return sum(releases.release_pool(round_, team_id, 1, keep=0)
               for team_id in releases._pools_left(round_.id))


def add_to_tallies_as_met(round_, team_id, payloads, questions):
    """The old tallies: rows created in the order the batch first meets each value."""
    counts = Counter((key, value) for payload in payloads
                     for key, value in payload["scores"].items())
    rows = [{"round": round_.id, "team": team_id, "question": questions[key].id,
             "value": value, "count": count} for (key, value), count in counts.items()]
    if rows:
        (AnswerCount.insert_many(rows)
         .on_conflict(conflict_target=[AnswerCount.round, AnswerCount.team,
                                       AnswerCount.question, AnswerCount.value],
                      update={AnswerCount.count: AnswerCount.count + EXCLUDED.count})
         .execute())
    (TeamTally.insert(round=round_.id, team=team_id, respondents=len(payloads))
     .on_conflict(conflict_target=[TeamTally.round, TeamTally.team],
                  update={TeamTally.respondents: TeamTally.respondents + len(payloads)})
     .execute())


def padded_to_buckets(payload, size):
    """The old padding: to 512 bytes and doubling, ASCII-escaped JSON."""
    data = json.dumps(payload).encode()
    bucket = max(512, 1 << (len(data) - 1).bit_length())
    return data + b" " * (bucket - len(data))
