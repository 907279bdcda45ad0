"""What Heard says when it refuses a request: one error per kind of refusal.

Business modules raise their own named errors (`schedules.Overlap`,
`answering.RoundClosed`...), each a subclass of exactly one kind below, with a message
written for the person who asked. They know nothing of HTTP: `app.views.errors` maps the
kinds to statuses in one table, and the command line prints the message.
"""


class HeardError(Exception):
    """A request Heard refuses; the message says why. Raise one of its kinds, never it."""


class Invalid(HeardError):
    """What was given breaks a rule (a date that is no date, an empty reply): fixing the
    input helps."""


class NotFound(HeardError):
    """What was asked for does not exist, or not for this person."""


class NotAllowed(HeardError):
    """This person may not do this."""


class Conflict(HeardError):
    """The input is fine but the state forbids it now: already done, overlapping, closed."""
