"""Blueprints: one per audience. Only this package touches request, session and g."""
from app.pulses import MAX_COMMENT_CHARS


def register_blueprints(app):
    from app.views import employee, errors, health, home
    for module in (home, health, employee):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    app.jinja_env.globals["max_comment"] = MAX_COMMENT_CHARS
    app.jinja_env.filters["day"] = day


def day(moment):
    """'Friday 27 November, 14:00 UTC' for a naive UTC datetime."""
    return f"{moment:%A %-d %B, %H:%M} UTC"
