"""The export form. Which rounds and days may be chosen is app.exports.choice's rule;
its parsers type the round and the days here, so a refusal keeps its sentence and
status (no such round: 404; not a date: 422)."""
from flask_wtf import FlaskForm
from wtforms import StringField

from app.errors import HeardError
from app.exports import choice
from app.views.forms.fields import ParsedField, YesField


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST once, before the view

    kind = StringField("What", default="themes")  # app.exports.files.KINDS
    round = ParsedField("Rounds", parse=choice.parse_round_id, refuses=HeardError)
    since = ParsedField("Closed from", parse=choice.parse_day, refuses=HeardError)
    until = ParsedField("to", parse=choice.parse_day, refuses=HeardError)
    team = StringField("Teams")  # a team's path; empty for the whole organisation
    excel = YesField("For Excel")

    def as_typed(self):
        """Round, days and team as the person typed them: where one does not parse,
        app.exports.choice reads them all in its own order and refuses the first it
        meets (a team that does not exist before a date that is no date)."""
        return tuple(field.raw_data[0] if field.raw_data else None
                     for field in (self.round, self.since, self.until, self.team))
