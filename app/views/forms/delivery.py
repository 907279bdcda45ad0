"""The forms of the HR pages that deliver pulses: schedules and open links. They type
what was sent; app.delivery.schedules and app.pulse.open_links keep the rules and say
what is wrong."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.delivery.schedules import DAYS_APART
from app.models.surveys import CADENCES
from app.views.forms.fields import WholeNumberField


class DeliveryForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST once, before the view


def _offered(label, **kwargs):
    """A select whose options the page fills in; what was sent is checked by business
    code, which says what is wrong in its own words, so the field does not."""
    return SelectField(label, validate_choice=False, **kwargs)


class ScheduleForm(DeliveryForm):
    survey = _offered("Survey")  # a survey's key
    team = _offered("For everyone in")  # a team's path
    cadence = _offered("How often", choices=[SelectChoice(c, c.capitalize()) for c in CADENCES])
    weekday = WholeNumberField("Weekly and every other week: on")  # 0 = Monday
    day_of_month = WholeNumberField("Monthly and quarterly: on day", default=1)
    hour = WholeNumberField("At (hour)", default=9)
    days = WholeNumberField("Open for (days)", default=5)

    def day(self):
        """The day that counts for the chosen cadence: a weekday or a day of the month."""
        if self.cadence.data in DAYS_APART:
            return self.weekday.data
        return self.day_of_month.data

    def offer(self, surveys, teams):
        """Fill the selects with the active surveys and the teams."""
        self.survey.choices = [SelectChoice(s.key, f"{s.title} ({s.cadence})") for s in surveys]
        self.team.choices = [SelectChoice(team.path, team.path) for team in teams]
        return self


class OpenLinkForm(DeliveryForm):
    team = _offered("For the teams in")  # a team's path
    label = StringField("Poster title")

    def offer(self, teams):
        """Fill the select with the teams."""
        self.team.choices = [SelectChoice(team.path, team.path) for team in teams]
        return self


class TeamChoiceForm(DeliveryForm):
    """Which team, on a poster's pulse: a team's id among the link's teams."""
    team = WholeNumberField("My team")
