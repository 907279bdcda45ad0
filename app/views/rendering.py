"""The one place that decides between a whole page and an htmx fragment."""
from flask import current_app, make_response, render_template


def render(page, fragment, status=200, **context):
    """Render `page`, or just `fragment` (which the page includes) for htmx requests."""
    template = fragment if current_app.htmx else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
