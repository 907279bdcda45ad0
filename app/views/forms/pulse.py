"""The pulse form, built from a survey's questions.

Answers are checked as exact strings against each question's scale: Python's int()
would accept ' 3 ', '٣', '３' and '1_0', and none of those is an answer a person
gave by tapping a button.
"""
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from app.pulse.answering import MAX_COMMENT_CHARS
from app.text import StorableText

FIELD_PREFIX = "q_"
IDENTITY_CHOICES = [SelectChoice("anonymous", "Anonymously"), SelectChoice("named", "With my name")]


class ScaleField(RadioField):
    """A required answer that must be one of the scale's exact strings."""

    def __init__(self, *args, answer_hint, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)
        self.answer_hint = answer_hint

    def pre_validate(self, form):
        if self.data in (None, "", "None"):
            raise StopValidation("Please choose an answer.")
        if self.data not in {choice.value for choice in self.choices}:
            raise StopValidation(f"Choose {self.answer_hint}.")


def _check_comment(form, field):
    text = field.data or ""
    if len(text.strip()) > MAX_COMMENT_CHARS:
        raise ValidationError(f"Please keep this to {MAX_COMMENT_CHARS:,} characters; "
                              f"it has {len(text.strip()):,}.")


def _answer_hint(question):
    if question.kind == "choice":
        return "one of the options"
    return f"a number from {question.scale[0]} to {question.scale[-1]}"


def pulse_form(questions, **kwargs):
    """The pulse form for these questions: one field per question, plus the identity choice.

    CSRF is checked for every POST by CSRFProtect before the view runs, so the form
    does not check it a second time; templates render the token with csrf_token().
    """
    signature = tuple((q.key, q.kind, q.choices_json) for q in questions)
    if signature not in _FORM_CLASSES:
        if len(_FORM_CLASSES) > 64:
            _FORM_CLASSES.clear()
        _FORM_CLASSES[signature] = _form_class(questions)
    form = _FORM_CLASSES[signature](meta={"csrf": False}, **kwargs)
    form.questions = questions
    return form


# Building a form class costs more than the rest of a submission's form handling,
# so each worker keeps one per distinct set of questions.
_FORM_CLASSES = {}


def _form_class(questions):

    class PulseForm(FlaskForm):
        identity = RadioField(choices=IDENTITY_CHOICES, default="anonymous")

    for question in questions:
        name = FIELD_PREFIX + question.key
        if question.is_scored:
            labels = question.choices or question.scale
            choices = [SelectChoice(value, label)
                       for value, label in zip(question.scale, labels, strict=True)]
            field = ScaleField(choices=choices, answer_hint=_answer_hint(question))
        else:
            field = TextAreaField(validators=[StorableText("This comment"), _check_comment])
        setattr(PulseForm, name, field)
    return PulseForm


def unexpected_fields(form, formdata):
    """Field names the form does not take, or that were sent more than once."""
    allowed = {field.name for field in form} | {"csrf_token"}
    problems = [f"{name} (not a field of this form)" for name in formdata if name not in allowed]
    problems += [f"{name} (sent {len(formdata.getlist(name))} times)"
                 for name in formdata if name in allowed and len(formdata.getlist(name)) > 1]
    return sorted(problems)


def answers_from(form):
    """(scores, comments, signed) from a validated form, as plain values."""
    scores, comments = {}, {}
    for question in form.questions:
        value = form[FIELD_PREFIX + question.key].data
        if question.is_scored:
            scores[question.key] = int(value)
        elif value and value.strip():
            comments[question.key] = value
    return scores, comments, form.identity.data == "named"
