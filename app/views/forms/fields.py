"""Fields that type what a person sent, shared by the forms of every area.

A field turns text into the value business code takes (an int, a date); whether that
value is allowed stays with the business function, which says why not in its own words.
"""
from wtforms import BooleanField, StringField

from app.numbers import LARGEST_ID, whole_number


class TypedTextField(StringField):
    """A text input whose value is parsed: when it does not parse, the page it comes
    back on shows what the person typed, for them to fix, not the default."""

    def _value(self):
        if self.data is None and self.raw_data:
            return self.raw_data[0]
        return super()._value()


class WholeNumberField(TypedTextField):
    """A whole number in ASCII digits (spaces around it allowed, as a form sends them),
    else None: the business function then refuses None with its sentence, in the order
    it checks its arguments."""

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist else ""
        self.data = whole_number(raw, 0, LARGEST_ID)


class ParsedField(TypedTextField):
    """Text that a business parser turns into a value; None when left empty.

    What the parser refuses becomes this field's error, and the refusal itself (an
    named refusal of app.errors) is kept in `refusal`, so the view answers exactly as
    the business function would have.
    """

    def __init__(self, label=None, validators=None, *, parse, refuses, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.parse, self.refuses, self.refusal = parse, refuses, None

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if raw:
            try:
                self.data = self.parse(raw)
            except self.refuses as refusal:
                self.refusal = refusal
                raise ValueError(str(refusal)) from None


class YesField(BooleanField):
    """A checkbox sent as value="yes": True only for that value."""

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] == "yes"


def first_refusal(form, otherwise):
    """The refusal of the first field, in the form's order, that has one; else the first
    error of the form made into `otherwise` (an exception class taking the sentence)."""
    refusal = next((field.refusal for field in form if getattr(field, "refusal", None)), None)
    return refusal or otherwise(next(iter(form.errors.values()))[0])
