"""The audit log: who did what, and when, for the acts HR must be able to trace.

An entry names the person who acted and what they acted on. It never names an
anonymous author and never holds a reply's or comment's text.
"""
import json

from peewee import JOIN

from app.models import AuditEntry, Person, utcnow

PER_PAGE = 50


def record(actor, action, subject, now=None, **detail):
    """Add an entry; `detail` holds plain facts (a reason, filters, a row count)."""
    return AuditEntry.create(at=now or utcnow(), actor=actor, action=action,
                             subject=subject[:200],
                             detail=json.dumps(detail, ensure_ascii=False, sort_keys=True))


def entries(page=1):
    """One page of entries, newest first, with their actors."""
    return list(AuditEntry.select(AuditEntry, Person)
                .join(Person, on=(AuditEntry.actor == Person.id), join_type=JOIN.LEFT_OUTER)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .paginate(page, PER_PAGE))


def details(entry):
    """An entry's detail as a dict."""
    return json.loads(entry.detail or "{}")
