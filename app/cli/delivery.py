"""Commands that get rounds to people: `flask rounds tick` and the `flask mail` group."""
import click
from flask.cli import AppGroup, with_appcontext

from app.delivery import mails, outbox, tick
from app.delivery.transport import Refused, Unreachable, transport_for
from app.views.extensions import mail_settings, thresholds, urls


def init_app(app, rounds_cli):
    rounds_cli.add_command(rounds_tick)
    app.cli.add_command(mail_cli)


@click.command("tick")
@with_appcontext
@click.option("--no-send", is_flag=True, help="Queue mail but leave sending to a later run.")
def rounds_tick(no_send):
    """Do everything due: close, open scheduled rounds, invite, remind, release, send.

    Safe to run from cron every minute, twice at once, or after a pause."""
    report = tick.tick(mail_settings(), urls(), thresholds(), send=not no_send)
    for round_ in report.closed:
        click.echo(f"closed round {round_.id} ({round_.name})")
    for opened in report.opened:
        if opened.round is not None:
            click.echo(f"opened round {opened.round.id} ({opened.round.name}) for "
                       f"{opened.round.team.path}, from a schedule")
        else:
            click.echo(f"schedule {opened.schedule.id}: {opened.problem}", err=True)
    for round_, queued in report.invited.items():
        click.echo(f"queued {queued} invitation(s) for round {round_.id} ({round_.name})")
    for round_ in report.reminded:  # no count: it would say how many had answered
        click.echo(f"queued the reminder for round {round_.id} ({round_.name})")
    if report.released:
        click.echo(f"released {report.released} waiting answer(s) into the results")
    _echo_delivery(report.delivery)


def _echo_delivery(delivery):
    if delivery.sent:
        click.echo(f"sent {delivery.sent} mail(s)")
    for problem in delivery.problems:
        click.echo(f"refused: {problem}", err=True)
    if delivery.retrying or delivery.given_up:
        click.echo(f"{delivery.retrying} mail(s) will be tried again, "
                   f"{delivery.given_up} given up (see flask mail status)", err=True)
    if delivery.unreachable:
        click.echo(f"mail is waiting: {delivery.unreachable}; it is tried again in "
                   f"{outbox.UNREACHABLE_RETRY_MINUTES} minutes", err=True)


@click.group("mail", cls=AppGroup)
def mail_cli():
    """Mail: check the settings, send the outbox, see what waits."""


@mail_cli.command("check")
@click.option("--send-to", "send_to", help="Also send a test mail to this address.")
def mail_check(send_to):
    """Check the mail settings by talking to the server (nothing is queued)."""
    settings = mail_settings()
    click.echo(settings.describe())
    try:
        with transport_for(settings) as transport:
            if send_to:
                transport.send(mails.check_message(settings, send_to))
    except Unreachable as error:
        raise click.ClickException(str(error)) from None
    except Refused as error:
        raise click.ClickException(f"the server refused the test mail: {error}") from None
    except ValueError as error:  # an address that cannot go in a header
        raise click.ClickException(f"{send_to!r} is not a mail address ({error})") from None
    click.echo(f"ok: test mail sent to {send_to}" if send_to else "ok")


@mail_cli.command("send")
def mail_send():
    """Send the mail that is due now (the tick does this too)."""
    delivery = outbox.deliver(mail_settings(), urls(), thresholds().k,
                              final_stage=len(mail_settings().reminder_days))
    _echo_delivery(delivery)
    if not (delivery.sent or delivery.problems or delivery.unreachable):
        click.echo("nothing to send")


@mail_cli.command("status")
def mail_status():
    """How much mail waits, how much was given up, and the addresses refused."""
    state = outbox.status()
    click.echo(f"{mail_settings().describe()}\n{state.waiting} mail(s) waiting, "
               f"{state.failed} given up")
    for bounce in state.bounces:
        click.echo(f"refused {bounce.refusals}x, last {bounce.last_at:%Y-%m-%d %H:%M} UTC: "
                   f"{bounce.address} ({bounce.last_problem})")


@mail_cli.command("retry")
def mail_retry():
    """Try the invitations that were given up again (after fixing addresses)."""
    click.echo(f"{outbox.retry_failed()} mail(s) will be tried at the next tick")


@mail_cli.command("forget-bounce")
@click.argument("address")
def mail_forget_bounce(address):
    """Forget that the server refused ADDRESS (it was fixed)."""
    if not outbox.forget_bounce(address):
        raise click.ClickException(f"{address} is not among the refused addresses")
    click.echo(f"forgot {address}")
