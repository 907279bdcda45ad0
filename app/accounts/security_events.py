"""The security event log: one structured line per event that matters to an auditor.

`record("sign_in.failed", person=12, reason="password")` writes, to the logger
``heard.security``, a JSON line such as::

    {"time": "2026-11-29T18:50:03Z", "event": "sign_in.failed", "person": 12, "reason": "password"}

Times are UTC and say so (the trailing Z). docs/security-events.md lists every event
and its fields. What never goes in: passwords, codes, tokens, secrets, cookies,
answers or comment text, network addresses, and anything that ties a person to an
anonymous action (a pulse answer, an anonymous reply or reaction is never an event).
Fields named like a secret are dropped here, whoever calls, as a second line of defence.
"""
import json
import logging
from datetime import UTC, datetime

LOGGER = "heard.security"
EVENTS = {
    "sign_in.succeeded": "a session started (fields: person, method, level)",
    "sign_in.failed": "a first factor was refused (fields: person if known, reason)",
    "second_factor.failed": "a TOTP or recovery code was refused (fields: person)",
    "second_factor.enrolled": "an authenticator app was set up (fields: person)",
    "recovery_codes.renewed": "a person made new recovery codes (fields: person)",
    "access.denied": "a signed-in person was refused a page (fields: person, endpoint, reason)",
    "csrf.failed": "a form came without a valid CSRF token (fields: endpoint)",
    "cross_site.refused": "a cross-site state-changing request was refused (fields: endpoint)",
    "session.ended": "one session or all of a person's ended (fields: person, reason, scope)",
    "role.changed": "a person's role changed, ending their sessions (fields: person, before, "
                    "after, by)",
    "password.changed": "a password was set or changed (fields: person)",
    "account.disabled": "an account was disabled (fields: person)",
    "second_factor.reset": "an operator removed a person's authenticator (fields: person)",
}
# Never logged, whatever a caller passes: a value under such a name could be a secret.
FORBIDDEN = ("password", "code", "token", "secret", "cookie", "answer", "comment", "body",
             "text", "ip", "address", "email")


class UnknownEvent(ValueError):
    """An event name that docs/security-events.md does not list."""


def record(event, **fields):
    """Write one security event (see EVENTS); secret-looking fields are dropped."""
    if event not in EVENTS:
        raise UnknownEvent(f"{event!r} is not a documented security event")
    line = {"time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "event": event}
    for name, value in fields.items():
        if any(word in name.lower() for word in FORBIDDEN):
            continue
        line[name] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
    logging.getLogger(LOGGER).info(json.dumps(line, ensure_ascii=True, sort_keys=False))
