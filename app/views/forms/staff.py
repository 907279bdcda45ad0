"""Forms of the staff pages: sign-in, second factor, password."""
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.accounts.credentials import MAX_PASSWORD
from app.text import StorableText


class StaffForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST once, before the view


class SignInForm(StaffForm):
    email = EmailField("Email", validators=[DataRequired("Type your email."),
                                            Length(max=254),
                                            StorableText("The email", multiline=False)])
    password = PasswordField("Password", validators=[DataRequired("Type your password."),
                                                     Length(max=MAX_PASSWORD)])
    # Where to go once signed in; the view follows only a path on this site.
    next = HiddenField()


def _ascii_code(form, field):
    # '⁰⁴⁵₀₁₂' passes str.isdigit() and then breaks hmac.compare_digest.
    if not (field.data or "").isascii():
        raise ValidationError("A code is 6 digits (0-9), or a recovery code like "
                              "abcd-efgh-ijkl-mnop-qrst-uvwx.")


class CodeForm(StaffForm):
    code = StringField("Code", validators=[
        DataRequired("Type the 6-digit code from your app, or a recovery code."),
        Length(max=40, message="A code is 6 digits, or a recovery code like "
                               "abcd-efgh-ijkl-mnop-qrst-uvwx."),
        _ascii_code])


class PasswordForm(StaffForm):
    current = PasswordField("Current password", validators=[Length(max=MAX_PASSWORD)])
    new = PasswordField("New password", validators=[
        DataRequired("Type a new password."), Length(max=MAX_PASSWORD)])
    repeat = PasswordField("New password again", validators=[
        DataRequired("Type the new password again."),
        EqualTo("new", "The two new passwords are not the same.")])
