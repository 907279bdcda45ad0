"""The mail and reminder settings, checked once at start-up.

A malformed value stops start-up with a message naming the HEARD_ variable, because a
typo found at the first tick (a reminder that never goes, a password sent in clear)
is found too late.
"""
import ipaddress
import os
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.numbers import whole_number

MAX_REMINDER_DAYS = 60
LOCAL_HOSTS = {"localhost"}


class DeliverySettingsError(ValueError):
    """A mail or reminder setting is malformed; the message names it and says why."""


@dataclass(frozen=True)
class DeliverySettings:
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    starttls: bool
    sender: Address
    mail_dir: str
    max_attempts: int
    reminder_days: tuple
    timezone: ZoneInfo

    @property
    def uses_smtp(self):
        return bool(self.smtp_host)

    def describe(self):
        """Where mail goes, in one line for people (never the password)."""
        if not self.uses_smtp:
            target = "standard output" if self.mail_dir == "-" else self.mail_dir
            return f"no mail server is set (HEARD_SMTP_HOST): mail is written to {target}"
        account = f" as {self.smtp_user}" if self.smtp_user else ""
        tls = "STARTTLS" if self.starttls else "no encryption"
        return f"mail goes to {self.smtp_host}:{self.smtp_port}{account} ({tls})"


def from_config(config, instance_path):
    """DeliverySettings from the app's config; DeliverySettingsError if malformed."""
    host = _text(config, "SMTP_HOST")
    if any(c.isspace() for c in host) or "/" in host or host.startswith("-"):
        raise DeliverySettingsError(f"HEARD_SMTP_HOST is {host!r}; give a host name or "
                                    f"address only, like smtp.example.com")
    port = _whole(config, "SMTP_PORT", 1, 65535)
    user, password = _text(config, "SMTP_USER"), str(config["SMTP_PASSWORD"] or "")
    if bool(user) != bool(password):
        raise DeliverySettingsError("set both HEARD_SMTP_USER and HEARD_SMTP_PASSWORD, or "
                                    "neither")
    if password and not config["SMTP_STARTTLS"] and not _is_local(host):
        raise DeliverySettingsError(
            f"HEARD_SMTP_PASSWORD is set but HEARD_SMTP_STARTTLS is off: the password would "
            f"cross the network to {host} in clear. Turn STARTTLS on.")
    sender = _sender(_text(config, "SMTP_SENDER"), host)
    mail_dir = _text(config, "MAIL_DIR") or os.path.join(instance_path, "mail")
    return DeliverySettings(
        smtp_host=host, smtp_port=port, smtp_user=user, smtp_password=password,
        starttls=bool(config["SMTP_STARTTLS"]), sender=sender, mail_dir=mail_dir,
        max_attempts=_whole(config, "MAIL_MAX_ATTEMPTS", 1, 20),
        reminder_days=_reminder_days(config["REMINDER_DAYS"]),
        timezone=_timezone(_text(config, "TIMEZONE") or "UTC"))


def _text(config, name):
    value = config[name]
    return "" if value is None else str(value).strip()


def _whole(config, name, low, high):
    value = config[name]
    number = whole_number(str(value).strip(), low, high)
    if number is None:
        raise DeliverySettingsError(f"HEARD_{name} is {value!r}; it must be a whole number "
                                    f"from {low} to {high}")
    return number


def _is_local(host):
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sender(value, host):
    if not value:
        if host:
            raise DeliverySettingsError(
                "HEARD_SMTP_SENDER is empty; with a mail server set, give the From address, "
                "like Heard <pulse@example.com>")
        return Address("Heard", "heard", "localhost")
    name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if value.count("@") != 1 or not local or "." not in domain and domain != "localhost" \
            or any(c.isspace() or c in "<>\"," for c in address):
        raise DeliverySettingsError(
            f"HEARD_SMTP_SENDER is {value!r}; it must be an address like pulse@example.com "
            f"or Heard <pulse@example.com>")
    return Address(name or "Heard", local, domain)


def _reminder_days(value):
    text = "" if value is None else str(value).strip()
    if text.lower() in ("", "none", "off"):
        return ()
    days = []
    for part in text.split(","):
        day = whole_number(part.strip(), 1, MAX_REMINDER_DAYS)
        if day is None:
            raise DeliverySettingsError(
                f"HEARD_REMINDER_DAYS is {value!r}; give days before the close, from 1 to "
                f"{MAX_REMINDER_DAYS}, separated by commas (like 2, or 3,1), or leave it "
                f"empty for no reminders")
        days.append(day)
    if len(set(days)) != len(days):
        raise DeliverySettingsError(f"HEARD_REMINDER_DAYS is {value!r}; a day is given twice")
    return tuple(sorted(days, reverse=True))  # earliest reminder first


def _timezone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeliverySettingsError(
            f"HEARD_TIMEZONE is {name!r}, which is not a time zone; use a name like UTC or "
            f"Europe/Paris") from None
