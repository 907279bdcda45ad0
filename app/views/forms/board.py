"""Forms of the board. They check only which characters may be stored (app.text);
app.board.conversations decides what may be posted and says why not (and checks the
characters again), so the same rules hold for the CLI, tests and the web."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.board.conversations import STATUS_LABELS
from app.board.plaintext import MAX_CHARS
from app.text import StorableText


class BoardForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST once, before the view


STATUS_CHOICES = [SelectChoice(key, label) for key, label in STATUS_LABELS.items()]


class ReplyForm(BoardForm):
    body = TextAreaField("Your reply", [StorableText("Your reply")],
                         render_kw={"maxlength": MAX_CHARS, "rows": 3})
    identity = RadioField("Post", choices=[SelectChoice("anonymous", "Anonymously"),
                                           SelectChoice("named", "With my name")],
                          default="anonymous",
                          validate_choice=False)
    parent = HiddenField(validators=[StorableText("The reply", multiline=False)])


class ThreadForm(BoardForm):
    body = TextAreaField("Your answer, in your own words", [StorableText("Your post")],
                         render_kw={"maxlength": MAX_CHARS, "rows": 8})
    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False)
    reason = TextAreaField("Reason (needed for “won't do”)", [StorableText("The reason")],
                           render_kw={"maxlength": MAX_CHARS, "rows": 2})


class StatusForm(BoardForm):
    status = SelectField("New status", choices=STATUS_CHOICES, validate_choice=False)
    reason = TextAreaField("Note or reason (needed for “won't do”)",
                           [StorableText("The note")],
                           render_kw={"maxlength": MAX_CHARS, "rows": 2})


class EditForm(BoardForm):
    body = TextAreaField("Your post", [StorableText("Your post")],
                         render_kw={"maxlength": MAX_CHARS, "rows": 8})


class HideForm(BoardForm):
    post = HiddenField(validators=[StorableText("The reply", multiline=False)])
    reason = TextAreaField("Reason, shown in its place", [StorableText("The reason")],
                           render_kw={"maxlength": 500, "rows": 2})


class ReactForm(BoardForm):
    # "thread", or a reply's id
    target = HiddenField(validators=[StorableText("The target", multiline=False)])
    kind = HiddenField(validators=[StorableText("The reaction", multiline=False)])
