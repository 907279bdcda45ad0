"""Every setting Heard reads, declared once: its kind of value, default and help text.

`docs/configuration.md` documents each of them; a test fails when one is missing there.
Environment variables carry the ``HEARD_`` prefix: ``HEARD_DATABASE_URL`` sets ``DATABASE_URL``.
`load` turns every value into its type at start-up, so that a typo stops Heard with the
variable's name instead of a traceback, or a 500 on the first request that reads it.
"""
import json
import os
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many
from limits.storage import SCHEMES

from app.numbers import whole_number

MAX_REMINDER_DAYS = 60
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class SettingError(ValueError):
    """A setting holds a value Heard cannot use; the message names it and what it takes."""


def _as_text(value):
    """The text of a value. from_prefixed_env JSON-decodes HEARD_ variables (`5` -> 5,
    `true` -> True); json.dumps gives back the text the operator wrote."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class WholeNumber:
    low: int
    high: int
    unit: str = ""

    @property
    def takes(self):
        unit = f" of {self.unit}" if self.unit else ""
        return f"a whole number{unit} from {self.low} to {self.high}"

    def parse(self, value):
        if isinstance(value, bool):  # True is an int to Python, not to an operator
            value = None
        elif isinstance(value, int):
            value = str(value)
        number = whole_number(value.strip() if isinstance(value, str) else None,
                              self.low, self.high)
        if number is None:
            raise ValueError
        return number


class Flag:
    """A switch. Anything but the words below refuses, since a typo must not silently
    switch a safeguard off (or an export on)."""
    takes = "true or false (also yes/no, on/off, 1/0)"

    def parse(self, value):
        if isinstance(value, bool):
            return value
        text = _as_text(value).strip().lower()
        if text in _TRUE + _FALSE:
            return text in _TRUE
        raise ValueError


@dataclass(frozen=True)
class Text:
    takes: str = "text"
    strip: bool = True
    empty: object = ""  # what an empty value stands for: None leaves it to the instance folder

    def parse(self, value):
        if isinstance(value, bytes):  # Flask takes a SECRET_KEY as bytes too
            return value
        text = _as_text(value)
        text = text.strip() if self.strip else text
        return text or self.empty


class FilePath:
    """A file's path, or None for the instance folder's default."""
    takes = "the path of a file, not of a folder"

    def parse(self, value):
        path = Text(empty=None).parse(value)
        if path and os.path.isdir(path):  # else opening it fails later with a traceback
            raise ValueError
        return path


class HostName:
    takes = "a host name or address only, like smtp.example.com"

    def parse(self, value):
        host = _as_text(value).strip()
        if any(c.isspace() for c in host) or "/" in host or host.startswith("-"):
            raise ValueError
        return host


class BaseURL:
    takes = "an http:// or https:// address with a host name, like https://pulse.example.com"

    def parse(self, value):
        url = _as_text(value).strip().rstrip("/")
        parts = urlsplit(url)  # a ValueError for an unbalanced [ in the host
        parts.port  # and for a port that is not a number from 0 to 65535
        # No user:password (it would ride in every mailed link), query or fragment
        # (a link built under it would lose or garble them).
        if parts.scheme not in ("http", "https") or not parts.hostname \
                or any(c.isspace() for c in url) or "@" in parts.netloc \
                or parts.query or parts.fragment or url.endswith(("?", "#")):
            raise ValueError
        return url


class RateLimit:
    """Checked with the `limits` library that enforces it; kept as text, which is what
    flask-limiter and the pause messages read."""
    takes = "a rate limit like 5 per 15 minutes or 100/hour (several separated by ;)"

    def parse(self, value):
        text = _as_text(value).strip()
        parse_many(text)  # a ValueError on anything limits cannot read
        return text


class StorageURI:
    takes = "memory:// or a shared store's address, like redis://127.0.0.1:6379"

    def parse(self, value):
        text = _as_text(value).strip()
        scheme = text.partition("://")[0]
        # flask-limiter is synchronous: the async+ storages of `limits` do not fit it.
        if "://" not in text or scheme not in SCHEMES or scheme.startswith("async+"):
            raise ValueError
        return text


class TimeZone:
    takes = "a time zone name, like UTC or Europe/Paris"

    def parse(self, value):
        if isinstance(value, ZoneInfo):  # typed already (a test, an app's config again)
            return value
        try:
            return ZoneInfo(_as_text(value).strip() or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError from None


class MailAddress:
    takes = "an address like pulse@example.com or Heard <pulse@example.com>"

    def parse(self, value):
        """An Address, or None when empty (the delivery settings say whether it may be)."""
        if isinstance(value, Address):  # typed already
            return value
        text = _as_text(value).strip()
        if not text:
            return None
        name, address = parseaddr(text)
        local, _, domain = address.rpartition("@")
        if text.count("@") != 1 or not local or "." not in domain and domain != "localhost" \
                or any(c.isspace() or c in "<>\"," for c in address):
            raise ValueError
        return Address(name or "Heard", local, domain)


class ReminderDays:
    takes = (f"days before the close, from 1 to {MAX_REMINDER_DAYS}, separated by commas "
             f"(like 2, or 3,1), or empty for no reminders")

    def parse(self, value):
        """The days, earliest reminder first."""
        if isinstance(value, (tuple, list)):  # typed already: the days themselves
            value = ",".join(str(day) for day in value)
        text = _as_text(value).strip()
        if text.lower() in ("", "none", "off"):
            return ()
        days = [whole_number(part.strip(), 1, MAX_REMINDER_DAYS) for part in text.split(",")]
        if None in days:
            raise ValueError
        if len(set(days)) != len(days):
            raise SettingError("a day is given twice")
        return tuple(sorted(days, reverse=True))


@dataclass(frozen=True)
class Setting:
    name: str
    kind: object
    default: object
    help: str

    def read(self, value):
        """The typed value; SettingError naming HEARD_<name> and what it takes."""
        try:
            return self.kind.parse(value)
        except (ValueError, TypeError) as error:  # TypeError: a Python value of no kind
            # A kind's own SettingError says what is wrong; any other ValueError (from
            # int(), ZoneInfo, limits...) speaks for the library: say what the setting takes.
            reason = str(error) if isinstance(error, SettingError) else \
                f"it must be {self.kind.takes}"
            raise SettingError(f"HEARD_{self.name} is {value!r}; {reason}") from None


# 0 keeps for good; a misread value must stop start-up rather than purge.
RETAIN_DAYS = WholeNumber(0, 36500, "days")

SETTINGS = (
    Setting("DATABASE_URL", Text("a sqlite:/// or postgresql:// address", empty=None), None,
            "Where data lives: sqlite:///path/to/file.db or postgresql://user@host/db. "
            "Default: instance/heard.db."),
    Setting("KEY_FILE", FilePath(), None,
            "Path of the key file holding the key-encryption keys. Keep it outside the "
            "database and its backups. Default: instance/heard.keys (created on first run)."),
    Setting("SECRET_KEY", Text("long random text", strip=False, empty=None), None,
            "Signs session cookies. Default: a random key kept in instance/secret_key."),
    Setting("BASE_URL", BaseURL(), "http://127.0.0.1:5000",
            "The public address of this server, used in printed and mailed links."),
    Setting("MIN_GROUP", WholeNumber(3, 10_000, "people"), 5,
            "k: the fewest respondents any figure may describe, and the size of a "
            "release batch. Never below 3."),
    Setting("MIN_GROUP_COMMENTS", WholeNumber(3, 10_000, "people"), 10,
            "k_comments: the fewest respondents a group needs before its comments are "
            "shown. Never below MIN_GROUP."),
    Setting("SURVEYS_DIR", Text("the path of a folder", empty=None), None,
            "Folder of survey definitions (*.toml). Default: surveys/ in the project."),
    Setting("PULSE_SESSION_MINUTES", WholeNumber(1, 1440, "minutes"), 120,
            "How long a session started from a personal link lasts."),
    Setting("REQUIRE_MFA", Flag(), True,
            "Leaders, HR and admins must set up an authenticator app (TOTP) before they "
            "see anything. `make run` turns it off for the demo; keep it on elsewhere."),
    Setting("ALLOW_COMMENT_EXPORT", Flag(), False,
            "Whether HR may download the text of comments as CSV (comments.csv). Off by "
            "default: a file of comments leaves the app's thresholds and audit behind "
            "once it is saved. Every such export is recorded in the audit log."),
    Setting("SIGN_IN_LINK_MINUTES", WholeNumber(1, 10, "minutes"), 10,
            "How long a one-time sign-in link stays valid; at most 10 minutes."),
    Setting("STAFF_IDLE_MINUTES", WholeNumber(1, 1440, "minutes"), 30,
            "A staff session ends after this many minutes without a request."),
    Setting("STAFF_SESSION_HOURS", WholeNumber(1, 24, "hours"), 12,
            "A staff session ends this many hours after sign-in, active or not."),
    Setting("SIGNIN_LIMIT_PER_ACCOUNT", RateLimit(), "5 per 15 minutes",
            "Failed sign-ins (password, code) allowed for one account from one network "
            "address before a pause; the account can still sign in from elsewhere."),
    Setting("SIGNIN_CEILING_PER_ACCOUNT", RateLimit(), "100 per hour",
            "Failed sign-ins allowed for one account from all addresses together before a "
            "pause: stops guessing spread over many addresses. Keep it far above "
            "SIGNIN_LIMIT_PER_ACCOUNT, or anyone can keep the owner out."),
    Setting("SIGNIN_LIMIT_PER_ADDRESS", RateLimit(), "30 per 15 minutes",
            "Failed sign-ins allowed per network address before a pause."),
    Setting("ANONYMOUS_REPLY_LIMIT", RateLimit(), "5 per hour",
            "Anonymous replies on the board one person may post before a pause. Signed "
            "replies are not limited."),
    Setting("RATELIMIT_STORAGE_URI", StorageURI(), "memory://",
            "Where rate-limit counters live: memory:// keeps them in each worker process "
            "(every limit is then multiplied by the number of workers; start-up warns); "
            "redis://host:6379 shares them between workers and instances."),
    Setting("SMTP_HOST", HostName(), "",
            "The mail server that sends invitations and reminders. Empty: mail is written "
            "to HEARD_MAIL_DIR instead, for the operator to read."),
    Setting("SMTP_PORT", WholeNumber(1, 65535), 587,
            "The mail server's port (587 for submission with STARTTLS)."),
    Setting("SMTP_USER", Text(), "",
            "The user name Heard signs in to the mail server with, if any."),
    Setting("SMTP_PASSWORD", Text(strip=False), "",
            "That user's password. Needs STARTTLS unless the server is on this machine."),
    Setting("SMTP_STARTTLS", Flag(), True,
            "Encrypt the connection to the mail server with STARTTLS before anything is sent."),
    Setting("SMTP_SENDER", MailAddress(), "",
            "The From address of Heard's mail, e.g. Heard <pulse@example.com>. Needed with "
            "HEARD_SMTP_HOST."),
    Setting("MAIL_DIR", Text("the path of a folder, or -", empty=None), None,
            "Where mail goes when no mail server is set: one .eml file per mail. '-' "
            "prints mail to standard output. Default: instance/mail."),
    Setting("MAIL_MAX_ATTEMPTS", WholeNumber(1, 20), 5,
            "How often a mail the server refuses is tried before it is given up. A server "
            "that cannot be reached only delays mail; it never uses up attempts."),
    Setting("REMINDER_DAYS", ReminderDays(), "2",
            "When reminders go to people who have not answered: days before a round "
            "closes, comma-separated (\"3,1\" for two reminders). Empty: no reminders."),
    Setting("TIMEZONE", TimeZone(), "UTC",
            "The time zone of schedules' day and hour and of dates in mail, e.g. "
            "Europe/Paris."),
    Setting("OPEN_LINK_LIMIT_PER_DEVICE", RateLimit(), "5 per hour",
            "Answers one browser may send through open links (QR posters) before a pause."),
    Setting("OPEN_LINK_LIMIT_PER_ADDRESS", RateLimit(), "60 per hour",
            "Answers one network address may send through open links before a pause; "
            "a shared office connection counts as one address."),
    Setting("RETAIN_SIGN_IN_LINKS_DAYS", RETAIN_DAYS, 7,
            "Days `heard purge` keeps sign-in links that expired or were used. 0: keep."),
    Setting("RETAIN_OUTBOX_DAYS", RETAIN_DAYS, 30,
            "Days `heard purge` keeps mail that was given up on. 0: keep."),
    Setting("RETAIN_BOUNCES_DAYS", RETAIN_DAYS, 180,
            "Days `heard purge` keeps addresses a mail server refused, since the last "
            "refusal. 0: keep."),
    Setting("RETAIN_AUDIT_DAYS", RETAIN_DAYS, 730,
            "Days `heard purge` keeps audit entries. 0: keep."),
    Setting("RETAIN_ANSWERS_DAYS", RETAIN_DAYS, 0,
            "Days after a round closes before `heard purge` destroys its data key, erasing "
            "its answers and comments for good (aggregates stay). 0: keep."),
    Setting("TRUST_PROXY", WholeNumber(0, 10, "proxies"), 0,
            "How many reverse proxies sit in front of Heard (for X-Forwarded-* headers)."),
)


def load(config):
    """Turn every setting in `config` (a mapping, changed in place) into its typed value.

    Raises SettingError for the first value that does not parse, or for settings that
    do not fit together."""
    for setting in SETTINGS:
        config[setting.name] = setting.read(config[setting.name])
    if config["MIN_GROUP_COMMENTS"] < config["MIN_GROUP"]:
        raise SettingError(
            f"HEARD_MIN_GROUP_COMMENTS is {config['MIN_GROUP_COMMENTS']}; it may never be "
            f"below HEARD_MIN_GROUP ({config['MIN_GROUP']})")


DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
