"""`heard purge`: the retention policy (app.accounts.retention), run daily from cron."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts import retention


def init_app(app):
    app.cli.add_command(purge_command)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@with_appcontext
def purge_command(dry_run):
    """Delete what the retention policy (HEARD_RETAIN_*_DAYS) no longer keeps."""
    purged = retention.purge(retention.Policy.from_config(current_app.config),
                             dry_run=dry_run)
    click.echo(("would remove: " if dry_run else "removed: ") + purged.describe())
