"""The invitation and reminder mails: short, plain text with an HTML twin, readable on
a phone, with the personal link, the closing date and one line on anonymity.

They are written at sending time from the invitation, so the link (a secret) is never
stored in the outbox.
"""
import os
from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.models import utcnow

KINDS = ("invitation", "reminder")
_templates = Environment(
    loader=FileSystemLoader(os.path.join(os.path.dirname(__file__), "mail_templates")),
    autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
    keep_trailing_newline=True)


class UnwritableAddress(ValueError):
    """The person's address cannot be put in a mail header."""


def local_time(moment, timezone):
    """'Friday 27 November, 17:00 CET' for a naive UTC datetime, in the given zone."""
    local = moment.replace(tzinfo=UTC).astimezone(timezone)
    return f"{local:%A %-d %B, %H:%M} {local.tzname()}"


def compose(kind, invitation, settings, urls, min_group, final_reminder=True):
    """The EmailMessage for one invitation or reminder; urls builds the personal
    link (app.views.urls)."""
    round_, person = invitation.round, invitation.person
    survey = round_.survey
    closes_short = f"{round_.closes_at.replace(tzinfo=UTC).astimezone(settings.timezone):%a %-d %b}"
    subject = (f"{survey.title}: your anonymous pulse, open until {closes_short}"
               if kind == "invitation" else f"Reminder: {survey.title} closes {closes_short}")
    context = {
        "kind": kind, "subject": subject, "first_name": person.name.split()[0],
        "survey": survey.title, "team": round_.team.name,
        "closes": local_time(round_.closes_at, settings.timezone),
        "questions": len(survey.current_questions()), "k": min_group,
        "url": urls.personal(invitation), "final_reminder": final_reminder,
    }
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    try:
        message["To"] = Address(person.name, addr_spec=person.email)
    except (ValueError, IndexError):
        raise UnwritableAddress(f"{person.email!r} cannot be written as a mail address") \
            from None
    message["Date"] = format_datetime(utcnow().replace(tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain=settings.sender.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_templates.get_template(f"{kind}.txt").render(context))
    message.add_alternative(_templates.get_template("mail.html").render(context), subtype="html")
    return message


def check_message(settings, to_address):
    """A short mail for `flask mail check --send-to`."""
    message = EmailMessage()
    message["Subject"] = "Heard: test mail"
    message["From"] = settings.sender
    message["To"] = to_address
    message["Date"] = format_datetime(utcnow().replace(tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain=settings.sender.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("This is a test from Heard's `flask mail check`. Mail works.\n")
    return message
