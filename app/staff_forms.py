"""Forms of the staff pages: sign-in, second factor, password."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.accounts import MAX_PASSWORD


class StaffForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST once, before the view


class SignInForm(StaffForm):
    email = EmailField("Email", validators=[DataRequired("Type your email."),
                                            Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Type your password."),
                                                     Length(max=MAX_PASSWORD)])


class CodeForm(StaffForm):
    code = StringField("Code", validators=[
        DataRequired("Type the 6-digit code from your app, or a recovery code."),
        Length(max=40, message="A code is 6 digits, or a recovery code like 1a2b3c4d-5e6f7a8b.")])


class PasswordForm(StaffForm):
    current = PasswordField("Current password", validators=[Length(max=MAX_PASSWORD)])
    new = PasswordField("New password", validators=[
        DataRequired("Type a new password."), Length(max=MAX_PASSWORD)])
    repeat = PasswordField("New password again", validators=[
        DataRequired("Type the new password again."),
        EqualTo("new", "The two new passwords are not the same.")])
