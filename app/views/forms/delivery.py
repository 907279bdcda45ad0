"""The forms of the HR pages that deliver pulses: schedules and open links. They type
what was sent; app.delivery.schedules and app.pulse.open_links keep the rules and say
what is wrong."""
from flask_wtf import FlaskForm
from wtforms import StringField

from app.delivery.schedules import DAYS_APART
from app.views.forms.fields import WholeNumberField


class DeliveryForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST once, before the view


class ScheduleForm(DeliveryForm):
    survey = StringField("Survey")  # a survey's key
    team = StringField("For everyone in")  # a team's path
    cadence = StringField("How often")
    weekday = WholeNumberField("Weekly and every other week: on")  # 0 = Monday
    day_of_month = WholeNumberField("Monthly and quarterly: on day")
    hour = WholeNumberField("At (hour)")
    days = WholeNumberField("Open for (days)")

    def day(self):
        """The day that counts for the chosen cadence: a weekday or a day of the month."""
        if self.cadence.data in DAYS_APART:
            return self.weekday.data
        return self.day_of_month.data


class OpenLinkForm(DeliveryForm):
    team = StringField("For the teams in")  # a team's path
    label = StringField("Poster title")


class TeamChoiceForm(DeliveryForm):
    """Which team, on a poster's pulse: a team's id among the link's teams."""
    team = WholeNumberField("My team")
