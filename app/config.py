"""Every setting Heard reads, declared once with its default and help text.

`docs/configuration.md` documents each of them; a test fails when one is missing there.
Environment variables carry the ``HEARD_`` prefix: ``HEARD_DATABASE_URL`` sets ``DATABASE_URL``.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


SETTINGS = (
    Setting("DATABASE_URL", None,
            "Where data lives: sqlite:///path/to/file.db or postgresql://user@host/db. "
            "Default: instance/heard.db."),
    Setting("KEY_FILE", None,
            "Path of the key file holding the key-encryption keys. Keep it outside the "
            "database and its backups. Default: instance/heard.keys (created on first run)."),
    Setting("SECRET_KEY", None,
            "Signs session cookies. Default: a random key kept in instance/secret_key."),
    Setting("BASE_URL", "http://127.0.0.1:5000",
            "The public address of this server, used in printed and mailed links."),
    Setting("MIN_GROUP", 5,
            "k: the fewest respondents any figure may describe, and the size of a "
            "release batch. Never below 3."),
    Setting("MIN_GROUP_COMMENTS", 10,
            "k_comments: the fewest respondents a group needs before its comments are "
            "shown. Never below MIN_GROUP."),
    Setting("SURVEYS_DIR", None,
            "Folder of survey definitions (*.toml). Default: surveys/ in the project."),
    Setting("PULSE_SESSION_MINUTES", 120,
            "How long a session started from a personal link lasts."),
    Setting("REQUIRE_MFA", True,
            "Leaders, HR and admins must set up an authenticator app (TOTP) before they "
            "see anything. `make run` turns it off for the demo; keep it on elsewhere."),
    Setting("ALLOW_COMMENT_EXPORT", False,
            "Whether HR may download the text of comments as CSV (comments.csv). Off by "
            "default: a file of comments leaves the app's thresholds and audit behind "
            "once it is saved. Every such export is recorded in the audit log."),
    Setting("SIGN_IN_LINK_MINUTES", 10,
            "How long a one-time sign-in link stays valid; at most 10 minutes."),
    Setting("STAFF_IDLE_MINUTES", 30,
            "A staff session ends after this many minutes without a request."),
    Setting("STAFF_SESSION_HOURS", 12,
            "A staff session ends this many hours after sign-in, active or not."),
    Setting("SIGNIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes",
            "Failed sign-ins (password, code) allowed for one account from one network "
            "address before a pause; the account can still sign in from elsewhere."),
    Setting("SIGNIN_CEILING_PER_ACCOUNT", "100 per hour",
            "Failed sign-ins allowed for one account from all addresses together before a "
            "pause: stops guessing spread over many addresses. Keep it far above "
            "SIGNIN_LIMIT_PER_ACCOUNT, or anyone can keep the owner out."),
    Setting("SIGNIN_LIMIT_PER_ADDRESS", "30 per 15 minutes",
            "Failed sign-ins allowed per network address before a pause."),
    Setting("ANONYMOUS_REPLY_LIMIT", "5 per hour",
            "Anonymous replies on the board one person may post before a pause. Signed "
            "replies are not limited."),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "Where rate-limit counters live: memory:// keeps them in each worker process "
            "(every limit is then multiplied by the number of workers; start-up warns); "
            "redis://host:6379 shares them between workers and instances."),
    Setting("SMTP_HOST", "",
            "The mail server that sends invitations and reminders. Empty: mail is written "
            "to HEARD_MAIL_DIR instead, for the operator to read."),
    Setting("SMTP_PORT", 587, "The mail server's port (587 for submission with STARTTLS)."),
    Setting("SMTP_USER", "", "The user name Heard signs in to the mail server with, if any."),
    Setting("SMTP_PASSWORD", "", "That user's password. Needs STARTTLS unless the server "
            "is on this machine."),
    Setting("SMTP_STARTTLS", True,
            "Encrypt the connection to the mail server with STARTTLS before anything is sent."),
    Setting("SMTP_SENDER", "",
            "The From address of Heard's mail, e.g. Heard <pulse@example.com>. Needed with "
            "HEARD_SMTP_HOST."),
    Setting("MAIL_DIR", None,
            "Where mail goes when no mail server is set: one .eml file per mail. '-' "
            "prints mail to standard output. Default: instance/mail."),
    Setting("MAIL_MAX_ATTEMPTS", 5,
            "How often a mail the server refuses is tried before it is given up. A server "
            "that cannot be reached only delays mail; it never uses up attempts."),
    Setting("REMINDER_DAYS", "2",
            "When reminders go to people who have not answered: days before a round "
            "closes, comma-separated (\"3,1\" for two reminders). Empty: no reminders."),
    Setting("TIMEZONE", "UTC",
            "The time zone of schedules' day and hour and of dates in mail, e.g. "
            "Europe/Paris."),
    Setting("OPEN_LINK_LIMIT_PER_DEVICE", "5 per hour",
            "Answers one browser may send through open links (QR posters) before a pause."),
    Setting("OPEN_LINK_LIMIT_PER_ADDRESS", "60 per hour",
            "Answers one network address may send through open links before a pause; "
            "a shared office connection counts as one address."),
    Setting("RETAIN_SIGN_IN_LINKS_DAYS", 7,
            "Days `heard purge` keeps sign-in links that expired or were used. 0: keep."),
    Setting("RETAIN_OUTBOX_DAYS", 30,
            "Days `heard purge` keeps mail that was given up on. 0: keep."),
    Setting("RETAIN_BOUNCES_DAYS", 180,
            "Days `heard purge` keeps addresses a mail server refused, since the last "
            "refusal. 0: keep."),
    Setting("RETAIN_AUDIT_DAYS", 730, "Days `heard purge` keeps audit entries. 0: keep."),
    Setting("RETAIN_ANSWERS_DAYS", 0,
            "Days after a round closes before `heard purge` destroys its data key, erasing "
            "its answers and comments for good (aggregates stay). 0: keep."),
    Setting("TRUST_PROXY", 0,
            "How many reverse proxies sit in front of Heard (for X-Forwarded-* headers)."),
)

FLAGS = ("REQUIRE_MFA", "ALLOW_COMMENT_EXPORT", "SMTP_STARTTLS")  # true or false

DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
