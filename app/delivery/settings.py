"""The mail and reminder settings as one value, checked together at start-up.

Each setting is typed on its own by app.config.load; what is checked here is how they fit
together. A misfit stops start-up with a message naming the HEARD_ variables, because a
typo found at the first tick (a reminder that never goes, a password sent in clear)
is found too late.
"""
import ipaddress
import os
from dataclasses import dataclass
from email.headerregistry import Address
from zoneinfo import ZoneInfo

LOCAL_HOSTS = {"localhost"}
NO_SERVER_SENDER = Address("Heard", "heard", "localhost")  # mail only written to files


class DeliverySettingsError(ValueError):
    """Mail settings that do not fit together; the message names them and says why."""


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
    """DeliverySettings from the app's typed settings; DeliverySettingsError if they do not
    fit together."""
    host, user, password = config["SMTP_HOST"], config["SMTP_USER"], config["SMTP_PASSWORD"]
    if bool(user) != bool(password):
        raise DeliverySettingsError("set both HEARD_SMTP_USER and HEARD_SMTP_PASSWORD, or "
                                    "neither")
    if password and not config["SMTP_STARTTLS"] and not _is_local(host):
        raise DeliverySettingsError(
            f"HEARD_SMTP_PASSWORD is set but HEARD_SMTP_STARTTLS is off: the password would "
            f"cross the network to {host} in clear. Turn STARTTLS on.")
    return DeliverySettings(
        smtp_host=host, smtp_port=config["SMTP_PORT"], smtp_user=user, smtp_password=password,
        starttls=config["SMTP_STARTTLS"], sender=_sender(config["SMTP_SENDER"], host),
        mail_dir=config["MAIL_DIR"] or os.path.join(instance_path, "mail"),
        max_attempts=config["MAIL_MAX_ATTEMPTS"], reminder_days=config["REMINDER_DAYS"],
        timezone=config["TIMEZONE"])


def _is_local(host):
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sender(sender, host):
    if sender is None and host:
        raise DeliverySettingsError(
            "HEARD_SMTP_SENDER is empty; with a mail server set, give the From address, "
            "like Heard <pulse@example.com>")
    return sender or NO_SERVER_SENDER
