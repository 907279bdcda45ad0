"""Retention: how long Heard keeps what it no longer needs, and the purge that enforces it.

Run `heard purge` daily from cron. Each kind of record has its own period
(HEARD_RETAIN_*_DAYS); 0 keeps that kind for good. What a purge may delete:

- sign-in links that expired or were used (their token hashes and days);
- mail given up on (the outbox row: an invitation and a kind, no text);
- addresses a mail server refused (kept so HR can fix the roster);
- audit entries (who exported, moderated, changed keys — never answer data);
- the answers of rounds closed long ago, by destroying the round's data key
  (crypto-shredding): every response and comment of the round becomes unreadable,
  while the aggregates that passed the anonymity thresholds stay on the dashboards.

The purge writes one audit entry with what it removed, counted by kind.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from app.accounts import audit
from app.crypto import keys, pending_keys
from app.db import db
from app.models import AuditEntry, DataKey, MailBounce, OutboxMail, Round, SignInLink, utcnow


@dataclass(frozen=True)
class Policy:
    """Days each kind of record is kept; 0 keeps it for good."""
    sign_in_links: int
    outbox: int
    bounces: int
    audit: int
    answers: int

    @classmethod
    def from_config(cls, config):
        return cls(**{name: config[f"RETAIN_{name.upper()}_DAYS"] for name in
                      ("sign_in_links", "outbox", "bounces", "audit", "answers")})


@dataclass
class Purged:
    """What one purge removed (or, with dry_run, would remove)."""
    sign_in_links: int = 0
    outbox: int = 0
    bounces: int = 0
    audit: int = 0
    rounds_shredded: list = field(default_factory=list)

    def describe(self):
        rounds = ", ".join(str(r) for r in self.rounds_shredded) or "none"
        return (f"sign-in links {self.sign_in_links}, mail given up {self.outbox}, "
                f"refused addresses {self.bounces}, audit entries {self.audit}, "
                f"rounds whose answers were erased: {rounds}")


def purge(policy, now=None, dry_run=False):
    """Delete what the policy no longer keeps. Returns a Purged."""
    now = now or utcnow()
    before = {name: now - timedelta(days=days) for name, days in vars(policy).items() if days}
    expired = _expired(before)
    shredded = _rounds_to_shred(before.get("answers"))
    purged = Purged(**{name: model.select().where(where).count()
                       for name, (model, where) in expired.items()},
                    rounds_shredded=[round_.id for round_ in shredded])
    if dry_run:
        return purged
    with db.atomic():
        for model, where in expired.values():
            model.delete().where(where).execute()
    for round_ in shredded:
        keys.destroy_data_key(round_.data_key)
        pending_keys.destroy_round(round_.id)
    audit.record(None, "purge", "retention", now=now, sign_in_links=purged.sign_in_links,
                 outbox=purged.outbox, bounces=purged.bounces, audit=purged.audit,
                 rounds_shredded=purged.rounds_shredded)
    return purged


def _expired(before):
    """{kind: (model, condition)} for each kind the policy limits."""
    conditions = {
        "sign_in_links": (SignInLink, lambda at: (SignInLink.expires_at < at)
                          | (SignInLink.used_at < at)),
        "outbox": (OutboxMail, lambda at: OutboxMail.failed & (OutboxMail.next_attempt_at < at)),
        "bounces": (MailBounce, lambda at: MailBounce.last_at < at),
        "audit": (AuditEntry, lambda at: AuditEntry.at < at),
    }
    return {name: (model, condition(before[name]))
            for name, (model, condition) in conditions.items() if name in before}


def _rounds_to_shred(before):
    """Rounds closed before `before` whose data key still exists."""
    if before is None:
        return []
    return list(Round.select(Round, DataKey).join(DataKey)
                .where(Round.closed_at < before, DataKey.wrapped.is_null(False)))
