"""Handing mail to the mail server, or to the file outbox when no server is set.

Both transports are context managers: one connection (or folder) per delivery run.
`send` raises Refused when this one mail was turned down and Unreachable when nothing
can be sent right now; the outbox retries the first a bounded number of times and the
second for as long as it takes.
"""
import os
import secrets
import smtplib
import ssl
import sys
from datetime import UTC, datetime

TIMEOUT_SECONDS = 20


class Unreachable(Exception):
    """The mail server cannot be reached, or refuses Heard itself; nothing was sent."""


class Refused(Exception):
    """The server turned this mail down. permanent: a 5xx answer (a bad address)."""

    def __init__(self, problem, permanent):
        super().__init__(problem)
        self.permanent = permanent


def transport_for(settings):
    return SmtpTransport(settings) if settings.uses_smtp else FileTransport(settings.mail_dir)


def _answer(code, text):
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}"[:300]


class SmtpTransport:
    def __init__(self, settings):
        self.settings, self.smtp = settings, None

    def __enter__(self):
        settings = self.settings
        try:
            self.smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                                     timeout=TIMEOUT_SECONDS)
            self.smtp.ehlo()
            if settings.starttls:
                self.smtp.starttls(context=ssl.create_default_context())
                self.smtp.ehlo()
            if settings.smtp_user:
                self.smtp.login(settings.smtp_user, settings.smtp_password)
        except smtplib.SMTPNotSupportedError:
            self._close()
            raise Unreachable(f"{settings.smtp_host} does not offer STARTTLS (or sign-in); "
                              f"check HEARD_SMTP_STARTTLS and HEARD_SMTP_PORT") from None
        except smtplib.SMTPAuthenticationError as error:
            self._close()
            raise Unreachable(f"{settings.smtp_host} refused the user name or password "
                              f"({_answer(error.smtp_code, error.smtp_error)})") from None
        except ssl.SSLError as error:
            self._close()
            raise Unreachable(f"STARTTLS with {settings.smtp_host} failed: "
                              f"{error.reason or error}") from None
        except (OSError, smtplib.SMTPException) as error:
            self._close()
            raise Unreachable(f"cannot talk to {settings.smtp_host}:{settings.smtp_port}: "
                              f"{_reason(error)}") from None
        return self

    def send(self, message):
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise Refused(_answer(code, text), permanent=code >= 500) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise Refused(_answer(error.smtp_code, error.smtp_error),
                          permanent=error.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as error:
            raise Unreachable(f"{self.settings.smtp_host} stopped answering: "
                              f"{_reason(error)}") from None

    def __exit__(self, *exc):
        self._close()

    def _close(self):
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        self.smtp = None


def _reason(error):
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


class FileTransport:
    """One .eml file per mail in a folder (or standard output for '-'), for an
    operator to read or forward. Files are written whole, then renamed into place."""

    def __init__(self, directory):
        self.directory = directory

    def __enter__(self):
        if self.directory != "-":
            try:
                os.makedirs(self.directory, mode=0o700, exist_ok=True)
            except OSError as error:
                raise Unreachable(f"cannot write mail into {self.directory}: "
                                  f"{_reason(error)}") from None
        return self

    def send(self, message):
        data = bytes(message)
        if self.directory == "-":
            sys.stdout.write(data.decode("utf-8", "replace") + "\n")
            sys.stdout.flush()
            return
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.eml"
        partial = os.path.join(self.directory, "." + name)
        try:
            with open(partial, "wb") as handle:
                handle.write(data)
            os.replace(partial, os.path.join(self.directory, name))
        except OSError as error:
            raise Unreachable(f"cannot write mail into {self.directory}: "
                              f"{_reason(error)}") from None

    def __exit__(self, *exc):
        return None
