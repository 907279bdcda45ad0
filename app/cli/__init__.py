"""The command line: `flask …` in the project folder, or the installed `heard` command.

Each command is a small click function that calls a business function.
"""
import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from app import schema
from app.accounts import credentials, roster
from app.cli import delivery, demo, retention
from app.crypto import keys
from app.delivery import tick
from app.errors import HeardError
from app.exports import files as exports
from app.models import Person, Team
from app.pulse import rounds, surveys
from app.views import static_site
from app.views.extensions import mail_settings, thresholds, urls


def init_app(app):
    for group in (db_cli, roster_cli, surveys_cli, rounds_cli, keys_cli, accounts_cli,
                  board_cli, export_cli):
        app.cli.add_command(group)
    for command in (links_command, demo_command, login_link_command):
        app.cli.add_command(command)
    delivery.init_app(app, rounds_cli)
    retention.init_app(app)


def _fail(message):
    raise click.ClickException(message)


@click.group("db", cls=AppGroup)
def db_cli():
    """Database schema."""


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations."""
    applied = schema.upgrade()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@db_cli.command("status")
def db_status():
    """List migrations not applied yet."""
    waiting = schema.pending()
    click.echo("pending: " + ", ".join(waiting) if waiting else "database is up to date")


@click.group("roster", cls=AppGroup)
def roster_cli():
    """People and teams."""


@roster_cli.command("import")
@click.argument("csv_file", type=click.File("rb"))
def roster_import(csv_file):
    """Import people from CSV (email,name,team,role,leads): all or nothing."""
    try:
        report = roster.import_roster(csv_file.read())
    except roster.RosterError as error:
        for line in error.errors:
            click.echo(line, err=True)
        _fail(f"{len(error.errors)} problem(s); nothing was imported")
    click.echo(f"{report.created} added, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.teams_created)} new team(s)")
    if report.ignored_columns:
        click.echo("ignored columns: " + ", ".join(report.ignored_columns))


@click.group("surveys", cls=AppGroup)
def surveys_cli():
    """Survey and theme definitions."""


@surveys_cli.command("sync")
@click.option("--dir", "directory", type=click.Path(file_okay=False),
              help="Folder of *.toml definitions (default: surveys/).")
def surveys_sync(directory):
    """Load surveys/*.toml and surveys/themes.toml into the database."""
    directory = directory or current_app.config["SURVEYS_DIR"]
    try:
        report = surveys.sync_surveys(directory)
    except surveys.SurveyDefinitionError as error:
        for line in error.problems:
            click.echo(line, err=True)
        _fail("the definitions were refused; nothing changed")
    click.echo("\n".join(report) if report else "surveys are up to date")


@click.group("rounds", cls=AppGroup)
def rounds_cli():
    """Survey rounds."""


@rounds_cli.command("open")
@click.argument("survey")
@click.option("--team", "team_path", required=True, help="Team path, e.g. Engineering.")
@click.option("--days", default=5, show_default=True, type=int, help="How long it stays open.")
def rounds_open(survey, team_path, days):
    """Open a round of SURVEY for a team subtree, with a personal link per person."""
    try:
        round_ = rounds.open_round(survey, team_path, days, thresholds().k)
    except rounds.RoundError as error:
        _fail(str(error))
    invited = round_.invitations.count()
    click.echo(f"opened round {round_.id} ({round_.name}) for {round_.team.path}: "
               f"{invited} {'person' if invited == 1 else 'people'} invited, closes "
               f"{round_.closes_at:%Y-%m-%d %H:%M} UTC")


@rounds_cli.command("close-due")
def rounds_close_due():
    """Close every round whose time is up and release its pending answers (cron-safe;
    `flask rounds tick` does this and more)."""
    closed = tick.close_due(thresholds())
    click.echo(f"closed {len(closed)} round(s)" + "".join(f"\n  {r.id} {r.name}" for r in closed))


@click.command("links")
@with_appcontext
@click.argument("email", required=False)
@click.option("--all", "everyone", is_flag=True, help="Everyone invited to open rounds, as CSV.")
def links_command(email, everyone):
    """Print a person's personal link for the open round(s)."""
    if everyone == bool(email):
        _fail("give an EMAIL or --all")
    if everyone:
        click.echo("email,url")
        for link in rounds.all_open_links(urls()):
            click.echo(f"{link.email},{link.url}")
        return
    try:
        found = rounds.links_for_person(email, urls())
    except rounds.RoundError as error:
        _fail(str(error))
    if not found:
        _fail(f"{email} is not invited to any open round")
    for link in found:
        click.echo(f"{link.url}  ({link.round.name})")


@click.command("demo")
@with_appcontext
def demo_command():
    """Load a demo company (only into an empty database) and print sign-in links."""
    config, settings = current_app.config, mail_settings()
    if not demo.database_is_empty():
        click.echo("the database already holds people; demo data not loaded")
    else:
        demo.load_demo(config["SURVEYS_DIR"], thresholds().k,
                       timezone=settings.timezone)
        click.echo("demo company loaded")
        sent = tick.tick(settings, urls(), thresholds()).delivery.sent
        click.echo(f"{sent} invitation mail(s) for the open round: {settings.describe()}")
    for line in (demo.sign_in_lines(urls()) + demo.staff_sign_in_lines(urls())
                 + demo.board_sign_in_line(urls()) + demo.poster_line(urls())):
        click.echo(line)


@click.group("keys", cls=AppGroup)
def keys_cli():
    """The key file."""


@keys_cli.command("check")
def keys_check():
    """Check that the key file opens every data key in the database."""
    count = keys.current().check()
    click.echo(f"ok: the key file opens all {count} data key(s)")


@keys_cli.command("rotate")
def keys_rotate():
    """Make a new key-encryption key and re-wrap every data key with it."""
    kid = keys.current().rotate()
    click.echo(f"new primary key {kid}; data keys re-wrapped. Back up the key file now.")


def _staff_member(email):
    person = Person.by_email(email)
    if person is None:
        _fail(f"nobody with the email {email} is in the roster")
    return person


@click.command("login-link")
@with_appcontext
@click.argument("email")
def login_link_command(email):
    """Print a one-time sign-in link: staff continue with their second factor,
    employees land on the board."""
    minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
    try:
        token = credentials.create_sign_in_link(_staff_member(email), minutes)
    except credentials.SignInRefused as error:
        _fail(str(error))
    click.echo(urls().sign_in(token))
    click.echo(f"(works once, for {minutes} minutes)", err=True)


@click.group("accounts", cls=AppGroup)
def accounts_cli():
    """Staff accounts."""


@accounts_cli.command("disable")
@click.argument("email")
def accounts_disable(email):
    """Disable an account: it cannot sign in, and its sessions end at once."""
    credentials.set_active(_staff_member(email), False)
    click.echo(f"{email} is disabled; every session it had has ended")


@accounts_cli.command("enable")
@click.argument("email")
def accounts_enable(email):
    """Enable a disabled account again."""
    credentials.set_active(_staff_member(email), True)
    click.echo(f"{email} is enabled")


@accounts_cli.command("reset-mfa")
@click.argument("email")
def accounts_reset_mfa(email):
    """Forget an account's authenticator app and recovery codes (a lost phone)."""
    credentials.reset_second_factor(_staff_member(email))
    click.echo(f"{email} has no authenticator now; they set one up at their next sign-in "
               f"(send them a link: flask login-link {email})")


def _create_app_or_exit():
    from app import StartupError, create_app
    try:
        return create_app()
    except StartupError as error:
        sys.exit(f"heard: cannot start: {error}")


main = FlaskGroup(create_app=_create_app_or_exit, help="Heard: employee pulse surveys.")


@click.group("board", cls=AppGroup)
def board_cli():
    """The public board."""


@board_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, writable=True))
@click.option("--team", "team_path", default=None,
              help="Only the threads members of this team may read (default: every thread).")
def board_export(directory, team_path):
    """Write the board as plain HTML files into DIRECTORY, for any static host."""
    team = None
    if team_path is not None:
        team = Team.by_path(team_path)
        if team is None:
            _fail(f"There is no team {team_path!r}. Team paths look like Engineering/Platform.")
    try:
        written = static_site.export(directory, thresholds(), team)
    except OSError as error:
        _fail(f"Cannot write the board into {directory}: {error.strerror}.")
    click.echo(f"Wrote the board ({written} thread{'' if written == 1 else 's'}) into "
               f"{directory}; open {directory}/index.html.")


@click.group("export", cls=AppGroup)
def export_cli():
    """CSV exports, written to standard output."""


_EXPORT_OPTIONS = (
    click.option("--round", "round_id", help="One round, by its id."),
    click.option("--since", help="Only rounds closed on or after this day (YYYY-MM-DD)."),
    click.option("--until", help="Only rounds closed on or before this day (YYYY-MM-DD)."),
    click.option("--team", "team_path", help="Only this team and the teams below it."),
    click.option("--excel", is_flag=True,
                 help="Start with a byte-order mark, which Excel needs for accents."),
)


def _export_options(command):
    for option in reversed(_EXPORT_OPTIONS):
        command = option(command)
    return command


def _export(kind, round_id, since, until, team_path, excel):
    config = current_app.config
    try:
        if kind == "comments":
            exports.may_export_comments(None, config["ALLOW_COMMENT_EXPORT"])
        selection = exports.choose(round_id, since, until, team_path)
        export = exports.start(kind, selection, None, thresholds(), excel=excel)
    except HeardError as error:  # no such round or team, nothing to export, comments off
        _fail(str(error))
    with click.open_file("-", "wb") as out:
        for chunk in export.chunks:
            out.write(chunk)
    click.echo(f"{export.rows} row(s) written ({export.filename}); recorded in the audit log.",
               err=True)


@export_cli.command("themes")
@_export_options
def export_themes(round_id, since, until, team_path, excel):
    """Themes of closed rounds: one row per round, team and theme."""
    _export("themes", round_id, since, until, team_path, excel)


@export_cli.command("comments")
@_export_options
def export_comments(round_id, since, until, team_path, excel):
    """Comments of closed rounds (only with HEARD_ALLOW_COMMENT_EXPORT=true)."""
    _export("comments", round_id, since, until, team_path, excel)
