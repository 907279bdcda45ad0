"""Blueprints: one per audience. Only this package touches request, session and g."""
from app.pulse.answering import MAX_COMMENT_CHARS
from app.views import (
    access, audit, auth, board, dashboard, employee, errors, exports, health, home, limits,
    open_links, open_pulse, schedules, urls)


def register_blueprints(app):
    access.init_app(app)
    limits.init_app(app)
    for module in (home, health, employee, open_pulse, auth, dashboard, board, audit, exports,
                   schedules, open_links):
        app.register_blueprint(module.bp)
    auth.init_app(app)
    dashboard.init_app(app)
    board.init_app(app)
    errors.init_app(app)
    urls.init_app(app)
    app.jinja_env.globals["max_comment"] = MAX_COMMENT_CHARS
    app.jinja_env.filters["day"] = day


def day(moment):
    """'Friday 27 November, 14:00 UTC' for a naive UTC datetime."""
    return f"{moment:%A %-d %B, %H:%M} UTC"
