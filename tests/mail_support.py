"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, and can be
told to refuse some recipients for good (550) or for now (451)."""
import email
import email.policy
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from app.delivery import tick
from tests.support import free_port


class Mailbox:
    """What the server received, and which recipients it refuses."""

    def __init__(self):
        self.messages = []
        self.refuse = {}  # address -> "550 …" or "451 …"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address):
        """Messages received for one address."""
        return [message for rcpt, message in self.messages if address in rcpt]

    def recipients(self):
        return sorted(address for rcpt, _message in self.messages for address in rcpt)


@contextmanager
def smtp_server(port=None):
    """Run an SMTP server on 127.0.0.1; yields (mailbox, port)."""
    mailbox = Mailbox()
    port = port or free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def smtp_config(port, **extra):
    """Settings that send mail to the test server on this port."""
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_STARTTLS": False,
            "SMTP_SENDER": "Heard <pulse@acme.test>", **extra}


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()


def run_tick(app, now=None, **kwargs):
    """`flask rounds tick` as a function call, at a chosen moment."""
    with app.app_context():
        return tick.tick(app.extensions["heard_delivery"], app.extensions["heard_urls"],
                         app.extensions["heard_thresholds"], now=now, **kwargs)
