"""Recurring pulses, for HR and admins: the list, a form to add one, pause, resume,
delete. Rounds are opened by `flask rounds tick`; the page says when the next is due."""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from app.delivery import mails, outbox, schedules
from app.models import Schedule, Survey, Team
from app.models.org import EVERYTHING_ROLES
from app.views.access import staff
from app.views.errors import status_of
from app.views.extensions import mail_settings
from app.views.forms.delivery import ScheduleForm
from app.views.params import use_converters

bp = Blueprint("schedules", __name__)
use_converters(bp)
ROLES = EVERYTHING_ROLES


def _page(form, status=200, error=None):
    settings = mail_settings()
    return render_template(
        "schedules/index.html", schedules=schedules.listing(), error=error,
        form=form.offer(Survey.select().where(Survey.active).order_by(Survey.title),
                        Team.select().order_by(Team.path)),
        weekdays=schedules.WEEKDAYS, describe=schedules.describe,
        when=lambda moment: mails.local_time(moment, settings.timezone),
        timezone=settings.timezone.key, mail=outbox.status(), mail_route=settings.describe(),
        reminder_days=settings.reminder_days), status


@bp.get("/schedules")
@staff(*ROLES)
def index():
    return _page(ScheduleForm(formdata=None))


@bp.post("/schedules")
@staff(*ROLES)
def create():
    form = ScheduleForm()
    form.validate()  # it only types: what is wrong, schedules.create says
    try:
        schedules.create(form.survey.data, form.team.data, form.cadence.data, form.day(),
                         form.hour.data, form.days.data, current_user.person,
                         mail_settings().timezone)
    except (schedules.ScheduleError, schedules.Overlap) as error:  # beside what was typed
        return _page(form, 422, str(error))
    return redirect(url_for("schedules.index"), 303)


def _schedule(schedule_id):
    schedule = Schedule.get_or_none(Schedule.id == schedule_id)
    if schedule is None:
        abort(404, "There is no such schedule; it may have been deleted.")
    return schedule


@bp.post("/schedules/<id:schedule_id>/pause")
@staff(*ROLES)
def pause(schedule_id):
    schedules.set_active(_schedule(schedule_id), False, current_user.person,
                         mail_settings().timezone)
    return redirect(url_for("schedules.index"), 303)


@bp.post("/schedules/<id:schedule_id>/resume")
@staff(*ROLES)
def resume(schedule_id):
    try:
        schedules.set_active(_schedule(schedule_id), True, current_user.person,
                             mail_settings().timezone)
    except schedules.Overlap as error:
        return _page(ScheduleForm(formdata=None), status_of(error), str(error))
    return redirect(url_for("schedules.index"), 303)


@bp.post("/schedules/<id:schedule_id>/delete")
@staff(*ROLES)
def delete(schedule_id):
    schedules.delete(_schedule(schedule_id), current_user.person)
    return redirect(url_for("schedules.index"), 303)
